"""How fast compare mode runs: lock-steps per second of R runs in one compiled call.

Run with `python benchmarks/compare_speed.py`; prints one line per case, with the
single-run trainer on the same data for reference. Numbers depend on the machine.
"""

from __future__ import annotations

import time

from lrtui.engine.startup import import_tensorflow, quiet_stderr

SECONDS = 2.0
CHUNK = 16384


def steps_per_second(advance) -> float:
    advance(CHUNK)  # compile and warm up first
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < SECONDS:
        advance(CHUNK)
        steps += CHUNK
    return steps / (time.perf_counter() - started)


def main() -> None:
    with quiet_stderr():
        import_tensorflow()
        from lrtui.engine.compare import CompareRun
        from lrtui.engine.device import DeviceChoice
        from lrtui.engine.run import Run
        from lrtui.engine.update_rules import OPTIMIZERS
        from lrtui.settings.fields import Settings

        cpu = DeviceChoice("/CPU:0")
        lines = []
        for n in (100, 10_000):
            settings = Settings(n=n, steps=10**9, learning_rate=0.01)
            solo = Run(settings, cpu)
            lines.append(f"n={n:>6}  {'solo trainer':<28}{steps_per_second(solo.advance):>10,.0f} steps/s")
            for runs, optimizers in ((3, ["gd"]), (6, list(OPTIMIZERS))):
                compare = CompareRun(settings, cpu, [0.01] * runs, optimizers)
                rate = steps_per_second(compare.advance)
                label = f"{runs} runs ({'all six optimizers' if runs == 6 else 'gd'})"
                lines.append(f"n={n:>6}  {label:<28}{rate:>10,.0f} lock-steps/s "
                             f"= {rate * runs:,.0f} run-steps/s, {compare.trainer.traces} trace(s)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
