package dev.initkit.internal.hdf5;

import java.io.IOException;

/**
 * A failed HDF5 call. It carries no file name: the format readers catch it at their boundary and
 * re-throw it as a {@code ModelFormatException} naming the file and the in-file path.
 */
public final class H5Exception extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with HDF5's own description appended. */
  public H5Exception(String message) {
    super(message);
  }
}
