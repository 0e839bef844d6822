package dev.initkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.internal.hdf5.H5File;
import dev.initkit.testing.TestFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a process leaves when it stops in the middle of its work, run in child JVMs: a write stopped
 * by SIGTERM (Ctrl-C is the same path) leaves the target as it was and no temporary beside it; a
 * process that exits with an archive member still open says nothing on its way out.
 */
class StoppedProcessTest {
  @TempDir Path dir;

  /**
   * The child: {@code write TARGET} starts a write and waits; {@code open ARCHIVE AT LENGTH} opens
   * a member and exits.
   */
  public static void main(String[] args) throws Exception {
    if (args[0].equals("write")) {
      AtomicFiles.write(
          Path.of(args[1]),
          true,
          tmp -> {
            Files.write(tmp, new byte[1 << 20]);
            System.out.println("writing " + tmp);
            System.out.flush();
            try {
              Thread.sleep(120_000);
            } catch (InterruptedException e) {
              throw new InterruptedIOException();
            }
          });
    } else {
      H5File.openMember(
          Path.of(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]), Path.of(args[1]));
      System.out.println("opened");
      System.out.flush();
      System.exit(7); // the file is still open
    }
  }

  private static Process child(String... args) throws IOException {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                dev.initkit.testing.TestFiles.childClassPath(),
                StoppedProcessTest.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  @Test
  void aWriteStoppedBySigtermLeavesTheTargetAndNoTemporary() throws Exception {
    Path target = dir.resolve("out.h5");
    Files.writeString(target, "the old content");
    Process p = child("write", target.toString());
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertTrue(line != null && line.startsWith("writing "), "child said: " + line);
    Path temp = Path.of(line.substring("writing ".length()));
    assertTrue(Files.exists(temp), "the temporary is there while writing");
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stopped");
    assertEquals(143, p.exitValue(), "killed by SIGTERM");
    assertFalse(Files.exists(temp), "the temporary was deleted on the way out");
    assertEquals("the old content", Files.readString(target));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(target), s.toList());
    }
  }

  @Test
  void exitingWithAnArchiveMemberOpenPrintsNothing() throws Exception {
    Path archive = TestFiles.testdata().resolve("models/mlp/keras3.keras");
    long[] place = memberPlace(archive);
    Process p = child("open", archive.toString(), Long.toString(place[0]), Long.toString(place[1]));
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(7, p.exitValue(), said);
    // HDF5 closes open files after the JVM is gone; one read through Java said so on stderr
    assertFalse(said.contains("JavaVM"), said);
    assertTrue(said.startsWith("opened"), said);
  }

  /** Offset and length of the archive's stored weights member, from its local header. */
  private static long[] memberPlace(Path archive) throws IOException {
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(archive.toFile())) {
      java.util.zip.ZipEntry e = zip.getEntry("model.weights.h5");
      byte[] all = Files.readAllBytes(archive);
      byte[] name = e.getName().getBytes(StandardCharsets.UTF_8);
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i + 30 + name.length <= all.length; i++) {
        if (b.getInt(i) == 0x04034b50
            && b.getShort(i + 26) == name.length
            && java.util.Arrays.equals(all, i + 30, i + 30 + name.length, name, 0, name.length)) {
          return new long[] {i + 30L + name.length + b.getShort(i + 28), e.getSize()};
        }
      }
      throw new IOException("no local header for the weights in " + archive);
    }
  }
}
