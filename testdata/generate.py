#!/usr/bin/env python
"""Generate the real-Keras test data under testdata/models/.

Run with the pinned venv (see testdata/setup-venv.sh and README.md):

    .venv/bin/python testdata/generate.py

Every model file is written by real Keras (Keras 3 and tf-keras), never by
hand.  For each model NAME, testdata/models/NAME/ receives (see MANIFEST.json
for what exists per model):

    keras3.keras                 Keras 3 model.save(".keras")  (zip)
    keras3.h5                    Keras 3 legacy HDF5 model.save(".h5")
    tfkeras.h5                   tf-keras model.save(".h5"), same architecture
                                 and the same weights as the Keras 3 model
    keras3.weights.h5            Keras 3 save_weights (new layout)   [some]
    tfkeras_weights.h5           tf-keras legacy save_weights (h5)   [some]
    tfkeras.json                 tf-keras model.to_json()            [same]
    keras3_unzipped/             Keras 3 model.save(dir, zipped=False) [one]
    keras3_sharded.weights.json  Keras 3 sharded save_weights         [one]
      + keras3_sharded_NNNNN.weights.h5
    tfkeras.keras                tf-keras's own ".keras" (v3) save   [one]
    input.npz                    fixed inputs x0, x1, ...
    expected.npz                 Keras 3 predictions y0, y1, ...

The script is deterministic (fixed seeds, op determinism); files differ between
runs only in timestamps (metadata.json date_saved, zip entry times).
"""
import keras_env  # noqa: F401  (first: quiet, CPU-only TensorFlow)

import json
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import tensorflow as tf

keras_env.determinism()

import keras  # noqa: E402  (Keras 3)
import tf_keras  # noqa: E402  (Keras 2 API, legacy)
import h5py  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "models"

# Tolerances recorded in the manifest and used by interop/check.py --self-test.
TOL_SAME = 1e-6          # Keras 3 reloading its own file (bit-identical in practice)
TOL_CROSS = 1e-5         # tf-keras vs Keras 3 predictions (float32 / float64)
TOL_CROSS_F16 = 1e-2     # ... for float16 models


def predict(model, xs):
    """Predict with a list of input arrays; always returns a list of arrays."""
    feed = xs[0] if len(xs) == 1 else list(xs)
    out = model.predict(feed, verbose=0, batch_size=len(xs[0]))
    if isinstance(out, dict):
        out = [out[k] for k in model.output_names]
    if not isinstance(out, (list, tuple)):
        out = [out]
    # bfloat16 outputs (ml_dtypes) would be stored in .npz as raw 2-byte voids: widen them, exactly
    return [np.asarray(o).astype(np.float32) if np.asarray(o).dtype.name == "bfloat16" else np.asarray(o)
            for o in out]


def max_diff(a_list, b_list):
    if len(a_list) != len(b_list):
        raise ValueError(f"output count {len(a_list)} != {len(b_list)}")
    worst = 0.0
    for a, b in zip(a_list, b_list):
        if a.shape != b.shape:
            raise ValueError(f"output shape {a.shape} != {b.shape}")
        d = np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))) if a.size else 0.0
        if not np.isfinite(d):
            return float("inf")
        worst = max(worst, float(d))
    return worst


# ----------------------------------------------------------------------------
# Model definitions.  Each builder takes K = keras or tf_keras and must build the
# same architecture with both (the API subset used here is common to both).
# ----------------------------------------------------------------------------

def m_mlp(K):
    L, I = K.layers, K.initializers
    return K.Sequential([
        K.Input(shape=(8,), name="x"),
        L.Dense(16, activation="relu", kernel_initializer="he_normal", name="dense_relu"),
        L.Dropout(0.25, name="dropout"),
        L.Dense(12, activation="tanh", kernel_initializer=I.LecunNormal(seed=2),
                bias_initializer=I.Constant(0.1), name="dense_tanh"),
        L.Dense(10, activation="sigmoid", kernel_initializer=I.Orthogonal(gain=1.0, seed=3),
                name="dense_sigmoid"),
        L.Dense(6, kernel_initializer=I.Constant(0.05), name="dense_const"),
        L.Dense(4, activation="softmax",
                kernel_initializer=I.RandomNormal(mean=0.0, stddev=0.3, seed=4),
                name="dense_softmax"),
    ], name="mlp")


def m_mlp_inits(K):
    # Functional, auto-generated layer names, the remaining built-in initializers.
    L, I = K.layers, K.initializers
    x = K.Input(shape=(6,))
    h = L.Dense(8, activation="relu", kernel_initializer="glorot_normal")(x)
    h = L.Dense(8, activation="relu", kernel_initializer=I.HeUniform(seed=11),
                bias_initializer="ones")(h)
    h = L.Dense(8, activation="selu", kernel_initializer=I.LecunUniform(seed=12))(h)
    h = L.Dense(8, kernel_initializer=I.Identity(gain=0.5))(h)
    h = L.Dense(7, activation="elu", kernel_initializer=I.TruncatedNormal(mean=0.0, stddev=0.2, seed=13))(h)
    h = L.Dense(7, activation="swish", kernel_initializer=I.RandomUniform(minval=-0.3, maxval=0.3, seed=14))(h)
    h = L.Dense(5, activation="linear",
                kernel_initializer=I.VarianceScaling(scale=0.5, mode="fan_out",
                                                     distribution="untruncated_normal", seed=15),
                bias_initializer="zeros")(h)
    y = L.Dense(3, kernel_initializer=I.GlorotUniform(seed=16), use_bias=False)(h)
    return K.Model(x, y)


