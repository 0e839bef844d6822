#!/usr/bin/env python
"""The Keras twins of torch_models.py's PyTorch models (TorchModuleTransplantIT); run by a Keras venv.

    python testdata/transplant/torch_keras.py make DIR
        Builds each model's Keras twin with Keras's own random initialization (fixed seed) and
        saves it as DIR/NAME_target.keras. The layers carry the PyTorch module paths as names, as
        the mappings expect (docs/transplant-mappings.md).
    python testdata/transplant/torch_keras.py check DIR NAME OUT.keras
        Loads OUT.keras (initkit's transplant into NAME_target.keras), predicts on torch's input
        batch DIR/NAME_input.npy (NCHW images transposed to NHWC) and prints JSON: the largest
        absolute difference from torch's outputs DIR/NAME_torch.npy, the same for the untouched
        target (so a transplant that did nothing cannot pass), and the outputs' spread.

Where the two frameworks differ, the twin says what torch does (the weights go through the
mapping, the architecture does not change):
    Conv2d(padding=1), stride 1   -> Conv2D(padding="same")
    Conv2d(stride=2, padding=1)   -> ZeroPadding2D(1) + Conv2D(padding="valid"): Keras's "same"
                                     pads stride-2 convolutions only at the bottom/right
    BatchNorm2d eps 1e-5          -> BatchNormalization(epsilon=1e-5) (Keras's default is 1e-3)
    LayerNorm eps 1e-5 / 1e-12    -> LayerNormalization(epsilon=...) (Keras's default is 1e-3)
    nn.Flatten of NCHW            -> Flatten of NHWC; the mapping reorders fc1's input rows
    GRU (reset_after semantics)   -> GRU(reset_after=True); the mapping reorders gates r,z,n -> z,r,h
    GELU (exact, erf)             -> activation "gelu" (Keras 3: approximate=False)
    TransformerEncoderLayer       -> post-norm: LayerNorm(x + MHA(x)), LayerNorm(x + FF(x))
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import json  # noqa: E402

import numpy as np  # noqa: E402

keras_env.determinism()

import keras  # noqa: E402
from keras import layers  # noqa: E402

NAMES = ("cnn", "cnn_flatten", "lstm", "gru", "transformer", "bert")


def bn(name):
    return layers.BatchNormalization(epsilon=1e-5, name=name)


def build(name):
    if name == "cnn":
        i = keras.Input((16, 16, 3))
        x = layers.ReLU()(bn("bn1")(layers.Conv2D(8, 3, padding="same", name="conv1")(i)))
        x = layers.ZeroPadding2D(1)(x)
        x = layers.ReLU()(bn("bn2")(layers.Conv2D(16, 3, strides=2, name="conv2")(x)))
        x = layers.GlobalAveragePooling2D()(x)
        return keras.Model(i, layers.Dense(10, name="fc")(x))
    if name == "cnn_flatten":
        i = keras.Input((16, 16, 3))
        x = layers.ReLU()(bn("bn1")(layers.Conv2D(6, 5, name="conv1")(i)))
        x = layers.MaxPooling2D(2)(x)
        x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.Flatten()(layers.MaxPooling2D(2)(x))
        x = layers.Dense(16, activation="relu", name="fc1")(x)
        return keras.Model(i, layers.Dense(10, name="fc2")(x))
    if name in ("lstm", "gru"):
        rnn = layers.LSTM if name == "lstm" else lambda *a, **k: layers.GRU(
            *a, reset_after=True, **k)
        i = keras.Input((7, 4))
        x = rnn(8, return_sequences=True, name="rnn")(i)
        x = rnn(8, name="rnn_l1")(x)
        return keras.Model(i, layers.Dense(3, name="fc")(x))
    if name == "transformer":
        i = keras.Input((6, 16))
        x = i
        for n in range(2):
            p = f"encoder.layers.{n}."
            a = layers.MultiHeadAttention(4, 4, name=p + "self_attn")(x, x)
            x = layers.LayerNormalization(epsilon=1e-5, name=p + "norm1")(layers.Add()([x, a]))
            h = layers.Dense(32, activation="gelu", name=p + "linear1")(x)
            h = layers.Dense(16, name=p + "linear2")(h)
            x = layers.LayerNormalization(epsilon=1e-5, name=p + "norm2")(layers.Add()([x, h]))
        return keras.Model(i, layers.Dense(3, name="head")(x))
    ids = keras.Input((6,), dtype="int32")
    pos = keras.Input((6,), dtype="int32")
    x = layers.Add()([
        layers.Embedding(30, 8, name="embeddings.word_embeddings")(ids),
        layers.Embedding(6, 8, name="embeddings.position_embeddings")(pos),
    ])
    x = layers.LayerNormalization(epsilon=1e-12, name="embeddings.LayerNorm")(x)
    for n in range(2):
        p = f"encoder.layer.{n}."
        a = layers.MultiHeadAttention(2, 4, name=p + "attention")(x, x)
        x = layers.LayerNormalization(epsilon=1e-12, name=p + "attention.output.LayerNorm")(
            layers.Add()([x, a]))
        h = layers.Dense(16, activation="gelu", name=p + "intermediate.dense")(x)
        h = layers.Dense(8, name=p + "output.dense")(h)
        x = layers.LayerNormalization(epsilon=1e-12, name=p + "output.LayerNorm")(
            layers.Add()([x, h]))
    return keras.Model([ids, pos], x)


def inputs(out, name):
    if name == "bert":
        return [np.load(out / f"{name}_input{j}.npy").astype("int32") for j in range(2)]
    x = np.load(out / f"{name}_input.npy")
    return x.transpose(0, 2, 3, 1) if name.startswith("cnn") else x


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(NAMES):
        keras.utils.set_random_seed(300 + i)
        build(name).save(out / f"{name}_target.keras")


def check(out, name, transplanted):
    x = inputs(out, name)
    want = np.load(out / f"{name}_torch.npy")
    got = np.asarray(keras.saving.load_model(transplanted).predict(x, verbose=0))
    before = np.asarray(
        keras.saving.load_model(out / f"{name}_target.keras").predict(x, verbose=0))
    print(json.dumps({
        "keras": keras.__version__,
        "shape": list(got.shape),
        "torch_shape": list(want.shape),
        "max_diff": float(np.max(np.abs(got - want))),
        "max_diff_before": float(np.max(np.abs(before - want))),
        "output_std": float(np.std(want)),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(Path(sys.argv[2]))
    else:
        check(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
