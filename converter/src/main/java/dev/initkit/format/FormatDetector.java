package dev.initkit.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Detection.Hdf5Superblock;
import dev.initkit.format.Detection.Kind;
import dev.initkit.format.h5.KerasH5Probe;
import dev.initkit.format.keras3.ZipDirectory;
import dev.initkit.internal.FileBytes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Decides what a path holds from its content (never its extension) and explains, in one line a user
 * can act on, everything that is not a readable model.
 *
 * <p>Pure Java byte sniffing: it runs before any native library opens the file, so a truncated
 * download, a Git LFS pointer or an HTML error page gets a clear message instead of a native HDF5
 * error stack. It reads a few KB from the head, then asks the package that owns the structure: the
 * HDF5 superblock is {@link KerasH5Probe}'s, the zip end record {@link ZipDirectory}'s (the central
 * directory's entry names come from java.util.zip); for JSON it reads the top-level keys. It never
 * reads the whole file.
 *
 * <p>Errors: a missing path gives {@link java.nio.file.NoSuchFileException}, an unreadable one
 * {@link java.nio.file.AccessDeniedException}; anything that is not a model gives a {@link
 * MalformedModelException} naming the file (an unknown HDF5 superblock version gives an {@link
 * UnsupportedModelException}).
 */
public final class FormatDetector {
  /** Bytes read from the head of a file for sniffing. */
  static final int HEAD_SIZE = 8192;

  /** More zip entries than this cannot be a Keras archive (which holds a handful). */
  static final int DEFAULT_MAX_ZIP_ENTRIES = 100_000;

  /** How far into a JSON file to look for the top-level keys that identify it. */
  static final long JSON_SCAN_LIMIT = 1L << 20;

  static final String CONFIG_JSON = "config.json";

  /** Weights members of a Keras 3 archive, in the order Keras itself prefers them. */
  static final List<String> KERAS_WEIGHTS =
      List.of("model.weights.h5", "model.weights.npz", "model.weights.json");

  private static final List<String> SAVED_MODEL_FILES =
      List.of("saved_model.pb", "saved_model.pbtxt");
  private static final String LFS_PREFIX = "version https://git-lfs.github.com/spec/";
  // pre-1.0 LFS pointers used the project's old name
  private static final String HAWSER_PREFIX = "version https://hawser.github.com/spec/";
  private static final JsonFactory JSON = new JsonFactory();
  private static final int MAX_LISTED = 5;

  private final int maxZipEntries;

  private FormatDetector(int maxZipEntries) {
    this.maxZipEntries = maxZipEntries;
  }

  /**
   * Detects what {@code path} is.
   *
   * @param path a file or directory
   * @return what it holds; never null
   * @throws java.nio.file.NoSuchFileException if the path does not exist
   * @throws java.nio.file.AccessDeniedException if it cannot be read
   * @throws MalformedModelException if it is not a Keras or TensorFlow model (truncated, a Git LFS
   *     pointer, an HTML page, an unrelated file...), with a message saying what it is instead
   * @throws UnsupportedModelException for an HDF5 superblock version newer than 3
   * @throws IOException on other read errors
   */
  public static Detection detect(Path path) throws IOException {
    return new FormatDetector(DEFAULT_MAX_ZIP_ENTRIES).run(path);
  }

  /** {@link #detect(Path)} with a different zip entry cap, for tests. */
  static Detection detect(Path path, int maxZipEntries) throws IOException {
    return new FormatDetector(maxZipEntries).run(path);
  }

  private Detection run(Path path) throws IOException {
    // follows symbolic links; a missing or dangling path throws NoSuchFileException here
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
    if (attrs.isDirectory()) {
      return detectDirectory(path);
    }
    if (!attrs.isRegularFile()) {
      throw malformed(path, "not a regular file or directory (a device, pipe or socket?)");
    }
    return detectFile(path);
  }

  // ---------------------------------------------------------------------------------------------
  // directories

  private Detection detectDirectory(Path dir) throws IOException {
    for (String name : SAVED_MODEL_FILES) {
      Path pb = dir.resolve(name);
      if (Files.isRegularFile(pb)) {
        checkNotPlaceholder(pb);
        return new Detection(dir, Kind.SAVED_MODEL_DIR, Format.SAVED_MODEL, null, null);
      }
    }
    if (Files.isRegularFile(dir.resolve(CONFIG_JSON))) {
      for (String name : KERAS_WEIGHTS) {
        Path weights = dir.resolve(name);
        if (Files.isRegularFile(weights)) {
          checkKerasDirWeights(weights);
          return new Detection(dir, Kind.KERAS_DIR, Format.KERAS, null, name);
        }
      }
      throw malformed(
          dir,
          "directory has config.json but no model.weights.h5 or model.weights.npz:"
              + " an incomplete unzipped .keras archive");
    }
    List<String> names = listSome(dir);
    String detail =
        "directory is neither a SavedModel (no saved_model.pb) nor an unzipped .keras archive"
            + " (no config.json)";
    if (names.contains("variables") && Files.isDirectory(dir.resolve("variables"))) {
      detail += "; it has variables/ but saved_model.pb is missing (an incomplete copy?)";
    } else {
      detail += names.isEmpty() ? "; it is empty" : "; it holds: " + joinSome(names);
    }
    throw malformed(dir, detail);
  }

  /** Up to a few dozen names in a directory, sorted, without reading a huge listing. */
  private static List<String> listSome(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        names.add(p.getFileName().toString());
        if (names.size() >= 50) {
          break;
        }
      }
    }
    names.sort(null);
    return names;
  }

  /** The weights of an unzipped archive must not be a placeholder; .h5 ones must be sound HDF5. */
  private static void checkKerasDirWeights(Path weights) throws IOException {
    if (!weights.getFileName().toString().endsWith(".h5")) {
      checkNotPlaceholder(weights);
      return;
    }
    Detection inner = new FormatDetector(DEFAULT_MAX_ZIP_ENTRIES).detectFile(weights);
    if (!inner.hdf5()) {
      throw malformed(weights, "expected HDF5 weights, found " + describe(inner.kind()));
    }
  }

  private static String describe(Kind kind) {
    switch (kind) {
      case KERAS_ZIP:
        return "a .keras zip archive";
      case KERAS_JSON_CONFIG:
        return "a Keras config JSON";
      case SHARDED_WEIGHTS_JSON:
        return "a sharded-weights JSON manifest";
      default:
        return kind.name();
    }
  }

  /** Rejects an empty file, a Git LFS pointer or an HTML page standing in for a real member. */
  private static void checkNotPlaceholder(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw malformed(file, "empty file");
      }
      byte[] head = FileBytes.readUpTo(ch, 0, (int) Math.min(size, HEAD_SIZE));
      checkLfsPointer(file, head);
      checkHtml(file, head, skipBomAndWhitespace(head));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // regular files

  private Detection detectFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw malformed(file, "empty file");
      }
      byte[] head = FileBytes.readUpTo(ch, 0, (int) Math.min(size, HEAD_SIZE));
      Hdf5Superblock superblock = KerasH5Probe.atStart(file, ch, head, size);
      if (superblock != null) {
        return hdf5(file, superblock);
      }
      if (ZipDirectory.hasSignature(head)) {
        return detectZip(file, ch);
      }
      if (looksLikeSafetensors(head)) {
        return safetensors(file, head, size);
      }
      checkLfsPointer(file, head);
      int text = skipBomAndWhitespace(head);
      checkHtml(file, head, text);
      if (text < head.length && (head[text] == '{' || head[text] == '[')) {
        return detectJson(file);
      }
      checkOtherFormats(file, head);
      superblock = KerasH5Probe.afterUserBlock(file, ch, size);
      if (superblock != null) {
        return hdf5(file, superblock);
      }
      checkSavedModelMember(file);
      throw malformed(
          file,
          "not a Keras or TensorFlow model file (starts with " + describeHead(head, text) + ")");
    }
  }

  /**
   * A safetensors file starts with its header's length (8 bytes, little-endian) and the header, a
   * JSON object: byte 8 is its brace. Lengths of a terabyte or more are not taken for one (the
   * reference library caps headers at 100 MB), so text that happens to have a brace at byte 8 is
   * not.
   */
  private static boolean looksLikeSafetensors(byte[] head) {
    return head.length > 8 && head[8] == '{' && head[5] == 0 && head[6] == 0 && head[7] == 0;
  }

  private static Detection safetensors(Path file, byte[] head, long size)
      throws MalformedModelException {
    long n = java.nio.ByteBuffer.wrap(head, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    if (n > size - 8) {
      throw malformed(
          file,
          "header",
          "safetensors header length "
              + n
              + " exceeds the "
              + (size - 8)
              + " bytes after it (truncated file?)");
    }
    return new Detection(file, Kind.SAFETENSORS, Format.SAFETENSORS, null, null);
  }

  private static Detection hdf5(Path file, Hdf5Superblock superblock) {
    return new Detection(file, Kind.HDF5, Format.H5, superblock, null);
  }

  /** Formats people mistake for Keras models, recognizable by a magic number. */
  private static void checkOtherFormats(Path file, byte[] head) throws MalformedModelException {
    if (startsWith(head, 0, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'})) {
      throw malformed(file, "is a NumPy .npy array, not a model file");
    }
    if (startsWith(head, 0, new byte[] {0x1f, (byte) 0x8b})) {
      throw malformed(
          file,
          "is gzip-compressed (a .tar.gz or .gz download?): extract it and pass the model inside");
    }
    if (startsWith(head, 4, bytes("TFL3"))) {
      throw malformed(
          file,
          "is a TensorFlow Lite model, not a Keras model or SavedModel (initkit reads those)");
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
      throw malformed(
          file,
          "looks like a Python pickle (pickle/joblib dump), not a model file:"
              + " save the model with model.save() instead");
    }
  }

  /** Members of a SavedModel directory given on their own: point to the directory. */
  private static void checkSavedModelMember(Path file) throws MalformedModelException {
    String name = file.getFileName().toString();
    Path parent = file.toAbsolutePath().getParent();
    if (SAVED_MODEL_FILES.contains(name)) {
      throw malformed(
          file,
          "is the graph file of a TensorFlow SavedModel: pass its directory ("
              + parent
              + ") instead");
    }
    if (name.equals("keras_metadata.pb")
        || name.equals("fingerprint.pb")
        || name.startsWith("variables.index")
        || name.startsWith("variables.data-")) {
      throw malformed(
          file,
          "is one file of a TensorFlow SavedModel: pass the directory that holds saved_model.pb");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // zip

  private Detection detectZip(Path file, FileChannel ch) throws IOException {
    // Count entries from the end record first: ZipFile would load a huge central directory.
    long count = ZipDirectory.readEnd(file, ch).entries();
    if (count > maxZipEntries) {
      throw malformed(
          file,
          "zip archive with "
              + count
              + " entries (more than "
              + maxZipEntries
              + "): not a Keras 3 .keras archive");
    }
    List<String> names = new ArrayList<>();
    try (ZipFile zip = new ZipFile(file.toFile(), StandardCharsets.UTF_8)) {
      if (zip.size() > maxZipEntries) {
        throw malformed(
            file,
            "zip archive with "
                + zip.size()
                + " entries (more than "
                + maxZipEntries
                + "): not a Keras 3 .keras archive");
      }
      Enumeration<? extends ZipEntry> entries = zip.entries();
      Set<String> seen = new java.util.HashSet<>();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        checkEntryName(file, name);
        if (!seen.add(name)) {
          // zip tools disagree on which of two same-named members they read: refuse to guess
          throw malformed(file, name, "the archive holds two members of this name (tampered?)");
        }
        names.add(name);
      }
    } catch (ZipException e) {
      throw new MalformedModelException(
          file, null, "corrupt zip archive: " + e.getMessage() + " (incomplete download?)", e);
    } catch (IllegalArgumentException e) {
      // java.util.zip's report of an entry name that is not valid UTF-8
      throw new MalformedModelException(
          file, null, "corrupt zip archive: undecodable entry name (" + e.getMessage() + ")", e);
    }
    if (names.contains(CONFIG_JSON)) {
      for (String weights : KERAS_WEIGHTS) {
        if (names.contains(weights)) {
          return new Detection(file, Kind.KERAS_ZIP, Format.KERAS, null, weights);
        }
      }
      throw malformed(
          file,
          "Keras 3 archive with config.json but no model.weights.h5 or model.weights.npz"
              + " (entries: "
              + joinSome(names)
              + ")");
    }
    throw malformed(file, zipPrefix(file) + zipWithoutConfig(names));
  }

  /** A zip named like HDF5 gets told so, since the extension is what misled the user. */
  private static String zipPrefix(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".h5") || name.endsWith(".hdf5") ? "is a zip archive, not HDF5: " : "";
  }

  private static String zipWithoutConfig(List<String> names) {
    if (names.isEmpty()) {
      return "empty zip archive: not a Keras 3 .keras archive";
    }
    for (String name : names) {
      if (name.endsWith("/" + CONFIG_JSON)) {
        return "a .keras archive needs config.json at the top level, this zip has "
            + name
            + " (zipped the folder instead of its contents?)";
      }
    }
    for (String name : names) {
      if (name.equals("saved_model.pb") || name.endsWith("/saved_model.pb")) {
        return "zip archive holding a SavedModel (" + name + "): unzip it and pass the directory";
      }
    }
    if (names.stream().allMatch(n -> n.endsWith(".npy"))) {
      return "is a NumPy .npz archive (arrays: " + joinSome(names) + "), not a model file";
    }
    if (names.stream().anyMatch(n -> n.equals("data.pkl") || n.endsWith("/data.pkl"))) {
      return "looks like a PyTorch checkpoint (has data.pkl), not a Keras model";
    }
    return "zip archive without config.json: not a Keras 3 .keras archive (entries: "
        + joinSome(names)
        + ")";
  }

  /** Refuses absolute paths and {@code ..} segments (zip slip) before anything extracts. */
  private static void checkEntryName(Path file, String name) throws MalformedModelException {
    boolean absolute =
        name.startsWith("/")
            || name.startsWith("\\")
            || (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0)));
    boolean parent = Arrays.asList(name.split("[/\\\\]")).contains("..");
    if (absolute || parent) {
      throw malformed(
          file,
          name,
          "unsafe zip entry path ("
              + (absolute ? "absolute" : "contains ..")
              + "): refusing to read this archive");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // text: Git LFS, HTML, JSON

  private static void checkLfsPointer(Path file, byte[] head) throws MalformedModelException {
    if (!startsWith(head, 0, bytes(LFS_PREFIX)) && !startsWith(head, 0, bytes(HAWSER_PREFIX))) {
      return;
    }
    String oid = "?";
    String size = "?";
    for (String line : new String(head, StandardCharsets.UTF_8).split("\n")) {
      line = line.trim();
      if (line.startsWith("oid ")) {
        oid = abbreviate(line.substring(4).trim(), 7 + 16);
      } else if (line.startsWith("size ")) {
        size = line.substring(5).trim();
      }
    }
    throw malformed(
        file,
        "is a Git LFS pointer (oid "
            + oid
            + ", size "
            + size
            + "), not the model:"
            + " run `git lfs pull` in the repository it came from");
  }

  private static void checkHtml(Path file, byte[] head, int start) throws MalformedModelException {
    if (start >= head.length || head[start] != '<') {
      return;
    }
    int end = Math.min(head.length, start + 1024);
    String text =
        new String(head, start, end - start, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    if (text.startsWith("<!doctype html") || text.contains("<html")) {
      throw malformed(
          file,
          "is an HTML page, not a model file (a download of a web page instead of the file?)");
    }
  }

  private static Detection detectJson(Path file) throws IOException {
    Set<String> keys = new LinkedHashSet<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file));
        JsonParser parser = JSON.createParser(in)) {
      JsonToken token = parser.nextToken();
      if (token != JsonToken.START_OBJECT) {
        throw malformed(
            file,
            "JSON "
                + (token == JsonToken.START_ARRAY ? "array" : "value")
                + ", not a Keras model config (expected an object with class_name and config)");
      }
      // only top-level keys matter, so values are skipped without being built
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        keys.add(parser.currentName());
        JsonToken value = parser.nextToken();
        if (parser.currentName().equals("weight_map") && value == JsonToken.START_OBJECT) {
          // Keras 3 names .weights.h5 shards per group; a safetensors index one .safetensors file
          // per tensor
          if (parser.nextToken() == JsonToken.FIELD_NAME
              && parser.nextToken() == JsonToken.VALUE_STRING
              && parser.getText().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            return new Detection(file, Kind.SAFETENSORS_INDEX, Format.SAFETENSORS, null, null);
          }
        }
        parser.skipChildren();
        if (keys.contains("class_name") && keys.contains("config")) {
          return new Detection(file, Kind.KERAS_JSON_CONFIG, null, null, null);
        }
        if (keys.contains("weight_map")) {
          return new Detection(file, Kind.SHARDED_WEIGHTS_JSON, Format.KERAS3_WEIGHTS, null, null);
        }
        if (parser.currentLocation().getByteOffset() > JSON_SCAN_LIMIT) {
          break;
        }
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where =
          at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().split("\n", 2)[0];
      throw new MalformedModelException(
          file, null, "invalid JSON" + where + ": " + abbreviate(why, 120), e);
    }
    if (keys.contains("modelTopology") || keys.contains("weightsManifest")) {
      throw malformed(
          file,
          "is a TensorFlow.js model.json, not a Keras model file"
              + " (tensorflowjs_converter can turn it into a Keras .h5)");
    }
    throw malformed(
        file,
        "JSON file that is not a Keras model config (top-level keys: "
            + (keys.isEmpty() ? "none" : joinSome(new ArrayList<>(keys)))
            + "; expected class_name and config)");
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static MalformedModelException malformed(Path file, String detail) {
    return new MalformedModelException(file, null, detail);
  }

  private static MalformedModelException malformed(Path file, String location, String detail) {
    return new MalformedModelException(file, location, detail);
  }

  private static byte[] bytes(String ascii) {
    return ascii.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** True if {@code data} holds all of {@code prefix} at {@code pos}. */
  private static boolean startsWith(byte[] data, int pos, byte[] prefix) {
    if (pos < 0 || data.length - pos < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (data[pos + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Index of the first byte after a UTF-8 byte order mark and ASCII whitespace. */
  private static int skipBomAndWhitespace(byte[] head) {
    int i = startsWith(head, 0, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}) ? 3 : 0;
    while (i < head.length
        && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
      i++;
    }
    return i;
  }

  /** The first bytes in hex, or the first line quoted when it is printable ASCII. */
  private static String describeHead(byte[] head, int textStart) {
    int end = textStart;
    while (end < head.length && end - textStart < 40 && head[end] >= 0x20 && head[end] < 0x7f) {
      end++;
    }
    boolean lineEnds = end == head.length || head[end] == '\n' || head[end] == '\r';
    if (end - textStart >= 4 && (lineEnds || end - textStart == 40)) {
      String line = new String(head, textStart, end - textStart, StandardCharsets.US_ASCII);
      return "\"" + line + (lineEnds ? "" : "...") + "\"";
    }
    StringBuilder sb = new StringBuilder("bytes");
    for (int i = 0; i < Math.min(head.length, 8); i++) {
      sb.append(String.format(Locale.ROOT, " 0x%02x", head[i] & 0xff));
    }
    return head.length > 8 ? sb.append(" ...").toString() : sb.toString();
  }

  private static String joinSome(List<String> names) {
    String listed = String.join(", ", names.subList(0, Math.min(names.size(), MAX_LISTED)));
    return names.size() > MAX_LISTED ? listed + ", ..." : listed;
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }
}
