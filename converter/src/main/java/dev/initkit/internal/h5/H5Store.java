package dev.initkit.internal.h5;

import dev.initkit.MalformedModelException;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Weight values in one or more open HDF5 files (several for Keras 3 sharded weights). A weight's
 * key is its absolute dataset path, prefixed with {@code @N:} for shard {@code N > 0}. Thread-safe:
 * all native access is serialised by the HDF5 lock.
 */
public final class H5Store implements TensorSource, AutoCloseable {
  private final List<H5File> files;
  private final Path shownPath;
  private final AutoCloseable extra;
  private final SourceCheck check;

  /**
   * A check of the stored bytes' integrity (a {@code .keras} member's CRC-32): told of the first
   * read or copy of weight data, and asked for its verdict before an output made from them is kept
   * (writers call {@link H5Store#verify}).
   */
  public interface SourceCheck {
    /** Weight data was read or copied: the check may start. */
    void accessed();

    /** Waits for the check of what was accessed; throws when the bytes are damaged. */
    void verify() throws IOException;

    /** The store closed: stop. */
    void close();
  }

  /**
   * Wraps open files and takes ownership of them.
   *
   * @param shownPath the path named in error messages (the archive for a {@code .keras} member)
   * @param extra closed after the files (e.g. deletes an extracted temporary file); may be null
   */
  public H5Store(List<H5File> files, Path shownPath, AutoCloseable extra) {
    this(files, shownPath, extra, null);
  }

  /** {@link #H5Store(List, Path, AutoCloseable)} with a check of the stored bytes; may be null. */
  public H5Store(List<H5File> files, Path shownPath, AutoCloseable extra, SourceCheck check) {
    this.files = List.copyOf(files);
    this.shownPath = shownPath;
    this.extra = extra;
    this.check = check;
  }

  /** The integrity check's verdict on the data read so far (none: nothing to check). */
  public void verify() throws IOException {
    if (check != null) {
      check.verify();
    }
  }

  /** Wraps one open file and takes ownership of it. */
  public H5Store(H5File file, Path shownPath) {
    this(List.of(file), shownPath, null);
  }

  /** The key of a dataset path in shard {@code shard}. */
  public static String key(int shard, String path) {
    return shard == 0 ? path : "@" + shard + ":" + path;
  }

  /** The first (or only) file. */
  public H5File file() {
    return files.get(0);
  }

  private H5File fileOf(String key) {
    return files.get(
        key.startsWith("@") ? Integer.parseInt(key.substring(1, key.indexOf(':'))) : 0);
  }

  private static String pathOf(String key) {
    return key.startsWith("@") ? key.substring(key.indexOf(':') + 1) : key;
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    TensorSource.checkRows(
        weight, firstRow, rows); // the caller's mistake: before the file is touched
    if (check != null) {
      check.accessed();
    }
    try (H5Dataset ds = fileOf(weight.key()).root().openDataset(pathOf(weight.key()))) {
      if (firstRow + rows > ds.rows()) {
        // the weight's shape says more rows than the file stores: the file's inconsistency
        throw new MalformedModelException(
            shownPath,
            weight.key(),
            "the dataset stores "
                + ds.rows()
                + " rows, the weight's"
                + " shape "
                + weight.shape()
                + " says "
                + (weight.shape().rank() == 0 ? 1 : weight.shape().dim(0)));
      }
      ds.readRows(firstRow, rows, dst);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          shownPath, weight.key(), "cannot read weight data: " + e.getMessage(), e);
    }
  }

  /**
   * Copies a weight's dataset into {@code dst} under {@code name}, streamed ({@link
   * H5Group#copyFrom}).
   */
  public void copyTo(Weight weight, H5Group dst, String name) throws IOException {
    if (check != null) {
      check.accessed();
    }
    try {
      dst.copyFrom(fileOf(weight.key()).root(), pathOf(weight.key()), name);
    } catch (H5Exception e) {
      throw new MalformedModelException(
          shownPath, weight.key(), "cannot copy weight data: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    if (check != null) {
      check.close();
    }
    IOException first = null;
    for (H5File f : files) {
      try {
        f.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (extra != null) {
      try {
        extra.close();
      } catch (Exception e) {
        first = first == null ? new IOException(e) : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