def m_conv1d(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(16, 3), name="x"),
        L.Conv1D(4, 3, padding="same", activation="relu", name="conv1d_a"),
        L.MaxPooling1D(2, name="pool"),
        L.Conv1D(5, 3, strides=2, kernel_initializer="he_uniform", name="conv1d_b"),
        L.GlobalAveragePooling1D(name="gap"),
        L.Dense(2, name="head"),
    ], name="conv1d_model")


def m_conv2d(K):
    L = K.layers
    x = K.Input(shape=(8, 8, 3), name="image")
    h = L.Conv2D(4, 3, activation="relu", kernel_initializer="he_uniform", name="conv_a")(x)
    h = L.MaxPooling2D(2, name="pool")(h)
    h = L.Conv2D(6, (2, 3), padding="same", use_bias=False, name="conv_b")(h)
    h = L.Flatten(name="flatten")(h)
    y = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(x, y, name="conv2d_model")


def m_conv3d(K):
    L = K.layers
    x = K.Input(shape=(6, 6, 6, 2), name="volume")
    h = L.Conv3D(3, 3, activation="relu", name="conv3d")(x)
    h = L.GlobalAveragePooling3D(name="gap")(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="conv3d_model")


def m_conv2d_transpose(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(5, 5, 3), name="x"),
        L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu", name="deconv_a"),
        L.Conv2DTranspose(2, 2, strides=1, padding="valid", name="deconv_b"),
    ], name="deconv_model")


def m_depthwise_conv2d(K):
    L = K.layers
    x = K.Input(shape=(8, 8, 3), name="image")
    h = L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu", name="depthwise")(x)
    h = L.Conv2D(4, 1, name="pointwise")(h)
    y = L.GlobalAveragePooling2D(name="gap")(h)
    return K.Model(x, y, name="depthwise_model")


def m_separable_conv2d(K):
    L = K.layers
    x = K.Input(shape=(8, 8, 3), name="image")
    h = L.SeparableConv2D(5, 3, depth_multiplier=2, activation="relu", name="sepconv")(x)
    y = L.GlobalMaxPooling2D(name="gmp")(h)
    return K.Model(x, y, name="separable_model")


def m_batchnorm(K):
    L = K.layers
    x = K.Input(shape=(6, 6, 3), name="image")
    h = L.Conv2D(4, 3, use_bias=False, name="conv")(x)
    h = L.BatchNormalization(name="bn_conv")(h)
    h = L.Activation("relu", name="relu")(h)
    h = L.Flatten(name="flatten")(h)
    h = L.Dense(5, name="dense")(h)
    h = L.BatchNormalization(momentum=0.9, epsilon=1e-2, scale=False, name="bn_dense_noscale")(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="batchnorm_model")


def m_layernorm(K):
    L = K.layers
    x = K.Input(shape=(5, 6), name="x")
    h = L.Dense(8, name="proj")(x)
    h = L.LayerNormalization(name="ln")(h)
    h = L.Dense(3, name="out")(h)
    y = L.LayerNormalization(center=False, epsilon=1e-5, name="ln_nocenter")(h)
    return K.Model(x, y, name="layernorm_model")


def m_embedding(K):
    L = K.layers
    x = K.Input(shape=(7,), dtype="int32", name="tokens")
    h = L.Embedding(20, 4, name="embed")(x)
    h = L.GlobalAveragePooling1D(name="gap")(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="embedding_model")


def m_simple_rnn(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(5, 3), name="seq"),
        L.SimpleRNN(4, return_sequences=True, name="rnn_a"),
        L.SimpleRNN(3, activation="sigmoid", name="rnn_b"),
    ], name="simple_rnn_model")


def m_lstm(K):
    L = K.layers
    x = K.Input(shape=(6, 3), name="seq")
    h = L.LSTM(5, return_sequences=True, name="lstm_a")(x)
    h = L.LSTM(4, unit_forget_bias=False, name="lstm_b")(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="lstm_model")


def m_gru(K):
    L = K.layers
    x = K.Input(shape=(6, 3), name="seq")
    h = L.GRU(5, reset_after=True, return_sequences=True, name="gru_a")(x)
    y = L.GRU(4, reset_after=True, name="gru_b")(h)
    return K.Model(x, y, name="gru_model")


def m_gru_v1(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(6, 3), name="seq"),
        L.GRU(4, reset_after=False, name="gru_v1"),
        L.Dense(2, name="head"),
    ], name="gru_v1_model")


def m_bidirectional(K):
    L = K.layers
    x = K.Input(shape=(6, 3), name="seq")
    h = L.Bidirectional(L.LSTM(4, return_sequences=True, name="lstm"), name="bi_lstm")(x)
    h = L.Bidirectional(L.GRU(3, name="gru"), merge_mode="sum", name="bi_gru")(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="bidirectional_model")


def m_timedistributed(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(4, 5), name="seq"),
        L.TimeDistributed(L.Dense(3, activation="tanh", name="td_inner"), name="td_dense"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="head"),
    ], name="timedistributed_model")


def m_mha(K):
    L = K.layers
    x = K.Input(shape=(5, 8), name="tokens")
    a = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    h = L.Add(name="residual")([x, a])
    h = L.LayerNormalization(name="ln")(h)
    y = L.Dense(3, name="head")(h)
    return K.Model(x, y, name="mha_model")


def m_nested_sequential(K):
    L = K.layers
    inner = K.Sequential([
        K.Input(shape=(6,)),
        L.Dense(5, activation="relu", name="inner_dense_a"),
        L.Dropout(0.1, name="inner_dropout"),
        L.Dense(4, name="inner_dense_b"),
    ], name="inner_seq")
    x = K.Input(shape=(6,), name="x")
    h = inner(x)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="outer_with_sequential")


