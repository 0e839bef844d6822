package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inspect}, {@code convert} and {@code transplant} with safetensors files, black-box. */
class SafetensorsCommandsTest {

  static Path fixture(String name) {
    return Cli.testdata().resolve("safetensors").resolve(name);
  }

  @Test
  void inspectShowsTensorsDtypesShapesAndMetadata() {
    Cli.Result r = Cli.run("inspect", fixture("dtypes.safetensors")).assertExit(0);
    assertTrue(r.out().contains("safetensors (safetensors tensors, single file)"), r.out());
    assertTrue(r.out().contains("no config (safetensors holds tensors only)"), r.out());
    assertTrue(r.out().contains("\"format\":\"pt\""), r.out());
    assertTrue(r.out().contains("encoder.layer.0.attention.self.query/weight"), r.out());
    assertTrue(r.out().contains("(3,)    uint64"), r.out());

    JsonNode doc =
        Cli.run("inspect", "--json", fixture("sharded/model.safetensors.index.json"))
            .assertExit(0)
            .json();
    assertEquals("safetensors", doc.get("format").asText());
    assertEquals("safetensors-index", doc.get("container").asText());
    assertEquals(6, doc.get("totals").get("weights").asInt());
    // conv1.weight (4,3,3,3)=108, conv1.bias 4, bn1.running_mean 4, num_batches_tracked 1, fc 20+5
    assertEquals(142, doc.get("totals").get("params").asLong());
    // the index's own total_size (written by the generator) is the bytes initkit counts
    assertEquals(
        doc.get("totals").get("bytes").asLong(),
        doc.get("metadata").get("index.metadata").get("total_size").asLong());
  }

  @Test
  void damagedFilesExit3WithOneLineNamingFileAndField(@TempDir Path tmp) throws IOException {
    byte[] all = Files.readAllBytes(fixture("dtypes.safetensors"));
    Path cut = tmp.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(all, all.length - 4));
    String line = Cli.run("inspect", cut).assertExit(ExitCodes.MALFORMED).assertOneErrorLine();
    assertTrue(line.contains(cut.toString()) && line.contains("/data_offsets"), line);

