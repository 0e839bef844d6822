package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import java.nio.file.Path;

/**
 * An open HDF5 file.
 *
 * <p>Opened with the driver's default close degree (weak for files on disk), the one every other
 * HDF5 user in the process gets from {@code H5P_DEFAULT} (DL4J's Keras import, for one). HDF5
 * shares one open file between all opens of a path and refuses an open whose degree differs from
 * the first ("file close degree doesn't match"): with the strong degree, a file initkit held could
 * not be opened by DL4J, and a file DL4J held (a handle it leaked) looked damaged to initkit. What
 * the strong degree gave is kept by {@link #close()}: it closes every object still open through
 * this file's handle (and only those), so a forgotten child handle cannot keep a half-written file
 * alive.
 */
public final class H5File implements AutoCloseable {
  private long id;
  private final Path path;
  private final H5Group root;
  private final H5Raw raw;

  private volatile boolean writeFailed;
  private volatile WrittenRegions writtenRegions;

  /** Told where the bytes of each dataset created in a file are, once the dataset is closed. */
  @FunctionalInterface
  public interface WrittenRegions {
    /** Bytes {@code [offset, offset + length)} of the file (absolute offsets) are final. */
    void written(long offset, long length);
  }

  private H5File(long id, Path path, H5Raw raw) throws H5Exception {
    this.id = id;
    this.path = path;
    this.raw = raw;
    // a damaged root group header fails here, not later as a "closed object"
    this.root = new H5Group(check(openRoot(id), "open the root group of " + path), "/", this);
  }

  /** Tells {@code listener} of each dataset created in this file from now on, once it is closed. */
  public void onDatasetClosed(WrittenRegions listener) {
    this.writtenRegions = listener;
  }

  WrittenRegions writtenRegions() {
    return writtenRegions;
  }

  H5Raw raw() {
    return raw;
  }

  /** Throws the first write failure the driver recorded for this file, if any. */
  void checkWrites() throws H5Exception {
    java.io.IOException lost = WriteDriver.failure(path);
    if (lost != null) {
      markWriteFailed();
      H5Exception e = new H5Exception("writing " + path + " failed: " + lost.getMessage());
      e.initCause(lost);
      throw e;
    }
  }

  /** A write into this file failed: closing it must not try to flush into a full disk. */
  void markWriteFailed() {
    writeFailed = true;
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
    long fid = -1;
    boolean ok = false;
    try {
      fapl = defaultCloseDegree();
      fid = check(H5Fopen(path.toString(), flags, fapl), "open HDF5 file");
      H5Raw raw = rawReader(fid, path);
      try {
        H5File f = new H5File(fid, path, raw);
        ok = true;
        return f;
      } finally {
        if (!ok) {
          raw.close();
        }
      }
    } finally {
      if (!ok && fid >= 0) H5Fclose(fid);
      if (fapl >= 0) H5Pclose(fapl);
      Hdf5.unlock();
    }
  }