def m_nested_functional(K):
    L = K.layers
    deep = K.Sequential([
        K.Input(shape=(5,)),
        L.Dense(5, activation="tanh", name="deep_dense"),
    ], name="deep_seq")
    ii = K.Input(shape=(4,), name="inner_in")
    t = L.Dense(5, activation="relu", name="inner_dense")(ii)
    t = deep(t)
    t = L.Dense(3, name="inner_out")(t)
    inner = K.Model(ii, t, name="inner_fn")
    x = K.Input(shape=(4,), name="x")
    h = L.Dense(4, name="pre")(x)
    h = inner(h)
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="outer_with_functional")


def m_shared_layer(K):
    L = K.layers
    x = K.Input(shape=(4,), name="x")
    shared = L.Dense(4, activation="tanh", name="shared_dense")
    h1 = shared(x)
    h2 = shared(h1)
    h = L.Add(name="add")([h1, h2])
    y = L.Dense(2, name="head")(h)
    return K.Model(x, y, name="shared_layer_model")


def m_multi_io(K):
    L = K.layers
    a = K.Input(shape=(5,), name="input_a")
    b = K.Input(shape=(3, 4), name="input_b")
    ha = L.Dense(4, activation="relu", name="branch_a")(a)
    hb = L.Flatten(name="flatten_b")(b)
    hb = L.Dense(4, activation="relu", name="branch_b")(hb)
    h = L.Concatenate(name="concat")([ha, hb])
    ya = L.Dense(3, activation="softmax", name="out_a")(h)
    yb = L.Dense(1, name="out_b")(h)
    return K.Model([a, b], [ya, yb], name="multi_io_model")


def m_float64(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(5,), dtype="float64", name="x"),
        L.Dense(6, activation="tanh", dtype="float64", name="dense_a"),
        L.Dense(2, dtype="float64", name="dense_b"),
    ], name="float64_model")


def m_float16(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(5,), dtype="float16", name="x"),
        L.Dense(6, activation="tanh", dtype="float16", name="dense_a"),
        L.Dense(2, dtype="float16", name="dense_b"),
    ], name="float16_model")


def m_bfloat16(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(5,), name="x"),
        L.Dense(6, activation="relu", dtype="bfloat16", name="dense_a"),
        L.Dense(2, dtype="bfloat16", name="dense_b"),
    ], name="bfloat16_model")


def m_mixed_precision(K):
    L = K.layers
    x = K.Input(shape=(5,), name="x")
    h = L.Dense(6, activation="relu", dtype="mixed_float16", name="dense_mixed")(x)
    y = L.Dense(2, dtype="float32", name="dense_f32")(h)
    return K.Model(x, y, name="mixed_precision_model")


def m_compiled(K):
    L = K.layers
    return K.Sequential([
        K.Input(shape=(6,), name="x"),
        L.Dense(8, activation="relu", name="dense"),
        L.BatchNormalization(name="bn"),
        L.Dense(3, activation="softmax", name="probs"),
    ], name="compiled_model")


# weightless layers between weighted ones (the serving SavedModel exporter's shape layers)
def m_shape_layers_1d(K):
    L = K.layers
    x = K.Input(shape=(5, 4), name="seq")
    h = L.ZeroPadding1D((2, 1), name="pad1d")(x)
    h = L.Cropping1D((1, 2), name="crop1d")(h)
    h = L.UpSampling1D(2, name="up1d")(h)
    h = L.AveragePooling1D(3, strides=2, padding="same", name="avg1d")(h)
    h = L.Permute((2, 1), name="permute")(h)
    h = L.LeakyReLU(0.2, name="leaky")(h)
    h = L.Flatten(name="flatten")(h)
    h = L.Dense(3, name="dense")(h)
    h = L.RepeatVector(2, name="repeat")(h)
    h = L.ELU(0.5, name="elu")(h)
    y = L.Reshape((3, 2), name="reshape")(h)
    return K.Model(x, y, name="shape_layers_1d_model")


def m_shape_layers_2d(K):
    L = K.layers
    x = K.Input(shape=(6, 5, 2), name="image")
    h = L.ZeroPadding2D(((1, 0), (2, 1)), name="pad2d")(x)
    h = L.Conv2D(3, 2, name="conv")(h)
    h = L.Cropping2D(((1, 1), (0, 2)), name="crop2d")(h)
    h = L.UpSampling2D((2, 1), name="up2d")(h)
    h = L.AveragePooling2D(2, name="avg2d")(h)
    h = L.Permute((2, 1, 3), name="permute")(h)
    y = L.GlobalAveragePooling2D(keepdims=True, name="gap")(h)
    return K.Model(x, y, name="shape_layers_2d_model")


def m_shape_layers_3d(K):
    L = K.layers
    x = K.Input(shape=(4, 4, 4, 2), name="volume")
    h = L.ZeroPadding3D(1, name="pad3d")(x)
    h = L.Cropping3D(((1, 0), (0, 1), (1, 1)), name="crop3d")(h)
    h = L.UpSampling3D((1, 2, 1), name="up3d")(h)
    h = L.Conv3D(3, 2, padding="same", name="conv3d")(h)
    h = L.MaxPooling3D(2, name="max3d")(h)
    h = L.AveragePooling3D((1, 2, 1), name="avg3d")(h)
    y = L.GlobalMaxPooling3D(name="gmp3d")(h)
    return K.Model(x, y, name="shape_layers_3d_model")


def m_misc_layers(K):
    L = K.layers
    a = K.Input(shape=(4, 3), name="seq_a")
    b = K.Input(shape=(5, 3), name="seq_b")
    h = L.Rescaling(0.5, offset=-0.25, name="rescale")(a)
    h = L.UnitNormalization(name="unitnorm")(h)
    d = L.Dot(axes=(2, 2), name="dot3")([h, b])
    v = L.Dot(axes=1, normalize=True, name="dot2")([L.GlobalAveragePooling1D(name="gap_a")(a),
                                                    L.GlobalAveragePooling1D(name="gap_b")(b)])
    f = L.Dense(2, name="dense")(L.Flatten(name="flatten")(L.Identity(name="identity")(d)))
    return K.Model([a, b], [f, v], name="misc_layers_model")


