package dev.initkit.internal.hdf5;

import static org.bytedeco.hdf5.global.hdf5.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.hdf5.H5FD_class_t;
import org.bytedeco.hdf5.H5FD_t;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.CLongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The HDF5 virtual file driver for every file initkit creates: the POSIX driver's behaviour (the
 * same addresses, the same bytes), except that a failed write (a full disk, a file size limit, an
 * I/O error) never reaches HDF5. The first failure is recorded and every later write is discarded,
 * so HDF5's state stays whole and closing the file succeeds; {@link H5File} then reports the
 * failure and the caller deletes the file, which is garbage. HDF5 1.14.3 told of a failed write
 * keeps a half-closed file and crashes the process when it retries the flush at exit.
 *
 * <p>HDF5 calls the driver on the thread that holds {@link Hdf5#LOCK}; opens are handed over by
 * name in {@link #PENDING}. A callback never lets an exception reach native code.
 */
final class WriteDriver {
  /** The state of one open file, by the address of its {@code H5FD_t}. */
  static final class OpenFile {
    final H5FD_t handle;
    final Path path;
    final FileChannel ch;
    long eoa;
    long eof;
    volatile IOException failure;

    OpenFile(H5FD_t handle, Path path, FileChannel ch) throws IOException {
      this.handle = handle;
      this.path = path;
      this.ch = ch;
      this.eof = ch.size();
    }

    void fail(IOException e) {
      if (failure == null) {
        failure = e;
      }
    }
  }

  private static final Map<String, Path> PENDING = new ConcurrentHashMap<>();
  private static final Map<Long, OpenFile> OPEN = new ConcurrentHashMap<>();

  /** Failures of files already closed, by path, for {@link #takeFailure}. */
  private static final Map<Path, IOException> CLOSED_FAILURES = new ConcurrentHashMap<>();

  /** From the range HDF5 leaves to drivers outside the library (256-511); MemberDriver has 510. */
  private static final int DRIVER_VALUE = 509;

  private static final long MAX_ADDR = Long.MAX_VALUE;
  private static final BytePointer NAME = new BytePointer("initkit_write");

  // The callbacks and the class stay reachable for the life of the process: HDF5 keeps pointers.
  private static final Open OPEN_CB = new Open();
  private static final Close CLOSE_CB = new Close();
  private static final Query QUERY_CB = new Query();
  private static final GetEoa GET_EOA_CB = new GetEoa();
  private static final SetEoa SET_EOA_CB = new SetEoa();
  private static final GetEof GET_EOF_CB = new GetEof();
  private static final Read READ_CB = new Read();
  private static final Write WRITE_CB = new Write();
  private static final Truncate TRUNCATE_CB = new Truncate();
  private static H5FD_class_t cls;
  private static long driverId = -1;

  private WriteDriver() {}

  /**
   * Creates {@code path} (truncating it) as an HDF5 file through this driver. Must be called under
   * the HDF5 lock.
   *
   * @return the file id, negative on failure (HDF5's error stack says why)
   */
  static long create(Path path, long fcpl, long fapl) throws H5Exception {
    Hdf5.check(H5Pset_driver(fapl, driverId(), null), "H5Pset_driver " + NAME.getString());
    String name = path.toString();
    PENDING.put(name, path);
    try {
      return H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    } finally {
      PENDING.remove(name);
    }
  }

  /** The first write failure of the open file {@code path}, or null. */
  static IOException failure(Path path) {
    for (OpenFile f : OPEN.values()) {
      if (f.path.equals(path) && f.failure != null) {
        return f.failure;
      }
    }
    return null;
  }

  /** The first write failure of a file closed since, removed; or null. */
  static IOException takeFailure(Path path) {
    return CLOSED_FAILURES.remove(path);
  }

  /** The process is stopping: every open file's further writes are discarded (it is deleted). */
  static void discardAll() {
    for (OpenFile f : OPEN.values()) {
      f.fail(new IOException("the process is stopping"));
    }
  }

  private static long driverId() throws H5Exception {
    if (driverId < 0) {
      H5FD_class_t c = new H5FD_class_t();
      c.version(H5FD_CLASS_VERSION)
          .value(DRIVER_VALUE)
          .name(NAME)
          .maxaddr(MAX_ADDR)
          .fc_degree(H5F_CLOSE_WEAK);
      c.open(OPEN_CB)._close(CLOSE_CB).query(QUERY_CB);
      c.get_eoa(GET_EOA_CB)
          .set_eoa(SET_EOA_CB)
          .get_eof(GET_EOF_CB)
          .read(READ_CB)
          .write(WRITE_CB)
          .truncate(TRUNCATE_CB);
      // free-list map as the POSIX driver's (H5FD_FLMAP_DICHOTOMY): raw data apart from the rest
      for (int t = 0; t < H5FD_MEM_NTYPES; t++) {
        c.fl_map(t, t == H5FD_MEM_DRAW || t == H5FD_MEM_GHEAP ? H5FD_MEM_DRAW : H5FD_MEM_SUPER);
      }
      driverId = Hdf5.check(H5FDregister(c), "H5FDregister " + NAME.getString());
      cls = c;
    }
    return driverId;
  }

  private static OpenFile file(H5FD_t f) {
    return f == null ? null : OPEN.get(f.address());
  }

  private static final class Open extends H5FD_class_t.Open_BytePointer_int_long_long {
    @Override
    public H5FD_t call(BytePointer name, int flags, long fapl, long maxaddr) {
      try {
        Path p = name == null ? null : PENDING.get(name.getString());
        if (p == null) {
          return null;
        }
        FileChannel ch =
            (flags & H5F_ACC_TRUNC) != 0
                ? FileChannel.open(
                    p,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE)
                : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        H5FD_t handle = new H5FD_t(); // zeroed; HDF5 fills in its fields
        OPEN.put(handle.address(), new OpenFile(handle, p, ch));
        return handle;
      } catch (Throwable t) {
        return null;
      }
    }
  }

  private static final class Close extends H5FD_class_t.Close_H5FD_t {
    @Override
    public int call(H5FD_t file) {
      try {
        OpenFile f = file == null ? null : OPEN.remove(file.address());
        if (f == null) {
          return -1;
        }
        try {
          f.ch.close();
        } catch (IOException e) {
          f.fail(e);
        }
        if (f.failure != null) {
          CLOSED_FAILURES.put(f.path, f.failure);
        }
        f.handle.close();
        return 0;
      } catch (Throwable t) {
        return -1;
      }
    }
  }

  private static final class Query extends H5FD_class_t.Query_H5FD_t_CLongPointer {
    @Override
    public int call(H5FD_t file, CLongPointer flags) {
      try {
        // the POSIX driver's features (less its file-handle and SWMR ones): the same file layout
        flags.put(
            (long)
                (H5FD_FEAT_AGGREGATE_METADATA
                    | H5FD_FEAT_ACCUMULATE_METADATA
                    | H5FD_FEAT_DATA_SIEVE
                    | H5FD_FEAT_AGGREGATE_SMALLDATA
                    | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE));
        return 0;
      } catch (Throwable t) {
        return -1;
      }
    }
  }

  private static final class GetEoa extends H5FD_class_t.Get_eoa_H5FD_t_int {
    @Override
    public long call(H5FD_t file, int type) {
      OpenFile f = file(file);
      return f == null ? -1 : f.eoa; // -1 is HADDR_UNDEF
    }
  }

  private static final class SetEoa extends H5FD_class_t.Set_eoa_H5FD_t_int_long {
    @Override
    public int call(H5FD_t file, int type, long addr) {
      OpenFile f = file(file);
      if (f == null || addr < 0) {
        return -1;
      }
      f.eoa = addr;
      return 0;
    }
  }

  private static final class GetEof extends H5FD_class_t.Get_eof_H5FD_t_int {
    @Override
    public long call(H5FD_t file, int type) {
      OpenFile f = file(file);
      return f == null ? -1 : f.eof;
    }
  }

  private static final class Read extends H5FD_class_t.Read_H5FD_t_int_long_long_long_Pointer {
    @Override
    public int call(H5FD_t file, int type, long dxpl, long addr, long size, Pointer buf) {
      try {
        OpenFile f = file(file);
        if (f == null || buf == null || addr < 0 || size < 0 || addr > MAX_ADDR - size) {
          return -1;
        }
        BytePointer dst = new BytePointer(buf);
        long done = 0;
        while (done < size) {
          long n = Math.min(size - done, 1L << 30); // ByteBuffers hold at most 2 GiB
          ByteBuffer b = dst.position(done).limit(done + n).asByteBuffer();
          while (b.hasRemaining()) {
            if (f.ch.read(b, addr + done + b.position()) < 0) {
              break; // past the end: zeros, as the POSIX driver gives
            }
          }
          if (b.hasRemaining()) {
            Pointer.memset(dst.position(done + b.position()), 0, size - done - b.position());
            return 0;
          }
          done += n;
        }
        return 0;
      } catch (Throwable t) {
        return -1;
      }
    }
  }

  private static final class Write extends H5FD_class_t.Write_H5FD_t_int_long_long_long_Pointer {
    @Override
    public int call(H5FD_t file, int type, long dxpl, long addr, long size, Pointer buf) {
      OpenFile f = file(file);
      if (f == null || buf == null || addr < 0 || size < 0 || addr > MAX_ADDR - size) {
        return -1;
      }
      if (f.failure != null) {
        return 0; // discarded: the file is garbage, and HDF5 must be able to close it
      }
      try {
        BytePointer src = new BytePointer(buf);
        long done = 0;
        while (done < size && f.failure == null) {
          long n =
              Math.min(size - done, 64L << 20); // pieces: a stop (discardAll) is seen between them
          ByteBuffer b = src.position(done).limit(done + n).asByteBuffer();
          while (b.hasRemaining()) {
            f.ch.write(b, addr + done + b.position());
          }
          done += n;
        }
        f.eof = Math.max(f.eof, addr + size);
      } catch (IOException e) {
        f.fail(e);
      } catch (Throwable t) {
        f.fail(new IOException("write of " + size + " bytes at " + addr + " failed: " + t, t));
      }
      return 0;
    }
  }

  private static final class Truncate extends H5FD_class_t.Truncate_H5FD_t_long_boolean {
    @Override
    public int call(H5FD_t file, long dxpl, boolean closing) {
      OpenFile f = file(file);
      if (f == null) {
        return -1;
      }
      if (f.failure == null && f.eoa != f.eof) {
        try {
          long size = f.ch.size(); // raw copies write past what this driver saw
          if (f.eoa < size) {
            f.ch.truncate(f.eoa);
          } else if (f.eoa > size) {
            f.ch.write(ByteBuffer.allocate(1), f.eoa - 1); // extend with a hole, as ftruncate does
          }
        } catch (IOException e) {
          f.fail(e);
        }
      }
      f.eof = f.eoa;
      return 0;
    }
  }
}
