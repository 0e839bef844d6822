"""Truth for the TensorFlow analysis engine (analysis's TfEngineIT): real Keras 3 builds a small
CNN (Conv2D, BatchNormalization with non-trivial moving statistics, MaxPooling2D, Dense), an
LSTM stack, a 3-D CNN (Conv3D, Conv3DTranspose, strided Conv3D) and a CNN through the shape layers
(ZeroPadding2D, Cropping2D, UpSampling2D, Permute), saves them as .keras, writes a labelled flat dataset (N, 64) as data.npz, and measures
on the batch initkit analyzes (the first BATCH training rows) in inference mode
(model(x, training=False)): every layer's output mean and std, the loss (categorical
cross-entropy on the data's classes) and GradientTape's gradient norm per trainable weight.

It also builds a model of two inputs (an 8x8x1 image and the same 64 values flat, both read from
the data) and two softmax outputs, measures it the same way on the summed loss (Keras's fit sums
the outputs' losses with equal weights) and records the losses of its first SGD steps: STEPS
train_on_batch calls on the BATCH training rows (initkit's compare with --batch-size BATCH takes one
step per epoch on them), each output's loss in inference mode before and after every step; the
same for the CNN, whose BatchNormalization trains on the batch's statistics and moves its moving
statistics. dropout.keras (Dense, Dropout(0.3), Dense) is for the statistical check of Dropout.

    python tf_truth.py OUT_DIR    # writes cnn/lstm/conv3d/shapes/multi.keras, data.npz, truth.json
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N = 40  # initkit holds out the last 20%: the first 32 rows train
BATCH = 32
STEPS = 3
LR = 0.1


def cnn():
    inp = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inp)
    # momentum 0.5: the moving statistics move visibly in the few SGD steps sgd_steps takes
    x = keras.layers.BatchNormalization(momentum=0.5, name="bn1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    m = keras.Model(inp, x, name="cnn")
    bn = m.get_layer("bn1")
    rng = np.random.default_rng(3)
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights(
        [
            rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
            rng.normal(0, 0.1, beta.shape).astype("float32"),
            rng.uniform(0.1, 0.6, mean.shape).astype("float32"),
            rng.uniform(0.2, 2.0, var.shape).astype("float32"),
        ]
    )
    return m


def lstm():
    inp = keras.Input((8, 8), name="sequence")
    x = keras.layers.LSTM(16, return_sequences=True, name="lstm1")(inp)
    x = keras.layers.LSTM(12, name="lstm2")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inp, x, name="lstm")


def conv3d():
    # Conv3D and Conv3DTranspose: TensorFlow's C++ gradient registry has neither, initkit registers
    # them; the flat 64 values are a 4x4x4 volume
    inp = keras.Input((4, 4, 4, 1), name="volume")
    x = keras.layers.Conv3D(4, 3, padding="same", activation="relu", name="conv1")(inp)
    x = keras.layers.Conv3DTranspose(3, 2, strides=2, activation="relu", name="up1")(x)
    # a strided Conv3D, not MaxPooling3D: with MaxPooling3D(2) here Keras's gradient norms differed
    # from the same network's computed in float64 by up to 0.8% (conv1/bias, up1/bias), initkit's
    # matched float64 to 1e-6 (likely ties in the pooling windows: each holds one voxel's 8 products)
    x = keras.layers.Conv3D(4, 2, strides=2, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inp, x, name="conv3d")


def shapes():
    # the shape layers whose lowering feeds Pad, Slice and Tile (their C++ gradients need int32
    # operands)
    inp = keras.Input((8, 8, 1), name="image")
    x = keras.layers.ZeroPadding2D(1, name="pad")(inp)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv1")(x)
    x = keras.layers.Cropping2D(1, name="crop")(x)
    x = keras.layers.UpSampling2D(2, name="up")(x)
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.Permute((2, 1, 3), name="permute")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inp, x, name="shapes")


def multi():
    image = keras.Input((8, 8, 1), name="image")
    vector = keras.Input((64,), name="vector")
    a = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(image)
    a = keras.layers.Flatten(name="flat")(a)
    b = keras.layers.Dense(16, activation="tanh", name="dense_v")(vector)
    x = keras.layers.Concatenate(name="concat")([a, b])
    x = keras.layers.Dense(16, activation="relu", name="shared")(x)
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(x)
    echo = keras.layers.Dense(10, activation="softmax", name="echo")(b)
    return keras.Model([image, vector], [digit, echo], name="multi")


def dropout():
    # Dropout cannot match Keras bit for bit (another random stream): TfEngineIT checks its rate
    inp = keras.Input((64,), name="vector")
    x = keras.layers.Dense(32, activation="relu", name="dense")(inp)
    x = keras.layers.Dropout(0.3, name="drop")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inp, x, name="dropout")


def heads(model, xs):
    out = model(xs, training=False)
    return out if isinstance(out, (list, tuple)) else [out]


def summed_loss(model, xs, target):
    loss_fn = keras.losses.CategoricalCrossentropy()
    each = [loss_fn(target, o) for o in heads(model, xs)]
    return sum(each[1:], each[0]), each


def sgd_steps(model, xs, y):
    """Each output's loss before and after each of STEPS SGD steps (Keras's own train_on_batch)."""
    target = keras.ops.one_hot(y, 10)
    several = len(model.outputs) > 1
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=LR),
        loss=["categorical_crossentropy"] * len(model.outputs) if several else "categorical_crossentropy",
    )
    losses = []
    for step in range(STEPS + 1):
        losses.append([float(l) for l in summed_loss(model, xs, target)[1]])
        if step < STEPS:
            # training=True inside: BatchNormalization on the batch, its moving statistics updated
            model.train_on_batch(xs if several else xs[0], [target] * len(model.outputs) if several else target)
    return {"lr": LR, "outputs": list(model.output_names), "losses": losses}


def measure(model, xs, y):
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [l.output for l in layers])
    outs = probe(xs, training=False)
    stats = {}
    for l, o in zip(layers, outs):
        o = np.asarray(o, dtype=np.float64)
        stats[l.name] = {"mean": float(o.mean()), "std": float(o.std())}
    target = keras.ops.one_hot(y, 10)
    with tf.GradientTape() as tape:
        loss, _ = summed_loss(model, xs, target)
    owned = [(l.name, w) for l in layers for w in l.trainable_weights]
    grads = tape.gradient(loss, [w for _, w in owned])
    norms = {}
    for (layer, w), g in zip(owned, grads):
        norms.setdefault(layer, {})[w.name] = float(np.linalg.norm(np.asarray(g, np.float64)))
    return {"loss": float(loss), "layers": stats, "gradients": norms}


def main(out):
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (N, 64)).astype("float32")
    y = rng.integers(0, 10, N).astype("int64")
    np.savez(os.path.join(out, "data.npz"), x=x, y=y)
    truth = {"keras": keras.__version__, "tensorflow": tf.__version__, "batch": BATCH}
    for name, build, shapes_in in (
        ("cnn", cnn, [(8, 8, 1)]),
        ("lstm", lstm, [(8, 8)]),
        ("conv3d", conv3d, [(4, 4, 4, 1)]),
        ("shapes", shapes, [(8, 8, 1)]),
        ("multi", multi, [(8, 8, 1), (64,)]),
    ):
        m = build()
        m.save(os.path.join(out, name + ".keras"))
        xb = [x[:BATCH].reshape((BATCH,) + s) for s in shapes_in]
        truth[name] = measure(m, xb, y[:BATCH])
        if name in ("multi", "cnn"):
            truth[name]["sgd"] = sgd_steps(m, xb, y[:BATCH])
    dropout().save(os.path.join(out, "dropout.keras"))
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
