"""Writes DepthwiseConv2D models that DL4J's import can take (a convolution before the depthwise
one: DL4J takes its input channels from there), with what Keras predicts on their input.

    python depthwise_models.py OUTDIR

OUTDIR/<name>/{keras3.keras, keras3.h5, input.npz (x0), expected.npy}; name functional, sequential.
Run by Dl4jModelsIT with the testdata venv (keras 3.12.0).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402


def functional():
    inp = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 1, name="conv")(inp)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu", name="depthwise")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inp, x, name="depthwise_after_conv")


def sequential():
    return keras.Sequential([
        keras.Input((8, 8, 3), name="image"),
        layers.Conv2D(4, 1, name="conv"),
        layers.BatchNormalization(name="bn"),
        layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise"),
        layers.Flatten(name="flat"),
        layers.Dense(3, name="head"),
    ], name="depthwise_after_conv_seq")


def main(out):
    keras.utils.set_random_seed(7)
    x = np.random.default_rng(7).random((2, 8, 8, 3), dtype=np.float32)
    for name, build in [("functional", functional), ("sequential", sequential)]:
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        m = build()
        # non-trivial batch-norm statistics, so that DL4J has to read them right
        for layer in m.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.set_weights([w + np.linspace(0.1, 0.4, w.size, dtype=np.float32) for w in layer.get_weights()])
        m.save(os.path.join(d, "keras3.keras"))
        m.save(os.path.join(d, "keras3.h5"))
        np.savez(os.path.join(d, "input.npz"), x0=x)
        np.save(os.path.join(d, "expected.npy"), m.predict(x, verbose=0))


if __name__ == "__main__":
    main(sys.argv[1])
