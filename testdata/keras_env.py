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
