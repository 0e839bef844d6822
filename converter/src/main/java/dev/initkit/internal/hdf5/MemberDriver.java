package dev.initkit.internal.hdf5;

import static org.bytedeco.hdf5.global.hdf5.*;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.hdf5.H5FD_class_t;
import org.bytedeco.hdf5.H5FD_t;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.CLongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A read-only HDF5 virtual file driver that presents a byte range of another file as a whole HDF5
 * file: a stored member of a zip archive (a {@code .keras} file's {@code model.weights.h5}) is
 * opened where it lies instead of being extracted first. HDF5 looks for a superblock only at 0,
 * 512, 1024, ... bytes into a file, and a member starts wherever the archive put it; here address 0
 * is the member's first byte. Reads past the member's end give zeros, as the POSIX driver gives
 * past a file's end (HDF5 itself refuses a file shorter than its superblock says).
 *
 * <p>HDF5 calls the driver on the thread that holds {@link Hdf5#LOCK}, so opens are handed over by
 * name in {@link #PENDING} and every callback runs under the lock. A callback never lets an
 * exception reach native code: it returns HDF5's failure value.
 */
final class MemberDriver {
  /** A byte range of a file, read through {@code ch} (owned by the caller, not closed here). */
  record Range(FileChannel ch, long offset, long size) {}

  /** The state of one open file, by the address of its {@code H5FD_t}. */
  private static final class OpenFile {
    final H5FD_t handle;
    final Range range;
    long eoa;

    OpenFile(H5FD_t handle, Range range) {
      this.handle = handle;
      this.range = range;
    }
  }

  /** Opens requested by {@link #open}, by the name given to {@code H5Fopen}. */
  private static final Map<String, Range> PENDING = new ConcurrentHashMap<>();

  private static final Map<Long, OpenFile> OPEN = new ConcurrentHashMap<>();

  /** A value from the range HDF5 leaves to drivers outside the library (256-511). */
  private static final int DRIVER_VALUE = 510;

  /** Largest address, as the POSIX driver's: the largest file offset. */
  private static final long MAX_ADDR = Long.MAX_VALUE;

  private static final BytePointer NAME = new BytePointer("initkit_member");

  // The callbacks and the class stay reachable for the life of the process: HDF5 keeps pointers.
  private static final Open OPEN_CB = new Open();
  private static final Close CLOSE_CB = new Close();
  private static final Query QUERY_CB = new Query();
  private static final GetEoa GET_EOA_CB = new GetEoa();
  private static final SetEoa SET_EOA_CB = new SetEoa();
  private static final GetEof GET_EOF_CB = new GetEof();
  private static final Read READ_CB = new Read();
  private static final Write WRITE_CB = new Write();
  private static H5FD_class_t cls;
  private static long driverId = -1;

  private MemberDriver() {}

  /**
   * Opens {@code range} as an HDF5 file, read-only, with the given file access property list (its
   * driver is replaced). Must be called under the HDF5 lock.
   *
   * @param name the name HDF5 gives the file (in its error messages); unique per open
   * @return the file id, negative on failure (HDF5's error stack says why)
   */
  static long open(String name, Range range, long fapl) throws H5Exception {
    Hdf5.check(H5Pset_driver(fapl, driverId(), null), "H5Pset_driver " + NAME.getString());
    PENDING.put(name, range);
    try {
      return H5Fopen(name, H5F_ACC_RDONLY, fapl);
    } finally {
      PENDING.remove(name);
    }
  }

  /** Files this driver has open now (tests check that closing releases them). */
  static int openCount() {
    return OPEN.size();
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
      c.get_eoa(GET_EOA_CB).set_eoa(SET_EOA_CB).get_eof(GET_EOF_CB).read(READ_CB).write(WRITE_CB);
      // free-list map as the POSIX driver's: raw data apart from everything else
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
        Range r = name == null ? null : PENDING.get(name.getString());
        if (r == null || (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) != 0) {
          return null;
        }
        H5FD_t handle = new H5FD_t(); // zeroed; HDF5 fills in its fields
        OpenFile f = new OpenFile(handle, r);
        OPEN.put(handle.address(), f);
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
        // metadata read in larger pieces, small raw reads through the sieve buffer, as the POSIX
        // driver
        flags.put((long) (H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE));
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
      return f == null ? -1 : f.range.size();
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
        long inMember = Math.max(0, Math.min(size, f.range.size() - addr));
        long done = 0;
        while (done < inMember) {
          // ByteBuffers hold at most 2 GiB: large reads go in pieces
          long n = Math.min(inMember - done, 1L << 30);
          ByteBuffer b = dst.position(done).limit(done + n).asByteBuffer();
          while (b.hasRemaining()) {
            if (f.range.ch().read(b, f.range.offset() + addr + done + b.position()) < 0) {
              return -1; // the archive shrank under us
            }
          }
          done += n;
        }
        if (done < size) {
          Pointer.memset(dst.position(done), 0, size - done);
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
      return -1; // read-only
    }
  }
}
