"""Builds the SavedModel and tf-keras hostile files of `initkit scan` (testdata/scan/).

Everything here is written by real TensorFlow 2.20 and tf-keras 2.20 (the pinned stack): tf.Module
SavedModels whose tf.functions call file and Python-callback ops, a resource whose initializer (run
by the loader's init op) writes a file, a TF 1 (tf.compat.v1 Builder) SavedModel whose main op
writes a file, a tf.Module whose object identifier is not Keras's, a
SavedModel whose asset file names are then edited (as protobuf data) to leave the directory, and
tf-keras .h5 and SavedModel files with a Lambda (bytecode), a Lambda nested in a TimeDistributed
in a nested Sequential, and an initializer class from a module outside Keras. Tracing a
tf.function builds its graph without running it: nothing here ever runs or loads a hostile file
(no file named in them is written). Run with the pinned venv:

    .venv/bin/python testdata/generate_scan_savedmodel.py
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scan")

# a module outside Keras, as a user's package would be: tf-keras records its name in the config
EVIL_PKG = '''
import tf_keras


@tf_keras.utils.register_keras_serializable(package="evil_pkg")
class Payload(tf_keras.initializers.Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        return tf_keras.initializers.GlorotUniform(seed=1)(shape, dtype)

    def get_config(self):
        return {}
'''


def path(name):
    return os.path.join(OUT, name)


def fresh(name):
    p = path(name)
    shutil.rmtree(p, ignore_errors=True)
    if os.path.exists(p):
        os.remove(p)
    return p


class WritesFile(tf.Module):
    """A tf.function that writes a constant path with what it is given."""

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def serve(self, x):
        tf.io.write_file("/tmp/initkit_scan_written.txt", x)
        return x


class ReadsFiles(tf.Module):
    """A tf.function that lists files by a glob and returns the first one's bytes."""

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def serve(self, pattern):
        files = tf.io.matching_files(pattern)
        return tf.io.read_file(files[0])

    @tf.function(input_signature=[])
    def keys(self):
        return tf.io.read_file("/root/.ssh/id_rsa")


class CallsPython(tf.Module):
    """tf.py_function (EagerPyFunc) and tf.numpy_function (PyFunc): Python callbacks."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def eager(self, x):
        return tf.py_function(lambda t: t * 2.0, [x], tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def numpy(self, x):
        return tf.numpy_function(lambda a: a * 2.0, [x], tf.float32)


class InitWrites(tf.saved_model.experimental.TrackableResource):
    """A resource whose initializer writes a file: the SavedModel loader runs it by itself."""

    def _create_resource(self):
        return tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64)

    def _initialize(self):
        tf.io.write_file("/tmp/initkit_scan_init.txt", "written when loaded")


class WithInitWrites(tf.Module):
    def __init__(self):
        super().__init__()
        self.table = InitWrites()

    @tf.function(input_signature=[])
    def size(self):
        return tf.raw_ops.LookupTableSizeV2(table_handle=self.table.resource_handle)


class ForeignIdentifier(tf.Module):
    """Saved as a user object whose identifier names no TensorFlow or Keras type."""

    @property
    def _object_identifier(self):
        return "evil_pkg.Payload"

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def serve(self, x):
        return x + 1.0


class WithAssets(tf.Module):
    def __init__(self, a, b):
        super().__init__()
        self.a = tf.saved_model.Asset(a)
        self.b = tf.saved_model.Asset(b)

    @tf.function(input_signature=[])
    def files(self):
        return tf.stack([self.a.asset_path, self.b.asset_path])


def edit_assets(sm_dir, names):
    """Rewrites the asset file names of saved_model.pb (the loader joins them to assets/)."""
    pb = os.path.join(sm_dir, "saved_model.pb")
    sm = saved_model_pb2.SavedModel()
    with open(pb, "rb") as f:
        sm.ParseFromString(f.read())
    defs = sm.meta_graphs[0].asset_file_def
    assert len(defs) == len(names), defs
    for d, n in zip(sorted(defs, key=lambda d: d.filename), names):
        d.filename = n
    with open(pb, "wb") as f:
        f.write(sm.SerializeToString())
    shutil.rmtree(os.path.join(sm_dir, "assets"), ignore_errors=True)


def tf1_main_op(out):
    """A TF 1 SavedModel (tf.compat.v1 Builder) whose main op, run by the loader, writes a file."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(x * 2.0, name="y")
        write = tf.io.write_file("/tmp/initkit_scan_tf1.txt", "written when loaded", name="write")
        main_op = tf.group(write, name="main_op")
        with tf.compat.v1.Session(graph=g) as s:  # the builder stores main_op, never runs it
            b = tf.compat.v1.saved_model.Builder(out)
            sig = tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": y})
            b.add_meta_graph_and_variables(
                s, ["serve"], signature_def_map={"serving_default": sig}, main_op=main_op)
            b.save()


