package dev.initkit.savedmodel;

import java.util.zip.CRC32C;

/**
 * CRC-32C as TensorFlow's checkpoints store it: "masked" (rotated and offset), so that a CRC of
 * data that itself holds CRCs does not degenerate.
 */
final class Crc32c {
  private static final int MASK_DELTA = 0xa282ead8;

  private Crc32c() {}

  static int of(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  static int unmask(int masked) {
    return Integer.rotateLeft(masked - MASK_DELTA, 15);
  }
}
