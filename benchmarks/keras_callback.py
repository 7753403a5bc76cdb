"""What watching a Keras training costs, and whether a viewer keeps up.

    python -m benchmarks.keras_callback [--quick] [--json benchmarks/keras_results.json]

1. `model.fit` with batches of about 5 ms, three ways in one run, interleaved
   so that the machine's load falls on all of them alike: plain (no
   callback), with `LrtuiCallback` and nobody watching, and with a viewer
   attached (a separate process running the viewer's own tailing thread at
   15 frames/s). Wall time and this process's CPU time per batch, medians
   over the repetitions; the viewer's own CPU beside them.
2. A training publishing 5,000 batches/s for 10 s (a `Publisher` driven by a
   paced loop stands in for Keras, which cannot go that fast here) and the
   viewer's thread in its own process: how far behind its frames are.
3. The same stream watched by the real `lrtui watch` in a pseudo-terminal at
   120×40: bytes written to the terminal per second, against the
   simulator's own app measured in the same run; and silence once the
   training has finished.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.bench import KIB, bench_bandwidth, figure, markdown, show  # noqa: E402
from benchmarks.pty_app import PtyApp  # noqa: E402


# -- the viewer, as a child process --------------------------------------------------
def viewer_main(name: str, out: str, seconds: float) -> None:
    """Attach the viewer's thread to NAME and log (time, step) of every frame it would draw."""
    from lrtui.integrations.keras.channel import Channel
    from lrtui.workers.watch_worker import WatchWorker

    frames: list[tuple[float, int]] = []
    worker = None

    def publish(frame) -> None:
        frames.append((time.time(), frame.step))
        worker.frame_shown()  # a UI that draws at once: the fps is the only limit

    worker = WatchWorker(Channel.attach(name), publish, fps=15.0)
    thread = __import__("threading").Thread(target=worker, daemon=True)
    thread.start()
    Path(out + ".ready").write_text("ready")
    time.sleep(seconds)
    worker.shutdown()
    thread.join(5)
    Path(out).write_text(json.dumps(frames))


def start_viewer(name: str, seconds: float, env: dict) -> tuple[subprocess.Popen, str]:
    out = tempfile.mktemp(prefix="lrtui-viewer-", suffix=".json")
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.keras_callback", "--viewer", name,
                                "--out", out, "--seconds", str(seconds)], env=env)
    deadline = time.time() + 60
    while not os.path.exists(out + ".ready"):
        if time.time() > deadline or process.poll() is not None:
            raise RuntimeError("the viewer did not start")
        time.sleep(0.05)
    return process, out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1. the cost on model.fit ------------------------------------------------------------
