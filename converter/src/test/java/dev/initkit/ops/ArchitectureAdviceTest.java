package dev.initkit.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Advice per architecture family, on real files (ResNet50's residual gammas: SignalEstimateIT). */
class ArchitectureAdviceTest {

  private static InitReport report(Path f) throws IOException {
    try (LoadedModel m = ModelIO.open(f)) {
      return InitReport.of(m);
    }
  }

  @Test
  void depthwiseKernelsUnderVarianceScalingAreAdvisedTheirChannels() throws IOException {
    InitReport r = report(TestFiles.testdata().resolve("models/depthwise_conv2d/keras3.keras"));
    List<Warning> a = r.advice();
    assertEquals(List.of("advice-depthwise-fans"), a.stream().map(Warning::code).toList());
    long channels =
        r.weights().stream()
            .filter(e -> e.weight().role() == WeightRole.DEPTHWISE_KERNEL)
            .findFirst()
            .orElseThrow()
            .weight()
            .shape()
            .dim(-2);
    assertTrue(
        a.get(0).message().contains("counts its " + channels + " channels"), a.get(0).message());
  }

  @Test
  void aRecurrentKernelThatIsNotOrthogonalIsAdvised() throws IOException {
    InitReport r = report(TestFiles.corpus().resolve("h5-full/k2-lstm-functional.h5"));
    assertTrue(
        r.advice().stream()
            .anyMatch(
                w ->
                    w.code().equals("advice-orthogonal-recurrent")
                        && w.weight().equals("recurrent_kernel")),
        r.advice()::toString);
  }

  @Test
  void aPlainModelGetsNoAdvice() throws IOException {
    for (String m : List.of("mlp", "lstm", "conv2d", "batchnorm")) {
      assertEquals(
          List.of(),
          report(TestFiles.testdata().resolve("models").resolve(m).resolve("keras3.keras"))
              .advice(),
          m);
    }
  }
}
