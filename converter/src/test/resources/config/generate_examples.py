"""Writes the paired example configs used by dev.initkit.format.config tests.

Each architecture is built twice with identical explicit layer names: once with tf-keras 2.x
(`import tf_keras`) and once with Keras 3. For each we keep what real files carry:
  <arch>.tfkeras.json     tf_keras Model.to_json()          (Keras 2 form with module keys)
  <arch>.tfkeras-h5.json  tf_keras model.save(h5) model_config (legacy Keras 2 form, no module)
  <arch>.keras3.json      Keras 3 .keras archive config.json (Keras 3 form)
  <arch>.keras3-h5.json   Keras 3 legacy model.save(h5) model_config
Run with the project venv: .venv/bin/python generate_examples.py  (tf-keras 2.20, keras 3.12).
"""
import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py  # noqa: E402
import keras  # noqa: E402
import tf_keras  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


def mlp(K):
    L = K.layers
    return K.Sequential([
        L.InputLayer(input_shape=(16,), name="in"),
        L.Dense(32, activation="relu", name="fc1",
                kernel_initializer=K.initializers.HeNormal(seed=1),
                bias_initializer=K.initializers.Constant(0.1),
                kernel_regularizer=K.regularizers.L2(1e-4),
                kernel_constraint=K.constraints.MaxNorm(3.0)),
        L.Dropout(0.3, noise_shape=None, seed=7, name="drop"),
        L.Dense(8, activation="tanh", name="fc2",
                kernel_initializer=K.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal"),
                activity_regularizer=K.regularizers.L1L2(l1=0.01, l2=0.02)),
        L.Dense(3, activation="softmax", name="out",
                kernel_initializer=K.initializers.RandomNormal(0.0, 0.02),
                bias_initializer="ones"),
    ], name="mlp")


def cnn2d(K):
    L = K.layers
    return K.Sequential([
        L.InputLayer(input_shape=(32, 32, 3), name="img"),
        L.Conv2D(8, 3, padding="same", name="c1", kernel_initializer="he_uniform",
                 bias_regularizer=K.regularizers.L1(0.01)),
        L.BatchNormalization(name="bn1", momentum=0.9, gamma_constraint=K.constraints.NonNeg()),
        L.Activation("relu", name="act1"),
        L.MaxPooling2D(2, name="pool1"),
        L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw",
                          depthwise_initializer=K.initializers.TruncatedNormal(stddev=0.1)),
        L.SeparableConv2D(16, 3, name="sep", depthwise_initializer="lecun_normal",
                          pointwise_initializer=K.initializers.Orthogonal(gain=1.5)),
        L.Conv2DTranspose(8, 3, strides=2, name="deconv", kernel_initializer="glorot_normal"),
        L.AveragePooling2D(2, name="apool"),
        L.Conv2D(4, 3, dilation_rate=2, name="dil", kernel_initializer=K.initializers.RandomUniform(-0.1, 0.1)),
        L.Flatten(name="flat"),
        L.Reshape((-1, 4), name="reshape"),
        L.GlobalAveragePooling1D(name="gap"),
        L.Dense(2, name="logits", kernel_initializer=K.initializers.Identity(gain=2.0)),
    ], name="cnn2d")


def conv1d3d(K):
    L = K.layers
    a = K.Input(shape=(20, 6), name="seq")
    x = L.Conv1D(8, 3, padding="causal", name="c1d", kernel_initializer="lecun_uniform")(a)
    x = L.MaxPooling1D(2, name="mp1d")(x)
    x = L.GlobalMaxPooling1D(name="gmp1d")(x)
    b = K.Input(shape=(8, 8, 8, 1), name="vol")
    y = L.Conv3D(4, 3, name="c3d", kernel_initializer="zeros", bias_initializer=K.initializers.Ones())(b)
    y = L.MaxPooling3D(2, name="mp3d")(y)
    y = L.Flatten(name="flat3d")(y)
    z = L.Concatenate(name="cat", axis=-1)([x, y])
    o1 = L.Dense(1, activation="sigmoid", name="o1")(z)
    o2 = L.Dense(2, name="o2")(y)
    return K.Model([a, b], [o1, o2], name="conv1d3d")


def rnn(K):
    L = K.layers
    return K.Sequential([
        L.InputLayer(input_shape=(12,), dtype="int32", name="tokens"),
        L.Embedding(100, 8, mask_zero=True, name="emb",
                    embeddings_initializer=K.initializers.RandomUniform(-0.05, 0.05)),
        L.LSTM(16, return_sequences=True, dropout=0.1, recurrent_dropout=0.2, name="lstm",
               unit_forget_bias=True, recurrent_initializer=K.initializers.Orthogonal(seed=3)),
        L.GRU(8, return_sequences=True, reset_after=True, name="gru"),
        L.SimpleRNN(8, return_sequences=True, name="srnn", go_backwards=True),
        L.Bidirectional(L.LSTM(4, return_sequences=True, name="bilstm"), merge_mode="concat", name="bi"),
        L.TimeDistributed(L.Dense(3, name="td_dense"), name="td"),
        L.GlobalAveragePooling1D(name="gap"),
    ], name="rnn")


