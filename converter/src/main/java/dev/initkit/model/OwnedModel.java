package dev.initkit.model;

import java.io.IOException;

/**
 * A model that owns its open file: what a reader ({@code ModelIO.open}) returns. Closing it
 * releases the file handles and temporary files the reader holds, and ends every {@link ModelView}
 * made from it; a second close does nothing.
 */
public final class OwnedModel extends LoadedModel {
  private final AutoCloseable resources;
  private volatile boolean closed;

  /**
   * Wraps a model and its tensors.
   *
   * @param resources what to close with this object (may be null)
   */
  public OwnedModel(Model model, TensorSource tensors, AutoCloseable resources) {
    super(model, tensors);
    this.resources = resources;
  }

  @Override
  public boolean ownsResources() {
    return true;
  }

  @Override
  public OwnedModel owner() {
    return this;
  }

  /** True once {@link #close} ran. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model " + model().source() + " is closed");
    }
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
