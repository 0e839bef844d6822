/**
 * Keras weights in open HDF5 files, shared by the {@code format.h5} and {@code format.keras3}
 * readers and writers and by {@code ModelIO}: the tensor store over open files, the copier into
 * datasets being written, the opened input handed to one reader. Not part of the API: the types of
 * the HDF5 binding ({@code internal.hdf5}) appear in their signatures.
 */
package dev.initkit.internal.h5;
