"""lrtui's benchmark suite: every figure against a baseline measured in the same run.

    python -m benchmarks.bench [--quick] [--json benchmarks/results.json]

Prints a table and writes it as JSON. Not part of the test run: the numbers
depend on the machine, the targets are what matters.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from benchmarks.pty_app import PtyApp

KIB = 1024


# -- headless throughput -------------------------------------------------------------
def lesson_eager_steps_per_second(tf, x, y, steps: int) -> float:
    """The lesson's own loop: eager GradientTape and assign_sub, one Python step at a time."""
    w, b = tf.Variable(0.0), tf.Variable(-1.0)
    x, y = tf.constant(x), tf.constant(y)
    learning_rate = 0.1

    def one_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        dw, db = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * dw)
        b.assign_sub(learning_rate * db)

    for _ in range(20):  # warm-up
        one_step()
    started = time.perf_counter()
    for _ in range(steps):
        one_step()
    return steps / (time.perf_counter() - started)


def lrtui_steps_per_second(n: int, seconds: float) -> float:
    """`lrtui run` at max speed: the Run the headless command drives, timed after warm-up."""
    from lrtui.engine.run import make_dataset
    from lrtui.engine.startup import load_run
    from lrtui.settings.fields import Settings

    settings = Settings(n=n, steps=10**12, learning_rate=0.1)
    run = load_run(settings, make_dataset(settings))
    run.advance(20_000)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += len(run.advance(16384))
        run.drain()
    return done / (time.perf_counter() - started)


def bench_throughput(quick: bool) -> tuple[list[dict], float]:
    """Rows for N=100 and N=10,000, and lrtui's own steps/s at N=100 (the UI's baseline)."""
    from lrtui.engine.run import make_dataset
    from lrtui.engine.startup import import_tensorflow, quiet_stderr
    from lrtui.settings.fields import Settings

    rows, baseline = [], 0.0
    with quiet_stderr():
        tf = import_tensorflow()
        for n, target in ((100, 500), (10_000, 50)):
            data = make_dataset(Settings(n=n))
            eager = lesson_eager_steps_per_second(tf, data.x, data.y, 200 if quick else 600)
            ours = lrtui_steps_per_second(n, 1.0 if quick else 3.0)
            baseline = baseline or ours
            rows.append(figure(f"headless throughput, N={n:,}", ours / eager, f"≥ {target}×", ours / eager >= target,
                               f"{ours:,.0f} steps/s vs the lesson's eager loop {eager:,.0f} steps/s", "×"))
    return rows, baseline


# -- the app in a real terminal ---------------------------------------------------------
def bench_app_at_max_speed(quick: bool, headless_rate: float | None) -> list[dict]:
    """Frame rate, training under the UI, key latency, all at max speed, 120×40."""
    app = PtyApp(["--speed", "max", "--steps", "1000000000"])
    rows = []
    ready = app.wait_for(r"ready", 60)
    if ready is None:
        app.quit()
        return [figure("app at max speed", None, "", False, "the app never became ready")]
    started = app.press(" ")
    app.pump(4.0 if quick else 10.0)
    ended = time.time()
    # Key latency: pause, see "paused" on screen; run again; repeat.
    latencies = []
    for _ in range(5 if quick else 20):
        pressed = app.press(" ")
        shown = app.wait_for(r"paused", 5, since=pressed)
        if shown is not None:
            latencies.append(shown - pressed)
        again = app.press(" ")
        app.wait_for(r"running", 5, since=again)
        app.pump(0.3)
    stats = app.quit()
    counters = stats.get("counters", {})
    running = ended - started
    # Frames come only while running here (the app was ready and idle before).
    seconds = running + 0.3 * len(latencies)
    frames = counters.get("frames", 0) / seconds
    builds = counters.get("build.loss", 0) / seconds
    rows.append(figure("UI frame rate", frames, "≥ 15 /s", frames >= 15,
                       f"frames shown per second at max speed; the loss plot rebuilt {builds:.1f}/s"))
    steps = counters.get("steps", 0)
    ui_rate = steps / (running + 0.3 * len(latencies))
    if headless_rate:
        share = ui_rate / headless_rate
        rows.append(figure("training under the UI", share * 100, "≥ 50 %", share >= 0.5,
                           f"{ui_rate:,.0f} steps/s with the UI up vs {headless_rate:,.0f} headless", "%"))
    if latencies:
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
        rows.append(figure("key latency (space → paused on screen)", p99 * 1000, "≤ 100 ms", p99 <= 0.1,
                           f"p99 of {len(latencies)}; median {statistics.median(latencies) * 1000:.0f} ms", " ms"))
    return rows


