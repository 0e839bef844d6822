"""Writes the portable-*.keras3.json configs used by dev.initkit.format.config.PortableFormTest.

Each is the config.json of a Keras 3.12 .keras archive of a model built below. The portable
Keras 2 form (ConfigTranslator.toKeras2) of each was checked outside the tests, by writing it as
a legacy .h5 with initkit and loading that with tf-keras 2.20.1 and Keras 3.12.0
(testdata/interop/check.py): both load it and predict what Keras 3 predicts from the archive.
Run with the project venv: .venv/bin/python generate_portable_examples.py [ARCHIVE_DIR]
(ARCHIVE_DIR keeps the .keras files with input.npz/expected.npz for check.py).
"""
import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHIVES = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
rng = np.random.default_rng(0)
keras.utils.set_random_seed(3)


def f32(*shape):
    return rng.normal(size=shape).astype("float32")


def save(name, model, xs):
    d = os.path.join(ARCHIVES, name)
    os.makedirs(d, exist_ok=True)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) for w in model.get_weights()])
    path = os.path.join(d, "keras3.keras")
    model.save(path)
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    np.savez(os.path.join(d, "input.npz"), **{f"x{i}": x for i, x in enumerate(xs)})
    np.savez(os.path.join(d, "expected.npz"), **{f"y{i}": np.asarray(y) for i, y in enumerate(ys)})
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    with open(os.path.join(HERE, f"portable-{name}.keras3.json"), "w") as f:
        json.dump(config, f, separators=(",", ":"))


# Nested models called twice, with model outputs taken straight from them.
a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
fi = keras.Input((4,), name="fi")
f = keras.Model(fi, L.Dense(3, name="f_out")(L.Dense(5, activation="relu", name="f_h")(fi)), name="inner_f")
s = keras.Sequential([keras.Input((3,)), L.Dense(2, name="s_d")], name="inner_s")
ya, yb = f(a), f(b)
za, zb = s(ya), s(yb)
save("shared_nested", keras.Model([a, b], [L.Add(name="add")([za, zb]), yb, zb], name="shared_nested"),
     [f32(4, 4), f32(4, 4)])

# Wrapped layers and RNN cells.
x = keras.Input((5, 6, 6, 2), name="frames")
y = L.TimeDistributed(L.Conv2D(3, 3, name="td_conv"), name="td_c")(x)
y = L.TimeDistributed(L.BatchNormalization(name="td_bn_inner"), name="td_bn")(y)
y = L.TimeDistributed(L.Flatten(name="td_flat_inner"), name="td_flat")(y)
y1 = L.RNN(L.LSTMCell(4, name="lcell"), return_sequences=True, name="rnn_lstmcell")(y)
y2 = L.RNN(L.StackedRNNCells([L.GRUCell(3, name="gcell"), L.SimpleRNNCell(2, name="scell")], name="stack"),
           name="rnn_stacked")(y1)
y3 = L.Bidirectional(L.GRU(3, name="fw"), backward_layer=L.GRU(2, go_backwards=True, name="bw"),
                     name="bi_custom")(y1)
save("wrappers", keras.Model(x, L.Concatenate(name="cat")([y2, y3]), name="wrappers"), [f32(3, 5, 6, 6, 2)])

# Convolutions whose tf-keras configs carry groups / unused kernel_* keys; a spatial dropout.
x = keras.Input((10, 3), name="seq")
y = L.Conv1DTranspose(4, 3, strides=2, name="c1t")(x)
y = L.SeparableConv1D(5, 3, name="sep1")(y)
y = L.DepthwiseConv1D(3, depth_multiplier=2, name="dw1")(y)
y = L.SpatialDropout1D(0.2, name="sdrop")(y)
y = L.GlobalAveragePooling1D(name="gap")(y)
x2 = keras.Input((4, 4, 4, 2), name="vol")
z = L.Flatten(name="fl")(L.Conv3DTranspose(2, 2, name="c3t")(x2))
save("convs", keras.Model([x, x2], [y, z], name="convs"), [f32(2, 10, 3), f32(2, 4, 4, 4, 2)])

# Models inside wrappers.
x = keras.Input((4, 5), name="seq")
y = L.TimeDistributed(keras.Sequential([keras.Input((5,)), L.Dense(3, name="tds_d")], name="tds"),
                      name="td_seq")(x)
fi = keras.Input((3,))
y = L.TimeDistributed(keras.Model(fi, L.Dense(2, name="tdf_d")(fi), name="tdf"), name="td_fn")(y)
save("wrapped_models", keras.Model(x, y, name="wrapped_models"), [f32(2, 4, 5)])

# Models inside a Sequential.
fi = keras.Input((6,))
inner_fn = keras.Model(fi, L.Dense(4, name="sf_d")(fi), name="sf")
save("seq_in_seq", keras.Sequential([keras.Input((6,)), keras.Sequential(
    [keras.Input((6,)), L.Dense(6, name="ss_d")], name="ss"), inner_fn, L.Dense(2, name="head")],
    name="seq_in_seq"), [f32(3, 6)])

# A nested Sequential with an integer input.
t = keras.Input((7,), dtype="int32", name="tokens")
emb = keras.Sequential([keras.Input((7,), dtype="int32"), L.Embedding(20, 4, name="emb"),
                        L.GlobalAveragePooling1D(name="gp")], name="emb_seq")
save("nested_embedding", keras.Model(t, L.Dense(2, name="head")(emb(t)), name="nested_embedding"),
     [rng.integers(0, 20, (3, 7)).astype("int32")])

# A mixed-precision policy other than mixed_float16.
keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
x = keras.Input((5,), name="x")
y = L.Dense(2, dtype="float32", name="d2")(L.Dense(4, name="d1")(x))
save("mixed_bf16", keras.Model(x, y, name="mixed_bf16"), [f32(3, 5)])
keras.mixed_precision.set_dtype_policy("float32")
