package dev.initkit.model;

/**
 * A model over another's open file (a changed description, generated or transplanted tensors): it
 * owns nothing and reads only while its {@link #owner()} is open. Closing a view releases nothing;
 * it only stops reads through this view.
 */
public final class ModelView extends LoadedModel {
  private final OwnedModel owner;
  private volatile boolean closed;

  ModelView(Model model, TensorSource tensors, OwnedModel owner) {
    super(model, tensors);
    this.owner = java.util.Objects.requireNonNull(owner, "owner");
  }

  @Override
  public boolean ownsResources() {
    return false;
  }

  @Override
  public OwnedModel owner() {
    return owner;
  }

  @Override
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model " + model().source() + " is closed");
    }
    if (owner.isClosed()) {
      throw new IllegalStateException(
          "model "
              + model().source()
              + " is a view over a closed model: keep the model it came from open while using it");
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