# tf-keras-only models (spec only="tfkeras"): what Keras 3 lacks or computes differently, the
# sources of initkit's cross-generation translations and warnings; built with tf_keras alone.

def m_thresholded_relu(K):
    # Keras 3 removed ThresholdedReLU; initkit writes it as ReLU(threshold=theta)
    L = K.layers
    return K.Sequential([
        K.Input(shape=(6,), name="x"),
        L.Dense(8, name="dense_a"),
        L.ThresholdedReLU(theta=0.3, name="thresholded_a"),
        L.Dense(5, name="dense_b"),
        L.ThresholdedReLU(name="thresholded_default"),  # theta 1.0
    ], name="thresholded_relu")


def m_hard_sigmoid(K):
    # hard_sigmoid is clip(0.2x + 0.5) in tf-keras and clip(x/6 + 0.5) in Keras 3
    L = K.layers
    x = K.Input(shape=(4, 3), name="x")
    h = L.LSTM(5, recurrent_activation="hard_sigmoid", name="lstm_hs")(x)
    y = L.Dense(4, activation="hard_sigmoid", name="dense_hs")(h)
    return K.Model(x, y, name="hard_sigmoid")


def m_quantized(K):
    """Embedding, Dense, EinsumDense and a float LayerNormalization; quantized after the weights
    are set (build_one calls model.quantize(spec["quantize"]), Keras 3 only)."""
    L = K.layers
    x = K.Input(shape=(7,), dtype="int32", name="tokens")
    h = L.Embedding(20, 8, name="embed")(x)
    h = L.Dense(12, activation="relu", name="dense")(h)
    h = L.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d", name="einsum")(h)
    h = L.LayerNormalization(name="ln")(h)
    h = L.GlobalAveragePooling1D(name="gap")(h)
    y = L.Dense(3, name="head")(h)
    return K.Model(x, y, name="quantized_model")


def tokens(shape):
    return lambda rng: rng.integers(0, 20, size=shape).astype(np.int32)


def f32(shape):
    return lambda rng: rng.standard_normal(shape).astype(np.float32)


