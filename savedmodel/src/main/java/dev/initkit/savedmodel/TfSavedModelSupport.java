package dev.initkit.savedmodel;

import dev.initkit.format.SavedModelSupport;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.OwnedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The {@link SavedModelSupport} service, on TensorFlow Java. Constructing it loads nothing native,
 * and neither does reading a SavedModel (plain Java): TensorFlow starts on the first checkpoint
 * write.
 */
public final class TfSavedModelSupport implements SavedModelSupport {
  /** Called by {@link java.util.ServiceLoader}. */
  public TfSavedModelSupport() {}

  /** {@inheritDoc} */
  @Override
  public OwnedModel read(Path dir) throws IOException {
    return SavedModelReader.open(dir);
  }

  /** {@inheritDoc} */
  @Override
  public void write(LoadedModel model, Path out, boolean overwrite, Consumer<String> notes)
      throws IOException {
    SavedModelWriter.write(model, out, overwrite, notes);
  }
}
