package dev.initkit.scan;

import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.RawAttributes;
import io.jhdf.AbstractNode;
import io.jhdf.Constants;
import io.jhdf.HdfFile;
import io.jhdf.ObjectHeader;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Link;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.links.SoftLink;
import io.jhdf.object.datatype.VariableLength;
import io.jhdf.object.message.AttributeInfoMessage;
import io.jhdf.object.message.AttributeMessage;
import io.jhdf.object.message.DataLayoutMessage;
import io.jhdf.object.message.DataSpaceMessage;
import io.jhdf.object.message.DataTypeMessage;
import io.jhdf.object.message.FilterPipelineMessage;
import io.jhdf.object.message.LinkInfoMessage;
import io.jhdf.object.message.LinkMessage;
import io.jhdf.object.message.Message;
import io.jhdf.object.message.SymbolTableMessage;
import io.jhdf.storage.HdfBackingStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The HDF5 structure walk in pure Java (jhdf), tried before {@link H5Rules}' native one: it runs on
 * any number of threads at once (the native library serialises every call behind one lock), and
 * without the health rules a file it calls clean never reaches native code. It answers one
 * question, whether the file is clean by every check {@link H5Rules} and {@link
 * H5Dataset#checkStorage} make: only hard and soft links, every dataset stored in the file within
 * the same size limits, every dataset attribute readable. A file it cannot call clean, because a
 * check fails, jhdf cannot parse or does not support something (external storage, virtual datasets,
 * some datatypes), or a header could read differently in libhdf5 ({@link #ambiguous}), is walked
 * natively as before, and the native walk says what is wrong. On every test and corpus file the
 * findings are the native walk's; on damaged files the two differ only in {@code unreadable}, where
 * libhdf5 refuses damage jhdf reads past ({@code H5JavaWalkTest}).
 */
final class H5JavaWalk {
  /**
   * What the walk found.
   *
   * @param clean true when every check passed (no structure finding to report)
   * @param modelConfig the root's {@code model_config} attribute when clean and asked for, or null
   * @param why when not clean, why (for tests and debugging; never shown as a finding)
   */
  record Outcome(boolean clean, String modelConfig, String why) {
    static Outcome notClean(String why) {
      return new Outcome(false, null, why);
    }
  }

  /**
   * Whether the walk may run here. jhdf logs through SLF4J, and slf4j-api with no provider prints a
   * notice on stderr when the first logger is made; a library prints nothing, so in an application
   * that set up no SLF4J provider HDF5 files are walked natively, as before (the CLI binds
   * slf4j-nop, Spark brings its own).
   */
  static final boolean AVAILABLE =
      // a provider named outright (the CLI names slf4j-nop's) is used without a service lookup,
      // which would open every jar on the class path
      System.getProperty("slf4j.provider") != null
          || ServiceLoader.load(SLF4JServiceProvider.class, H5JavaWalk.class.getClassLoader())
              .findFirst()
              .isPresent();

  private final long fileSize;
  private final long userBlock;
  private int objects;

  private H5JavaWalk(long fileSize, long userBlock) {
    this.fileSize = fileSize;
    this.userBlock = userBlock;
  }

  /**
   * An image up to this size is read whole, in one call (most Keras files are small, and jhdf
   * reading a file piece by piece makes a system call, or a mapping, per header); a larger one is
   * mapped once, and only the metadata the walk touches is paged in.
   */
  static final long READ_WHOLE_BYTES = 1L << 20;

  /** Walks a whole HDF5 file; with {@code modelConfig}, reads the root's Keras config too. */
  static Outcome file(Path file, boolean modelConfig) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return image(ch, 0, ch.size(), modelConfig);
    } catch (IOException | RuntimeException | LinkageError e) {
      return Outcome.notClean(e.toString());
    }
  }

  /**
   * Walks an HDF5 image stored uncompressed at {@code offset} of {@code ch} (a {@code .keras}
   * archive's {@code model.weights.h5}).
   */
  static Outcome member(FileChannel ch, long offset, long size) {
    return image(ch, offset, size, false);
  }

  private static Outcome image(FileChannel ch, long offset, long size, boolean modelConfig) {
    if (size > Integer.MAX_VALUE) {
      return Outcome.notClean("over 2 GiB: one buffer cannot hold it");
    }
    try {
      ByteBuffer image;
      if (size <= READ_WHOLE_BYTES) {
        image = ByteBuffer.allocate((int) size);
        while (image.hasRemaining()) {
          if (ch.read(image, offset + image.position()) < 0) {
            return Outcome.notClean("shorter than its size");
          }
        }
        image.flip();
      } else {
        image = ch.map(FileChannel.MapMode.READ_ONLY, offset, size);
      }
      try (HdfFile f = HdfFile.fromByteBuffer(image)) {
        String config = null;
        if (modelConfig) {
          config = modelConfig(f, ch, offset, size);
          if (config == null) {
            return Outcome.notClean("model_config not read as the native path reads it");
          }
        }
        return walk(f, size, config == null || config.isEmpty() ? null : config);
      }
    } catch (IOException
        | RuntimeException
        | LinkageError
        | StackOverflowError
        | OutOfMemoryError e) {
      return Outcome.notClean(e.toString());
    }
  }

  /**
   * The root's {@code model_config}: "" when there is none, null when it is not one string read as
   * the native path reads it. A variable-length string (what Keras 3 and h5py's {@code str} write)
   * comes from {@link RawAttributes}, initkit's own checked reader of global heap references, which
   * the native path uses too: jhdf resolves them its own way, and a heap that two readers resolve
   * differently could show the scanner one config and the loader another. A fixed-length string
   * (tf.keras's {@code bytes}) has no reference to resolve.
   */
  private static String modelConfig(HdfFile f, FileChannel ch, long offset, long size) {
    Attribute a = f.getAttributes().get("model_config");
    if (a == null) {
      return "";
    }
    if (!a.isScalar()) {
      return null;
    }
    if (a.getDataType() instanceof VariableLength v && v.isVariableLengthString()) {
      HdfBackingStorage st = f.getHdfBackingStorage();
      try {
        List<String> values =
            RawAttributes.vlenStrings(
                ch,
                offset,
                size,
                f.getUserBlockSize(),
                st.getSizeOfOffsets(),
                st.getSizeOfLengths(),
                f.getAddress(),
                "model_config",
                1);
        return values == null || values.size() != 1 ? null : values.get(0);
      } catch (H5Exception e) {
        return null;
      }
    }
    return a.getData() instanceof String s ? s : null;
  }

  private static Outcome walk(HdfFile f, long fileSize, String config) {
    String why =
        ambiguous(ObjectHeader.readObjectHeader(f.getHdfBackingStorage(), f.getAddress()), "/");
    if (why == null) {
      why = new H5JavaWalk(fileSize, f.getUserBlockSize()).group(f, 0);
    }
    return why == null ? new Outcome(true, config, null) : Outcome.notClean(why);
  }

  /** Null when everything under {@code g} is clean, else why not. */
  private String group(Group g, int depth) {
    for (Node child : g.getChildren().values()) {
      if (++objects > H5Rules.MAX_OBJECTS) {
        return "more than " + H5Rules.MAX_OBJECTS + " objects";
      }
      if (child instanceof Link) {
        // a soft link names an object of this file, seen where it is; anything else (external,
        // user-defined) is the native walk's to report. Never resolved here.
        if (child instanceof SoftLink) {
          continue;
        }
        return "link " + child.getName() + " is " + child.getClass().getSimpleName();
      }
      String why = ambiguous(((AbstractNode) child).getHeader(), child.getPath());
      if (why != null) {
        return why;
      }
      if (child instanceof Group sub) {
        if (depth + 1 > H5Rules.MAX_DEPTH) {
          return "groups nested deeper than " + H5Rules.MAX_DEPTH;
        }
        why = group(sub, depth + 1);
      } else if (child instanceof Dataset d) {
        why = dataset(d);
      } else {
        why = "object " + child.getName() + " is neither a group nor a dataset";
      }
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /**
   * Why an object header could read differently in libhdf5 (what Keras loads with, through h5py)
   * than in jhdf, or null. A scanner must see what the loader sees: a header with two layouts,
   * dataspaces or datatypes, a group with both an old-style symbol table and new-style links (the
   * two libraries pick different ones), links without the link info message libhdf5 needs,
   * attributes both in the header and in dense storage, or two attributes or links of one name is
   * left to the native walk, which reads it as the loader does.
   */
  private static String ambiguous(ObjectHeader h, String where) {
    int layouts = 0;
    int spaces = 0;
    int types = 0;
    int symbolTables = 0;
    int linkInfos = 0;
    int attributeInfos = 0;
    boolean denseAttributes = false;
    Set<String> attributes = new HashSet<>();
    Set<String> links = new HashSet<>();
    for (Message m : h.getMessages()) {
      if (m instanceof DataLayoutMessage) {
        layouts++;
      } else if (m instanceof DataSpaceMessage) {
        spaces++;
      } else if (m instanceof DataTypeMessage) {
        types++;
      } else if (m instanceof SymbolTableMessage) {
        symbolTables++;
      } else if (m instanceof LinkInfoMessage) {
        linkInfos++;
      } else if (m instanceof AttributeInfoMessage a) {
        attributeInfos++;
        denseAttributes = a.getFractalHeapAddress() != Constants.UNDEFINED_ADDRESS;
      } else if (m instanceof AttributeMessage a && !attributes.add(a.getName())) {
        return where + ": two attributes named " + a.getName();
      } else if (m instanceof LinkMessage l && !links.add(l.getLinkName())) {
        return where + ": two links named " + l.getLinkName();
      }
    }
    if (layouts > 1 || spaces > 1 || types > 1 || symbolTables > 1 || linkInfos > 1) {
      return where + ": a header message repeated";
    }
    if (attributeInfos > 1 || (denseAttributes && !attributes.isEmpty())) {
      return where + ": attributes both in the header and in dense storage";
    }
    if (symbolTables > 0 && (linkInfos > 0 || !links.isEmpty())) {
      return where + ": both a symbol table and link messages";
    }
    if (!links.isEmpty() && linkInfos == 0) {
      return where + ": link messages without a link info message";
    }
    return null;
  }

  /** The checks of {@link H5Dataset#checkStorage}, on jhdf's reading of the dataset's header. */
  private String dataset(Dataset d) {
    String where = d.getPath();
    long elementSize = d.getDataType().getSize();
    long bytes;
    try {
      // declared, allocated or not (jhdf's isEmpty() says "nothing allocated"); a null dataspace
      // counts as one element, which only makes the checks stricter
      bytes = elementSize;
      for (long n : d.getDimensionsAsLong()) {
        bytes = Math.multiplyExact(bytes, n);
      }
    } catch (ArithmeticException e) {
      return where + ": size overflows";
    }
    switch (d.getDataLayout()) {
      case COMPACT:
        if (bytes > 65536) {
          return where + ": compact, " + bytes + " bytes";
        }
        break;
      case CONTIGUOUS:
        {
          if (bytes > fileSize || !(d instanceof ContiguousDataset c)) {
            return where + ": contiguous, " + bytes + " bytes";
          }
          var layout =
              ((AbstractNode) d)
                  .getHeader()
                  .getMessageOfType(DataLayoutMessage.ContiguousDataLayoutMessage.class);
          long address = c.getDataAddress();
          if (address < 0 || address == Constants.UNDEFINED_ADDRESS) {
            break; // never written: nothing stored, nothing to hold against the file
          }
          long offset = address + userBlock;
          if (bytes > 0 && (offset > fileSize || bytes > fileSize - offset)) {
            return where + ": past the end of the file";
          }
          if (layout.getSize() != bytes) {
            return where + ": stores " + layout.getSize() + " bytes for " + bytes;
          }
          break;
        }
      case CHUNKED:
        {
          if (!(d instanceof ChunkedDataset c)) {
            return where + ": chunked but not read as such";
          }
          int rank = d.isScalar() ? 0 : d.getDimensions().length;
          int[] chunk = c.getChunkDimensions();
          long chunkBytes = elementSize;
          for (int i = 0; i < Math.min(Math.max(1, rank), chunk.length); i++) {
            if (chunk[i] <= 0) {
              return where + ": chunk dimension " + chunk[i];
            }
            chunkBytes = Math.min(Long.MAX_VALUE / 2, chunkBytes * chunk[i]);
          }
          if (chunkBytes > H5Dataset.MAX_CHUNK_BYTES) {
            return where + ": chunks of " + chunkBytes + " bytes";
          }
          // from the header's pipeline message, as H5Pget_nfilters reads it: jhdf's getFilters()
          // loads its filter implementations, LZF and LZ4 among them, which are left out
          boolean filtered =
              ((AbstractNode) d)
                  .getHeader().getMessagesOfType(FilterPipelineMessage.class).stream()
                      .anyMatch(m -> !m.getFilters().isEmpty());
          if (bytes > H5Dataset.chunkedDataLimit(fileSize, filtered) + chunkBytes) {
            return where + ": declares " + bytes + " bytes";
          }
          break;
        }
      default:
        return where + ": layout " + d.getDataLayout();
    }
    // the native check reads every attribute of the dataset
    for (Attribute a : d.getAttributes().values()) {
      a.getData();
    }
    return null;
  }
}