# name, builder, input makers (batch first), options
MODELS = [
    dict(name="mlp", build=m_mlp, inputs=[f32((4, 8))],
         keras3_weights=True, tfkeras_weights=True, unzipped=True, tfkeras_keras=True,
         notes=["Sequential; relu/tanh/sigmoid/softmax; he_normal (string), LecunNormal, "
                "Orthogonal, Constant, RandomNormal(mean, stddev); Dropout is weightless"]),
    dict(name="mlp_inits", build=m_mlp_inits, inputs=[f32((4, 6))],
         notes=["Functional with auto-generated layer names; GlorotNormal, HeUniform, LecunUniform, "
                "Identity, TruncatedNormal, RandomUniform, VarianceScaling(untruncated_normal, fan_out), "
                "GlorotUniform, ones/zeros bias, use_bias=False"]),
    dict(name="conv1d", build=m_conv1d, inputs=[f32((3, 16, 3))], sharded=True,
         notes=["Sequential Conv1D + MaxPooling1D + GlobalAveragePooling1D"]),
    dict(name="conv2d", build=m_conv2d, inputs=[f32((3, 8, 8, 3))], keras3_weights=True,
         notes=["Functional Conv2D (one without bias) + MaxPooling2D + Flatten"]),
    dict(name="conv3d", build=m_conv3d, inputs=[f32((2, 6, 6, 6, 2))]),
    dict(name="conv2d_transpose", build=m_conv2d_transpose, inputs=[f32((2, 5, 5, 3))]),
    dict(name="depthwise_conv2d", build=m_depthwise_conv2d, inputs=[f32((2, 8, 8, 3))]),
    dict(name="separable_conv2d", build=m_separable_conv2d, inputs=[f32((2, 8, 8, 3))]),
    dict(name="batchnorm", build=m_batchnorm, inputs=[f32((3, 6, 6, 3))],
         notes=["BatchNormalization with non-trivial moving stats (set randomly); "
                "second BN has scale=False (no gamma)"]),
    dict(name="layernorm", build=m_layernorm, inputs=[f32((3, 5, 6))],
         notes=["second LayerNormalization has center=False (no beta)"]),
    dict(name="embedding", build=m_embedding,
         inputs=[lambda rng: rng.integers(0, 20, size=(3, 7)).astype(np.int32)],
         notes=["int32 token input"]),
    dict(name="simple_rnn", build=m_simple_rnn, inputs=[f32((3, 5, 3))]),
    dict(name="lstm", build=m_lstm, inputs=[f32((3, 6, 3))], keras3_weights=True),
    dict(name="gru", build=m_gru, inputs=[f32((3, 6, 3))], notes=["reset_after=True (bias shape (2, 3u))"]),
    dict(name="gru_v1", build=m_gru_v1, inputs=[f32((3, 6, 3))], notes=["reset_after=False (bias shape (3u,))"]),
    dict(name="bidirectional", build=m_bidirectional, inputs=[f32((3, 6, 3))], tfkeras_weights=True,
         notes=["Bidirectional(LSTM) concat + Bidirectional(GRU) merge_mode=sum"]),
    dict(name="timedistributed", build=m_timedistributed, inputs=[f32((3, 4, 5))]),
    dict(name="mha", build=m_mha, inputs=[f32((2, 5, 8))], notes=["MultiHeadAttention self-attention"]),
    dict(name="nested_sequential", build=m_nested_sequential, inputs=[f32((3, 6))],
         notes=["Functional containing a Sequential sub-model"]),
    dict(name="nested_functional", build=m_nested_functional, inputs=[f32((3, 4))],
         keras3_weights=True, tfkeras_weights=True,
         notes=["Functional containing a Functional sub-model, which itself contains a Sequential"]),
    dict(name="shared_layer", build=m_shared_layer, inputs=[f32((3, 4))],
         notes=["one Dense layer called twice"]),
    dict(name="multi_io", build=m_multi_io, inputs=[f32((3, 5)), f32((3, 3, 4))],
         notes=["two inputs (x0=input_a, x1=input_b), two outputs (y0=out_a, y1=out_b)"]),
    dict(name="float64", build=m_float64,
         inputs=[lambda rng: rng.standard_normal((3, 5)).astype(np.float64)],
         notes=["all layers dtype float64 (weights stored as float64)"]),
    dict(name="float16", build=m_float16,
         inputs=[lambda rng: rng.standard_normal((3, 5)).astype(np.float16)], f16=True,
         notes=["all layers dtype float16 (weights stored as float16)"]),
    dict(name="mixed_precision", build=m_mixed_precision, inputs=[f32((3, 5))], f16=True,
         notes=["first Dense uses the mixed_float16 policy (float32 variables, float16 compute)"]),
    # appended after the others (seeds follow the list index); added with --add bfloat16
    dict(name="bfloat16", build=m_bfloat16, inputs=[f32((3, 5))], f16=True, keras3_legacy_h5=False,
         keras3_weights=True,
         notes=["all layers dtype bfloat16: Keras stores the weights as 2-byte opaque HDF5 ('|V2'); "
                "no keras3.h5: Keras cannot reload its own bfloat16 legacy .h5 (ValueError: No cast "
                "function available, Keras 3.12 and 3.15.1)"]),
    dict(name="compiled", build=m_compiled, inputs=[f32((4, 6))], compiled=True,
         notes=["compiled with Adam(learning_rate=0.01), categorical_crossentropy, accuracy; "
                "trained 2 steps, so optimizer variables and training_config are saved"]),
    # tf-keras only (seeds follow the list index: appended last); added with --add
    dict(name="thresholded_relu", build=m_thresholded_relu, inputs=[lambda rng: 2 * rng.standard_normal((6, 6)).astype(np.float32)],
         only="tfkeras",
         notes=["tf-keras only: ThresholdedReLU(theta=0.3) and ThresholdedReLU() (theta 1.0), "
                "a class Keras 3 removed"]),
    dict(name="hard_sigmoid", build=m_hard_sigmoid, inputs=[lambda rng: 2 * rng.standard_normal((6, 4, 3)).astype(np.float32)],
         only="tfkeras",
         notes=["tf-keras only: LSTM recurrent_activation='hard_sigmoid' and Dense "
                "activation='hard_sigmoid', which Keras 3 computes differently"]),


    # appended after the others (seeds follow the list index); added with --add quant_int8 ...
    dict(name="quant_int8", seed=1693, build=m_quantized, inputs=[tokens((3, 7))], quantize="int8", keras3_weights=True,
         notes=["model.quantize('int8'): Embedding, Dense and EinsumDense store int8 codes plus a float32 "
                "kernel_scale/embeddings_scale (QuantizedDTypePolicy); LayerNormalization stays float"]),
    dict(name="quant_int4", seed=1710, build=m_quantized, inputs=[tokens((3, 7))], quantize="int4", keras3_weights=True,
         notes=["model.quantize('int4'): two int4 codes packed per int8 byte along the input axis "
                "(Keras 3.12: kernel (ceil(in/2), out))"]),
    dict(name="quant_float8", seed=1727, build=m_quantized, inputs=[tokens((3, 7))], quantize="float8", keras3_weights=True,
         keras3_legacy_h5=False,
         notes=["model.quantize('float8'): Dense and EinsumDense keep a float32 kernel plus scales and amax "
                "histories (QuantizedFloat8DTypePolicy); Embedding is not quantized; no keras3.h5: Keras cannot "
                "reload its own float8 legacy .h5 (Shape mismatch ... inputs_scale, Keras 3.12 and 3.15.1)"]),
    # appended after the others (seeds follow the list index); added with --add shape_layers_1d ...
    dict(name="shape_layers_1d", build=m_shape_layers_1d, inputs=[f32((3, 5, 4))],
         notes=["ZeroPadding1D, Cropping1D, UpSampling1D, AveragePooling1D same, Permute, LeakyReLU, "
                "Flatten, RepeatVector, ELU(0.5), Reshape around one Dense"]),
    dict(name="shape_layers_2d", build=m_shape_layers_2d, inputs=[f32((2, 6, 5, 2))],
         notes=["ZeroPadding2D, Cropping2D, UpSampling2D, AveragePooling2D, Permute, "
                "GlobalAveragePooling2D keepdims around one Conv2D"]),
    dict(name="shape_layers_3d", build=m_shape_layers_3d, inputs=[f32((2, 4, 4, 4, 2))],
         notes=["ZeroPadding3D, Cropping3D, UpSampling3D, MaxPooling3D, AveragePooling3D, "
                "GlobalMaxPooling3D around one Conv3D"]),
    dict(name="misc_layers", build=m_misc_layers, inputs=[f32((2, 4, 3)), f32((2, 5, 3))],
         notes=["Rescaling, UnitNormalization, Dot over axes (2, 2) and normalized Dot of rank 2, "
                "GlobalAveragePooling1D, Identity; two inputs, two outputs"]),
]


# ----------------------------------------------------------------------------

