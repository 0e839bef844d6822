package dev.initkit.model;

import java.io.IOException;
import java.util.Objects;

/**
 * A model description together with the open source of its weight values. Closing it releases the
 * file handles and temporary files the reader holds; a second close does nothing.
 *
 * <p>An owner ({@link #ownsResources()}) comes from a reader; a view ({@link #withModel}, {@link
 * #withTensors}, what {@code Reinitializer.apply} returns) shares its owner's open file and lives
 * only as long as it: once the owner is closed, reading through a view fails with an {@link
 * IllegalStateException} that says so, instead of failing in the closed file.
 */
public final class LoadedModel implements AutoCloseable {
  private final Model model;
  private final TensorSource tensors;
  private final AutoCloseable resources;
  private final LoadedModel owner; // null for an owner
  private volatile boolean closed;

  /**
   * Wraps a model and its tensors.
   *
   * @param resources what to close with this object (may be null)
   */
  public LoadedModel(Model model, TensorSource tensors, AutoCloseable resources) {
    this(model, tensors, resources, null);
  }

  private LoadedModel(
      Model model, TensorSource tensors, AutoCloseable resources, LoadedModel owner) {
    this.model = Objects.requireNonNull(model, "model");
    this.tensors = Objects.requireNonNull(tensors, "tensors");
    this.resources = resources;
    this.owner = owner;
  }

  /**
   * True for an owner (closing it releases the file), false for a view over another's tensors,
   * which closing releases nothing.
   */
  public boolean ownsResources() {
    return owner == null;
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
    if (owner != null && owner.closed) {
      throw new IllegalStateException(
          "model "
              + model.source()
              + " is a view over a closed model: keep the model it came from open while using it");
    }
    return tensors;
  }

  /**
   * The weight {@code variable} of the layer named {@code layer} (nested models' layers included),
   * as every format spells it: {@code weight("conv_b", "kernel")} finds {@code conv_b/kernel:0} of
   * an {@code .h5}, {@code conv_b/kernel} of a {@code .keras} and Keras 1's {@code conv_b_W} by
   * {@code "W"}. A path suffix tells a wrapper's weights apart ({@code
   * "forward_lstm/lstm_cell/kernel"}).
   *
   * @throws java.util.NoSuchElementException when there is no such layer, or no weight or several
   *     weights of that name (the message lists the layer's weights)
   */
  public Weight weight(String layer, String variable) {
    return WeightValues.find(model, layer, variable);
  }

  /**
   * All values of {@code weight} as floats, whatever its stored dtype (wider types rounded).
   *
   * @throws IllegalArgumentException when the tensor is larger than a Java array (read it in rows)
   * @throws IOException when the stored data cannot be read
   */
  public float[] readFloats(Weight weight) throws IOException {
    return WeightValues.readFloats(tensors(), weight);
  }

  /** All values of {@code weight} as doubles; as {@link #readFloats}. */
  public double[] readDoubles(Weight weight) throws IOException {
    return WeightValues.readDoubles(tensors(), weight);
  }

  /**
   * All values of {@code weight}, in its stored dtype and in {@code dst}'s byte order, at {@code
   * dst}'s position (heap or direct); advances it.
   *
   * @throws IllegalArgumentException when {@code dst} has fewer than {@link Weight#byteSize} bytes
   *     left
   */
  public void read(Weight weight, java.nio.ByteBuffer dst) throws IOException {
    WeightValues.read(tensors(), weight, dst);
  }

  /**
   * A view with another description over the same tensors: it does not own the file, and reads
   * through it fail once this model's owner is closed.
   */
  public LoadedModel withModel(Model other) {
    return new LoadedModel(other, tensors, null, root());
  }

  /**
   * A view with another tensor source (which may read this model's file): it does not own the file,
   * and reads through it fail once this model's owner is closed.
   */
  public LoadedModel withTensors(TensorSource other) {
    return new LoadedModel(model, other, null, root());
  }

  private LoadedModel root() {
    return owner == null ? this : owner;
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