def bench_fit_overhead(quick: bool) -> list[dict]:
    import keras
    import numpy as np

    from lrtui.keras import LrtuiCallback

    batches, repeats, batch_size = (100, 5, 128) if quick else (150, 15, 128)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size * batches, 64)).astype("float32")
    y = (x @ rng.normal(size=(64, 1))).astype("float32")
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(512, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", metrics=["mae"])
    detached, attached = LrtuiCallback("bench-detached"), LrtuiCallback("bench-attached")
    for callbacks in ([], [detached], [attached]):  # warm up: trace, build, make the channels
        model.fit(x[:batch_size * 20], y[:batch_size * 20], batch_size=batch_size, verbose=0,
                  callbacks=callbacks)
    seconds = (3 * batches * repeats) * 0.03 + 30
    viewer, _ = start_viewer(attached.channel.name, seconds, dict(os.environ))
    modes = {"plain": [], "detached": [], "attached": []}
    callbacks = {"plain": [], "detached": [detached], "attached": [attached]}
    viewer_cpu = 0.0
    order = list(modes)
    # Short fits in rounds, the order turning each round: a fit is compared with the
    # plain fit of its own round, which ran within a second or two under the same load.
    for repeat in range(repeats):
        for mode in order[repeat % 3:] + order[:repeat % 3]:
            before_viewer = cpu_seconds(viewer.pid)
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=callbacks[mode])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            modes[mode].append((wall / batches * 1000, cpu / batches * 1000))
            if mode == "attached":
                viewer_cpu += cpu_seconds(viewer.pid) - before_viewer
    viewer.kill()
    viewer.wait()
    median = {m: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
              for m, v in modes.items()}
    plain_wall, plain_cpu = median["plain"]
    rows = [figure("fit: plain batch time", plain_wall, "about 5 ms", 2 <= plain_wall <= 10,
                   f"median of {repeats} fits of {batches} batches of {batch_size}; "
                   f"CPU {plain_cpu:.2f} ms/batch (all threads)", " ms")]
    attached_batches = repeats * batches
    for mode in ("detached", "attached"):
        ratios = [w / p for (w, _), (p, _) in zip(modes[mode], modes["plain"])]
        overhead = (statistics.median(ratios) - 1) * 100
        wall, cpu = median[mode]
        how = (f"median of {repeats} rounds of (fit with it ÷ plain fit of the same round); "
               f"medians {wall:.3f} vs {plain_wall:.3f} ms/batch; CPU {cpu:.3f} vs {plain_cpu:.3f} "
               f"ms/batch ({(cpu / plain_cpu - 1) * 100:+.1f}%)")
        if mode == "attached":
            how += f"; the viewer process used {viewer_cpu / attached_batches * 1000:.3f} ms CPU/batch"
        rows.append(figure(f"fit overhead, callback {mode}", overhead, "≤ 3 %", overhead <= 3, how, " %"))
    spread = {m: f"{min(w for w, _ in v):.2f}-{max(w for w, _ in v):.2f}" for m, v in modes.items()}
    rows.append(figure("fit: spread of the repetitions", None, "", True,
                       ", ".join(f"{m} {s} ms" for m, s in spread.items())
                       + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"))
    rows += bench_hooks(model)
    return rows


def bench_hooks(model, count: int = 50_000) -> list[dict]:
    """The callback's own cost per batch, without TensorFlow's noise: its hooks called in a loop,
    and the CPU of the whole process (the publisher's threads included) until every row is written."""
    from lrtui.keras import LrtuiCallback

    callback = LrtuiCallback("bench-hooks")
    callback.set_model(model)
    callback.set_params({"epochs": 1, "steps": count, "verbose": 0})
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    logs = {"loss": 0.5, "mae": 0.25}
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in range(count):
        callback.on_train_batch_begin(batch)
        callback.on_train_batch_end(batch, logs)
    hooks = (time.perf_counter() - wall) / count * 1e6
    publisher = callback.publisher
    while publisher.collected < count:
        time.sleep(0.01)
    callback.on_epoch_end(0, logs)
    callback.on_train_end()
    total = (time.process_time() - cpu) / count * 1e6
    return [figure("callback hooks, training thread", hooks, "≤ 150 µs (3 % of 5 ms)", hooks <= 150,
                   f"on_train_batch_begin + on_train_batch_end, {count:,} calls", " µs"),
            figure("callback, all its threads", total, "≤ 150 µs (3 % of 5 ms)", total <= 150,
                   "process CPU per batch until every row was collected and written", " µs")]


# -- 2 and 3. a fast stream ------------------------------------------------------------------
def publish_stream(name: str, rate: float, seconds: float, marks: list) -> None:
    """Publish `rate` rows/s for `seconds`, as a training would; note (time, step) every 250."""
    import numpy as np

    from lrtui.integrations.keras.channel import Channel
    from lrtui.integrations.keras.publisher import Publisher

    channel = Channel.create(name)
    publisher = Publisher(channel, lambda steps: np.full(len(steps), 1e-3),
                          {"epochs": 10, "steps_per_epoch": int(rate * seconds) // 10})
    publisher.start()
    publisher.set_state("training")
    started = time.perf_counter()
    per_epoch = int(rate * seconds) // 10
    total = int(rate * seconds)
    for step in range(total):
        epoch, batch = divmod(step, per_epoch)
        publisher.publish(step, epoch, batch, {"loss": 1.0 / (1 + step / 1000), "mae": 0.5})
        if step % 250 == 249:
            marks.append((time.time(), step))
            ahead = started + (step + 1) / rate - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
    publisher.close("finished")


def bench_fast_viewer(quick: bool) -> list[dict]:
    import threading

    rate, seconds = 5000.0, 5.0 if quick else 10.0
    name = "bench-fast"
    marks: list[tuple[float, int]] = []
    # The channel must exist for the viewer to attach: the stream starts, then the viewer.
    feeder = threading.Thread(target=publish_stream, args=(name, rate, seconds, marks))
    feeder.start()
    while not marks:
        time.sleep(0.01)
    viewer, out = start_viewer(name, seconds + 3, dict(os.environ))
    feeder.join()
    ended = time.time()
    viewer.wait()
    frames = json.loads(Path(out).read_text())
    published = dict((step, t) for t, step in marks)
    steps = sorted(published)
    lags = []
    for t, step in frames:
        # How long ago the newest published row was one the viewer already had.
        newest = max((s for s in steps if published[s] <= t), default=None)
        if newest is not None and step >= 0:
            behind = newest - step
            lags.append(max(0.0, behind / rate))
    during = [f for f in frames if f[0] <= ended]
    fps = (len(during) - 1) / (during[-1][0] - during[0][0]) if len(during) > 1 else 0.0
    last_step = int(rate * seconds) - 1
    caught_up = next((t for t, step in frames if step == last_step), None)
    tail = (caught_up - ended) if caught_up else None
    p99 = sorted(lags)[int(0.99 * (len(lags) - 1))] if lags else None
    return [
        figure("viewer at 5,000 batches/s: lag p99", p99 * 1000 if p99 is not None else None,
               "≤ 200 ms", p99 is not None and p99 <= 0.2,
               f"{len(lags)} frames; newest published row minus the frame's row, in time", " ms"),
        figure("viewer at 5,000 batches/s: frames", fps, "≈ 15 /s", 12 <= fps <= 16,
               "frames per second from the viewer's first frame to the stream's end", " /s"),
        figure("viewer at 5,000 batches/s: last row shown", tail * 1000 if tail is not None else None,
               "≤ 250 ms", tail is not None and tail <= 0.25,
               "after the training's last batch", " ms"),
    ]


def bench_watch_bandwidth(quick: bool) -> list[dict]:
    import threading

    rate, seconds = 5000.0, 6.0 if quick else 12.0
    name = "bench-tui"
    marks: list[tuple[float, int]] = []
    feeder = threading.Thread(target=publish_stream, args=(name, rate, seconds, marks))
    feeder.start()
    while not marks:
        time.sleep(0.01)
    app = PtyApp(["watch", name])
    if app.wait_for(r"training", 30) is None:
        app.quit()
        feeder.join()
        return [figure("lrtui watch bandwidth", None, "", False, "the viewer never showed the training")]
    start = time.time()
    app.pump(max(1.0, seconds - 3.0))
    running = app.bytes_between(start + 1.0, time.time()) / (time.time() - start - 1.0)
    feeder.join()
    app.wait_for(r"finished", 10)
    finished = time.time()
    app.pump(4.0)
    idle = app.bytes_between(finished + 1.0, finished + 4.0) / 3.0
    app.quit()
    simulator = bench_bandwidth(quick)[0]["value"] * KIB
    return [
        figure("lrtui watch bandwidth at 5,000 batches/s", running / KIB,
               f"≤ simulator ({simulator / KIB:.1f})", running <= simulator,
               "bytes written to the pty per second, 120×40, vs the simulator running, same run",
               " KiB/s"),
        figure("lrtui watch silence after the training finished", idle, "0 B/s", idle == 0,
               "bytes per second from 1 s after 'finished'", " B/s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default="benchmarks/keras_results.json")
    parser.add_argument("--only", nargs="*", default=None, help="fit, viewer, bandwidth")
    parser.add_argument("--viewer", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.viewer:
        viewer_main(args.viewer, args.out, args.seconds)
        return 0
    # Every training of the benchmark in a folder of its own.
    runtime = tempfile.mkdtemp(prefix="lrtui-bench-")
    os.environ["XDG_RUNTIME_DIR"] = runtime
    wanted = set(args.only or ["fit", "viewer", "bandwidth"])
    rows: list[dict] = []
    if "fit" in wanted:
        rows += bench_fit_overhead(args.quick)
    if "viewer" in wanted:
        rows += bench_fast_viewer(args.quick)
    if "bandwidth" in wanted:
        rows += bench_watch_bandwidth(args.quick)
    print(show(rows))
    with open(args.json, "w", encoding="utf-8") as out:
        json.dump({"cores": os.cpu_count(), "quick": args.quick, "results": rows}, out, indent=2)
    with open(args.json.replace(".json", ".md"), "w", encoding="utf-8") as out:
        out.write(markdown(rows))
    print(f"\nwritten to {args.json} and {args.json.replace('.json', '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
