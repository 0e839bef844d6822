package dev.initkit.internal.hdf5;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pure-Java reader for the few on-disk HDF5 structures that the native library (1.14.3, the
 * newest javacpp build) trusts blindly: object headers, their attribute messages, and the global
 * heap collections that hold variable-length strings. A corrupt global heap reference in a
 * variable-length string attribute (Keras's {@code model_config}, {@code layer_names}, ...) makes
 * {@code H5HG_read} copy from outside the heap and kill the JVM with SIGSEGV; fixed in later HDF5
 * releases, not in the one initkit can use. So initkit reads such attributes itself, here, with
 * every offset and length checked against the collection and the file, and never hands them to the
 * native library.
 *
 * <p>Format: HDF5 File Format Specification version 3, sections III.A (global heap), IV.A (object
 * headers v1 and v2), IV.A.2.d (dataspace), IV.A.2.c (datatype), IV.A.2.m (attribute). Anything
 * this reader does not understand or that is inconsistent is an {@link H5Exception} (a damaged
 * file); an attribute kept in dense storage (a fractal heap, which Keras never writes) is reported
 * as {@link #DENSE} so the caller can decide. Stateless apart from the file it reads; every call is
 * made under the HDF5 lock by its callers.
 */
final class H5Raw {
  /** Returned by {@link #vlenStrings} for an attribute that is not in the object header itself. */
  static final List<String> DENSE = List.of();

  /** Object header blocks followed before giving up (a loop of continuations, or a bomb). */
  private static final int MAX_BLOCKS = 4096;

  /** Bytes of object header read at most, all blocks together. */
  private static final long MAX_HEADER_BYTES = 64L << 20;

  /**
   * Largest global heap collection read (HDF5 makes them 4 KiB and more, as large as an object).
   */
  private static final long MAX_COLLECTION_BYTES = 256L << 20;

  private final FileChannel ch;

  /** Where the HDF5 file starts in {@link #ch}: 0, or a member's offset in an archive. */
  private final long start;

  private final long base;
  private final int so;
  private final int sl;

  /** Where the HDF5 file ends in {@link #ch}. */
  private final long size;

  /** Parsed global heap collections by address: index -> {data offset, size}. */
  private final Map<Long, Map<Integer, long[]>> collections = new HashMap<>();

  /**
   * A reader of the HDF5 file in bytes {@code [start, start + length)} of {@code ch}, whose data
   * starts {@code base} bytes after {@code start} (its user block).
   */
  H5Raw(FileChannel ch, long start, long length, long base, int sizeOfOffsets, int sizeOfLengths)
      throws H5Exception {
    this.ch = ch;
    this.start = start;
    this.base = start + base;
    this.so = sizeOfOffsets;
    this.sl = sizeOfLengths;
    this.size = start + length;
    if (so < 2 || so > 8 || sl < 2 || sl > 8) {
      throw new H5Exception(
          "HDF5 offsets of " + so + " and lengths of " + sl + " bytes are not supported");
    }
  }

  /** The file's channel (readable even after the path was unlinked), for raw copies of data. */
  FileChannel channel() {
    return ch;
  }

  /** Where in {@link #channel()} the byte at HDF5's file offset {@code offset} lies. */
  long channelOffset(long offset) {
    return start + offset;
  }

  /** Where in {@link #channel()} the HDF5 file ends. */
  long channelEnd() {
    return size;
  }

  void close() {
    try {
      ch.close();
    } catch (IOException e) {
      // read-only: nothing to lose
    }
  }

  // ---------------------------------------------------------------------------------------------
  // reading

  /** {@code len} bytes at relative address {@code addr}, all inside the file. */
  private ByteBuffer read(long addr, long len, String what) throws H5Exception {
    long abs = base + addr;
    if (addr < 0
        || len < 0
        || len > Integer.MAX_VALUE
        || abs < 0
        || abs > size
        || len > size - abs) {
      throw new H5Exception(
          what
              + " at address "
              + addr
              + " ("
              + len
              + " bytes) lies outside the "
              + size
              + "-byte file");
    }
    ByteBuffer b = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (b.hasRemaining()) {
        if (ch.read(b, abs + b.position()) < 0) {
          throw new H5Exception(what + " at address " + addr + " ends past the end of the file");
        }
      }
    } catch (IOException e) {
      throw new H5Exception("cannot read " + what + ": " + e.getMessage());
    }
    return b.flip();
  }

  private long offset(ByteBuffer b) {
    return uint(b, so);
  }

  private long length(ByteBuffer b) {
    return uint(b, sl);
  }

  /** An unsigned little-endian integer of {@code n} bytes; all ones (undefined) as -1. */
  private static long uint(ByteBuffer b, int n) {
    if (b.remaining() < n) {
      throw new ArrayIndexOutOfBoundsException("field past the end of its structure");
    }
    long v = 0;
    boolean ones = true;
    for (int i = 0; i < n; i++) {
      int x = b.get() & 0xff;
      ones &= x == 0xff;
      if (i < 8) {
        v |= (long) x << (8 * i);
      }
    }
    return ones || v < 0 ? -1 : v;
  }

  // ---------------------------------------------------------------------------------------------
  // object headers

  /** One header message: its type and its data. */
  private record Message(int type, int flags, ByteBuffer data) {}

  /** Every message of the object header at {@code addr}, continuation blocks followed. */
  private List<Message> messages(long addr) throws H5Exception {
    try {
      return parseHeader(addr);
    } catch (RuntimeException e) {
      // a field read past its structure, a negative size: the header is damaged
      throw new H5Exception("damaged object header at address " + addr + ": " + e);
    }
  }

  private List<Message> parseHeader(long addr) throws H5Exception {
    List<Message> out = new ArrayList<>();
    ByteBuffer head =
        read(addr, Math.min(16 + 64, size - base - Math.max(0, addr)), "object header");
    boolean v2 =
        head.remaining() >= 4
            && head.get(0) == 'O'
            && head.get(1) == 'H'
            && head.get(2) == 'D'
            && head.get(3) == 'R';
    List<long[]> blocks = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    long total = 0;
    int flags = 0;
    if (v2) {
      head.position(4);
      int version = head.get() & 0xff;
      if (version != 2) {
        throw new H5Exception("object header at " + addr + " has version " + version);
      }
      flags = head.get() & 0xff;
      if ((flags & 0x20) != 0) {
        head.position(head.position() + 16);
      }
      if ((flags & 0x10) != 0) {
        head.position(head.position() + 4);
      }
      long chunk0 = uint(head, 1 << (flags & 3));
      long start = addr + head.position();
      blocks.add(new long[] {start, chunk0, 0});
    } else {
      int version = head.get(0) & 0xff;
      if (version != 1) {
        throw new H5Exception("object header at " + addr + " has version " + version);
      }
      head.position(8);
      long headerSize = head.getInt() & 0xffffffffL;
      blocks.add(new long[] {addr + 16, headerSize, 0});
    }
    for (int bi = 0; bi < blocks.size(); bi++) {
      if (bi >= MAX_BLOCKS) {
        throw new H5Exception(
            "object header at " + addr + " continues in more than " + MAX_BLOCKS + " blocks");
      }
      long[] blk = blocks.get(bi);
      if (!seen.add(blk[0])) {
        throw new H5Exception("object header at " + addr + " continues in a loop");
      }
      total += blk[1];
      if (total > MAX_HEADER_BYTES) {
        throw new H5Exception(
            "object header at " + addr + " is larger than " + MAX_HEADER_BYTES + " bytes");
      }
      ByteBuffer b = read(blk[0], blk[1], "object header block");
      int end = b.limit();
      if (v2 && blk[2] == 1) {
        // a continuation chunk: "OCHK", messages, a checksum (chunk 0's follows its size)
        if (b.remaining() < 8
            || b.get() != 'O'
            || b.get() != 'C'
            || b.get() != 'H'
            || b.get() != 'K') {
          throw new H5Exception(
              "object header continuation at " + blk[0] + " has no OCHK signature");
        }
        end -= 4;
      }
      while (b.position() < end) {
        int type;
        int msize;
        int mflags;
        if (v2) {
          int hdr = 4 + ((flags & 0x04) != 0 ? 2 : 0);
          if (end - b.position() < hdr) {
            break; // a gap
          }
          type = b.get() & 0xff;
          msize = b.getShort() & 0xffff;
          mflags = b.get() & 0xff;
          if ((flags & 0x04) != 0) {
            b.getShort();
          }
        } else {
          if (end - b.position() < 8) {
            break;
          }
          type = b.getShort() & 0xffff;
          msize = b.getShort() & 0xffff;
          mflags = b.get() & 0xff;
          b.position(b.position() + 3);
        }
        if (msize > end - b.position()) {
          throw new H5Exception(
              "object header message of " + msize + " bytes overruns its block at " + blk[0]);
        }
        ByteBuffer data = b.slice(b.position(), msize).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + msize);
        if (type == 0x10) { // continuation
          ByteBuffer c = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
          long caddr = offset(c);
          long clen = length(c);
          if (caddr < 0 || clen < 0) {
            throw new H5Exception("object header continuation with an undefined address");
          }
          blocks.add(new long[] {caddr, clen, v2 ? 1 : 0});
        } else {
          out.add(new Message(type, mflags, data));
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // attributes

  /**
   * The values of the variable-length string attribute {@code name} of the object whose header is
   * at {@code headerAddr}: {@code expected} strings, each checked against its global heap
   * collection. {@link #DENSE} when the object keeps its attributes in dense storage.
   *
   * @throws H5Exception when the header, the attribute or a heap reference is damaged
   */
  List<String> vlenStrings(long headerAddr, String name, long expected) throws H5Exception {
    List<Message> msgs = messages(headerAddr);
    byte[] want = name.getBytes(StandardCharsets.UTF_8);
    boolean dense = false;
    for (Message m : msgs) {
      if (m.type() == 0x15) {
        dense = true; // attribute info: attributes may live in a fractal heap
      }
      if (m.type() != 0x0C) {
        continue;
      }
      try {
        List<String> v = attribute(m, want, expected);
        if (v != null) {
          return v;
        }
      } catch (RuntimeException e) {
        throw new H5Exception("damaged attribute message '" + name + "': " + e);
      }
    }
    if (dense) {
      return DENSE;
    }
    throw new H5Exception("attribute '" + name + "' is not in its object header (damaged header?)");
  }

  /** The strings of an attribute message if it is the one named {@code want}; else null. */
  private List<String> attribute(Message m, byte[] want, long expected) throws H5Exception {
    if ((m.flags() & 0x02) != 0) {
      throw new H5Exception("shared attribute messages are not supported");
    }
    ByteBuffer b = m.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int version = b.get() & 0xff;
    int aflags = b.get() & 0xff;
    int nameSize = b.getShort() & 0xffff;
    int dtSize = b.getShort() & 0xffff;
    int dsSize = b.getShort() & 0xffff;
    if (version == 3) {
      b.get(); // name encoding
    } else if (version != 1 && version != 2) {
      throw new H5Exception("attribute message version " + version);
    }
    int namePos = b.position();
    int nameLen = nameSize > 0 ? nameSize - 1 : 0; // the size counts a terminating NUL
    if (nameSize > b.remaining()) {
      throw new H5Exception("attribute name overruns its message");
    }
    boolean match = nameLen == want.length;
    for (int i = 0; match && i < nameLen; i++) {
      match = b.get(namePos + i) == want[i];
    }
    if (!match) {
      return null;
    }
    b.position(namePos + pad(nameSize, version));
    if ((aflags & 0x03) != 0) {
      throw new H5Exception("attribute with a shared datatype or dataspace is not supported");
    }
    ByteBuffer dt = b.slice(b.position(), dtSize).order(ByteOrder.LITTLE_ENDIAN);
    b.position(b.position() + pad(dtSize, version));
    ByteBuffer ds = b.slice(b.position(), dsSize).order(ByteOrder.LITTLE_ENDIAN);
    b.position(b.position() + pad(dsSize, version));
    int classAndVersion = dt.get() & 0xff;
    int cls = classAndVersion & 0x0f;
    int bits0 = dt.get() & 0xff;
    dt.get();
    dt.get();
    long elem = dt.getInt() & 0xffffffffL;
    if (cls != 9 || (bits0 & 0x0f) != 1) {
      throw new H5Exception("attribute is not a variable-length string on disk");
    }
    if (elem != 4 + so + 4) {
      throw new H5Exception(
          "variable-length string elements of " + elem + " bytes (expected " + (8 + so) + ")");
    }
    long points = points(ds);
    if (points != expected) {
      throw new H5Exception(
          "attribute holds " + points + " strings on disk, " + expected + " by its dataspace");
    }
    if (points > b.remaining() / elem) {
      throw new H5Exception("attribute data of " + points + " strings overruns its message");
    }
    List<String> out = new ArrayList<>((int) points);
    long total = 0;
    for (long i = 0; i < points; i++) {
      long len = b.getInt() & 0xffffffffL;
      long collection = offset(b);
      long index = b.getInt() & 0xffffffffL;
      total += len;
      if (total > H5Node.MAX_ATTRIBUTE_BYTES) {
        // checked before the heap object is read: docs/guarantees.md's cap holds for strings too
        throw new H5Exception(
            "attribute strings of more than the "
                + H5Node.MAX_ATTRIBUTE_BYTES
                + " bytes initkit reads");
      }
      out.add(heapString(collection, index, len));
    }
    return out;
  }

  /** Version 1 pads name, datatype and dataspace to multiples of 8; later versions do not. */
  private static int pad(int n, int version) {
    return version == 1 ? (n + 7) & ~7 : n;
  }

  /** Number of elements a dataspace message describes (1 for a scalar, 0 for a null space). */
  private long points(ByteBuffer ds) throws H5Exception {
    int version = ds.get() & 0xff;
    int rank = ds.get() & 0xff;
    ds.get(); // flags
    if (version == 1) {
      ds.get();
      ds.getInt();
    } else if (version == 2) {
      int type = ds.get() & 0xff;
      if (type == 2) {
        return 0;
      }
    } else {
      throw new H5Exception("dataspace message version " + version);
    }
    long n = 1;
    for (int i = 0; i < rank; i++) {
      long d = length(ds);
      if (d < 0) {
        throw new H5Exception("dataspace dimension beyond any file");
      }
      n = d != 0 && n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // global heap

  /** A string from a global heap object, checked: the collection and the object must be sound. */
  private String heapString(long collection, long index, long len) throws H5Exception {
    if (collection == 0 || collection == -1) {
      if (len != 0) {
        throw new H5Exception("variable-length string of " + len + " bytes with no heap object");
      }
      return "";
    }
    Map<Integer, long[]> objects = collection(collection);
    long[] obj = index > 0xffff ? null : objects.get((int) index);
    if (obj == null) {
      throw new H5Exception(
          "variable-length string refers to object "
              + index
              + " of the global heap collection at "
              + collection
              + ", which has no such object");
    }
    if (obj[1] != len) {
      throw new H5Exception(
          "variable-length string of "
              + len
              + " bytes refers to a heap object of "
              + obj[1]
              + " bytes");
    }
    ByteBuffer b = read(obj[0], len, "global heap object");
    byte[] bytes = new byte[(int) len];
    b.get(bytes);
    int n = 0;
    while (n < bytes.length && bytes[n] != 0) {
      n++; // HDF5 hands strings over as C strings: they end at the first NUL
    }
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }

  /** The objects of the global heap collection at {@code addr}: index -> {address, size}. */
  private Map<Integer, long[]> collection(long addr) throws H5Exception {
    Map<Integer, long[]> cached = collections.get(addr);
    if (cached != null) {
      return cached;
    }
    ByteBuffer h = read(addr, 8 + sl, "global heap collection");
    if (h.get() != 'G' || h.get() != 'C' || h.get() != 'O' || h.get() != 'L') {
      throw new H5Exception("no global heap collection (GCOL) at address " + addr);
    }
    int version = h.get() & 0xff;
    if (version != 1) {
      throw new H5Exception("global heap collection at " + addr + " has version " + version);
    }
    h.position(8);
    long csize = length(h);
    if (csize < 8 + sl || csize > MAX_COLLECTION_BYTES) {
      throw new H5Exception("global heap collection at " + addr + " declares " + csize + " bytes");
    }
    ByteBuffer c = read(addr, csize, "global heap collection");
    c.position(8 + sl);
    Map<Integer, long[]> objects = new HashMap<>();
    int header = 8 + sl;
    while (c.remaining() >= header) {
      int pos = c.position();
      int index = c.getShort() & 0xffff;
      c.getShort(); // reference count
      c.getInt();
      long osize = length(c);
      if (index == 0) {
        break; // free space: the rest of the collection
      }
      long padded = osize < 0 ? -1 : (osize + 7) & ~7L;
      if (osize < 0 || padded > c.remaining()) {
        throw new H5Exception(
            "global heap object "
                + index
                + " of "
                + osize
                + " bytes overruns its collection at "
                + addr);
      }
      if (objects.put(index, new long[] {addr + pos + header, osize}) != null) {
        throw new H5Exception(
            "global heap collection at " + addr + " holds object " + index + " twice");
      }
      c.position((int) (c.position() + padded));
    }
    collections.put(addr, objects);
    return objects;
  }
}
