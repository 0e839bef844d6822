package dev.initkit.dl4j;

import dev.initkit.ModelIO;
import dev.initkit.TargetRuntime;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The dl4j form of a model in a private temporary directory, for DL4J's import to read; {@link
 * #close()} deletes the file and the directory, nothing else. A second close does nothing.
 */
final class Dl4jFile implements AutoCloseable {
  private final Path dir;
  private final Path file;
  private final Path source;
  private final boolean sequential;

  private Dl4jFile(Path dir, Path file, Path source, boolean sequential) {
    this.dir = dir;
    this.file = file;
    this.source = source;
    this.sequential = sequential;
  }

  /**
   * Writes {@code model}'s dl4j form, or refuses it before anything of DL4J runs.
   *
   * @throws UnsupportedModelException naming {@code model}'s source, where DL4J cannot express it
   */
  static Dl4jFile write(LoadedModel model) throws IOException {
    Path source = source(model);
    boolean sequential = "Sequential".equals(modelClass(model));
    // a directory of our own: nobody else can have a file of that name open or swap it for a link
    Path dir = Files.createTempDirectory("initkit-dl4j-");
    Path file = dir.resolve("model.h5");
    boolean ok = false;
    try {
      ModelIO.write(model, file, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J));
      ok = true;
      return new Dl4jFile(dir, file, source, sequential);
    } catch (UnsupportedModelException e) {
      throw Dl4jModels.refusal(source, e);
    } finally {
      if (!ok) {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
      }
    }
  }

  /** The model's config {@code class_name} ({@code Sequential}, {@code Functional}...), or "". */
  static String modelClass(LoadedModel model) {
    return model.model().config().map(c -> c.path("class_name").asText("")).orElse("");
  }

  /** Where the model came from, for messages; null for a model built in memory. */
  static Path source(LoadedModel model) {
    String s = model.model().source();
    return s.isEmpty() ? null : Path.of(s);
  }

  Path path() {
    return file;
  }

  Path source() {
    return source;
  }

  boolean sequential() {
    return sequential;
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(dir);
  }
}