    Path dtype = tmp.resolve("dtype.safetensors");
    Files.write(dtype, craft("{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
    line = Cli.run("inspect", dtype).assertExit(ExitCodes.MALFORMED).assertOneErrorLine();
    assertTrue(line.contains("w/dtype") && line.contains("Q7"), line);
    JsonNode error =
        Cli.run("inspect", "--json", dtype)
            .assertExit(ExitCodes.MALFORMED)
            .assertJsonError(3, "malformed");
    assertEquals("w/dtype", error.get("location").asText());

    Path index = tmp.resolve("model.safetensors.index.json");
    Files.writeString(index, "{\"weight_map\":{\"a.b\":\"../secret.safetensors\"}}");
    line =
        Cli.run("convert", index, "-o", tmp.resolve("o.safetensors"))
            .assertExit(3)
            .assertOneErrorLine();
    assertTrue(line.contains("/weight_map/a.b") && line.contains("../secret.safetensors"), line);
    assertFalse(Files.exists(tmp.resolve("o.safetensors")));
  }

  /**
   * Every dtype the format defines is listed by inspect under its safetensors code (text) and its
   * ml_dtypes name plus the code (--json), with the shape and the bytes it takes in the file.
   */
  @Test
  void inspectListsEveryDefinedDtype() {
    String text = Cli.run("inspect", fixture("lowp.safetensors")).assertExit(0).out();
    for (String code :
        List.of("F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F4", "C64")) {
      assertTrue(text.contains(" " + code + " "), code + " in\n" + text);
    }
    assertTrue(
        Cli.run("inspect", fixture("f6.safetensors")).assertExit(0).out().contains("F6_E3M2"));
    JsonNode doc = Cli.run("inspect", "--json", fixture("f6.safetensors")).assertExit(0).json();
    JsonNode w = null;
    for (JsonNode l : doc.get("layers")) {
      for (JsonNode x : l.get("weights")) {
        if (x.get("key").asText().equals("all.f6_e2m3")) {
          w = x;
        }
      }
    }
    assertEquals("float6_e2m3fn", w.get("dtype").asText(), doc.toString());
    assertEquals("F6_E2M3", w.get("stored_dtype").asText());
    assertEquals("[32,2]", w.get("shape").toString());
    assertEquals(48, w.get("bytes").asLong());
  }

  /**
   * A complex tensor has no Keras weight dtype: converting a file that holds one exits 4 in one
   * line naming the file, the tensor and the dtype, and writes nothing; a float8 one converts as
   * float32.
   */
  @Test
  void convertRefusesC64AndWidensFloat8(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("x.safetensors");
    String line =
        Cli.run("convert", fixture("lowp.safetensors"), "-o", out)
            .assertExit(ExitCodes.UNSUPPORTED)
            .assertOneErrorLine();
    assertTrue(
        line.contains("lowp.safetensors") && line.contains("complex.c64") && line.contains("C64"),
        line);
    assertFalse(Files.exists(out));
    Cli.run("convert", fixture("f8_e5m2.safetensors"), "-o", out).assertExit(0);
    JsonNode back = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertTrue(back.toString().contains("\"dtype\":\"float32\""), back.toString());
    assertFalse(back.toString().contains("stored_dtype"), back.toString());
  }

  @Test
  void convertWritesWeightsOnlyWithANote(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("mlp.safetensors");
    Cli.Result r = Cli.run("convert", Cli.model("mlp", "keras3.keras"), "-o", out).assertExit(0);
    assertTrue(r.err().startsWith("wrote " + out + " (safetensors, "), r.err());
    assertTrue(r.err().contains("note: safetensors holds tensors only"), r.err());
    Path named = tmp.resolve("weights.bin");
    JsonNode doc =
        Cli.run(
                "convert",
                "--json",
                Cli.model("mlp", "tfkeras.h5"),
                "--to",
                "safetensors",
                "-o",
                named)
            .assertExit(0)
            .json();
    assertEquals("safetensors", doc.get("format").asText());
    JsonNode back = Cli.run("inspect", "--json", named).assertExit(0).json();
    assertEquals(10, back.get("totals").get("weights").asInt());
    assertTrue(back.toString().contains("\"dense_relu/kernel\""), back.toString());
  }

  /** What HDF5 or a .keras archive cannot hold is refused before anything is written. */
  @Test
  void convertFromSafetensorsRefusesWhatTheTargetCannotHold(@TempDir Path tmp) {
    Path h5 = tmp.resolve("x.h5");
    String line =
        Cli.run("convert", fixture("dtypes.safetensors"), "-o", h5)
            .assertExit(ExitCodes.UNSUPPORTED)
            .assertOneErrorLine();
    assertTrue(line.contains("flags.bool") && line.contains("bool tensor"), line);
    Path keras = tmp.resolve("x.keras");
    line =
        Cli.run("convert", fixture("bf16.safetensors"), "-o", keras)
            .assertExit(ExitCodes.UNSUPPORTED)
            .assertOneErrorLine();
    assertTrue(line.contains("safetensors file holds tensors only"), line);
    assertFalse(Files.exists(h5) || Files.exists(keras));
  }

  /** A key starting with a dot has an empty prefix, which legacy HDF5 cannot name a group. */
  @Test
  void anEmptyPrefixIsRefusedForLegacyHdf5(@TempDir Path tmp) throws IOException {
    Path in = tmp.resolve("dot.safetensors");
    Files.write(in, craft("{\".w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
    Path h5 = tmp.resolve("x.h5");
    String line =
        Cli.run("convert", in, "-o", h5).assertExit(ExitCodes.UNSUPPORTED).assertOneErrorLine();
    assertTrue(line.contains(": .w: layer name ''"), line);
    assertFalse(Files.exists(h5));
    Cli.run("convert", in, "-o", tmp.resolve("x.safetensors")).assertExit(0);
  }

  /**
   * Transplant from safetensors goes through the name matcher: nothing matches, exit 6, no output.
   */
  @Test
  void transplantFromSafetensorsReportsTheUnmatchedNames(@TempDir Path tmp) {
    Path out = tmp.resolve("t.keras");
    String line =
        Cli.run(
                "transplant",
                "--from",
                fixture("sharded/model.safetensors.index.json"),
                "--to",
                Cli.model("conv2d", "keras3.keras"),
                "-o",
                out)
            .assertExit(ExitCodes.CHECK_FAILED)
            .errLines()
            .get(0);
    assertTrue(line.contains("no target layer matched a source layer by name"), line);
    assertTrue(line.contains("bn1, conv1, fc"), line);
    assertFalse(Files.exists(out));
  }

  static byte[] craft(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(padded).put(json);
    while (b.position() < 8 + padded) {
      b.put((byte) ' ');
    }
    return b.array();
  }
}
