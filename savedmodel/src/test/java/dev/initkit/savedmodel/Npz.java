package dev.initkit.savedmodel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads the arrays {@code x0, x1, ...} of an uncompressed {@code np.savez} file (check_corpus.py's
 * inputs): little-endian, C order, the dtypes TF Java's feeds take.
 */
final class Npz {
  private Npz() {}

  /** One array: its numpy dtype name, shape and raw little-endian bytes. */
  record Array(String dtype, long[] shape, byte[] data) {
    /** This array converted to float32, float64 or int32 (float to int rounds toward zero). */
    Array as(String target) {
      if (target == null || target.equals(dtype)) {
        return this;
      }
      ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      int n = data.length / width(dtype);
      ByteBuffer out = ByteBuffer.allocate(n * width(target)).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        double v =
            switch (dtype) {
              case "float32" -> in.getFloat();
              case "float64" -> in.getDouble();
              case "int32" -> in.getInt();
              default -> throw new IllegalArgumentException("cannot convert " + dtype);
            };
        switch (target) {
          case "float32" -> out.putFloat((float) v);
          case "float64" -> out.putDouble(v);
          case "int32" -> out.putInt((int) v);
          default -> throw new IllegalArgumentException("cannot convert to " + target);
        }
      }
      return new Array(target, shape, out.array());
    }

    private static int width(String dtype) {
      return switch (dtype) {
        case "float64" -> 8;
        case "float16" -> 2;
        default -> 4;
      };
    }
  }

  private static final Map<String, String> DTYPES =
      Map.of("<f4", "float32", "<f8", "float64", "<f2", "float16", "<i4", "int32");
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  /** The arrays named x0, x1, ... in index order. */
  static List<Array> read(Path npz) throws IOException {
    Map<Integer, Array> byIndex = new TreeMap<>();
    try (ZipFile z = new ZipFile(npz.toFile())) {
      for (ZipEntry e : java.util.Collections.list(z.entries())) {
        String name = e.getName();
        if (!name.matches("x\\d+\\.npy")) {
          throw new IOException(npz + ": unexpected member " + name);
        }
        try (InputStream in = z.getInputStream(e)) {
          byIndex.put(
              Integer.parseInt(name.substring(1, name.length() - 4)),
              npy(in.readAllBytes(), npz + "/" + name));
        }
      }
    }
    return new ArrayList<>(byIndex.values());
  }

  private static Array npy(byte[] b, String where) throws IOException {
    if (b.length < 10 || (b[0] & 0xff) != 0x93 || b[1] != 'N') {
      throw new IOException(where + ": not a .npy array");
    }
    int major = b[6];
    int headerLen;
    int start;
    if (major == 1) {
      headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
      start = 10;
    } else {
      headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8 | (b[10] & 0xff) << 16 | (b[11] & 0xff) << 24;
      start = 12;
    }
    String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw new IOException(where + ": header " + header);
    }
    String dtype = DTYPES.get(d.group(1));
    if (dtype == null || f.group(1).equals("True")) {
      throw new IOException(where + ": dtype " + d.group(1) + ", fortran_order " + f.group(1));
    }
    List<Long> dims = new ArrayList<>();
    for (String part : s.group(1).split(",")) {
      if (!part.isBlank()) {
        dims.add(Long.parseLong(part.trim()));
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    byte[] data = java.util.Arrays.copyOfRange(b, start + headerLen, b.length);
    return new Array(dtype, shape, data);
  }
}
