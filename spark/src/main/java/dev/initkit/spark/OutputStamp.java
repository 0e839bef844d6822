package dev.initkit.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The mark of an output {@link ConvertJob} wrote: a hidden file {@code .NAME.initkit} beside {@code
 * NAME} holding the SHA-256 of the bytes written. An existing output is initkit's own, and may be
 * replaced when the user allows it, only when its stamp is there and its bytes still have that
 * hash: a file initkit did not write, or one changed since, is never replaced.
 */
final class OutputStamp {
  private static final String HEADER = "initkit convert output";

  private OutputStamp() {}

  /** The stamp's path for {@code output}. */
  static Path of(Path output) {
    return new Path(output.getParent(), "." + output.getName() + ".initkit");
  }

  /** The stamp's text for an output of {@code sha256} converted from {@code source}. */
  static String text(String sha256, String source) {
    return HEADER + "\nsha256 " + sha256 + "\nsource " + source + "\n";
  }

  /** Whether {@code output} is initkit's, unchanged since it was written. */
  static boolean owns(FileSystem fs, Path output) throws IOException {
    Path stamp = of(output);
    if (!fs.isFile(stamp)) {
      return false;
    }
    if (!isStamp(fs, stamp)) {
      return false; // a file of that name, but not ours
    }
    String want = null;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(fs.open(stamp), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("sha256 ")) {
          want = line.substring(7);
        }
      }
    }
    return want != null && want.equals(sha256(fs, output));
  }

  private static boolean isStamp(FileSystem fs, Path stamp) throws IOException {
    if (!fs.isFile(stamp) || fs.getFileStatus(stamp).getLen() > 4096) {
      return false;
    }
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(fs.open(stamp), StandardCharsets.UTF_8))) {
      return HEADER.equals(in.readLine());
    }
  }

  /**
   * The SHA-256 of a file, or of a directory's files (their relative names and bytes, in order).
   */
  static String sha256(FileSystem fs, Path p) throws IOException {
    MessageDigest md = digest();
    add(fs, p, "", md);
    return HexFormat.of().formatHex(md.digest());
  }

  /** {@link #sha256(FileSystem, Path)} of a local file or directory. */
  static String sha256(java.nio.file.Path p) throws IOException {
    return sha256(
        FileSystem.getLocal(new org.apache.hadoop.conf.Configuration(false)).getRaw(),
        new Path(p.toUri()));
  }

  private static void add(FileSystem fs, Path p, String name, MessageDigest md) throws IOException {
    FileStatus st = fs.getFileStatus(p);
    if (st.isDirectory()) {
      List<FileStatus> children = new ArrayList<>(List.of(fs.listStatus(p)));
      children.sort(java.util.Comparator.comparing(c -> c.getPath().getName()));
      for (FileStatus c : children) {
        add(fs, c.getPath(), name + "/" + c.getPath().getName(), md);
      }
      return;
    }
    md.update(name.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    byte[] buf = new byte[1 << 16];
    try (InputStream in = fs.open(p)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
  }

  /** Writes {@code text} to {@code stamp} through a temporary name, replacing an old stamp. */
  static void write(FileSystem fs, Path stamp, String text) throws IOException {
    Path tmp = new Path(stamp.getParent(), stamp.getName() + "." + java.util.UUID.randomUUID());
    try (OutputStream out = fs.create(tmp, false)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(stamp)) {
      if (!isStamp(fs, stamp)) {
        fs.delete(tmp, false);
        throw new IOException(stamp + " exists and initkit did not write it: left as it is");
      }
      fs.delete(stamp, false); // an older stamp of ours
    }
    if (!fs.rename(tmp, stamp)) {
      fs.delete(tmp, false);
      throw new IOException(stamp + ": could not be written");
    }
  }

  static long bytes(java.nio.file.Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return Files.size(p);
    }
    try (var s = Files.walk(p)) {
      long n = 0;
      for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) s::iterator) {
        if (Files.isRegularFile(f)) {
          n += Files.size(f);
        }
      }
      return n;
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every Java platform has SHA-256
    }
  }
}
