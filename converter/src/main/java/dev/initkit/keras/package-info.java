/**
 * What a Keras layer config means, independent of how it is stored or what is done with it: the
 * catalogue of layer class names by family and their Keras 1/2 aliases ({@link
 * dev.initkit.keras.LayerFamily}, {@link dev.initkit.keras.LayerClasses}), the gate layout of
 * recurrent layers ({@link dev.initkit.keras.Recurrence}), how wrappers hold the layer they wrap
 * ({@link dev.initkit.keras.Wrappers}), a convolution's geometry as its config gives it in every
 * generation ({@link dev.initkit.keras.ConvGeometry}), and which activations He's and Glorot's
 * initializers were derived for ({@link dev.initkit.keras.Activations}).
 *
 * <p>This package sits below {@code format}, {@code init}, {@code ops} and {@code transplant} and
 * depends on none of them (only on {@code dev.initkit.model} and Jackson's tree): a change to what
 * a class name or config key means is made here once. Pure functions over immutable values;
 * thread-safe.
 */
package dev.initkit.keras;
