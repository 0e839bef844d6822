package dev.initkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.OutputExistsException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.cli.ExceptionMapper.Failure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExceptionMapperTest {

  @Test
  void formatErrorsKeepFileAndLocation() {
    Failure f =
        ExceptionMapper.describe(
            new MalformedModelException(Path.of("m.h5"), "/model_weights", "missing"));
    assertEquals(3, f.code());
    assertEquals("malformed", f.kind());
    assertEquals("m.h5: /model_weights: missing", f.message());
    assertEquals("m.h5", f.file());
    assertEquals("/model_weights", f.location());
  }

  @Test
  void unsupportedIsFour() {
    Failure f = ExceptionMapper.describe(new UnsupportedModelException(Path.of("m"), "", "no"));
    assertEquals(4, f.code());
    assertEquals("unsupported", f.kind());
    assertNull(f.location());
  }

  @Test
  void otherFormatErrorsAreMalformed() {
    assertEquals(3, ExceptionMapper.describe(new ModelFormatException(null, null, "x")).code());
  }

  @Test
  void fileSystemErrorsSayWhatHappened() {
    assertEquals(
        "a: no such file or directory",
        ExceptionMapper.describe(new NoSuchFileException("a")).message());
    assertEquals(
        "a: permission denied", ExceptionMapper.describe(new AccessDeniedException("a")).message());
    Failure exists = ExceptionMapper.describe(new FileAlreadyExistsException("a"));
    assertEquals(5, exists.code());
    assertEquals("a: already exists; use --force to overwrite it", exists.message());
    assertEquals("a", exists.file());
  }

  /** The library names its settings; the command line says which flag sets them. */
  @Test
  void libraryHintsBecomeFlags() {
    Failure exists =
        ExceptionMapper.describe(
            new OutputExistsException(
                "a",
                OutputExistsException.Reason.OVERWRITE_OFF,
                "already exists; use WriteOptions.overwrite to overwrite it"));
    assertEquals(5, exists.code());
    assertEquals("a: already exists; use --force to overwrite it", exists.message());
    Failure config =
        ExceptionMapper.describe(
            new UnsupportedModelException(
                Path.of("w.h5"),
                "",
                "pass the architecture JSON with ReadOptions.config",
                Hint.ARCHITECTURE_CONFIG));
    assertEquals(4, config.code());
    assertEquals("w.h5: pass the architecture JSON with --config", config.message());
    assertEquals(
        "try --match structure (2 layers would pair) or --match order, or give --map FILE",
        ExceptionMapper.respell(
            "try MatchStrategy.STRUCTURE (2 layers would pair) or MatchStrategy.ORDER, or give"
                + " TransplantOptions.mapping",
            List.of(Hint.MATCH_STRUCTURE, Hint.MATCH_ORDER, Hint.LAYER_MAPPING)));
    // a name the exception does not list stays as it is
    assertEquals(
        "see ReadOptions.config", ExceptionMapper.respell("see ReadOptions.config", List.of()));
  }

  @Test
  void ioErrorsAreFiveAlsoWhenWrapped() {
    Failure f =
        ExceptionMapper.describe(
            new UncheckedIOException(new IOException("No space left on device")));
    assertEquals(5, f.code());
    assertEquals("io", f.kind());
    assertEquals("No space left on device", f.message());
  }

  @Test
  void misuseIsAUsageError() {
    assertEquals(2, ExceptionMapper.describe(new IllegalArgumentException("same file")).code());
  }

  @Test
  void everythingElseIsInternal() {
    assertEquals(1, ExceptionMapper.describe(new NullPointerException()).code());
    assertEquals(1, ExceptionMapper.describe(new StackOverflowError()).code());
    assertEquals(1, ExceptionMapper.describe(new OutOfMemoryError()).code());
  }

  @Test
  void messagesAreOneLine() {
    Failure f = ExceptionMapper.describe(new IOException("first\r\n  second\n\tthird"));
    assertEquals("first second third", f.message());
  }

  @Test
  void libraryWordsInPlanTextsNotesAndWorkerMessagesBecomeTheFlagsUsersKnow() {
    String[][] cases = {
      {
        "(input channels 3 -> 1: Adaptations.inputChannels adapts them)",
        "(input channels 3 -> 1: --adapt input-channels adapts them)"
      },
      {"(Adaptations.head = HeadMode.KEEP or HeadMode.FRESH)", "(--adapt head=keep or head=fresh)"},
      {
        ": head drawn fresh (Adaptations.head = HeadMode.FRESH)",
        ": head drawn fresh (--adapt head=fresh)"
      },
      {
        "(recurrent: Adaptations.gates resizes it gate by gate)",
        "(recurrent: --adapt gates resizes it gate by gate)"
      },
      {"(Adaptations.units slices or pads it)", "(--adapt units slices or pads it)"},
      {
        "TransplantOptions.freeze class:X selects no transplanted layer",
        "--freeze class:X selects no transplanted layer"
      },
      {"only Reinitializer.apply draws Sinusoidal values", "only --reinit draws Sinusoidal values"},
      {
        "ConfigRewriter.rewrite needs the Keras config ...; Reinitializer works on its variables",
        "set-init needs the Keras config ...; reinit works on its variables"
      },
      {"unknown size ([-1]): give Analysis.Settings.data", "unknown size ([-1]): give --data"},
      {
        "a larger model may need a longer ForkedWorker.Launch.timeout",
        "a larger model may need a longer --timeout"
      },
    };
    for (String[] c : cases) {
      // every hint: respell replaces only the names a message holds
      assertEquals(c[1], ExceptionMapper.respell(c[0], List.of(Hint.values())), c[0]);
    }
  }
}
