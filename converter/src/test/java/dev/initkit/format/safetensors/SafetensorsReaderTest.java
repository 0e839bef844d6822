package dev.initkit.format.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Detection;
import dev.initkit.format.Format;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Weight;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors reader against files the reference library wrote ({@code
 * testdata/generate_safetensors.py}, safetensors 0.8.0), and against damaged files.
 */
class SafetensorsReaderTest {

  private static final String JSON_BYTES = "0123456789{}[],:\"-eE.";

  static Path dir() {
    return TestFiles.testdata().resolve("safetensors");
  }

  /** Every tensor reads back as the bytes the Python handed to the reference writer. */
  @TestFactory
  Stream<DynamicTest> everyTensorMatchesWhatPythonWrote() {
    return Stream.of(
            "dtypes.safetensors",
            "bf16.safetensors",
            "lowp.safetensors",
            "f6.safetensors",
            "f8_e4m3.safetensors",
            "f8_e5m2.safetensors",
            "sharded/model.safetensors.index.json")
        .map(
            name -> DynamicTest.dynamicTest(name, () -> checkAgainstExpected(dir().resolve(name))));
  }

  /** Compares every tensor of {@code file} with its {@code .expected.json}; returns the count. */
  static int checkAgainstExpected(Path file) throws IOException {
    JsonNode expected =
        TestFiles.JSON.readTree(
            file.resolveSibling(file.getFileName() + ".expected.json").toFile());
    try (OwnedModel m = ModelIO.open(file)) {
      assertEquals("safetensors", m.model().sourceFormat());
      assertTrue(m.model().config().isEmpty());
      List<Weight> weights = m.model().layerWeights();
      assertEquals(expected.size(), weights.size(), "tensor count of " + file);
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        Weight w = byKey(weights, e.getKey());
        JsonNode t = e.getValue();
        String code = w.stored() != null ? w.stored().code() : SafetensorsDTypes.code(w.dtype());
        assertEquals(t.get("dtype").asText(), code, e.getKey());
        long[] shape = new long[t.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.get("shape").get(i).asLong();
        }
        assertArrayEquals(shape, w.shape().dims(), e.getKey());
        assertEquals(t.get("hex").asText().length() / 2, w.storedByteSize(), e.getKey());
        if (w.stored() == null) {
          assertArrayEquals(
              HexFormat.of().parseHex(t.get("hex").asText()), TestFiles.bytes(m, w), e.getKey());
        } else if (w.stored().decoded()) {
          assertEquals(DType.FLOAT32, w.dtype(), e.getKey());
          // ml_dtypes' float32 decode, when Python wrote one; f8_e4m3/f8_e5m2 have the codes only
          if (t.has("float32_hex")) {
            assertSameFloats(
                HexFormat.of().parseHex(t.get("float32_hex").asText()),
                TestFiles.bytes(m, w),
                file.getFileName() + " " + e.getKey());
          }
        } else {
          UnsupportedModelException u =
              assertThrows(UnsupportedModelException.class, () -> TestFiles.bytes(m, w));
          assertEquals(e.getKey(), u.location());
          assertTrue(u.getMessage().contains(code), u.getMessage());
        }
      }
      return weights.size();
    }
  }

  /**
   * Little-endian float32 arrays equal bit for bit, except that a NaN equals any NaN (ml_dtypes and
   * initkit need not agree on a NaN's payload or sign).
   */
  static void assertSameFloats(byte[] expected, byte[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    ByteBuffer x = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer y = ByteBuffer.wrap(actual).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < expected.length / 4; i++) {
      float a = x.getFloat(i * 4);
      float b = y.getFloat(i * 4);
      if (Float.isNaN(a)) {
        assertTrue(Float.isNaN(b), what + " element " + i + ": expected NaN, read " + b);
      } else {
        assertEquals(
            Float.floatToRawIntBits(a),
            Float.floatToRawIntBits(b),
            what + " element " + i + ": expected " + a + ", read " + b);
      }
    }
  }

  static Weight byKey(List<Weight> weights, String key) {
    return weights.stream()
        .filter(w -> w.key().equals(key))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no weight with key " + key));
  }

  @Test
  void detectsByContentAndNamesTheFormat() throws IOException {
    Path renamed = Files.createTempFile("no-extension", ".bin");
    try {
      Files.copy(
          dir().resolve("dtypes.safetensors"),
          renamed,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Detection d = ModelIO.detect(renamed);
      assertEquals(Detection.Kind.SAFETENSORS, d.kind());
      assertEquals(Format.SAFETENSORS, d.format());
    } finally {
      Files.delete(renamed);
    }
    Detection idx = ModelIO.detect(dir().resolve("sharded/model.safetensors.index.json"));
    assertEquals(Detection.Kind.SAFETENSORS_INDEX, idx.kind());
    // a Keras 3 sharded manifest (weight_map of arrays) stays what it was
    Path keras = TestFiles.testdata().resolve("models/conv1d/keras3_sharded.weights.json");
    if (Files.exists(keras)) {
      assertEquals(Detection.Kind.SHARDED_WEIGHTS_JSON, ModelIO.detect(keras).kind());
    }
    assertEquals(Format.SAFETENSORS, Format.fromFileName(Path.of("x.safetensors")).orElseThrow());
    assertEquals(Format.SAFETENSORS, Format.parse("safetensors"));
  }

  /**
   * One layer per prefix, in file order (by data offset); the weight's key is the full tensor key,
   * its name {@code prefix/last}; the metadata is kept.
   */
  @Test
  void groupsTensorsIntoLayersByPrefixInFileOrder() throws IOException {
    Path file = dir().resolve("dtypes.safetensors");
    List<String> fileOrder = headerKeysByOffset(file);
    try (OwnedModel m = ModelIO.open(file)) {
      // layers in the order of their first tensor, each with its tensors in file order
      Map<String, List<String>> grouped = new java.util.LinkedHashMap<>();
      for (String k : fileOrder) {
        String prefix = k.contains(".") ? k.substring(0, k.lastIndexOf('.')) : k;
        grouped.computeIfAbsent(prefix, x -> new ArrayList<>()).add(k);
      }
      assertEquals(
          new ArrayList<>(grouped.keySet()), m.model().layers().stream().map(Layer::name).toList());
      for (Layer l : m.model().layers()) {
        assertEquals(grouped.get(l.name()), l.weights().stream().map(Weight::key).toList());
      }
      Layer q =
          m.model().layers().stream()
              .filter(l -> l.name().equals("encoder.layer.0.attention.self.query"))
              .findFirst()
              .orElseThrow();
      assertEquals(2, q.weights().size());
      for (Weight w : q.weights()) {
        assertEquals("encoder.layer.0.attention.self.query/" + w.shortName(), w.name());
        assertEquals("encoder.layer.0.attention.self.query." + w.shortName(), w.key());
      }
      Layer scalar =
          m.model().layers().stream()
              .filter(l -> l.name().equals("scalar"))
              .findFirst()
              .orElseThrow();
      assertEquals("scalar", scalar.weights().get(0).name());
      assertEquals(0, scalar.weights().get(0).shape().rank());
      Weight empty = byKey(m.model().layerWeights(), "empty.weight");
      assertEquals(0, empty.byteSize());
      JsonNode meta = TestFiles.JSON.readTree(m.model().metadata().get("__metadata__"));
      assertEquals("pt", meta.get("format").asText());
      assertEquals("testdata/generate_safetensors.py", meta.get("written_by").asText());
    }
  }

  /** The tensor keys of a file's header, ordered by where their data lies. */
  static List<String> headerKeysByOffset(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode h = TestFiles.JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
    List<Map.Entry<String, Long>> keys = new ArrayList<>();
    h.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("__metadata__")) {
                keys.add(Map.entry(e.getKey(), e.getValue().get("data_offsets").get(0).asLong()));
              }
            });
    keys.sort(Map.Entry.comparingByValue()); // stable: header order for equal offsets
    return keys.stream().map(Map.Entry::getKey).toList();
  }

  @Test
  void readsRowsWhereTheyLieAndRefusesAfterClose() throws IOException {
    Path file = dir().resolve("dtypes.safetensors");
    OwnedModel m = ModelIO.open(file);
    Weight w = byKey(m.model().layerWeights(), "embeddings.word_embeddings.weight");
    byte[] all = TestFiles.bytes(m, w);
    ByteBuffer row = ByteBuffer.allocate(16);
    m.tensors().readRows(w, 1, 1, row);
    assertArrayEquals(java.util.Arrays.copyOfRange(all, 16, 32), row.array());
    var tensors = m.tensors();
    m.close();
    m.close(); // harmless
    assertThrows(
        IllegalStateException.class, () -> tensors.readRows(w, 0, 1, ByteBuffer.allocate(16)));
    assertThrows(IllegalStateException.class, m::tensors);
  }

  /**
   * Every code the format defines is read: the low-precision floats as float32 weights naming their
   * code, C64 listed with its shape. The values are checked against ml_dtypes by {@link
   * #everyTensorMatchesWhatPythonWrote}; here the known values of the small float8 fixture.
   */
  @Test
  void everyDefinedDtypeIsRead() throws IOException {
    try (OwnedModel m = ModelIO.open(dir().resolve("f8_e4m3.safetensors"))) {
      Weight w = byKey(m.model().layerWeights(), "quant.kernel");
      assertEquals("F8_E4M3", w.stored().code());
      assertEquals("float8_e4m3fn", w.dtypeName());
      assertEquals(4, w.storedByteSize());
      assertEquals(16, w.byteSize());
      // 0x38 0x40 0xB8 0x00
      assertSameFloats(floats(1f, 2f, -1f, 0f), TestFiles.bytes(m, w), "quant.kernel");
    }
    try (OwnedModel m = ModelIO.open(dir().resolve("lowp.safetensors"))) {
      List<String> codes = new ArrayList<>();
      for (Weight w : m.model().layerWeights()) {
        codes.add(w.stored().code());
      }
      assertEquals(
          List.of("C64", "F8_E5M2FNUZ", "F8_E4M3FNUZ", "F8_E8M0", "F8_E4M3", "F8_E5M2", "F4"),
          codes);
      Weight c64 = byKey(m.model().layerWeights(), "complex.c64");
      assertEquals("complex64", c64.dtypeName());
      assertEquals(24, c64.storedByteSize());
      assertFalse(c64.stored().decoded());
    }
  }

  /** Rows read one at a time, from any row on, decode as the whole tensor does (F6 mid-byte). */
  @Test
  void rowsOfSubByteTensorsReadFromAnyRow() throws IOException {
    for (String f : List.of("f6.safetensors", "lowp.safetensors")) {
      try (OwnedModel m = ModelIO.open(dir().resolve(f))) {
        for (Weight w : m.model().layerWeights()) {
          if (w.stored() != null && !w.stored().decoded()) {
            continue;
          }
          byte[] whole = TestFiles.bytes(m, w);
          long rows = w.shape().dim(0);
          int rowBytes = (int) (w.byteSize() / rows);
          for (long r = 0; r < rows; r++) {
            ByteBuffer one = ByteBuffer.allocate(rowBytes);
            m.tensors().readRows(w, r, 1, one);
            assertArrayEquals(
                java.util.Arrays.copyOfRange(
                    whole, (int) (r * rowBytes), (int) ((r + 1) * rowBytes)),
                one.array(),
                w.key() + " row " + r);
          }
        }
      }
    }
  }

  /** An F4 tensor of one value a row: every other row starts in a byte's high nibble. */
  @Test
  void f4RowsStartingMidByte(@TempDir Path tmp) throws IOException {
    Path f =
        craft(
            tmp,
            "f4.safetensors",
            "{\"t.f4\":{\"dtype\":\"F4\",\"shape\":[4,1],\"data_offsets\":[0,2]}}",
            0);
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length + 2));
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.seek(b.length);
      r.write(new byte[] {(byte) 0x21, (byte) 0xc3}); // codes 1, 2, 3, 0xc (-2.0)
    }
    try (OwnedModel m = ModelIO.open(f)) {
      Weight w = m.model().layerWeights().get(0);
      float[] want = {0.5f, 1f, 1.5f, -2f};
      for (int row = 0; row < 4; row++) {
        ByteBuffer one = ByteBuffer.allocate(4);
        m.tensors().readRows(w, row, 1, one);
        assertSameFloats(floats(want[row]), one.array(), "row " + row);
      }
      ByteBuffer two = ByteBuffer.allocate(8);
      m.tensors().readRows(w, 1, 2, two);
      assertSameFloats(floats(1f, 1.5f), two.array(), "rows 1-2");
    }
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  /**
   * F4 and F6 are sized in bits, as the reference library does: values that do not fill whole
   * bytes, a byte count that is not the shape's, and a cut file are refused in one line naming the
   * file and the tensor.
   */
  @Test
  void misSizedSubByteTensorsAreRefused(@TempDir Path tmp) throws IOException {
    String odd = "{\"t.f4\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}";
    assertTrue(
        refused(MalformedModelException.class, craft(tmp, "odd.safetensors", odd, 2), "t.f4/shape")
            .getMessage()
            .contains("do not fill whole bytes"));
    String six = "{\"t.f6\":{\"dtype\":\"F6_E2M3\",\"shape\":[2],\"data_offsets\":[0,2]}}";
    refused(MalformedModelException.class, craft(tmp, "six.safetensors", six, 2), "t.f6/shape");
    String wide = "{\"t.f4\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,4]}}";
    assertTrue(
        refused(
                MalformedModelException.class,
                craft(tmp, "wide.safetensors", wide, 4),
                "t.f4/data_offsets")
            .getMessage()
            .contains("holds 4 bytes, but shape (4,) of F4 needs 2"));
    String f6 = "{\"t.f6\":{\"dtype\":\"F6_E3M2\",\"shape\":[2,4],\"data_offsets\":[0,8]}}";
    assertTrue(
        refused(
                MalformedModelException.class,
                craft(tmp, "f6.safetensors", f6, 8),
                "t.f6/data_offsets")
            .getMessage()
            .contains("needs 6"));
    // the committed F6 file cut inside its last tensor
    byte[] all = Files.readAllBytes(dir().resolve("f6.safetensors"));
    Path cut = tmp.resolve("cut-f6.safetensors");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length - 5));
    assertTrue(
        refused(MalformedModelException.class, cut, "all.f6_e3m2/data_offsets")
            .getMessage()
            .contains("beyond the data section"));
  }

  // ---------------------------------------------------------------------------------------------
  // damaged files

  /** A file of this header (padded to 8 bytes) and {@code dataBytes} zero bytes. */
  static Path craft(Path dir, String name, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(json);
    while (b.position() < 8 + padded) {
      b.put((byte) ' ');
    }
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  static <T extends ModelFormatException> T refused(Class<T> type, Path file, String location) {
    T e = assertThrows(type, () -> ModelIO.open(file).close());
    assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
    assertEquals(location, e.location(), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e;
  }

  @Test
  void truncatedFiles(@TempDir Path tmp) throws IOException {
    byte[] all = Files.readAllBytes(dir().resolve("dtypes.safetensors"));
    Path cutData = tmp.resolve("cut-data.safetensors");
    Files.write(cutData, java.util.Arrays.copyOf(all, all.length - 10));
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> ModelIO.open(cutData).close());
    assertTrue(e.location().endsWith("/data_offsets"), e.getMessage());
    assertTrue(e.getMessage().contains("beyond the data section"), e.getMessage());
    Path cutHeader = tmp.resolve("cut-header.safetensors");
    Files.write(cutHeader, java.util.Arrays.copyOf(all, 100));
    assertTrue(
        refused(MalformedModelException.class, cutHeader, "header")
            .getMessage()
            .contains("exceeds the 92 bytes after it"));
  }

  @Test
  void headerLengthBeyondTheFileOrTheCap(@TempDir Path tmp) throws IOException {
    Path beyond = craft(tmp, "beyond.safetensors", "{}", 0);
    try (RandomAccessFile f = new RandomAccessFile(beyond.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0});
    }
    refused(MalformedModelException.class, beyond, "header");
    // a sparse file larger than the cap, whose header claims more than the cap
    Path huge = tmp.resolve("huge.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
      ByteBuffer b = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(SafetensorsHeader.MAX_HEADER_BYTES + 1).put((byte) '{');
      f.write(b.array());
      f.setLength(SafetensorsHeader.MAX_HEADER_BYTES + 64);
    }
    assertTrue(
        refused(MalformedModelException.class, huge, "header")
            .getMessage()
            .contains("exceeds initkit's limit of 100000000 bytes"));
  }

  @Test
  void badJson(@TempDir Path tmp) throws IOException {
    Path p = craft(tmp, "json.safetensors", "{\"a\": {\"dtype\": \"F32\",", 0);
    assertTrue(
        refused(MalformedModelException.class, p, "header").getMessage().contains("invalid JSON"));
    Path dup =
        craft(
            tmp,
            "dup.safetensors",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
            2);
    refused(MalformedModelException.class, dup, "header");
    Path meta = craft(tmp, "meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0);
    refused(MalformedModelException.class, meta, "__metadata__/k");
    Path missing = craft(tmp, "missing.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1);
    refused(MalformedModelException.class, missing, "a/data_offsets");
  }

  @Test
  void offsetsOutOfBoundsOverlappingOrMisSized(@TempDir Path tmp) throws IOException {
    Path oob =
        craft(
            tmp,
            "oob.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            4);
    assertTrue(
        refused(MalformedModelException.class, oob, "w/data_offsets")
            .getMessage()
            .contains("beyond the data section of 4 bytes"));
    Path reversed =
        craft(
            tmp,
            "rev.safetensors",
            "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}",
            4);
    refused(MalformedModelException.class, reversed, "w/data_offsets");
    Path overlap =
        craft(
            tmp,
            "overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12);
    assertTrue(
        refused(MalformedModelException.class, overlap, "b/data_offsets")
            .getMessage()
            .contains("overlap tensor a"));
    Path size =
        craft(
            tmp,
            "size.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
            8);
    assertTrue(
        refused(MalformedModelException.class, size, "w/data_offsets")
            .getMessage()
            .contains("needs 12"));
    Path hole =
        craft(
            tmp,
            "hole.safetensors",
            "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
            4);
    refused(MalformedModelException.class, hole, "w/data_offsets");
    Path negative =
        craft(
            tmp,
            "neg.safetensors",
            "{\"w\":{\"dtype\":\"U8\",\"shape\":[-2],\"data_offsets\":[0,2]}}",
            2);
    refused(MalformedModelException.class, negative, "w/shape");
  }

  @Test
  void unknownDtypeIsMalformed(@TempDir Path tmp) throws IOException {
    Path p =
        craft(
            tmp,
            "dtype.safetensors",
            "{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}",
            1);
    assertTrue(refused(MalformedModelException.class, p, "w/dtype").getMessage().contains("'Q7'"));
  }

  @Test
  void shardsMustLieBesideTheIndexAndHoldTheirKeys(@TempDir Path tmp) throws IOException {
    Path sub = Files.createDirectories(tmp.resolve("ckpt"));
    Files.copy(
        dir().resolve("sharded/model-00001-of-00002.safetensors"),
        sub.resolve("model-00001-of-00002.safetensors"));
    Files.copy(
        dir().resolve("sharded/model-00001-of-00002.safetensors"),
        tmp.resolve("outside.safetensors"));
    for (String shard :
        List.of(
            "../outside.safetensors",
            tmp.resolve("outside.safetensors").toString(),
            "sub/x.safetensors")) {
      Path index = index(sub, Map.of("conv1.weight", shard));
      MalformedModelException e =
          refused(MalformedModelException.class, index, "/weight_map/conv1.weight");
      assertTrue(e.getMessage().contains("not a file name beside the index"), e.getMessage());
    }
    Path missing = index(sub, Map.of("conv1.weight", "model-00009-of-00009.safetensors"));
    assertTrue(
        refused(MalformedModelException.class, missing, "/weight_map/conv1.weight")
            .getMessage()
            .contains("is missing"));
    // the shard holds conv1.bias and bn1.running_mean too, which this index does not list
    Path unlisted = index(sub, Map.of("conv1.weight", "model-00001-of-00002.safetensors"));
    MalformedModelException e =
        assertThrows(MalformedModelException.class, () -> ModelIO.open(unlisted));
    assertTrue(e.getMessage().contains("not listed in the index"), e.getMessage());
    Path absent =
        index(
            sub,
            Map.of(
                "conv1.weight", "model-00001-of-00002.safetensors",
                "conv1.bias", "model-00001-of-00002.safetensors",
                "bn1.running_mean", "model-00001-of-00002.safetensors",
                "fc.weight", "model-00001-of-00002.safetensors"));
    assertTrue(
        refused(MalformedModelException.class, absent, "/weight_map/fc.weight")
            .getMessage()
            .contains("holds no tensor of this name"));
  }

  /**
   * A thousand random byte changes in the header and its length, each read in full: every one reads
   * or is refused with a format error (never another exception, a hang or a huge allocation).
   */
  @Test
  void mutatedHeadersGiveFormatErrorsOnly(@TempDir Path tmp) throws IOException {
    byte[] seed = Files.readAllBytes(dir().resolve("dtypes.safetensors"));
    int headerEnd = 8 + (int) ByteBuffer.wrap(seed, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    java.util.Random rng = new java.util.Random(22);
    int refused = 0;
    for (int i = 0; i < 1000; i++) {
      byte[] b = seed.clone();
      for (int k = 1 + rng.nextInt(3); k > 0; k--) {
        int at = rng.nextInt(headerEnd);
        b[at] =
            rng.nextBoolean()
                ? (byte) rng.nextInt(256)
                : (byte) JSON_BYTES.charAt(rng.nextInt(JSON_BYTES.length()));
      }
      Path p = tmp.resolve("m" + i + ".safetensors");
      Files.write(p, b);
      try (OwnedModel m = ModelIO.open(p)) {
        for (Weight w : m.model().layerWeights()) {
          TestFiles.bytes(m, w);
        }
      } catch (ModelFormatException e) {
        refused++;
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
      }
      Files.delete(p);
    }
    assertTrue(refused > 500, "refused " + refused);
  }

  static Path index(Path dir, Map<String, String> weightMap) throws IOException {
    var root = TestFiles.JSON.createObjectNode();
    var map = root.putObject("weight_map");
    new java.util.TreeMap<>(weightMap).forEach(map::put);
    Path p = dir.resolve("model.safetensors.index.json");
    Files.writeString(p, TestFiles.JSON.writeValueAsString(root));
    return p;
  }
}