  /**
   * Opens, read-only, the HDF5 file stored in bytes {@code [offset, offset + length)} of {@code
   * container} (a stored member of a zip archive) where it lies, without copying it out. Reads go
   * through a channel opened now, so the file stays readable if the path is unlinked.
   *
   * @param shown how the file is named in messages and by {@link #path()}
   */
  public static H5File openMember(Path container, long offset, long length, Path shown)
      throws H5Exception {
    java.nio.channels.FileChannel ch;
    try {
      ch = java.nio.channels.FileChannel.open(container, java.nio.file.StandardOpenOption.READ);
    } catch (java.io.IOException e) {
      throw new H5Exception("cannot read " + container + ": " + e.getMessage());
    }
    Hdf5.lock();
    long fapl = -1;
    long fid = -1;
    boolean ok = false;
    try {
      fapl = defaultCloseDegree();
      // unique per open: HDF5 would take a second open of one name for the same file
      String name = container + "@" + offset + "#" + MEMBER_OPENS.incrementAndGet();
      fid =
          check(
              MemberDriver.open(name, new MemberDriver.Range(ch, offset, length), fapl),
              "open HDF5 file");
      H5File f = new H5File(fid, shown, rawReader(fid, ch, offset, length));
      javaDriven(f);
      ok = true;
      return f;
    } finally {
      if (!ok) {
        if (fid >= 0) H5Fclose(fid);
        try {
          ch.close();
        } catch (java.io.IOException ignored) {
          // read-only: nothing to lose
        }
      }
      if (fapl >= 0) H5Pclose(fapl);
      Hdf5.unlock();
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong MEMBER_OPENS =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Files read through {@link MemberDriver} and not closed yet. HDF5 closes what is still open when
   * the process exits, after the JVM is gone, and closing such a file calls back into Java ("Could
   * not attach the JavaVM to the current thread" on stderr): a shutdown hook closes them first.
   */
  private static final java.util.Set<H5File> MEMBER_FILES =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static final java.util.concurrent.atomic.AtomicBoolean MEMBER_FILES_HOOK =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Registers a file whose driver calls back into Java ({@link MemberDriver}, {@link WriteDriver}).
   */
  private static void javaDriven(H5File f) {
    MEMBER_FILES.add(f);
    if (MEMBER_FILES_HOOK.compareAndSet(false, true)) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(H5File::closeMemberFiles, "initkit-hdf5-exit"));
    }
  }

  private static void closeMemberFiles() {
    // a file being written when the process is stopped is deleted by AtomicFiles: its remaining
    // writes are discarded, so a thread inside a long write returns and the close below is quick
    WriteDriver.discardAll();
    try {
      // a thread still inside a long HDF5 call holds the lock: wait for it, but not forever
      if (!Hdf5.LOCK.tryLock(30, java.util.concurrent.TimeUnit.SECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      return;
    }
    for (H5File f : MEMBER_FILES) {
      try {
        f.close();
      } catch (H5Exception | RuntimeException e) {
        // exiting: nothing more to do
      }
    }
    // The lock is kept: a thread that goes on after this hook must not open a file that HDF5
    // would close at exit, after the JVM is gone, through a driver written in Java.
  }

  /**
   * A Java view of the file's bytes (opened now, so it stays readable if the path is unlinked),
   * with the user block size and address widths HDF5 found, for {@link H5Raw}.
   */
  private static H5Raw rawReader(long fid, Path path) throws H5Exception {
    java.nio.channels.FileChannel ch = null;
    try {
      ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.READ);
      return rawReader(fid, ch, 0, ch.size());
    } catch (java.io.IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (java.io.IOException ignored) {
          // nothing more to do
        }
      }
      throw new H5Exception("cannot read " + path + ": " + e.getMessage());
    }
  }

  /**
   * {@link #rawReader(long, Path)} for the HDF5 file in bytes {@code [start, start + length)} of
   * {@code ch}.
   */
  private static H5Raw rawReader(
      long fid, java.nio.channels.FileChannel ch, long start, long length) throws H5Exception {
    long fcpl = check(H5Fget_create_plist(fid), "H5Fget_create_plist");
    try (org.bytedeco.javacpp.SizeTPointer so = new org.bytedeco.javacpp.SizeTPointer(1);
        org.bytedeco.javacpp.SizeTPointer sl = new org.bytedeco.javacpp.SizeTPointer(1)) {
      long[] userblock = new long[1];
      check(H5Pget_userblock(fcpl, userblock), "H5Pget_userblock");
      check(H5Pget_sizes(fcpl, so, sl), "H5Pget_sizes");
      return new H5Raw(ch, start, length, userblock[0], (int) so.get(), (int) sl.get());
    } finally {
      H5Pclose(fcpl);
    }
  }

  /**
   * Creates (truncating) a file. Objects use the oldest format versions that can hold them, as h5py
   * does by default, so older HDF5 readers (tf-keras, DL4J) open what we write.
   */
  public static H5File create(Path path) throws H5Exception {
    return create(path, 0);
  }

  /**
   * Creates (truncating) a file whose HDF5 data starts after a user block of {@code userBlockBytes}
   * (0, or a power of two of at least 512) that HDF5 leaves alone: the caller fills it once the
   * file is closed. Addresses in the file are relative to the block's end, so the bytes from there
   * on are a valid HDF5 file by themselves too.
   */
  public static H5File create(Path path, long userBlockBytes) throws H5Exception {
    Hdf5.lock();
    long fapl = -1;
    long fcpl = -1;
    try {
      fapl = defaultCloseDegree();
      fcpl = check(H5Pcreate(H5P_CLS_FILE_CREATE_ID_g()), "H5Pcreate fcpl");
      check(H5Pset_userblock(fcpl, userBlockBytes), "H5Pset_userblock " + userBlockBytes);
      long fid = check(WriteDriver.create(path, fcpl, fapl), "create HDF5 file");
      try {
        H5File f = new H5File(fid, path, null);
        javaDriven(f);
        return f;
      } catch (H5Exception e) {
        H5Fclose(fid);
        throw e;
      }
    } finally {
      if (fcpl >= 0) H5Pclose(fcpl);
      if (fapl >= 0) H5Pclose(fapl);
      Hdf5.unlock();
    }
  }

  private static long defaultCloseDegree() throws H5Exception {
    long fapl = check(H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g()), "H5Pcreate fapl");
    // not strong: every open of one file must use the same degree, and other HDF5 users use the
    // default
    H5Pset_fclose_degree(fapl, H5F_CLOSE_DEFAULT);
    return fapl;
  }

