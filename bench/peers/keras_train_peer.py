"""The Keras 3 side of the training benchmark (bench/train_bench.py): trains a model the way
`initkit compare` does (Adam, sparse categorical cross-entropy, the same batch size, the same
training split) and prints the training seconds of each epoch as JSON.

  python keras_train_peer.py MODEL DATA.npz EPOCHS BATCH LR

DATA is an .npz with x_train/y_train (or x/y, whose last 20 % is held out, as initkit does);
flat inputs are reshaped to the model's input when the element counts agree. Evaluation is not
timed, and neither is anything outside model.fit's epochs.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []
        self._t = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t)


def main():
    path, data, epochs, batch, lr = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    d = np.load(data)
    if "x_train" in d:
        x, y = d["x_train"], d["y_train"]
    else:
        x, y = d["x"], d["y"]
        x, y = x[: len(x) - len(x) // 5], y[: len(y) - len(y) // 5]
    model = keras.models.load_model(path, compile=False)
    shape = tuple(model.inputs[0].shape[1:])
    if x.shape[1:] != shape and int(np.prod(x.shape[1:])) == int(np.prod(shape)):
        x = x.reshape((len(x),) + shape)
    y = y.reshape(-1).astype("int64")
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy")
    timer = EpochTimer()
    model.fit(x.astype("float32"), y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    print(json.dumps({"epochSeconds": timer.seconds, "samples": int(len(x)), "keras": keras.__version__,
                      "backend": keras.backend.backend()}))


if __name__ == "__main__":
    main()
