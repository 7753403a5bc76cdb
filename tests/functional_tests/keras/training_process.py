"""A tiny Keras training with LrtuiCallback, run as its own process by the tests.

Beside lrtui's callback, a plain `Recorder` writes what Keras and the
optimizer say inside this process, one JSON line per batch: the step, the logs
Keras gave, and `model.optimizer.learning_rate` at the batch's start. The
tests compare what `lrtui watch` printed and did against this record.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrtui.keras import LrtuiCallback  # noqa: E402


class Recorder(keras.callbacks.Callback):
    def __init__(self, path: str, pace: float):
        super().__init__()
        self.out = open(path, "w", buffering=1)
        self.pace = pace
        self.step = 0
        self.lr = None

    def on_train_batch_begin(self, batch, logs=None):
        self.lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_batch_end(self, batch, logs=None):
        self.out.write(json.dumps({"step": self.step, "logs": dict(logs), "lr": self.lr}) + "\n")
        self.step += 1
        if self.pace:
            time.sleep(self.pace)  # the pace of a bigger model, so that a test can steer it


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds to add to each batch")
    parser.add_argument("--schedule", action="store_true")
    parser.add_argument("--find-lr", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.1).astype("float32")
    lr = keras.optimizers.schedules.ExponentialDecay(0.01, 50, 0.5) if args.schedule else 0.01
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=["mae"])
    callback = LrtuiCallback(args.name, find_lr_first=args.find_lr, find_lr_data=(x, y),
                             find_lr_options={"batch_size": 16, "num": 40})
    model.fit(x, y, batch_size=16, epochs=args.epochs, validation_split=0.2, verbose=0,
              callbacks=[callback, Recorder(args.record, args.pace)])


if __name__ == "__main__":
    main()
