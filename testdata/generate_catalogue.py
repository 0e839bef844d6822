#!/usr/bin/env python
"""Coverage from Keras's own catalogue: a small model for every layer class in ``keras.layers`` that
holds weights (wrappers and RNN cells included), saved by every writer, with what Keras itself
used to initialise each weight.

    .venv/bin/python testdata/generate_catalogue.py          # the pinned stack  -> catalogue/keras-3.12.0
    .venv-newest/bin/python testdata/generate_catalogue.py   # the newest stack  -> catalogue/keras-3.15.1

The classes come from Keras, not from a list kept here: every class of ``keras.layers`` (and of
``tf_keras.layers`` for the tf-keras-only ones) is built, and the ones that create variables are
the catalogue. RECIPES only say how to construct a class that needs arguments; a class that holds
weights and has no recipe, or that cannot be built at all and is not listed in NOT_BUILDABLE with a
reason, stops the generator, so a new Keras release cannot add a weighted layer unnoticed.

Each model NAME is written as testdata/models is (generate.py's build_one: keras3.keras,
keras3.h5, keras3.weights.h5, tfkeras.h5 when tf-keras has the class, input.npz, expected.npz,
cross-load probes) into catalogue/keras-VERSION/NAME/, listed in that directory's MANIFEST.json,
plus ``facts`` per weight: the initializer Keras called for it, the fans Keras's own compute_fans
returned (a spy on it, so Keras 3.15's einsum axes are whatever that Keras passes), and a sample of
Keras's own draws (quantiles of >= 65536 values, or the exact values of a deterministic
initializer). Java tests compare initkit's report and reinit with these facts.
"""
import generate  # noqa: F401  (first: quiet, deterministic TensorFlow; generate.py's writers)

import inspect
import json
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import keras
import tf_keras
from keras.src.initializers import random_initializers
from keras.src.layers.layer import Layer

HERE = Path(__file__).resolve().parent
ROOT = HERE / "catalogue" / f"keras-{keras.__version__}"

SAMPLES = 65536
QUANTILES = [i / 20 for i in range(1, 20)]

f32 = generate.f32


def tokens(shape, n=12):
    return lambda rng: rng.integers(0, n, size=shape).astype(np.int32)