def perturb(model, rng):
    """Make every constant-initialised variable (biases, BN stats, gamma/beta, a
    Constant kernel) non-trivial, keeping random-initialised kernels as Keras drew them."""
    for v in model.weights:
        w = np.asarray(v.numpy())
        if w.size == 0:
            continue
        flat = w.reshape(-1)
        if np.all(flat == flat[0]):
            path = getattr(v, "path", v.name)
            if "moving_variance" in path:
                new = rng.uniform(0.5, 2.0, size=w.shape)
            elif "moving_mean" in path:
                new = rng.normal(0.0, 0.5, size=w.shape)
            else:
                new = w + rng.normal(0.0, 0.2, size=w.shape)
            v.assign(new.astype(w.dtype))


def weighted_layers(model):
    return [l for l in model.layers if l.weights]


def copy_weights(src, dst, where=""):
    """Copy Keras 3 weights into the tf-keras model layer by layer (model-level
    get_weights order differs: tf-keras lists all trainable weights first)."""
    s, d = weighted_layers(src), weighted_layers(dst)
    if len(s) != len(d):
        raise RuntimeError(f"{where}: weighted layer count {len(s)} vs {len(d)}")
    for a, b in zip(s, d):
        if isinstance(a, keras.Model) != isinstance(b, tf_keras.Model):
            raise RuntimeError(f"{where}: layer kind mismatch {a.name} / {b.name}")
        if isinstance(a, keras.Model):
            copy_weights(a, b, where + "/" + a.name)
            continue
        wa, wb = a.get_weights(), b.get_weights()
        if [w.shape for w in wa] != [w.shape for w in wb]:
            raise RuntimeError(f"{where}/{a.name}: shapes {[w.shape for w in wa]} vs {[w.shape for w in wb]}")
        b.set_weights(wa)


def layer_classes(model, acc=None):
    acc = set() if acc is None else acc
    acc.add(type(model).__name__)
    layers = list(model.layers)
    # Functional models list their InputLayers; Sequential does not.
    for l in layers:
        acc.add(type(l).__name__)
        if isinstance(l, keras.Model):
            layer_classes(l, acc)
        for attr in ("layer", "forward_layer", "backward_layer"):
            sub = getattr(l, attr, None)
            if isinstance(sub, keras.layers.Layer) and not isinstance(sub, keras.Model):
                acc.add(type(sub).__name__)
    return sorted(acc)


def train_compiled(k3, tfk, xs, seed):
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((16, xs[0].shape[1])).astype(np.float32)
    labels = rng.integers(0, 3, size=16)
    y = np.eye(3, dtype=np.float32)[labels]
    k3.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
               loss="categorical_crossentropy", metrics=["accuracy"])
    tfk.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01),
                loss="categorical_crossentropy", metrics=["accuracy"])
    copy_weights(k3, tfk, "compiled-init")
    k3.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    tfk.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # Same final weights in both (the tf-keras optimizer state comes from its own 2 steps).
    copy_weights(k3, tfk, "compiled-final")


def summarize_error(e):
    """One line: the exception type, the start of its message and, for Keras's
    long 'Error when deserializing ...' messages, the part that says why."""
    msg = " ".join(str(e).split())
    key = "Exception encountered:"
    if key in msg:
        head, _, why = msg.partition(key)
        return f"{type(e).__name__}: {head[:120]}... {key} {why.strip()[:300]}"
    return f"{type(e).__name__}: {msg[:400]}"


PROBE_TIMEOUT = 10  # seconds; some cross-loads hang forever (see README)


class ProbeTimeout(BaseException):
    """BaseException so that no `except Exception` inside Keras can swallow it."""


def _on_alarm(signum, frame):
    raise ProbeTimeout(f"timed out after {PROBE_TIMEOUT}s (load hangs)")


def try_probe(fn):
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(PROBE_TIMEOUT)
    try:
        return fn()
    except (Exception, ProbeTimeout) as e:  # noqa: BLE001
        return {"ok": False, "error": summarize_error(e)}
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def probe_compare(model_loader, xs, expected, tol):
    def run():
        m = model_loader()
        d = max_diff(predict(m, xs), expected)
        return {"ok": bool(d <= tol), "max_abs_diff": d}
    return try_probe(run)


def build_tfkeras_only(spec, index):
    """A model only tf-keras builds or computes as meant: tfkeras.h5, its own predictions as
    expected.npz, and what Keras 3 makes of the file (crossload)."""
    name = spec["name"]
    seed = spec.get("seed", 1234 + 17 * index)  # explicit where a model was added at another index
    d = OUT / name
    d.mkdir(parents=True)
    rng_in = np.random.default_rng(seed)
    xs = [make(rng_in) for make in spec["inputs"]]
    keras_env.fresh_session(seed)
    tfk = spec["build"](tf_keras)
    perturb(tfk, np.random.default_rng(seed + 1))
    expected = predict(tfk, xs)
    np.savez(d / "input.npz", **{f"x{i}": x for i, x in enumerate(xs)})
    np.savez(d / "expected.npz", **{f"y{i}": y for i, y in enumerate(expected)})
    tfk.save(d / "tfkeras.h5")
    m = tf_keras.models.load_model(d / "tfkeras.h5", compile=False)
    diff = max_diff(predict(m, xs), expected)
    if diff > TOL_SAME:
        raise RuntimeError(f"{name}: tf-keras reload of tfkeras.h5 differs by {diff}")
    crossload = {"keras3_loads_tfkeras_h5": probe_compare(
        lambda: keras.saving.load_model(d / "tfkeras.h5", compile=False), xs, expected, TOL_CROSS)}
    return {
        "name": name,
        "model_class": type(tfk).__name__,
        "files": {"input": "input.npz", "expected": "expected.npz", "tfkeras_h5": "tfkeras.h5"},
        "layer_classes": layer_classes(tfk),
        "layer_names": [l.name for l in tfk.layers],
        "inputs": [{"key": f"x{i}", "shape": list(a.shape), "dtype": str(a.dtype)} for i, a in enumerate(xs)],
        "outputs": [{"key": f"y{i}", "shape": list(a.shape), "dtype": str(a.dtype)} for i, a in enumerate(expected)],
        # expected.npz is tf-keras's own here: both tolerances are tf-keras reloading its file
        "tolerance": {"keras3": TOL_SAME, "tfkeras": TOL_CROSS},
        "compiled": False,
        "keras_loads_legacy_h5": True,
        "only": "tfkeras",
        "seed": seed,
        "notes": list(spec.get("notes", [])),
        "crossload": crossload,
    }


