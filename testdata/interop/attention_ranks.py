#!/usr/bin/env python
"""Attention layers over inputs of several ranks, saved by tf-keras as legacy .h5 (DotAttentionRankIT).

    .venv/bin/python testdata/interop/attention_ranks.py OUTDIR

tf-keras scores Attention's dot mode with tf.matmul(query, key, transpose_b=True), which runs on
any rank (on (batch, features) every sample is scored against the whole batch); Keras 3.12 with
ops.transpose(key, axes=[0, 2, 1]), which takes rank 3 only. The concat score and
AdditiveAttention broadcast with expand_dims in both. One model per case, named for it; weights
seeded. Prints the written paths, one a line.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tf_keras as keras  # noqa: E402

# name -> (layer, input shape without the batch, number of inputs: query, value[, key])
CASES = {
    "dot-rank2": (lambda: keras.layers.Attention(), (6,), 2),
    "dot-rank2-scaled-key": (lambda: keras.layers.Attention(use_scale=True), (6,), 3),
    "dot-rank3": (lambda: keras.layers.Attention(), (5, 6), 2),
    "dot-rank4": (lambda: keras.layers.Attention(), (3, 5, 6), 2),
    "concat-rank2": (lambda: keras.layers.Attention(score_mode="concat"), (6,), 2),
    "additive-rank2": (lambda: keras.layers.AdditiveAttention(), (6,), 2),
}


def build(name):
    layer, shape, n = CASES[name]
    keras.utils.set_random_seed(17)
    x = keras.Input(shape, name="x")
    projected = [keras.layers.Dense(4, name=f"proj{i}")(x) for i in range(n)]
    y = layer()(projected)
    return keras.Model(x, keras.layers.Dense(3, name="head")(y), name=name.replace("-", "_"))


def main(argv):
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        path = out / f"{name}.h5"
        build(name).save(path)
        print(path)


if __name__ == "__main__":
    main(sys.argv)