# (ConvLSTM: tf-keras's default recurrent_activation is hard_sigmoid, Keras 3's sigmoid; the twin
# must compute the same)
# How to build a class that needs arguments or a particular input. Each value: kwargs, input
# makers, and optionally "call" (how to apply the layer to the inputs) or "wrap" (a factory that
# builds the inner layer for a wrapper, with the module K = keras or tf_keras).
SEQ = [f32((2, 5, 3))]
IMG = [f32((2, 6, 6, 3))]
VOL = [f32((2, 4, 4, 4, 2))]
RECIPES = {
    "Dense": dict(kw=dict(units=4), inputs=[f32((3, 5))]),
    "EinsumDense": dict(kw=dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"),
                        inputs=SEQ),
    "Embedding": dict(kw=dict(input_dim=12, output_dim=4), inputs=[tokens((2, 5))]),
    "ReversibleEmbedding": dict(kw=dict(input_dim=12, output_dim=4), inputs=[tokens((2, 5))]),
    "Conv1D": dict(kw=dict(filters=4, kernel_size=3), inputs=SEQ),
    "Conv2D": dict(kw=dict(filters=4, kernel_size=3), inputs=IMG),
    "Conv3D": dict(kw=dict(filters=3, kernel_size=2), inputs=VOL),
    "Conv1DTranspose": dict(kw=dict(filters=4, kernel_size=3), inputs=SEQ),
    "Conv2DTranspose": dict(kw=dict(filters=4, kernel_size=3), inputs=IMG),
    "Conv3DTranspose": dict(kw=dict(filters=3, kernel_size=2), inputs=VOL),
    "DepthwiseConv1D": dict(kw=dict(kernel_size=3, depth_multiplier=2), inputs=SEQ),
    "DepthwiseConv2D": dict(kw=dict(kernel_size=3, depth_multiplier=2), inputs=IMG),
    "SeparableConv1D": dict(kw=dict(filters=4, kernel_size=3), inputs=SEQ),
    "SeparableConv2D": dict(kw=dict(filters=4, kernel_size=3), inputs=IMG),
    "ConvLSTM1D": dict(kw=dict(recurrent_activation="sigmoid", filters=3, kernel_size=3), inputs=[f32((2, 3, 6, 2))]),
    "ConvLSTM2D": dict(kw=dict(recurrent_activation="sigmoid", filters=3, kernel_size=3), inputs=[f32((2, 3, 5, 5, 2))]),
    "ConvLSTM3D": dict(kw=dict(recurrent_activation="sigmoid", filters=2, kernel_size=2), inputs=[f32((2, 2, 3, 3, 3, 2))]),
    "SimpleRNN": dict(kw=dict(units=4), inputs=SEQ),
    "GRU": dict(kw=dict(units=4), inputs=SEQ),
    "LSTM": dict(kw=dict(units=4), inputs=SEQ),
    "RNN": dict(wrap=lambda K: dict(cell=K.layers.LSTMCell(3)), inputs=SEQ),
    "SimpleRNNCell": dict(cell=True, kw=dict(units=4), inputs=SEQ),
    "GRUCell": dict(cell=True, kw=dict(units=4), inputs=SEQ),
    "LSTMCell": dict(cell=True, kw=dict(units=4), inputs=SEQ),
    "StackedRNNCells": dict(cell=True, wrap=lambda K: dict(cells=[K.layers.GRUCell(3), K.layers.SimpleRNNCell(2)]),
                            inputs=SEQ),
    "Bidirectional": dict(wrap=lambda K: dict(layer=K.layers.GRU(3)), inputs=SEQ),
    "TimeDistributed": dict(wrap=lambda K: dict(layer=K.layers.Dense(3)), inputs=SEQ),
    "SpectralNormalization": dict(wrap=lambda K: dict(layer=K.layers.Dense(3)), inputs=[f32((3, 5))]),
    "BatchNormalization": dict(inputs=IMG),
    "LayerNormalization": dict(inputs=SEQ),
    "GroupNormalization": dict(kw=dict(groups=2), inputs=[f32((2, 5, 4))]),
    "RMSNormalization": dict(inputs=SEQ),
    "PReLU": dict(inputs=SEQ),
    "MultiHeadAttention": dict(kw=dict(num_heads=2, key_dim=3), inputs=[f32((2, 4, 5)), f32((2, 3, 6))],
                               call=lambda layer, xs: layer(xs[0], xs[1])),
    "GroupQueryAttention": dict(kw=dict(head_dim=3, num_query_heads=4, num_key_value_heads=2),
                                inputs=[f32((2, 4, 5)), f32((2, 3, 5))],
                                call=lambda layer, xs: layer(xs[0], xs[1])),
    "Attention": dict(kw=dict(use_scale=True, score_mode="concat"), inputs=[f32((2, 4, 5)), f32((2, 3, 5))],
                      call=lambda layer, xs: layer([xs[0], xs[1]])),
    "AdditiveAttention": dict(kw=dict(use_scale=True), inputs=[f32((2, 4, 5)), f32((2, 3, 5))],
                              call=lambda layer, xs: layer([xs[0], xs[1]])),
    "Normalization": dict(kw=dict(axis=-1), inputs=[f32((3, 5))],
                          after_perturb=lambda m: m.get_layer("normalization").finalize_state()),
    "LocallyConnected1D": dict(kw=dict(filters=3, kernel_size=2), inputs=SEQ),
    "LocallyConnected2D": dict(kw=dict(filters=3, kernel_size=2), inputs=[f32((2, 4, 4, 2))]),
    # weightless classes that need arguments, built only to see that they hold no weights
    "Reshape": dict(kw=dict(target_shape=(15,)), inputs=SEQ),
    "Permute": dict(kw=dict(dims=(2, 1)), inputs=SEQ),
    "RepeatVector": dict(kw=dict(n=2), inputs=[f32((3, 5))]),
    "Resizing": dict(kw=dict(height=4, width=4), inputs=IMG),
    "CenterCrop": dict(kw=dict(height=4, width=4), inputs=IMG),
    "RandomCrop": dict(kw=dict(height=4, width=4), inputs=IMG),
    "Dot": dict(kw=dict(axes=1), inputs=[f32((3, 5)), f32((3, 5))], call=lambda layer, xs: layer(list(xs))),
    "Hashing": dict(kw=dict(num_bins=4), inputs=[tokens((3, 5))]),
    "CategoryEncoding": dict(kw=dict(num_tokens=12, output_mode="count"), inputs=[tokens((3, 5))]),
    "Discretization": dict(kw=dict(bin_boundaries=[0.0, 1.0]), inputs=[f32((3, 5))]),
    "Dropout": dict(kw=dict(rate=0.5), inputs=SEQ),
    "SpatialDropout1D": dict(kw=dict(rate=0.5), inputs=SEQ),
    "SpatialDropout2D": dict(kw=dict(rate=0.5), inputs=IMG),
    "SpatialDropout3D": dict(kw=dict(rate=0.5), inputs=VOL),
    "GaussianDropout": dict(kw=dict(rate=0.5), inputs=SEQ),
    "GaussianNoise": dict(kw=dict(stddev=0.5), inputs=SEQ),
    "AlphaDropout": dict(kw=dict(rate=0.5), inputs=SEQ),
    "Rescaling": dict(kw=dict(scale=0.5), inputs=IMG),
    "HashedCrossing": dict(kw=dict(num_bins=4), inputs=[tokens((3, 1)), tokens((3, 1))],
                           call=lambda layer, xs: layer(tuple(xs))),
    "RandomPosterization": dict(kw=dict(factor=4, value_range=(0, 255)), inputs=IMG),
    "Lambda": dict(kw=dict(function=lambda x: x), inputs=SEQ),
}
# merging layers take two inputs of one shape
for _merge in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
    RECIPES[_merge] = dict(inputs=[f32((3, 5)), f32((3, 5))], call=lambda layer, xs: layer(list(xs)))

