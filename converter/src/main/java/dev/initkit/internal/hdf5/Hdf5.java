package dev.initkit.internal.hdf5;

import static org.bytedeco.hdf5.global.hdf5.*;

import java.util.concurrent.locks.ReentrantLock;
import org.bytedeco.hdf5.H5E_error2_t;
import org.bytedeco.hdf5.H5E_walk2_t;
import org.bytedeco.javacpp.Pointer;

/**
 * The one door to the native HDF5 library.
 *
 * <p>The javacpp HDF5 build is not thread-safe ({@code H5is_library_threadsafe} is false), so every
 * native call in this package runs while holding {@link #LOCK}. The lock is reentrant: a method
 * that holds it may call others that take it again. Loading this class loads the native library,
 * which is why only HDF5 code paths touch it.
 */
public final class Hdf5 {
  /** Held around every native HDF5 call in the process. */
  static final ReentrantLock LOCK = new ReentrantLock();

  private static volatile boolean initialized;

  /**
   * Why loading failed, kept for every later caller: the JVM reports a class whose initialisation
   * failed only as "Could not initialize class", without the first error's message.
   */
  private static Throwable loadFailure;

  private static Thread preload;

  private Hdf5() {}

  /** Loads and initialises the library once; silences HDF5's own stderr error printing. */
  static void ensureInitialized() {
    if (initialized) {
      return;
    }
    LOCK.lock();
    try {
      if (loadFailure instanceof Error e) {
        throw e;
      } else if (loadFailure != null) {
        throw (RuntimeException) loadFailure;
      }
      if (!initialized) {
        // No JVM-global logging setup here: with javacpp at the hdf5 preset's own version
        // (pom.xml) the loader has nothing to warn about, and where javacpp's messages go is the
        // application's choice (org.bytedeco.javacpp.logger; the CLI routes them to SLF4J).
        try {
          H5open();
        } catch (RuntimeException | Error e) {
          loadFailure = e;
          throw e;
        }
        // errors are turned into exceptions by check(); HDF5 must not print stacks on stderr
        H5Eset_auto2(H5E_DEFAULT, null, null);
        initialized = true;
      }
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Starts loading the native library on a daemon thread and returns at once, so that a short
   * command overlaps the load (about 50 ms: javacpp's resource lookups, the dynamic linking) with
   * its own start-up. The first HDF5 call waits for it; a load that failed fails that call with the
   * original error. Pair with {@link #awaitPreload()} before the process exits: HDF5's exit
   * handlers must not run while another thread is still inside its initialisation.
   */
  public static synchronized void preloadInBackground() {
    if (initialized || preload != null) {
      return;
    }
    Thread t = new Thread(Hdf5::preloadQuietly, "initkit-hdf5-load");
    t.setDaemon(true);
    preload = t;
    t.start();
  }

  private static void preloadQuietly() {
    try {
      // The JVM loads native libraries one at a time, under one lock held through HDF5's dynamic
      // linking: load NIO's first, or the caller's first FileChannel waits for all of HDF5's.
      Class.forName("sun.nio.ch.IOUtil", true, null);
    } catch (ClassNotFoundException | LinkageError e) {
      // another JDK: only the overlap is lost
    }
    try {
      ensureInitialized();
    } catch (RuntimeException | Error e) {
      // kept in loadFailure: the first real HDF5 call reports it
    }
  }

  /** Waits for a load started by {@link #preloadInBackground()}; returns at once if none was. */
  public static void awaitPreload() throws InterruptedException {
    Thread t;
    synchronized (Hdf5.class) {
      t = preload;
    }
    if (t != null) {
      t.join();
    }
  }

  /** Acquires the process-wide HDF5 lock; pair with {@link #unlock()} in a finally block. */
  static void lock() {
    ensureInitialized();
    LOCK.lock();
  }

  static void unlock() {
    LOCK.unlock();
  }

  /** True when the current thread holds the HDF5 lock (for tests and assertions). */
  public static boolean isHeldByCurrentThread() {
    return LOCK.isHeldByCurrentThread();
  }

  /**
   * Runs {@code action} while holding the HDF5 lock: no other thread's HDF5 call can run in
   * between. The lock is reentrant, so initkit calls inside the action work as usual. For callers
   * that share the process with other HDF5 users, and for tests of the locking itself.
   */
  public static <T, E extends Exception> T withLock(LockedAction<T, E> action) throws E {
    lock();
    try {
      return action.run();
    } finally {
      unlock();
    }
  }

  /**
   * An action run under the HDF5 lock.
   *
   * @param <T> its result
   * @param <E> what it throws
   */
  @FunctionalInterface
  public interface LockedAction<T, E extends Exception> {
    /** Runs the action. */
    T run() throws E;
  }

  /**
   * Throws when an HDF5 call returned a negative status or id. Every checked call must be made with
   * the lock held; one that is not is a bug in this package, and fails here loudly instead of
   * corrupting the library's state some day under concurrency.
   */
  static long check(long result, String what) throws H5Exception {
    if (!LOCK.isHeldByCurrentThread()) {
      throw new IllegalStateException("HDF5 call without the HDF5 lock: " + what);
    }
    if (result < 0) {
      throw new H5Exception(what + " failed" + lastError());
    }
    return result;
  }

  /** {@link #lastError()} for callers in this package that check results themselves. */
  static String lastErrorText() {
    return lastError();
  }

  /** The innermost message of HDF5's current error stack, or "" (caller holds the lock). */
  private static String lastError() {
    StringBuilder sb = new StringBuilder();
    long stack = H5Eget_current_stack();
    if (stack < 0) {
      return "";
    }
    try (H5E_walk2_t walker =
        new H5E_walk2_t() {
          @Override
          public int call(int n, H5E_error2_t err, Pointer data) {
            if (n == 0 && err != null && err.desc() != null) {
              sb.append(": ").append(err.desc().getString());
            }
            return 0;
          }
        }) {
      H5Ewalk2(stack, H5E_WALK_UPWARD, walker, null);
    } finally {
      H5Eclose_stack(stack);
    }
    return sb.toString();
  }
}