def tfk_lambda():
    L = tf_keras.layers
    return tf_keras.Sequential(
        [L.InputLayer(input_shape=(3,)), L.Lambda(lambda x: x * 2.0, name="double"),
         L.Dense(2, name="head")],
        name="tfk_lambda",
    )


def tfk_lambda_nested():
    L = tf_keras.layers
    inner = tf_keras.Sequential(
        [L.InputLayer(input_shape=(4, 3)),
         L.TimeDistributed(L.Lambda(lambda x: x + 1.0, name="shift"), name="td")],
        name="inner",
    )
    inp = L.Input((4, 3), name="x")
    out = L.Dense(2, name="head")(inner(inp))
    return tf_keras.Model(inp, out, name="outer")


def tfk_custom_module(evil_pkg):
    L = tf_keras.layers
    return tf_keras.Sequential(
        [L.InputLayer(input_shape=(3,)),
         L.Dense(4, kernel_initializer=evil_pkg.Payload(), name="d1"),
         L.Dense(2, name="head")],
        name="tfk_custom",
    )


def tfk_clean():
    L = tf_keras.layers
    return tf_keras.Sequential(
        [L.InputLayer(input_shape=(3,)), L.Dense(8, activation="relu", name="d1"),
         L.Dense(2, name="d2")],
        name="tfk_clean",
    )


def as_text(src, dst):
    """A copy of the SavedModel `src` with its graph in text format (saved_model.pbtxt), which
    TensorFlow's loader reads when there is no saved_model.pb."""
    from google.protobuf import text_format
    shutil.copytree(src, dst)
    pb = os.path.join(dst, "saved_model.pb")
    sm = saved_model_pb2.SavedModel()
    with open(pb, "rb") as f:
        sm.ParseFromString(f.read())
    with open(os.path.join(dst, "saved_model.pbtxt"), "w") as f:
        f.write(text_format.MessageToString(sm))
    os.remove(pb)


def main():
    os.makedirs(OUT, exist_ok=True)
    keras_env.fresh_session(7)
    for name, module in [
        ("sm_write_file", WritesFile()),
        ("sm_read_file", ReadsFiles()),
        ("sm_py_func", CallsPython()),
        ("sm_init_write", WithInitWrites()),
        ("sm_foreign_object", ForeignIdentifier()),
    ]:
        tf.saved_model.save(module, fresh(name))

    tf1_main_op(fresh("sm_tf1_main_op"))
    # the read_file graph again, as text
    as_text(path("sm_read_file"), fresh("sm_pbtxt_read_file"))

    # two real assets, then named '../../../etc/passwd' and '/etc/shadow' in saved_model.pb
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a.txt"), os.path.join(tmp, "b.txt")
        for p in (a, b):
            with open(p, "w") as f:
                f.write("vocabulary\n")
        tf.saved_model.save(WithAssets(a, b), fresh("sm_asset_escape"))
    edit_assets(path("sm_asset_escape"), ["../../../etc/passwd", "/etc/shadow"])

    # tf-keras writers: the clean reference and the hostile ones, as .h5 and SavedModel
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "evil_pkg.py"), "w") as f:
            f.write(EVIL_PKG)
        sys.path.insert(0, tmp)
        import evil_pkg

        for name, build in [
            ("tfk_clean", tfk_clean),
            ("tfk_lambda", tfk_lambda),
            ("tfk_lambda_nested", tfk_lambda_nested),
            ("tfk_custom_module", lambda: tfk_custom_module(evil_pkg)),
        ]:
            keras_env.fresh_session(7)
            m = build()
            m.save(fresh(name + ".h5"))
            m.save(fresh(name + "_sm"), save_format="tf")
        sys.path.remove(tmp)

    # empty folders are not kept by git: drop them so a checkout equals what was written
    for d in os.listdir(OUT):
        for sub in ("assets", "variables"):
            empty = os.path.join(OUT, d, sub)
            if os.path.isdir(empty) and not os.listdir(empty):
                os.rmdir(empty)


if __name__ == "__main__":
    main()