def bench_bandwidth(quick: bool, extra: list[str] | None = None, label: str = "default settings") -> list[dict]:
    """Bytes written to the pty per second: running at the default speed, then paused."""
    app = PtyApp(["--steps", "1000000000", *(extra or [])])
    if app.wait_for(r"ready", 60) is None:
        app.quit()
        return [figure(f"SSH bandwidth, {label}", None, "", False, "the app never became ready")]
    app.pump(1.0)
    start = app.press(" ")
    window = 5.0 if quick else 10.0
    app.pump(window)
    running = app.bytes_between(start + 1.0, start + window) / (window - 1.0)
    paused_at = app.press(" ")
    app.pump(4.0)
    idle = app.bytes_between(paused_at + 1.0, paused_at + 4.0) / 3.0
    app.quit()
    rows = [figure(f"SSH bandwidth, running, {label}", running / KIB, "≤ 40 KiB/s", running <= 40 * KIB,
                   "bytes written to the pty per second, 120×40", " KiB/s")]
    if not extra:
        rows.append(figure("idle silence (paused, after 1 s)", idle, "0 B/s", idle == 0,
                           "bytes written per second while paused", " B/s"))
    return rows


def bench_long_run(quick: bool) -> list[dict]:
    """RSS from step 100k to the end of a long run at max speed."""
    total = 2_000_000 if quick else 10_000_000
    app = PtyApp(["--speed", "max", "--steps", str(total)])
    if app.wait_for(r"ready", 60) is None:
        app.quit()
        return [figure("long runs", None, "", False, "the app never became ready")]
    pressed = app.press(" ")
    app.wait_for(r"step (1\d\d|[2-9]\d\d),\d{3}/", 60, since=pressed)
    early = app.rss_kib()
    app.wait_for(r"finished", 600, since=pressed)
    late = app.rss_kib()
    app.quit()
    growth = (late - early) / KIB
    return [figure(f"long run RSS growth, 100k → {total:,} steps", growth, "≤ 50 MB", growth <= 50,
                   f"{early / KIB:.0f} MB → {late / KIB:.0f} MB", " MB")]


def bench_loss_redraw() -> list[dict]:
    """Loss-pane render time at 1k and at 10M steps of history: it must stay flat."""
    code = r"""
import asyncio, time, numpy as np
from lrtui.engine.history import LossHistory
from lrtui.engine.records import StepBatch
from lrtui.app.widgets.loss_plot import LossPlot
from textual.app import App

def history(steps):
    h = LossHistory()
    for start in range(0, steps, 1_000_000):
        n = min(1_000_000, steps - start)
        s = np.arange(start, start + n, dtype=np.int64)
        loss = 1.0 / (1 + s) + 0.01
        h.add(StepBatch(s, loss, loss, loss, loss, loss, loss, False))
    return h.view()

class One(App):
    def compose(self):
        yield LossPlot()

async def main():
    app = One()
    async with app.run_test(size=(120, 40)) as pilot:
        plot = app.query_one(LossPlot)
        out = []
        for steps in (1_000, 10_000_000):
            plot.set_curve(history(steps), steps, steps, 0.01)
            times = []
            for _ in range(10):
                t = time.perf_counter(); plot._build(); times.append(time.perf_counter() - t)
            out.append(sorted(times)[5])
        print(out[0], out[1])
asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    small, large = (float(v) for v in result.stdout.split())
    ratio = large / small
    return [figure("loss-pane redraw, 10M vs 1k steps of history", ratio, "flat (≤ 1.5×)", ratio <= 1.5,
                   f"{small * 1000:.1f} ms vs {large * 1000:.1f} ms", "×")]


def bench_startup() -> list[dict]:
    """Launch to first frame; launch to first step against TensorFlow's import time."""
    probe = ("import time,os; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'; t=time.perf_counter(); "
             "import tensorflow; print(time.perf_counter()-t)")
    tf_import = float(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                     text=True).stdout.split()[-1])
    app = PtyApp(["--speed", "max"])
    first_frame = app.wait_for(r"Hyperparameters", 30)
    app.wait_for(r"ready", 60)
    pressed = app.press(" ")
    stats = app.wait_for(r"running|finished", 30, since=pressed)
    first_pauses = _first_pauses(app)
    app.quit()
    launch_to_frame = (first_frame - app.started) if first_frame else None
    launch_to_step = (stats - app.started) if stats else None
    rows = [figure("start-up: launch to first frame", launch_to_frame, "≤ 1.5 s",
                   launch_to_frame is not None and launch_to_frame <= 1.5, "TensorFlow loads behind it", " s")]
    if launch_to_step is not None:
        over = launch_to_step - tf_import
        rows.append(figure("start-up: first step after TF import", over, "≤ 1 s", over <= 1.0,
                           f"launch to first step {launch_to_step:.2f} s, "
                           f"import tensorflow alone {tf_import:.2f} s", " s"))
    if first_pauses:
        worst = max(first_pauses)
        rows.append(figure("start-up: slowest of the first pauses at max speed", worst * 1000, "≤ 100 ms",
                           worst <= 0.1, f"space → paused on screen, {len(first_pauses)} run/pause cycles "
                           "in the first seconds, while the larger chunks compile", " ms"))
    return rows


