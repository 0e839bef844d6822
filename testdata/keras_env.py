"""Quiet, CPU-only, deterministic TensorFlow for the test-data scripts.

Import it before tensorflow/keras: the environment variables only count when set before TensorFlow
loads. `determinism()` turns on op determinism for scripts whose outputs are committed.
"""
import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("PYTHONHASHSEED", "0")

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel(logging.ERROR)


def determinism():
    tf.config.experimental.enable_op_determinism()


def fresh_session(seed):
    """Clears both Keras generations' sessions and seeds every generator they draw from."""
    import random

    import keras
    import numpy as np
    import tf_keras

    keras.backend.clear_session()
    tf_keras.backend.clear_session()
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    keras.utils.set_random_seed(seed)
    tf_keras.utils.set_random_seed(seed)
