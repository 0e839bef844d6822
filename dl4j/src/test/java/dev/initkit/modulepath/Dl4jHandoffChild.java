package dev.initkit.modulepath;

import dev.initkit.ModelIO;
import dev.initkit.dl4j.Dl4jModels;
import dev.initkit.model.LoadedModel;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * ModulePathHandoffIT's child, an application on the class path: in a package of its own, since
 * dev.initkit.dl4j belongs to the module of that name there.
 */
public final class Dl4jHandoffChild {
  private Dl4jHandoffChild() {}

  /** Opens the model, hands it to DL4J, prints the parameter count and the modules. */
  public static void main(String[] args) throws Exception {
    try (LoadedModel m = ModelIO.open(Path.of(args[0]))) {
      ComputationGraph g = Dl4jModels.toComputationGraph(m);
      System.out.println(
          g.numParams()
              + " "
              + ModelIO.class.getModule().getName()
              + " "
              + Dl4jModels.class.getModule().getName());
    }
  }
}