  /**
   * Object handles {@link #close()} found still open through a file's handle, since the JVM
   * started.
   */
  private static final java.util.concurrent.atomic.AtomicLong STRAY_HANDLES =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * How many object handles (groups, datasets, named datatypes, attributes) were still open when
   * their file was closed, and were closed with it, since the JVM started: 0 unless a reader or
   * writer forgot one. For tests.
   */
  public static long strayHandlesClosed() {
    return STRAY_HANDLES.get();
  }

  /**
   * Closes the objects still open through this file's handle, as the strong close degree did, but
   * leaves alone what other HDF5 users opened in the same file ({@code H5F_OBJ_LOCAL}).
   */
  private void closeStrayHandles() {
    int types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL;
    long n = H5Fget_obj_count(id, types);
    if (n <= 0) {
      return;
    }
    long[] ids = new long[(int) n];
    long got = H5Fget_obj_ids(id, types, n, ids);
    for (int i = 0; i < got; i++) {
      STRAY_HANDLES.incrementAndGet();
      if (H5Iget_type(ids[i]) == H5I_ATTR) {
        H5Aclose(ids[i]);
      } else {
        H5Oclose(ids[i]);
      }
    }
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

  private void truncate() {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(0);
    } catch (java.io.IOException | RuntimeException e) {
      // nothing more to free
    }
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
      if (writeFailed && raw == null) {
        // A write failed (a full disk, an I/O error): the file is garbage to the caller. Closing
        // flushes HDF5's metadata, and when that flush fails too, HDF5 1.14.3 leaks cache state
        // and crashes the process at exit. Emptying the file first gives the flush room.
        truncate();
      }
      closeStrayHandles();
      int closed = H5Fclose(id);
      java.io.IOException lost = WriteDriver.takeFailure(path);
      if (lost != null) {
        // a write failed and the driver discarded the rest: HDF5 closed cleanly, the file is
        // garbage
        H5Exception failure = new H5Exception("writing " + path + " failed: " + lost.getMessage());
        failure.initCause(lost);
        throw failure;
      }
      if (closed < 0) {
        H5Exception failure =
            new H5Exception("close HDF5 file " + path + " failed" + Hdf5.lastErrorText());
        if (raw == null) {
          // a file being written could not be flushed (a full disk, an I/O error). HDF5 1.14.3 then
          // keeps it half closed, holding its space, and crashes at process exit when it retries.
          // The half-written file is garbage to the caller anyway: empty it, so that the flush
          // that closing needs has room, and close it for good.
          truncate();
          if (H5Fclose(id) < 0) {
            failure.addSuppressed(
                new H5Exception("closing again failed too" + Hdf5.lastErrorText()));
          }
        }
        throw failure;
      }
    } finally {
      id = -1;
      if (raw != null) {
        raw.close();
      }
      MEMBER_FILES.remove(this);
      Hdf5.unlock();
    }
  }
}