def rnn_cells(K):
    L = K.layers
    a = K.Input(shape=(5, 4), name="x")
    h = L.RNN(L.LSTMCell(6, name="lcell"), return_sequences=True, name="rnn_lstm")(a)
    h = L.RNN(L.StackedRNNCells([L.GRUCell(5, name="gcell"), L.SimpleRNNCell(3, name="scell")],
                                name="stack"), name="rnn_stack")(h)
    return K.Model(a, h, name="rnn_cells")


def functional(K):
    L = K.layers
    a = K.Input(shape=(10,), name="a")
    b = K.Input(shape=(10,), name="b")
    shared = L.Dense(6, name="shared")
    ha, hb = shared(a), shared(b)
    s = L.Add(name="add")([ha, hb])
    d = L.Dropout(0.5, name="mc_drop")(s, training=True)
    c = L.Concatenate(name="cat")([d, ha, hb])
    mixed = L.Dense(4, name="f64", dtype="float64")(c)
    return K.Model(inputs={"a": a, "b": b}, outputs={"y": mixed, "s": s}, name="functional")


def transformer(K):
    L = K.layers
    x = K.Input(shape=(7, 16), name="x")
    m = K.Input(shape=(7, 7), name="mask", dtype="bool")
    att = L.MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1, name="mha")(x, x, attention_mask=m)
    h = L.Add(name="res1")([x, att])
    h = L.LayerNormalization(epsilon=1e-6, name="ln1")(h)
    c = L.MultiHeadAttention(num_heads=1, key_dim=4, name="xattn")(h, x, x)
    h = L.LayerNormalization(axis=[1, 2], name="ln2")(c)
    f = L.Dense(32, activation="gelu", name="ff1")(h)
    f = L.Dense(16, name="ff2")(f)
    h = L.Add(name="res2")([h, f])
    return K.Model([x, m], h, name="transformer")


def nested(K):
    L = K.layers
    inner_seq = K.Sequential([L.InputLayer(input_shape=(8,), name="is_in"),
                              L.Dense(8, name="is_d")], name="inner_seq")
    ii = K.Input(shape=(8,), name="if_in")
    inner_fn = K.Model(ii, L.Dense(4, name="if_d")(ii), name="inner_fn")
    x = K.Input(shape=(8,), name="x")
    h = inner_seq(x)
    h2 = inner_seq(h)           # second call of a nested model: node index 2 in tf-keras history
    y = inner_fn(h2)
    mid = K.Model(x, y, name="mid")
    return K.Sequential([L.InputLayer(input_shape=(8,), name="outer_in"), mid,
                         L.Dense(2, name="head")], name="nested")


def mixed_precision(K):
    L = K.layers
    pol = (K.mixed_precision.Policy if K is tf_keras else keras.DTypePolicy)("mixed_float16")
    return K.Sequential([
        L.InputLayer(input_shape=(4,), name="in"),
        L.Dense(4, name="half", dtype=pol),
        L.Dense(2, name="full", dtype="float32"),
    ], name="mixed_precision")


def misc(K):
    L = K.layers
    x = K.Input(shape=(10, 4), name="x")
    a = L.Lambda(lambda t: t * 2.0, name="double")(x)  # code is copied by translation, never run
    a = L.ZeroPadding1D(1, name="pad")(a)
    a = L.Conv1DTranspose(4, 3, name="up")(a)
    a = L.LeakyReLU(0.2, name="lrelu")(a)
    a = L.SpatialDropout1D(0.1, name="sdrop")(a)
    g = L.GRU(5, reset_after=False, name="gru_v1")(a)
    gate = L.Dense(5, activation="sigmoid", name="gate")(g)
    return K.Model(x, L.Multiply(name="mul")([g, gate]), name="misc")


ARCHS = [mlp, cnn2d, conv1d3d, rnn, rnn_cells, functional, transformer, nested, mixed_precision,
         misc]


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def h5_config(model, tmp):
    path = os.path.join(tmp, "m.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["model_config"])


def main():
    only = set(sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ARCHS:
            if only and arch.__name__ not in only:
                continue
            k2 = arch(tf_keras)
            dump(f"{arch.__name__}.tfkeras.json", json.loads(k2.to_json()))
            dump(f"{arch.__name__}.tfkeras-h5.json", h5_config(k2, tmp))
            k3 = arch(keras)
            path = os.path.join(tmp, "m.keras")
            k3.save(path)
            with zipfile.ZipFile(path) as z:
                dump(f"{arch.__name__}.keras3.json", json.loads(z.read("config.json")))
            dump(f"{arch.__name__}.keras3-h5.json", h5_config(k3, tmp))
            tf_keras.backend.clear_session()
            keras.backend.clear_session()


if __name__ == "__main__":
    main()
