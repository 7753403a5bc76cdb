"""How fast the lr × steps map is: many lrs as lanes of one compiled computation.

    python -m benchmarks.map_speed          (or: python -m benchmarks.bench --only map)

Figures, TensorFlow already imported (as in the app, where the run loaded it):
- 1,024 lrs × 10,000 steps on the lesson's 100 points, from nothing: the lane
  trainer is built and compiled, then the whole map computed (target ≤ 3 s);
  the same again on the built trainer, for what the compile costs;
- the app's map, 128 lrs × the default 200 steps, engine only (the screen's
  own figure, key to picture, is `bench_map_key` through a real terminal).
Numbers depend on the machine and on what else runs on it: on a shared
machine the wall time is what others leave over, so each figure also says the
CPU time the process itself spent (all threads), and the load average.
"""

from __future__ import annotations

import os
import resource
import time

from benchmarks.bench import figure, show


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _map_seconds(lanes: int, steps: int, trainer=None) -> tuple[float, float, object]:
    """Wall and CPU seconds of one map, from building it (with `trainer`: on that one)."""
    import numpy as np

    from lrtui.engine.lr_map import LrMap, default_learning_rates
    from lrtui.engine.run import make_dataset
    from lrtui.engine.theory import theory_of
    from lrtui.settings.fields import Settings

    settings = Settings()
    data = make_dataset(settings)
    rates = default_learning_rates(theory_of(data.x, data.y), settings.learning_rate, lanes)
    started, cpu = time.perf_counter(), _cpu()
    lane_map = LrMap(settings, "/CPU:0", rates, steps, data, trainer=trainer)
    view = lane_map.compute()
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    assert view.complete and view.loss.shape[1] == lanes and np.isfinite(view.loss[:, 0]).all()
    return seconds, cpu, lane_map.trainer


def bench_map_engine() -> list[dict]:
    from lrtui.engine.startup import import_tensorflow, quiet_stderr

    load = os.getloadavg()[0]
    with quiet_stderr():
        import_tensorflow()
        _map_seconds(4, 10)  # XLA's own first-use start-up, paid once by the app's run
        cold, cold_cpu, trainer = _map_seconds(1024, 10_000)
        warm, warm_cpu, _ = _map_seconds(1024, 10_000, trainer)
        app_cold, app_cold_cpu, app_trainer = _map_seconds(128, 200)
        app_warm, _, _ = _map_seconds(128, 200, app_trainer)
    steps_per_second = 1024 * 10_000 / warm
    return [
        figure("lr map: 1,024 lrs × 10,000 steps, N=100", cold, "≤ 3 s", cold <= 3.0,
               f"build + compile + compute, CPU time {cold_cpu:.2f} s; on the built trainer "
               f"{warm:.2f} s (CPU {warm_cpu:.2f} s, {steps_per_second:,.0f} lr-steps/s); "
               f"load average {load:.1f} on {os.cpu_count()} cores", " s"),
        figure("lr map engine: 128 lrs × 200 steps", app_cold, "< 1 s", app_cold < 1.0,
               f"build + compile + compute, CPU time {app_cold_cpu:.2f} s; "
               f"{app_warm * 1000:.0f} ms on the built trainer", " s"),
    ]


def bench_map_key(settle: float = 6.0) -> list[dict]:
    """The app: `m` to the finished 128 × 200 map on screen (120×40), twice.

    First pressed as soon as the run says ready (the lanes are still compiling
    in the background then, and the map waits for them), then again after
    `settle` seconds, as a user who looked at the run first would.
    """
    from benchmarks.pty_app import PtyApp

    app = PtyApp([])
    rows = []
    if app.wait_for(r"ready", 120) is None:
        app.quit()
        return [figure("app: m to the 128 × 200 map on screen", None, "< 1 s", False,
                       "the app never got ready", " s")]
    for label, wait in (("m right after ready", 0.0), (f"m {settle:.0f} s after ready", settle)):
        app.pump(wait)
        pressed = app.press("m")
        shown = app.wait_for(r"map done", 60, since=pressed)
        seconds = None if shown is None else shown - pressed
        rows.append(figure(f"app: {label}, to the 128 × 200 map on screen", seconds, "< 1 s",
                           seconds is not None and seconds < 1.0,
                           f"key to the finished picture in a real terminal, 120×40; load average "
                           f"{os.getloadavg()[0]:.1f}", " s"))
        app.press("\x1b")  # escape: back to the run
        app.pump(1.0)
    app.quit()
    return rows


if __name__ == "__main__":
    print(show(bench_map_engine() + bench_map_key()))
