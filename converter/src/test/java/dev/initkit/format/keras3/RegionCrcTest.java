package dev.initkit.format.keras3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionCrcTest {
  @TempDir Path dir;

  private static long crc(byte[] b, int from, int to) {
    CRC32 c = new CRC32();
    c.update(b, from, to - from);
    return c.getValue();
  }

  /** Writes {@code size} random bytes (from {@code seed}) to {@code f} and returns them. */
  private static byte[] randomFile(Path f, int size, long seed) throws IOException {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    Files.write(f, b);
    return b;
  }

  @Test
  void combiningTwoCrcsGivesTheCrcOfTheConcatenation() {
    Random r = new Random(7);
    byte[] b = new byte[70_000];
    r.nextBytes(b);
    int[] cuts = {0, 1, 2, 3, 4, 7, 8, 255, 256, 4096, 65_535, 69_999, 70_000};
    for (int cut : cuts) {
      assertEquals(
          crc(b, 0, b.length),
          RegionCrc.combine(crc(b, 0, cut), crc(b, cut, b.length), b.length - cut),
          "cut at " + cut);
    }
    for (int i = 0; i < 200; i++) {
      int from = r.nextInt(b.length);
      int cut = from + r.nextInt(b.length - from + 1);
      int to = cut + r.nextInt(b.length - cut + 1);
      assertEquals(
          crc(b, from, to),
          RegionCrc.combine(crc(b, from, cut), crc(b, cut, to), to - cut),
          from + ".." + cut + ".." + to);
    }
  }

  @Test
  void combineHandlesLengthsBeyond4Gib() {
    // 5 GiB of zeros after 1 KB of random bytes: the length's high bits matter
    byte[] head = new byte[1000];
    new Random(3).nextBytes(head);
    byte[] zeros = new byte[1 << 20];
    long length = 5L << 30;
    CRC32 whole = new CRC32();
    whole.update(head);
    CRC32 tail = new CRC32();
    for (long left = length; left > 0; left -= zeros.length) {
      whole.update(zeros);
      tail.update(zeros);
    }
    assertEquals(
        whole.getValue(), RegionCrc.combine(crc(head, 0, head.length), tail.getValue(), length));
  }

  @Test
  void regionsCheckedInTheBackgroundAndGapsReadAtTheEndGiveTheSpansCrc() throws IOException {
    Path f = dir.resolve("f.bin");
    byte[] b = randomFile(f, 6 << 20, 11);
    int from = 512;
    long before = RegionCrc.BACKGROUND_BYTES.get();
    try (RegionCrc crc = new RegionCrc(f);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      crc.written(1 << 20, 3 << 19); // 1 MiB .. 2.5 MiB
      crc.written(3 << 20, 1 << 20); // 3 .. 4 MiB
      crc.written((7 << 19), 1 << 20); // overlaps the one before: ignored
      crc.written(5 << 20, 2 << 20); // runs past the span: ignored
      crc.written(0, 1 << 20); // starts before the span: ignored
      crc.written(4 << 20, 1000); // small: left to the final read
      assertEquals(crc(b, from, b.length - 100), crc.of(ch, from, b.length - 100));
    }
    assertEquals(
        (3L << 19) + (1L << 20),
        RegionCrc.BACKGROUND_BYTES.get() - before,
        "the two sound regions came from the background");
  }

  @Test
  void aFileWithoutRegionsIsReadWhole() throws IOException {
    Path f = dir.resolve("g.bin");
    byte[] b = randomFile(f, 3 << 20, 5);
    try (RegionCrc crc = new RegionCrc(f);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      assertEquals(crc(b, 0, b.length), crc.of(ch, 0, b.length));
      assertEquals(crc(b, 0, 0), crc.of(ch, 7, 7));
    }
  }
}
