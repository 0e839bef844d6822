package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import java.nio.file.Path;

/**
 * An open HDF5 file. Opened with the "strong" close degree, so closing the file also closes any
 * object handle still open in it: a forgotten child handle cannot keep a half-written file alive.
 */
public final class H5File implements AutoCloseable {
  private long id;
  private final Path path;
  private final H5Group root;

  private H5File(long id, Path path) {
    this.id = id;
    this.path = path;
    this.root = new H5Group(openRoot(id), "/");
  }

  private static long openRoot(long fid) {
    return H5Gopen2(fid, "/", H5P_DEFAULT);
  }

  /** Opens an existing file read-only. */
  public static H5File openReadOnly(Path path) throws H5Exception {
    return open(path, H5F_ACC_RDONLY);
  }

  /** Opens an existing file for reading and writing. */
  public static H5File openReadWrite(Path path) throws H5Exception {
    return open(path, H5F_ACC_RDWR);
  }

  private static H5File open(Path path, int flags) throws H5Exception {
    Hdf5.lock();
    long fapl = -1;
    try {
      fapl = strongClose();
      long fid = check(H5Fopen(path.toString(), flags, fapl), "open HDF5 file");
      return new H5File(fid, path);
    } finally {
      if (fapl >= 0) H5Pclose(fapl);
      Hdf5.unlock();
    }
  }

  /**
   * Creates (truncating) a file. Objects use the oldest format versions that can hold them, as h5py
   * does by default, so older HDF5 readers (tf-keras, DL4J) open what we write.
   */
  public static H5File create(Path path) throws H5Exception {
    Hdf5.lock();
    long fapl = -1;
    try {
      fapl = strongClose();
      long fid = check(H5Fcreate(path.toString(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "create HDF5 file");
      return new H5File(fid, path);
    } finally {
      if (fapl >= 0) H5Pclose(fapl);
      Hdf5.unlock();
    }
  }

  private static long strongClose() throws H5Exception {
    long fapl = check(H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g()), "H5Pcreate fapl");
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    return fapl;
  }

  /** The root group; closed with the file. */
  public H5Group root() {
    if (id < 0) {
      throw new IllegalStateException("HDF5 file " + path + " is closed");
    }
    return root;
  }

  /** The path this file was opened from. */
  public Path path() {
    return path;
  }

  /** Flushes buffers to the operating system. */
  public void flush() throws H5Exception {
    Hdf5.lock();
    try {
      check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush");
    } finally {
      Hdf5.unlock();
    }
  }

  /** Closes the file; a second call does nothing. */
  @Override
  public void close() throws H5Exception {
    if (id < 0) {
      return;
    }
    Hdf5.lock();
    try {
      root.close();
      check(H5Fclose(id), "close HDF5 file");
    } finally {
      id = -1;
      Hdf5.unlock();
    }
  }
}
