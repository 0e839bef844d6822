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
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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
 * Decides what a path holds from its content (never its extension) and explains, in one line a
 * user can act on, everything that is not a readable model.
 *
 * <p>Pure Java byte sniffing: it runs before any native library opens the file, so a truncated
 * download, a Git LFS pointer or an HTML error page gets a clear message instead of a native HDF5
 * error stack. It reads a few KB from the head, the HDF5 superblock, the zip end record and central
 * directory, or (for JSON) the top-level keys, never the whole file.
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
  private static final byte[] HDF5_SIGNATURE = {
    (byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'
  };
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
      byte[] head = read(ch, 0, (int) Math.min(size, HEAD_SIZE));
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
      byte[] head = read(ch, 0, (int) Math.min(size, HEAD_SIZE));
      if (startsWith(head, 0, HDF5_SIGNATURE)) {
        return detectHdf5(file, ch, 0, size);
      }
      if (head.length >= 4 && head.length < HDF5_SIGNATURE.length
          && startsWith(HDF5_SIGNATURE, 0, head)) {
        throw malformed(
            file,
            "truncated HDF5 file: " + size + " bytes, it ends inside the HDF5 signature"
                + " (incomplete download or copy?)");
      }
      if (startsWith(head, 0, bytes("PK\3\4")) || startsWith(head, 0, bytes("PK\5\6"))) {
        return detectZip(file, ch, size);
      }
      checkLfsPointer(file, head);
      int text = skipBomAndWhitespace(head);
      checkHtml(file, head, text);
      if (text < head.length && (head[text] == '{' || head[text] == '[')) {
        return detectJson(file);
      }
      checkOtherFormats(file, head);
      // HDF5 allows a user block before the superblock: 512, 1024, 2048... bytes
      for (long offset = 512; offset > 0 && offset <= size - HDF5_SIGNATURE.length; offset *= 2) {
        if (Arrays.equals(read(ch, offset, HDF5_SIGNATURE.length), HDF5_SIGNATURE)) {
          return detectHdf5(file, ch, offset, size);
        }
      }
      checkSavedModelMember(file);
      throw malformed(
          file,
          "not a Keras or TensorFlow model file (starts with " + describeHead(head, text) + ")");
    }
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
          "is the graph file of a TensorFlow SavedModel: pass its directory (" + parent
              + ") instead");
    }
    if (name.equals("keras_metadata.pb") || name.equals("fingerprint.pb")
        || name.startsWith("variables.index") || name.startsWith("variables.data-")) {
      throw malformed(
          file,
          "is one file of a TensorFlow SavedModel: pass the directory that holds saved_model.pb");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HDF5

  private static Detection detectHdf5(Path file, FileChannel ch, long offset, long size)
      throws IOException {
    // the largest fixed superblock: version 1 with 32-byte offsets is 28 + 6 * 32 + 24 = 244 bytes
    byte[] sb = read(ch, offset, (int) Math.min(size - offset, 256));
    if (sb.length < 9) {
      throw truncatedInSuperblock(file, size);
    }
    int version = sb[8] & 0xff;
    int sizeOfOffsets;
    int sizeOfLengths;
    int length; // bytes of the superblock this parser needs
    int basePos;
    int eofPos;
    int rootPos;
    switch (version) {
      case 0:
      case 1:
        if (sb.length < 16) {
          throw truncatedInSuperblock(file, size);
        }
        sizeOfOffsets = sb[13] & 0xff;
        sizeOfLengths = sb[14] & 0xff;
        checkFieldSize(file, "offsets", sizeOfOffsets);
        checkFieldSize(file, "lengths", sizeOfLengths);
        // version 1 adds the indexed storage K (2 bytes) and 2 reserved bytes
        basePos = version == 0 ? 24 : 28;
        eofPos = basePos + 2 * sizeOfOffsets;
        // root group symbol table entry: link name offset, then object header address
        rootPos = basePos + 5 * sizeOfOffsets;
        // the entry ends with cache type (4), reserved (4) and scratch pad (16)
        length = basePos + 6 * sizeOfOffsets + 24;
        break;
      case 2:
      case 3:
        if (sb.length < 11) {
          throw truncatedInSuperblock(file, size);
        }
        sizeOfOffsets = sb[9] & 0xff;
        sizeOfLengths = sb[10] & 0xff;
        checkFieldSize(file, "offsets", sizeOfOffsets);
        checkFieldSize(file, "lengths", sizeOfLengths);
        // base, extension, end of file, root object header addresses, then a 4-byte checksum
        basePos = 12;
        eofPos = basePos + 2 * sizeOfOffsets;
        rootPos = basePos + 3 * sizeOfOffsets;
        length = basePos + 4 * sizeOfOffsets + 4;
        break;
      default:
        throw new UnsupportedModelException(
            file,
            null,
            "HDF5 superblock version " + version
                + " is unknown (known: 0 to 3): a corrupt file or one written by a newer HDF5");
    }
    if (sb.length < length) {
      throw truncatedInSuperblock(file, size);
    }
    long base = address(sb, basePos, sizeOfOffsets);
    long storedEof = address(sb, eofPos, sizeOfOffsets);
    long root = address(sb, rootPos, sizeOfOffsets);
    if (base < 0) {
      base = offset;
    }
    // The end-of-file address is stored absolute. When the base address does not match where the
    // superblock really is (a user block added afterwards), HDF5 shifts it by the difference.
    long eof = storedEof < 0 ? -1 : saturatedAdd(storedEof, offset - base);
    if (eof >= 0 && size < eof) {
      throw malformed(
          file,
          "truncated HDF5 file: " + size + " bytes, the superblock says " + eof
              + " (incomplete download or copy?)");
    }
    if (eof >= 0 && root >= 0 && saturatedAdd(offset, root) >= eof) {
      throw malformed(
          file,
          "corrupt HDF5 superblock: the root group address " + root
              + " is past the end-of-file address " + eof);
    }
    Hdf5Superblock facts =
        new Hdf5Superblock(offset, version, sizeOfOffsets, sizeOfLengths, base, eof, size);
    return new Detection(file, Kind.HDF5, Format.H5, facts, null);
  }

  private static void checkFieldSize(Path file, String what, int bytes)
      throws MalformedModelException {
    if (bytes != 2 && bytes != 4 && bytes != 8 && bytes != 16 && bytes != 32) {
      throw malformed(
          file,
          "corrupt HDF5 superblock: size of " + what + " is " + bytes
              + " (expected 2, 4, 8, 16 or 32)");
    }
  }

  private static MalformedModelException truncatedInSuperblock(Path file, long size) {
    return malformed(
        file,
        "truncated HDF5 file: " + size + " bytes, it ends inside the superblock"
            + " (incomplete download or copy?)");
  }

  /**
   * A little-endian address of {@code width} bytes: -1 when undefined (all bits set), {@link
   * Long#MAX_VALUE} when it does not fit a long.
   */
  private static long address(byte[] b, int pos, int width) {
    boolean allOnes = true;
    for (int i = 0; i < width; i++) {
      allOnes &= b[pos + i] == (byte) 0xff;
    }
    if (allOnes) {
      return -1;
    }
    for (int i = 8; i < width; i++) {
      if (b[pos + i] != 0) {
        return Long.MAX_VALUE;
      }
    }
    long value = 0;
    for (int i = Math.min(width, 8) - 1; i >= 0; i--) {
      value = (value << 8) | (b[pos + i] & 0xff);
    }
    return value < 0 ? Long.MAX_VALUE : value;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return a > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // zip

  private Detection detectZip(Path file, FileChannel ch, long size) throws IOException {
    // Count entries from the end record first: ZipFile would load a huge central directory.
    long count = zipEntryCount(file, ch, size);
    if (count > maxZipEntries) {
      throw malformed(
          file,
          "zip archive with " + count + " entries (more than " + maxZipEntries
              + "): not a Keras 3 .keras archive");
    }
    List<String> names = new ArrayList<>();
    try (ZipFile zip = new ZipFile(file.toFile(), StandardCharsets.UTF_8)) {
      if (zip.size() > maxZipEntries) {
        throw malformed(
            file,
            "zip archive with " + zip.size() + " entries (more than " + maxZipEntries
                + "): not a Keras 3 .keras archive");
      }
      Enumeration<? extends ZipEntry> entries = zip.entries();
      Set<String> seen = new java.util.HashSet<>();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        checkEntryName(file, name);
        if (!seen.add(name)) {
          // zip tools disagree on which of two same-named members they read: refuse to guess
          throw malformed(
              file, name, "the archive holds two members of this name (tampered?)");
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
              + " (entries: " + joinSome(names) + ")");
    }
    throw malformed(file, zipPrefix(file) + zipWithoutConfig(names));
  }

  /** A zip named like HDF5 gets told so, since the extension is what misled the user. */
  private static String zipPrefix(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".h5") || name.endsWith(".hdf5")
        ? "is a zip archive, not HDF5: "
        : "";
  }

  private static String zipWithoutConfig(List<String> names) {
    if (names.isEmpty()) {
      return "empty zip archive: not a Keras 3 .keras archive";
    }
    for (String name : names) {
      if (name.endsWith("/" + CONFIG_JSON)) {
        return "a .keras archive needs config.json at the top level, this zip has " + name
            + " (zipped the folder instead of its contents?)";
      }
    }
    for (String name : names) {
      if (name.equals("saved_model.pb") || name.endsWith("/saved_model.pb")) {
        return "zip archive holding a SavedModel (" + name
            + "): unzip it and pass the directory";
      }
    }
    if (names.stream().allMatch(n -> n.endsWith(".npy"))) {
      return "is a NumPy .npz archive (arrays: " + joinSome(names) + "), not a model file";
    }
    if (names.stream().anyMatch(n -> n.equals("data.pkl") || n.endsWith("/data.pkl"))) {
      return "looks like a PyTorch checkpoint (has data.pkl), not a Keras model";
    }
    return "zip archive without config.json: not a Keras 3 .keras archive (entries: "
        + joinSome(names) + ")";
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
          "unsafe zip entry path (" + (absolute ? "absolute" : "contains ..")
              + "): refusing to read this archive");
    }
  }

  /**
   * The total entry count from the end-of-central-directory record (or its zip64 variant).
   *
   * @throws MalformedModelException if there is no end record: the file is truncated or not a zip
   */
  private static long zipEntryCount(Path file, FileChannel ch, long size) throws IOException {
    final int eocdLength = 22;
    int tailLength = (int) Math.min(size, eocdLength + 0xffff + 20);
    byte[] tail = read(ch, size - tailLength, tailLength);
    int eocd = -1;
    for (int i = tail.length - eocdLength; i >= 0; i--) {
      if (startsWith(tail, i, bytes("PK\5\6"))
          && i + eocdLength + u16(tail, i + 20) <= tail.length) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw malformed(
          file,
          "truncated or corrupt zip archive: no end-of-central-directory record"
              + " (incomplete download or copy?)");
    }
    long count = u16(tail, eocd + 10);
    if (count == 0xffff && eocd >= 20 && startsWith(tail, eocd - 20, bytes("PK\6\7"))) {
      long recordPos = le(tail, eocd - 20 + 8, 8);
      if (recordPos >= 0 && recordPos <= size - 56) {
        byte[] record = read(ch, recordPos, 56);
        if (record.length == 56 && startsWith(record, 0, bytes("PK\6\6"))) {
          count = le(record, 32, 8);
        }
      }
    }
    return count < 0 ? Long.MAX_VALUE : count;
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
        "is a Git LFS pointer (oid " + oid + ", size " + size + "), not the model:"
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
            "JSON " + (token == JsonToken.START_ARRAY ? "array" : "value")
                + ", not a Keras model config (expected an object with class_name and config)");
      }
      // only top-level keys matter, so values are skipped without being built
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        keys.add(parser.currentName());
        parser.nextToken();
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

  /** Reads up to {@code length} bytes at {@code position}; fewer only at the end of the file. */
  private static byte[] read(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        break;
      }
    }
    return buf.hasRemaining() ? Arrays.copyOf(buf.array(), buf.position()) : buf.array();
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

  private static int u16(byte[] b, int pos) {
    return (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8;
  }

  private static long le(byte[] b, int pos, int width) {
    long value = 0;
    for (int i = width - 1; i >= 0; i--) {
      value = (value << 8) | (b[pos + i] & 0xff);
    }
    return value;
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