# Classes that are not built into a model here, and why. A weighted class in neither RECIPES nor
# here stops the generator.
NOT_BUILDABLE = {
    "Layer": "the base class",
    "InputLayer": "every model has one; no weights",
    "Wrapper": "abstract base of Bidirectional/TimeDistributed",
    "AbstractRNNCell": "abstract base (tf-keras)",
    "TFSMLayer": "wraps a SavedModel endpoint; not serialisable by model.save",
    "JaxLayer": "JAX backend only",
    "FlaxLayer": "JAX backend only",
    "TorchModuleWrapper": "PyTorch backend only",
    "Pipeline": "a preprocessing pipeline of other layers",
    "DenseFeatures": "tf-keras feature columns (dict input); not a Keras 3 concept",
    "TextVectorization": "string input; vocabulary in assets, no variables",
    "StringLookup": "string input; vocabulary in assets, no variables",
    "IntegerLookup": "vocabulary in assets (adapt or a vocabulary), no variables",
    "MelSpectrogram": "audio preprocessing (needs a signal input); STFT weights are derived, not initialised",
    "STFTSpectrogram": "audio preprocessing; non-trainable STFT kernels derived from the window, not initialised",
    "Equalization": "image preprocessing that returns a symbolic input unchanged (functional models refuse it); no variables",
    "MaxNumBoundingBoxes": "bounding-box preprocessing (dict input)",
}


def classes(module):
    """The distinct layer classes a layers module exports (aliases such as Convolution2D once)."""
    seen = {}
    for name in sorted(dir(module)):
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, (Layer, tf_keras.layers.Layer)):
            seen.setdefault(obj, name)
    # the canonical name is the class's own where it is exported under it
    out = {}
    for cls, name in seen.items():
        out[cls.__name__ if hasattr(module, cls.__name__) else name] = cls
    return out


def builder(cls_name):
    """build(K) for generate.build_one: Input(s) -> the layer -> a functional model, with K = keras
    or tf_keras (the same recipe builds the tf-keras twin)."""
    recipe = RECIPES.get(cls_name, dict(inputs=SEQ))
    rng = np.random.default_rng(0)
    shapes = [(x.shape[1:], str(x.dtype)) for x in (m(rng) for m in recipe["inputs"])]

    def build(K):
        kw = dict(recipe.get("kw", {}))
        if "wrap" in recipe:
            kw.update(recipe["wrap"](K))
        layer_cls = getattr(K.layers, cls_name)
        ins = [K.Input(shape=s, dtype=d, name=f"x{i}") for i, (s, d) in enumerate(shapes)]
        if recipe.get("cell"):
            layer = K.layers.RNN(layer_cls(**kw), name="rnn_" + cls_name.lower())
        else:
            layer = layer_cls(name=cls_name.lower(), **kw)
        call = recipe.get("call")
        y = call(layer, ins) if call else layer(ins[0])
        return K.Model(ins, y, name="catalogue_" + cls_name.lower())

    return build


