package dev.initkit.ops;

import dev.initkit.ModelIO;
import dev.initkit.model.LoadedModel;
import java.nio.file.Path;

/**
 * Reinitializes IN into OUT with a seed in a fresh JVM: {@code ReinitMain IN OUT SEED [SCHEME]}.
 */
public final class ReinitMain {
  private ReinitMain() {}

  public static void main(String[] args) throws Exception {
    try (LoadedModel m = ModelIO.open(Path.of(args[0]))) {
      Reinitializer.Scheme scheme =
          Reinitializer.Scheme.parse(args.length > 3 ? args[3] : "configured");
      Reinitializer.Plan plan =
          Reinitializer.plan(m.model(), scheme, Selector.all(), Long.parseLong(args[2]));
      ModelIO.write(
          Reinitializer.apply(m, plan), Path.of(args[1]), ModelIO.WriteOptions.defaults());
    }
  }
}