def build_one(spec, index):
    if spec.get("only") == "tfkeras":
        return build_tfkeras_only(spec, index)
    name = spec["name"]
    seed = spec.get("seed", 1234 + 17 * index)  # explicit where a model was added at another index
    d = OUT / name
    d.mkdir(parents=True)
    files = {}
    notes = list(spec.get("notes", []))
    crossload = {}
    f16 = spec.get("f16", False)
    tol_cross = TOL_CROSS_F16 if f16 else TOL_CROSS

    rng_in = np.random.default_rng(seed)
    xs = [make(rng_in) for make in spec["inputs"]]

    # ---- Keras 3 model
    keras_env.fresh_session(seed)
    k3 = spec["build"](keras)
    perturb(k3, np.random.default_rng(seed + 1))
    if "after_perturb" in spec:
        spec["after_perturb"](k3)  # e.g. Normalization caches its mean/variance from its variables

    if spec.get("quantize"):
        k3.quantize(spec["quantize"])

    # ---- tf-keras twin (built now so the compiled model can be trained in step)
    tfk, tfk_reason = None, None
    if spec.get("quantize"):
        tfk_reason = "tf-keras has no quantized layers (model.quantize is Keras 3 only)"
    else:
        try:
            tf_keras.utils.set_random_seed(seed)
            tfk = spec["build"](tf_keras)
            copy_weights(k3, tfk, name)
        except Exception as e:  # noqa: BLE001
            tfk, tfk_reason = None, f"tf-keras cannot build the same model: {type(e).__name__}: {e}"

    if spec.get("compiled"):
        train_compiled(k3, tfk, xs, seed)

    expected = predict(k3, xs)
    np.savez(d / "input.npz", **{f"x{i}": x for i, x in enumerate(xs)})
    np.savez(d / "expected.npz", **{f"y{i}": y for i, y in enumerate(expected)})
    files["input"] = "input.npz"
    files["expected"] = "expected.npz"

    # ---- Keras 3 saves
    k3.save(d / "keras3.keras")
    files["keras3_keras"] = "keras3.keras"
    if spec.get("keras3_legacy_h5", True):
        k3.save(d / "keras3.h5")
        files["keras3_h5"] = "keras3.h5"
    if spec.get("keras3_weights"):
        k3.save_weights(d / "keras3.weights.h5")
        files["keras3_weights_h5"] = "keras3.weights.h5"
    if spec.get("unzipped"):
        k3.save(str(d / "keras3_unzipped"), zipped=False)
        files["keras3_unzipped"] = "keras3_unzipped"
    if spec.get("sharded"):
        # max_shard_size is in GB; ~300 bytes forces several shards for this model.
        k3.save_weights(str(d / "keras3_sharded.weights.json"), max_shard_size=300 / 1024 ** 3)
        files["keras3_sharded_weights"] = "keras3_sharded.weights.json"
        files["keras3_sharded_shards"] = sorted(p.name for p in d.glob("keras3_sharded_*.weights.h5"))

    # Sanity: Keras 3 reloads its own files exactly.
    for key in ("keras3_keras", "keras3_h5", "keras3_unzipped"):
        if key in files:
            m = keras.saving.load_model(d / files[key], compile=False)
            diff = max_diff(predict(m, xs), expected)
            if diff > TOL_SAME:
                raise RuntimeError(f"{name}: Keras 3 reload of {files[key]} differs by {diff}")

    # ---- tf-keras saves
    if tfk is not None:
        diff = max_diff(predict(tfk, xs), expected)
        if diff > tol_cross:
            tfk_reason = f"tf-keras predictions differ from Keras 3 by {diff:.3g} (> {tol_cross})"
        else:
            tfk.save(d / "tfkeras.h5")
            files["tfkeras_h5"] = "tfkeras.h5"
            notes.append(f"tf-keras vs Keras 3 max abs prediction diff: {diff:.3g}")
            if spec.get("tfkeras_weights"):
                # Must NOT end in ".weights.h5": tf-keras (and Keras 3) route that suffix to the
                # new (v3) weights layout; a plain ".h5" name gives the legacy HDF5 layout.
                tfk.save_weights(str(d / "tfkeras_weights.h5"))
                files["tfkeras_weights_h5"] = "tfkeras_weights.h5"
                (d / "tfkeras.json").write_text(tfk.to_json())
                files["tfkeras_json"] = "tfkeras.json"
            if spec.get("tfkeras_keras"):
                tfk.save(str(d / "tfkeras.keras"))
                files["tfkeras_keras"] = "tfkeras.keras"
            try:
                m = tf_keras.models.load_model(d / "tfkeras.h5", compile=False)
            except Exception as e:  # noqa: BLE001
                # tf-keras's limit, not a test failure: the file is not kept (bfloat16: "No cast
                # function available")
                m = None
                tfk_reason = f"tf-keras cannot reload its own .h5: {type(e).__name__}: {e}"
                for key in ("tfkeras_h5", "tfkeras_weights_h5", "tfkeras_json", "tfkeras_keras"):
                    if key in files:
                        (d / files.pop(key)).unlink()
            if m is not None:
                diff2 = max_diff(predict(m, xs), expected)
                if diff2 > tol_cross:
                    raise RuntimeError(f"{name}: tf-keras reload of tfkeras.h5 differs by {diff2}")
    if tfk_reason:
        notes.append("tfkeras.h5 skipped: " + tfk_reason)

    # ---- cross-load probes (facts, recorded in the manifest)
    if "keras3_h5" in files:
        crossload["tfkeras_loads_keras3_h5"] = probe_compare(
            lambda: tf_keras.models.load_model(str(d / "keras3.h5"), compile=False), xs, expected, tol_cross)
    crossload["tfkeras_loads_keras3_keras"] = probe_compare(
        lambda: tf_keras.models.load_model(str(d / "keras3.keras"), compile=False), xs, expected, tol_cross)
    if "tfkeras_h5" in files:
        crossload["keras3_loads_tfkeras_h5"] = probe_compare(
            lambda: keras.saving.load_model(d / "tfkeras.h5", compile=False), xs, expected, tol_cross)
    if "tfkeras_keras" in files:
        crossload["keras3_loads_tfkeras_keras"] = probe_compare(
            lambda: keras.saving.load_model(d / "tfkeras.keras", compile=False), xs, expected, tol_cross)
        crossload["tfkeras_loads_tfkeras_keras"] = probe_compare(
            lambda: tf_keras.models.load_model(str(d / "tfkeras.keras"), compile=False), xs, expected,
            tol_cross)
    if "tfkeras_weights_h5" in files:
        def k3_loads_tfk_weights():
            m = keras.saving.load_model(d / "keras3.keras", compile=False)
            m.load_weights(d / "tfkeras_weights.h5")
            return m
        crossload["keras3_loads_tfkeras_weights_h5"] = probe_compare(
            k3_loads_tfk_weights, xs, expected, tol_cross)
    if "tfkeras_json" in files:
        def k3_builds_tfk_json():
            m = keras.models.model_from_json((d / "tfkeras.json").read_text())
            m.load_weights(d / "tfkeras_weights.h5")
            return m
        crossload["keras3_builds_tfkeras_json"] = probe_compare(k3_builds_tfk_json, xs, expected, tol_cross)
    if "keras3_weights_h5" in files and "tfkeras_h5" in files:
        def tfk_loads_k3_weights():
            m = tf_keras.models.load_model(str(d / "tfkeras.h5"), compile=False)
            m.load_weights(str(d / "keras3.weights.h5"))
            return m
        crossload["tfkeras_loads_keras3_weights_h5"] = probe_compare(
            tfk_loads_k3_weights, xs, expected, tol_cross)

    def io_desc(arrs, prefix):
        return [{"key": f"{prefix}{i}", "shape": list(a.shape), "dtype": str(a.dtype)}
                for i, a in enumerate(arrs)]

    entry = {
        "name": name,
        "model_class": type(k3).__name__,
        "files": files,
        "layer_classes": layer_classes(k3),
        "layer_names": [l.name for l in k3.layers],
        "inputs": io_desc(xs, "x"),
        "outputs": io_desc(expected, "y"),
        "tolerance": {"keras3": TOL_SAME, "tfkeras": tol_cross},
        "compiled": bool(spec.get("compiled")),
        # false where Keras cannot reload a legacy .h5 of this model (its own included)
        "keras_loads_legacy_h5": bool(spec.get("keras3_legacy_h5", True)),
        "seed": seed,
        "notes": notes,
        "crossload": crossload,
    }
    if spec.get("quantize"):
        entry["quantization"] = spec["quantize"]
    if tfk_reason:
        entry["tfkeras_skipped"] = tfk_reason
    return entry


