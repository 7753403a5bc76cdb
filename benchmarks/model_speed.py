"""The speed of the models beyond the line: lrtui against Keras, and what the sharpness costs.

    python -m benchmarks.bench --only models      (part of the suite)
    python -m benchmarks.model_speed              (these figures alone)

A 1-16-1 tanh network on 256 points of sin(2x), plain gradient descent on the
full batch. Keras trains the same network (same weights, same loss, SGD at
the same lr) with `model.fit(x, y, batch_size=256)`: one step per epoch.
lrtui trains it through `Run.advance`, as `lrtui run` does, once without the
sharpness and once measuring it every 10 steps. The two lrtui rates are taken
in alternation, several times, and the best of each kept: the machine is
shared and its load comes and goes. The sharpness's cost is also given per
CPU-second of this process (time.process_time), which other processes' load
does not move.
"""

from __future__ import annotations

import time

import numpy as np

from lrtui.engine.startup import import_tensorflow, quiet_stderr

N, HIDDEN, LR = 256, 16, 0.1


def settings(sharpness_every: int):
    from lrtui.settings.fields import Settings

    return Settings(model="mlp", hidden=HIDDEN, dataset="sine", n=N, noise=0.0,
                    learning_rate=LR, steps=10**12, sharpness_every=sharpness_every)


def lrtui_rate(run, seconds: float) -> tuple[float, float]:
    """(steps per second, steps per CPU-second of this process)."""
    run.advance(16384)  # every capacity compiled and warm
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        done += len(run.advance(16384))
        run.drain()
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu)


def keras_rate(run, epochs: int) -> float:
    """`model.fit` of the same network from the same weights, full batch, one step an epoch."""
    import keras

    named = run.model.named(run.initial_theta())
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(HIDDEN, activation="tanh"),
                              keras.layers.Dense(1)])
    model.set_weights([np.array(named[k], np.float32) for k in ("W1", "b1", "W2", "b2")])
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    x, y = run.dataset.x[:, None], run.dataset.y
    model.fit(x, y, batch_size=N, epochs=5, verbose=0, shuffle=False)  # build and trace first
    started = time.perf_counter()
    model.fit(x, y, batch_size=N, epochs=epochs, verbose=0, shuffle=False)
    return epochs / (time.perf_counter() - started)


def bench_models(quick: bool) -> list[dict]:
    from benchmarks.bench import figure

    with quiet_stderr():
        import_tensorflow()
        from lrtui.engine.device import DeviceChoice
        from lrtui.engine.run import Run

        cpu = DeviceChoice("/CPU:0")
        plain, measured = Run(settings(0), cpu), Run(settings(10), cpu)
        keras = keras_rate(plain, 100 if quick else 400)
        rates = {"plain": [], "measured": []}
        windows = 3 if quick else 6
        for _ in range(windows):
            rates["plain"].append(lrtui_rate(plain, 0.7 if quick else 1.5))
            rates["measured"].append(lrtui_rate(measured, 0.7 if quick else 1.5))
    ours, with_sharpness = (max(r[0] for r in rates[k]) for k in ("plain", "measured"))
    ours_cpu, with_cpu = (max(r[1] for r in rates[k]) for k in ("plain", "measured"))
    cost, cost_cpu = 1 - with_sharpness / ours, 1 - with_cpu / ours_cpu
    return [
        figure("mlp 1-16-1 on 256 points vs Keras fit", ours / keras, "≥ 50×", ours / keras >= 50,
               f"{ours:,.0f} steps/s vs Keras model.fit (full batch) {keras:,.0f} steps/s", "×"),
        figure("sharpness every 10 steps: speed lost", cost_cpu * 100, "≤ 30 %", cost_cpu <= 0.30,
               f"{with_cpu:,.0f} vs {ours_cpu:,.0f} steps per CPU-second; wall clock "
               f"{with_sharpness:,.0f} vs {ours:,.0f} steps/s ({cost * 100:.0f}% lost; best of "
               f"{windows} alternating windows each)", " %"),
    ]


if __name__ == "__main__":
    from benchmarks.bench import show

    print(show(bench_models(quick=False)))
