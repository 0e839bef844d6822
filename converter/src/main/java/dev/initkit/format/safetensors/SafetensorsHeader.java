package dev.initkit.format.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.initkit.MalformedModelException;
import dev.initkit.internal.BoundedText;
import dev.initkit.internal.FileBytes;
import dev.initkit.internal.Json;
import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.StoredType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of one {@code .safetensors} file: an 8-byte little-endian length,
 * then that many bytes of a JSON object of tensors ({@code dtype}, {@code shape}, {@code
 * data_offsets} relative to the data section after the header) and an optional {@code __metadata__}
 * object of strings; the data section follows.
 *
 * <p>Everything is checked against the file size before it is allocated or trusted: the length
 * against the file and {@link #MAX_HEADER_BYTES}; every tensor's offsets against the data section,
 * its byte count against its shape and dtype, and the tensors against each other (no overlap, no
 * byte of the data section left to none, as the reference library requires).
 *
 * @param entries the tensors in file order (by data offset; header order for ties)
 * @param metadata the {@code __metadata__} strings in header order; empty when absent
 * @param dataStart absolute file position of the data section
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata, long dataStart) {

  /**
   * The largest header accepted, 100 MB: the reference library's own limit ({@code
   * MAX_HEADER_SIZE}); real headers are a few hundred bytes a tensor.
   */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  static final String METADATA = "__metadata__";

  /**
   * One tensor of the header.
   *
   * @param name the full safetensors key
   * @param dtype the element type its values are read as
   * @param stored the file's element type when it is not {@code dtype} (F8_E4M3, F4, C64...), or
   *     null
   * @param shape its shape ({@code []} is a scalar)
   * @param begin first byte, relative to the data section
   * @param end one past the last byte, relative to the data section
   */
  record Entry(String name, DType dtype, StoredType stored, Shape shape, long begin, long end) {}

  SafetensorsHeader {
    entries = List.copyOf(entries);
    metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Reads and validates the header of {@code file}, open as {@code ch}.
   *
   * @throws MalformedModelException naming the file and the tensor or field that breaks the format
   */
  static SafetensorsHeader read(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new MalformedModelException(
          file, "header", "file of " + size + " bytes ends before the 8-byte header length");
    }
    long n = FileBytes.readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    // unsigned compare: a length with the top bit set is larger than any file
    if (Long.compareUnsigned(n, size - 8) > 0) {
      throw new MalformedModelException(
          file,
          "header",
          "header length "
              + Long.toUnsignedString(n)
              + " exceeds the "
              + (size - 8)
              + " bytes after it (truncated file?)");
    }
    if (n > MAX_HEADER_BYTES) {
      throw new MalformedModelException(
          file,
          "header",
          "header length " + n + " exceeds initkit's limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (n < 2) {
      throw new MalformedModelException(
          file, "header", "header length " + n + " is too short for a JSON object");
    }
    ByteBuffer raw = FileBytes.readFully(ch, 8, (int) n);
    byte[] bytes = new byte[raw.remaining()];
    raw.get(bytes);
    String text = BoundedText.utf8(bytes, file, "header");
    long dataStart = 8 + n;
    return parse(file, text, size - dataStart, dataStart);
  }

  private static SafetensorsHeader parse(Path file, String text, long dataSize, long dataStart)
      throws IOException {
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    try (JsonParser p = Json.factory().createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed(file, "header", "not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals(METADATA)) {
          readMetadata(file, p, v, metadata);
        } else {
          entries.add(readTensor(file, p, v, name, dataSize));
        }
      }
      if (p.nextToken() != null) {
        throw malformed(file, "header", "text after the JSON object");
      }
    } catch (JsonProcessingException e) {
      String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().split("\n", 2)[0];
      throw new MalformedModelException(
          file,
          "header",
          "invalid JSON at column "
              + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr())
              + ": "
              + (why.length() > 120 ? why.substring(0, 120) + "..." : why),
          e);
    }
    checkLayout(file, entries, dataSize);
    return new SafetensorsHeader(entries, metadata, dataStart);
  }

  private static void readMetadata(
      Path file, JsonParser p, JsonToken v, Map<String, String> metadata) throws IOException {
    if (v != JsonToken.START_OBJECT) {
      throw malformed(file, METADATA, "expected an object of strings, found " + kind(v));
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken t = p.nextToken();
      if (t != JsonToken.VALUE_STRING) {
        throw malformed(file, METADATA + "/" + key, "expected a string value, found " + kind(t));
      }
      metadata.put(key, p.getText());
    }
  }

  private static Entry readTensor(Path file, JsonParser p, JsonToken v, String name, long dataSize)
      throws IOException {
    if (name.isEmpty()) {
      throw malformed(file, "header", "a tensor with an empty name");
    }
    if (v != JsonToken.START_OBJECT) {
      throw malformed(file, name, "expected a tensor object, found " + kind(v));
    }
    String dtypeCode = null;
    long[] shape = null;
    long[] offsets = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "dtype":
          if (t != JsonToken.VALUE_STRING) {
            throw malformed(file, name + "/dtype", "expected a string, found " + kind(t));
          }
          dtypeCode = p.getText();
          break;
        case "shape":
          shape = longs(file, p, t, name + "/shape", -1);
          break;
        case "data_offsets":
          offsets = longs(file, p, t, name + "/data_offsets", 2);
          break;
        default:
          p.skipChildren(); // the reference library ignores other fields too
      }
    }
    if (dtypeCode == null || shape == null || offsets == null) {
      String missing = dtypeCode == null ? "dtype" : shape == null ? "shape" : "data_offsets";
      throw malformed(file, name + "/" + missing, "missing");
    }
    SafetensorsDTypes.Read read = SafetensorsDTypes.of(dtypeCode);
    if (read == null) {
      throw malformed(file, name + "/dtype", "unknown safetensors dtype '" + dtypeCode + "'");
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw malformed(file, name + "/data_offsets", "begin " + begin + " is after end " + end);
    }
    if (end > dataSize) {
      throw malformed(
          file,
          name + "/data_offsets",
          "end " + end + " is beyond the data section of " + dataSize + " bytes (truncated file?)");
    }
    Shape s = Shape.of(shape);
    long bits;
    try {
      bits = Math.multiplyExact(s.elementCount(), (long) read.bits());
    } catch (ArithmeticException e) {
      throw malformed(file, name + "/shape", "shape " + s + " has more bytes than a file can");
    }
    if (bits % 8 != 0) {
      // the reference library's rule for F4 and F6: the values fill whole bytes
      throw malformed(
          file,
          name + "/shape",
          "shape "
              + s
              + " of "
              + dtypeCode
              + " is "
              + s.elementCount()
              + " values of "
              + read.bits()
              + " bits, which do not fill whole bytes");
    }
    long expected = bits / 8;
    if (end - begin != expected) {
      throw malformed(
          file,
          name + "/data_offsets",
          "holds "
              + (end - begin)
              + " bytes, but shape "
              + s
              + " of "
              + dtypeCode
              + " needs "
              + expected);
    }
    return new Entry(name, read.dtype(), read.stored(), s, begin, end);
  }

  /** An array of non-negative integers ({@code size} of them, or any number when -1). */
  private static long[] longs(Path file, JsonParser p, JsonToken t, String where, int size)
      throws IOException {
    if (t != JsonToken.START_ARRAY) {
      throw malformed(file, where, "expected an array of integers, found " + kind(t));
    }
    List<Long> out = new ArrayList<>();
    JsonToken e;
    while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
      if (e != JsonToken.VALUE_NUMBER_INT
          || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          || p.getLongValue() < 0) {
        throw malformed(
            file, where, "expected non-negative integers, found " + kind(e) + " " + p.getText());
      }
      out.add(p.getLongValue());
    }
    if (size >= 0 && out.size() != size) {
      throw malformed(file, where, "expected " + size + " integers, found " + out.size());
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /** No two tensors share a byte, and every byte of the data section is some tensor's. */
  private static void checkLayout(Path file, List<Entry> entries, long dataSize)
      throws MalformedModelException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long covered = 0;
    Entry last = null;
    for (Entry e : sorted) {
      if (e.begin() < covered) {
        throw malformed(
            file,
            e.name() + "/data_offsets",
            "bytes ["
                + e.begin()
                + ", "
                + e.end()
                + ") overlap tensor "
                + last.name()
                + " ["
                + last.begin()
                + ", "
                + last.end()
                + ")");
      }
      if (e.begin() > covered) {
        throw malformed(
            file,
            e.name() + "/data_offsets",
            "bytes [" + covered + ", " + e.begin() + ") before it belong to no tensor");
      }
      if (e.end() > covered || last == null) {
        covered = e.end();
        last = e;
      }
    }
    if (covered != dataSize) {
      throw malformed(
          file,
          "header",
          "the last " + (dataSize - covered) + " bytes of the data section belong to no tensor");
    }
  }

  private static String kind(JsonToken t) {
    if (t == null) {
      return "the end";
    }
    switch (t) {
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      case VALUE_STRING:
        return "a string";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a number";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      default:
        return t.toString();
    }
  }

  private static MalformedModelException malformed(Path file, String where, String detail) {
    return new MalformedModelException(file, where, detail);
  }
}