def main():
    t0 = time.time()
    # --add NAME ...: build only these models into the existing testdata/models, keeping every
    # other model's files and manifest entry (a model added later does not regenerate the rest)
    add = sys.argv[1:2] == ["--add"]
    only = set(sys.argv[2:] if add else sys.argv[1:])
    kept = []
    if add:
        old = json.loads((OUT / "MANIFEST.json").read_text())
        kept = [e for e in old["models"] if e["name"] not in only]
        for n in only:
            if (OUT / n).exists():
                shutil.rmtree(OUT / n)
    else:
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
    entries = []
    for i, spec in enumerate(MODELS):
        if only and spec["name"] not in only:
            continue
        t = time.time()
        entries.append(build_one(spec, i))
        print(f"  {spec['name']:<20} {time.time() - t:5.1f}s  {sorted(entries[-1]['files'])}",
              file=sys.stderr)
    manifest = {
        "generator": "testdata/generate.py",
        "versions": {
            "python": sys.version.split()[0],
            "keras": keras.__version__,
            "tf_keras": tf_keras.__version__,
            "tensorflow": tf.__version__,
            "h5py": h5py.__version__,
            "numpy": np.__version__,
        },
        "input_keys": "x0, x1, ... in model input order; expected keys y0, y1, ... in model output order",
        "tolerance_meaning": "keras3: Keras 3 reloading its own file; tfkeras: tf-keras vs the Keras 3 expected.npz",
        "models": entries,
    }
    if add:
        # the manifest keeps the models in MODELS order; versions are those of the first generation
        order = {spec["name"]: i for i, spec in enumerate(MODELS)}
        manifest["versions"] = old["versions"]
        manifest["models"] = sorted(kept + entries, key=lambda e: order.get(e["name"], len(order)))
        for e in entries:
            e["generated_with"] = {"keras": keras.__version__, "tf_keras": tf_keras.__version__,
                                   "tensorflow": tf.__version__}
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(entries)} models to {OUT} in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
