/**
 * The safetensors format: {@link dev.initkit.format.safetensors.SafetensorsReader} reads a {@code
 * .safetensors} file or a sharded checkpoint's {@code model.safetensors.index.json} as a
 * weights-only model whose values stream from the files; {@link
 * dev.initkit.format.safetensors.SafetensorsWriter} writes a model's weights under the keys a
 * {@link dev.initkit.format.safetensors.TensorNaming} chooses.
 */
package dev.initkit.format.safetensors;
