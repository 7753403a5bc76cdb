"""Steps per second of the compiled chunk for each optimizer, schedule and batch size.

Run: python benchmarks/bench_method.py   (prints one line per case; no assertions)

The chunk is the largest capacity (16384 steps per call), after a warm-up
call, so the numbers are training speed, not compile time. A mini-batch
case that recompiled per call would show up here as a few hundred steps/s.
"""

from __future__ import annotations

import time

from lrtui.engine.startup import import_tensorflow, quiet_stderr

CASES = [
    ("gd", {}),
    ("momentum", {"optimizer": "momentum"}),
    ("nesterov", {"optimizer": "nesterov"}),
    ("rmsprop", {"optimizer": "rmsprop"}),
    ("adagrad", {"optimizer": "adagrad"}),
    ("adam", {"optimizer": "adam"}),
    ("gd + cosine warmup", {"schedule": "cosine", "warmup_steps": 100, "decay_steps": 10_000}),
    ("gd + plateau", {"schedule": "plateau"}),
    ("adam + cyclic", {"optimizer": "adam", "schedule": "cyclic", "cycle_ratio": 2.0}),
    ("gd, batch 10 of 100", {"batch_size": 10}),
    ("gd, batch 32 of 10000", {"batch_size": 32, "n": 10_000}),
]


def main() -> None:
    with quiet_stderr():
        import_tensorflow()
        from lrtui.engine.run import make_dataset
        from lrtui.engine.trainer import Trainer
        from lrtui.settings.fields import Settings

        for name, changes in CASES:
            settings = Settings(learning_rate=0.05, **changes)
            started = time.perf_counter()
            trainer = Trainer(make_dataset(settings), "/CPU:0", settings.learning_rate,
                              settings.init_w, settings.init_b, method=settings)
            trainer.run(16384)
            compiled = time.perf_counter() - started
            started = time.perf_counter()
            steps = len(trainer.run(4 * 16384))
            speed = steps / (time.perf_counter() - started)
            print(f"{name:<24} {speed:>12,.0f} steps/s   (build + compile {compiled:.1f} s, "
                  f"xla {trainer.jit})", flush=True)


if __name__ == "__main__":
    main()
