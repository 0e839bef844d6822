package dev.initkit.model;

import java.io.IOException;
import java.util.Objects;

/**
 * A model description together with the open source of its weight values. Closing it releases the
 * file handles and temporary files the reader holds; a second close does nothing.
 */
public final class LoadedModel implements AutoCloseable {
  private final Model model;
  private final TensorSource tensors;
  private final AutoCloseable resources;
  private boolean closed;

  /**
   * Wraps a model and its tensors.
   *
   * @param resources what to close with this object (may be null)
   */
  public LoadedModel(Model model, TensorSource tensors, AutoCloseable resources) {
    this.model = Objects.requireNonNull(model, "model");
    this.tensors = Objects.requireNonNull(tensors, "tensors");
    this.resources = resources;
  }

  /** The model description. */
  public Model model() {
    return model;
  }

  /** The weight values. */
  public TensorSource tensors() {
    if (closed) {
      throw new IllegalStateException("model " + model.source() + " is closed");
    }
    return tensors;
  }

  /** A view with another description over the same tensors (it does not own the resources). */
  public LoadedModel withModel(Model other) {
    return new LoadedModel(other, tensors, null);
  }

  /** A view with another tensor source (it does not own the resources). */
  public LoadedModel withTensors(TensorSource other) {
    return new LoadedModel(model, other, null);
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (resources != null) {
      try {
        resources.close();
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      }
    }
  }
}
