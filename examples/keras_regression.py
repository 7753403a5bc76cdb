"""A small Keras regression to watch and steer with `lrtui watch` (offline: the data is generated).

    python examples/keras_regression.py            # about a minute of training
    lrtui watch keras-regression                   # in another terminal (tmux, SSH)

The model is a 2-layer MLP fitting y = sin(x·a) + x·b + noise for 16 features;
the three lines that connect it to lrtui are marked below.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrtui.keras import LrtuiCallback  # noqa: E402  (1: the import)


def make_data(n: int, features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    a, b = rng.normal(size=(features, 1)), rng.normal(size=(features, 1)) / 4
    y = np.sin(x @ a) + x @ b + rng.normal(scale=0.1, size=(n, 1))
    return x, y.astype("float32")


def make_model(features: int, learning_rate: float, schedule: bool) -> keras.Model:
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    lr = (keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=20_000)
          if schedule else learning_rate)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="keras-regression", help="the name lrtui watch uses")
    parser.add_argument("--epochs", type=int, default=120, help="about a minute on two cores")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--schedule", action="store_true", help="a cosine decay instead of a fixed lr")
    parser.add_argument("--find-lr", action="store_true", help="run the LR range test first")
    args = parser.parse_args()

    x, y = make_data(8192, 16, seed=0)
    model = make_model(16, args.lr, args.schedule)
    callback = LrtuiCallback(name=args.name, find_lr_first=args.find_lr,  # (2: the callback)
                             find_lr_data=(x, y), find_lr_options={"batch_size": args.batch_size})
    print(f"training '{args.name}': watch it from another terminal with\n"
          f"    lrtui watch {args.name}\n"
          f"steer it with keys there, or: lrtui watch {args.name} --scale-lr 0.5 (--pause, --resume, "
          "--stop, --set-lr X, --save-weights FILE.weights.h5)", flush=True)
    started = time.monotonic()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1,
              verbose=0, callbacks=[callback])  # (3: passed to fit)
    print(f"done in {time.monotonic() - started:.0f} s; lrtui watch {callback.channel.name} "
          "still shows the whole run")


if __name__ == "__main__":
    main()