class InitSpy:
    """Records, per variable Keras creates, the initializer it called and the fans its compute_fans
    returned while drawing it (Keras's own numbers, whatever rule that version applies)."""

    def __init__(self):
        self.facts = {}
        self._current = None
        self._fans = random_initializers.compute_fans
        self._add_weight = Layer.add_weight

    def __enter__(self):
        spy = self

        def compute_fans(shape, *args, **kwargs):
            fans = spy._fans(shape, *args, **kwargs)
            if spy._current is not None:
                spy._current["fans"] = [int(fans[0]), int(fans[1])]
                axes = list(args) + [kwargs[k] for k in ("input_axes", "output_axes") if k in kwargs]
                if any(a is not None for a in axes):
                    spy._current["axes"] = [None if a is None else list(a) for a in axes]
            return fans

        def add_weight(layer, *args, **kwargs):
            outer, spy._current = spy._current, {}
            try:
                v = spy._add_weight(layer, *args, **kwargs)
                init = kwargs.get("initializer", args[1] if len(args) > 1 else None)
                spy._current["initializer"] = keras.initializers.get(init) if isinstance(init, (str, dict)) else init
                spy.facts[id(v)] = spy._current
                return v
            finally:
                spy._current = outer

        random_initializers.compute_fans = compute_fans
        Layer.add_weight = add_weight
        return self

    def __exit__(self, *exc):
        random_initializers.compute_fans = self._fans
        Layer.add_weight = self._add_weight


def describe(init):
    if init is None:
        return None
    if hasattr(init, "get_config") and not inspect.isfunction(init):
        try:
            return {"class_name": type(init).__name__, "config": json.loads(json.dumps(init.get_config(), default=str))}
        except TypeError:
            pass
    return {"class_name": getattr(init, "__name__", type(init).__name__)}


def draws(init, shape, dtype):
    """Keras's own draws for this weight: exact values when the initializer is deterministic, else
    quantiles, mean and std of >= SAMPLES values. An unseeded Keras 3 initializer fixes a seed when
    it is made, so each draw comes from a fresh one made from its config, as each new layer's is."""
    def fresh():
        # Keras 3.15's EinsumDense remakes its initializer with the axes and the seed it drew: the
        # catalogue's recipes set no seed, so every draw gets a fresh one
        if hasattr(init, "get_config") and "seed" in init.get_config():
            return type(init).from_config(dict(init.get_config(), seed=None))
        return init

    def draw():
        return np.asarray(fresh()(shape, dtype=dtype), dtype=np.float64)

    first, second = draw(), draw()
    if np.array_equal(first, second):
        return {"exact": first.reshape(-1).tolist()} if first.size <= 4096 else {"exact_size": int(first.size)}
    parts, n = [first, second], 2 * first.size
    while n < SAMPLES:
        parts.append(draw())
        n += parts[-1].size
    flat = np.concatenate([p.reshape(-1) for p in parts])
    return {"count": int(flat.size), "mean": float(flat.mean()), "std": float(flat.std()),
            "quantiles": [float(q) for q in np.quantile(flat, QUANTILES)]}


def weight_facts(model, spy):
    out = []
    for layer in model.layers:
        for i, v in enumerate(layer.weights):
            f = spy.facts.get(id(v), {})
            init = f.get("initializer")
            entry = {"layer": layer.name, "index": i, "path": getattr(v, "path", v.name),
                     "shape": list(v.shape), "dtype": str(v.dtype), "trainable": bool(v.trainable),
                     "initializer": describe(init)}
            if "fans" in f:
                entry["fans"] = f["fans"]
            if "axes" in f:
                entry["axes"] = f["axes"]
            if init is not None and callable(init):
                entry["keras_draws"] = draws(init, tuple(v.shape), "float32")
            out.append(entry)
    return out


# values for required constructor arguments of classes without a recipe, by argument name: a
# class is probed for weights with these on inputs of rank 3, 4 and 5
ARGUMENTS = {"factor": 0.1, "height_factor": 0.1, "width_factor": 0.1, "pool_size": 2,
             "activation": "relu", "num_bins": 4, "output_size": 2}


