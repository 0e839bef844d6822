package dev.initkit.format.keras3;

/**
 * A zip file's end-of-central-directory record, with the values of its zip64 form when a zip64
 * locator precedes it and points to a zip64 end record ({@link ZipDirectory#readEnd} reads it).
 * Values are as stored: {@link ZipDirectory#read} checks them against the file.
 *
 * @param position where the end record starts in the file
 * @param commentLength the length of the archive comment that follows it
 * @param fileSize the size of the file it was read from
 * @param entries the total number of central directory entries (from the zip64 record when there is
 *     one; {@link Long#MAX_VALUE} when that does not fit a long)
 * @param directorySize the central directory's length in bytes
 * @param directoryOffset the central directory's offset from the archive's start (which bytes
 *     prepended to the archive move away from the file's start)
 * @param zip64Locator the zip64 end record offset a zip64 locator before the end record gives, or
 *     -1 when there is no locator
 * @param zip64Position where the zip64 end record starts, or -1 when there is none (no locator, or
 *     one that does not point to a zip64 end record lying before it)
 */
public record ZipEndRecord(
    long position,
    int commentLength,
    long fileSize,
    long entries,
    long directorySize,
    long directoryOffset,
    long zip64Locator,
    long zip64Position) {

  /** Whether the values come from a zip64 end record. */
  public boolean zip64() {
    return zip64Position >= 0;
  }

  /** Where the central directory must end: at the zip64 end record when there is one, else here. */
  public long directoryEnd() {
    return zip64() ? zip64Position : position;
  }

  /** Bytes after the archive comment up to the file's end (0 for a well-formed archive). */
  public long trailingBytes() {
    return fileSize - position - ZipDirectory.END_LENGTH - commentLength;
  }
}
