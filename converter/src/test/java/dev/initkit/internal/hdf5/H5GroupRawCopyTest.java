package dev.initkit.internal.hdf5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.initkit.model.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link H5Group#copyFrom}'s kernel-side copy of large contiguous datasets writes the same file,
 * byte for byte, as the copy streamed through HDF5, and the data it copies is the source's.
 */
class H5GroupRawCopyTest {
  @TempDir Path dir;

  /**
   * name, dtype, dims: above the raw-copy threshold (one with rows larger than the copy block) and
   * below it.
   */
  private static final Object[][] DATASETS = {
    {"model_weights/dense/kernel", DType.FLOAT32, new long[] {3000, 1024}},
    {"model_weights/wide/kernel", DType.INT32, new long[] {9, 300_001}},
    {"model_weights/dense/bias", DType.FLOAT64, new long[] {1024}},
    {"small", DType.FLOAT32, new long[] {1000, 1000}},
  };

  @Test
  void rawCopyWritesTheSameBytesAsTheStreamedCopy() throws IOException {
    Path src = dir.resolve("src.h5");
    ByteBuffer[] data = new ByteBuffer[DATASETS.length];
    Random rnd = new Random(7);
    try (H5File f = H5File.create(src)) {
      for (int i = 0; i < DATASETS.length; i++) {
        long[] dims = (long[]) DATASETS[i][2];
        try (H5Dataset ds =
            f.root().createDataset((String) DATASETS[i][0], (DType) DATASETS[i][1], dims)) {
          ds.setAttribute("note", AttrValue.Str.vlenUtf8("dataset " + i));
          byte[] bytes = new byte[(int) ds.byteSize()];
          rnd.nextBytes(bytes);
          data[i] =
              ByteBuffer.allocateDirect(bytes.length)
                  .order(ByteOrder.LITTLE_ENDIAN)
                  .put(bytes)
                  .flip();
          ds.writeRows(0, ds.rows(), data[i].duplicate());
        }
      }
    }
    long rawBefore = H5Group.RAW_COPIED_BYTES.get();
    Path raw = copyAll(src, "raw.h5", true);
    long rawCopied = H5Group.RAW_COPIED_BYTES.get() - rawBefore;
    Path streamed = copyAll(src, "streamed.h5", false);

    // the two large datasets went kernel-side, all but their first block (256 rows; one row)
    assertEquals((3000L * 1024 * 4 - 256 * 1024 * 4) + (9L * 300_001 * 4 - 300_001 * 4), rawCopied);
    assertEquals(-1, Files.mismatch(raw, streamed), "raw and streamed copies differ");
    try (H5File f = H5File.openReadOnly(raw)) {
      for (int i = 0; i < DATASETS.length; i++) {
        try (H5Dataset ds = f.root().openDataset((String) DATASETS[i][0])) {
          ByteBuffer back = ByteBuffer.allocateDirect((int) ds.byteSize());
          ds.readRows(0, ds.rows(), back);
          assertEquals(data[i].duplicate().rewind(), back.flip(), "data of " + DATASETS[i][0]);
          assertEquals(AttrValue.Str.vlenUtf8("dataset " + i), ds.attribute("note"));
        }
      }
    }
  }

  private Path copyAll(Path src, String name, boolean rawCopy) throws IOException {
    Path out = dir.resolve(name);
    try (H5File in = H5File.openReadOnly(src);
        H5File f = H5File.create(out)) {
      for (Object[] d : DATASETS) {
        f.root().copyFrom(in.root(), (String) d[0], (String) d[0], rawCopy);
      }
    }
    return out;
  }
}