def probe(K, cls_name, cls):
    """Builds the class into a model once; returns (weight count, error). A class without a recipe
    gets its required arguments from ARGUMENTS and is tried on sequences, images and volumes."""
    if cls_name in RECIPES:
        attempts = [None]
    else:
        params = inspect.signature(cls.__init__).parameters.values()
        required = [p.name for p in params if p.default is p.empty and p.name != "self"
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        kw = {n: ARGUMENTS[n] for n in required if n in ARGUMENTS}
        attempts = [dict(kw=kw, inputs=inputs) for inputs in (SEQ, IMG, VOL)]
    error = None
    for recipe in attempts:
        if recipe is not None:
            RECIPES[cls_name] = recipe
        try:
            model = builder(cls_name)(K)
            return len(model.weights), None
        except Exception as e:  # noqa: BLE001
            error = error or generate.summarize_error(e)
            if recipe is not None:
                del RECIPES[cls_name]
    return None, error


def main():
    t0 = time.time()
    if ROOT.exists():
        shutil.rmtree(ROOT)
    ROOT.mkdir(parents=True)
    generate.OUT = ROOT
    k3 = classes(keras.layers)
    tfk = classes(tf_keras.layers)
    catalogue, weightless, refused, entries, missing = {}, [], {}, [], []
    for origin, table, K in (("keras", k3, keras), ("tf_keras", tfk, tf_keras)):
        for name, cls in sorted(table.items()):
            if origin == "tf_keras" and name in k3:
                continue  # built with Keras 3 (and its tf-keras twin) above
            if name in NOT_BUILDABLE:
                refused[name] = NOT_BUILDABLE[name]
                continue
            count, err = probe(K, name, cls)
            if err is not None:
                missing.append(f"{origin}.layers.{name}: cannot build without a recipe: {err}")
            elif count == 0:
                weightless.append(name)
            else:
                catalogue[name] = origin
    if missing:
        print("\n".join(missing), file=sys.stderr)
        raise SystemExit(f"{len(missing)} layer classes need a recipe or a NOT_BUILDABLE reason")

    for i, (name, origin) in enumerate(sorted(catalogue.items())):
        t = time.time()
        recipe = RECIPES.get(name, dict(inputs=SEQ))
        build = builder(name)
        if origin == "keras":
            holder = {}

            def build_spied(K, build=build, holder=holder):
                if K is not keras:
                    return build(K)
                with InitSpy() as spy:
                    model = build(K)
                holder["facts"] = weight_facts(model, spy)
                return model

            spec = dict(name=name, build=build_spied, inputs=recipe["inputs"], keras3_weights=True)
            if "after_perturb" in recipe:
                spec["after_perturb"] = recipe["after_perturb"]
            entry = generate.build_one(spec, i)
            entry["facts"] = holder["facts"]
        else:
            entry = tfkeras_only(name, build, recipe, i)
        entry["catalogue_class"] = name
        entry["origin"] = origin
        entries.append(entry)
        print(f"  {name:<24} {time.time() - t:5.1f}s  {sorted(entry['files'])}", file=sys.stderr)

    manifest = {
        "generator": "testdata/generate_catalogue.py",
        "versions": {"keras": keras.__version__, "tf_keras": tf_keras.__version__,
                     "tensorflow": generate.tf.__version__, "h5py": generate.h5py.__version__,
                     "numpy": np.__version__},
        "quantiles": QUANTILES,
        "weightless": sorted(weightless),
        "not_built": refused,
        "models": entries,
    }
    (ROOT / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(entries)} catalogue models ({len(weightless)} weightless classes) to {ROOT}"
          f" in {time.time() - t0:.1f}s", file=sys.stderr)


def tfkeras_only(name, build, recipe, index):
    """A class only tf-keras has (LocallyConnected): tfkeras.h5 and its own predictions."""
    seed = 1234 + 17 * index
    d = ROOT / name
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    xs = [m(rng) for m in recipe["inputs"]]
    tf_keras.utils.set_random_seed(seed)
    model = build(tf_keras)
    generate.perturb(model, np.random.default_rng(seed + 1))
    expected = generate.predict(model, xs)
    np.savez(d / "input.npz", **{f"x{i}": x for i, x in enumerate(xs)})
    np.savez(d / "expected.npz", **{f"y{i}": y for i, y in enumerate(expected)})
    model.save(d / "tfkeras.h5")
    return {"name": name, "model_class": type(model).__name__,
            "files": {"input": "input.npz", "expected": "expected.npz", "tfkeras_h5": "tfkeras.h5"},
            "layer_classes": sorted({type(l).__name__ for l in model.layers}),
            "layer_names": [l.name for l in model.layers],
            "tolerance": {"keras3": generate.TOL_SAME, "tfkeras": generate.TOL_CROSS},
            "keras_loads_legacy_h5": False, "seed": seed, "notes": ["tf-keras only: Keras 3 has no " + name],
            "crossload": {}}


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception:
        traceback.print_exc()
        sys.exit(1)