def _first_pauses(app, cycles: int = 8, running_for: float = 0.25) -> list[float]:
    """Pause latencies right after the start: the chunk grows towards its largest size then."""
    latencies = []
    for _ in range(cycles):
        app.pump(running_for)
        pressed = app.press(" ")
        shown = app.wait_for(r"paused", 5, since=pressed)
        if shown is None:
            break
        latencies.append(shown - pressed)
        resumed = app.press(" ")
        app.wait_for(r"running", 5, since=resumed)
    return latencies


def figure(name, value, target, met, how, unit="") -> dict:
    return {"figure": name, "value": value, "unit": unit, "target": target, "met": bool(met), "how": how}


def show(rows: list[dict]) -> str:
    lines = [f"{'figure':<46} {'value':>14} {'target':>14}  met  how"]
    for r in rows:
        value = "n/a" if r["value"] is None else f"{r['value']:,.{0 if abs(r['value']) >= 100 else 2}f}{r['unit']}"
        lines.append(f"{r['figure']:<46} {value:>14} {r['target']:>14}  {'yes' if r['met'] else 'NO ':<4} {r['how']}")
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    lines = ["| figure | measured | target | met | how |", "|---|---|---|---|---|"]
    for r in rows:
        value = "n/a" if r["value"] is None else \
            f"{r['value']:,.{0 if abs(r['value']) >= 100 else 2}f}{r['unit']}"
        lines.append(f"| {r['figure']} | {value} | {r['target']} | {'yes' if r['met'] else '**no**'} "
                     f"| {r['how']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows, for a first look")
    parser.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    parser.add_argument("--only", nargs="*", default=None,
                        help="throughput, models, app, bandwidth, long, redraw, startup, map, slices")
    args = parser.parse_args(argv)
    wanted = set(args.only or ["throughput", "models", "app", "bandwidth", "long", "redraw", "startup",
                               "map", "slices"])
    rows: list[dict] = []
    headless_rate = None
    if "throughput" in wanted or "app" in wanted:
        throughput, headless_rate = bench_throughput(args.quick)
        if "throughput" in wanted:
            rows += throughput
    if "models" in wanted:
        from benchmarks.model_speed import bench_models

        rows += bench_models(args.quick)
    if "app" in wanted:
        rows += bench_app_at_max_speed(args.quick, headless_rate)
    if "bandwidth" in wanted:
        rows += bench_bandwidth(args.quick)
        rows += bench_bandwidth(args.quick, ["--fps", "5"], "--fps 5")
        rows += bench_bandwidth(args.quick, ["--no-mouse"], "--no-mouse")
    if "long" in wanted:
        rows += bench_long_run(args.quick)
    if "redraw" in wanted:
        rows += bench_loss_redraw()
    if "startup" in wanted:
        rows += bench_startup()
    if "map" in wanted:
        from benchmarks.map_speed import bench_map_engine, bench_map_key

        rows += bench_map_engine() + bench_map_key()
    if "slices" in wanted:
        from benchmarks.slice_speed import bench_slices

        rows += bench_slices(args.quick)
    print(show(rows))
    machine = {"python": platform.python_version(), "cores": os.cpu_count(), "machine": platform.machine()}
    with open(args.json, "w", encoding="utf-8") as out:
        json.dump({"machine": machine, "quick": args.quick, "results": rows}, out, indent=2)
    with open(args.json.replace(".json", ".md"), "w", encoding="utf-8") as out:
        out.write(markdown(rows))
    print(f"\nwritten to {args.json} and {args.json.replace('.json', '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
