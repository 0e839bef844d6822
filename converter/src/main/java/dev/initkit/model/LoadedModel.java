package dev.initkit.model;

import java.io.IOException;
import java.util.Objects;

/**
 * A model description together with the open source of its weight values: either an {@link
 * OwnedModel}, which a reader returns and whose {@link #close} releases the file handles and
 * temporary files it holds, or a {@link ModelView} ({@link #withModel}, {@link #withTensors}, what
 * {@code Reinitializer.apply} and {@code Transplanter.apply} return), which shares its owner's open
 * file, owns nothing, and lives only as long as its owner: once the owner is closed, reading
 * through a view fails with an {@link IllegalStateException} that says so, instead of failing in
 * the closed file. The two are distinct types so that code that must close what it opened can say
 * so in its signatures.
 */
public abstract sealed class LoadedModel implements AutoCloseable permits OwnedModel, ModelView {
  private final Model model;
  private final TensorSource tensors;

  LoadedModel(Model model, TensorSource tensors) {
    this.model = Objects.requireNonNull(model, "model");
    this.tensors = Objects.requireNonNull(tensors, "tensors");
  }

  /**
   * True for an {@link OwnedModel} (closing it releases the file), false for a {@link ModelView}
   * over another's tensors, which closing releases nothing.
   */
  public abstract boolean ownsResources();

  /** The model description. */
  public Model model() {
    return model;
  }

  /** The weight values. */
  public TensorSource tensors() {
    checkOpen();
    return tensors;
  }

  /** Throws the {@link IllegalStateException} that reading from a closed model gets. */
  abstract void checkOpen();

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
  public ModelView withModel(Model other) {
    return new ModelView(other, tensors, owner());
  }

  /**
   * A view with another tensor source (which may read this model's file): it does not own the file,
   * and reads through it fail once this model's owner is closed.
   */
  public ModelView withTensors(TensorSource other) {
    return new ModelView(model, other, owner());
  }

  /** The model that owns the open file: this one, or a view's owner. */
  public abstract OwnedModel owner();

  /**
   * Closes this model: an owner releases its file; a view releases nothing and only stops reading.
   * A second close does nothing.
   */
  @Override
  public abstract void close() throws IOException;
}
