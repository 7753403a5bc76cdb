"""What the slices of a network's loss cost: one picture, and the training they take from.

    python -m benchmarks.bench --only slices      (part of the suite)
    python -m benchmarks.slice_speed              (these figures alone)

The landscape (g) and the blackboard (b) of a model other than the line are
cut by a thread from the run's frames (lrtui.workers.slice_worker): the
Hessian at θ, its eigenvectors, and the loss at 2,560 points of the plane
(or 161 + 12 of a line). Timed here: one plane and one line of the
edge-of-stability network (1-16-1 tanh, 64 points, 49 parameters: the exact
Hessian), and one plane of a 2-256-1 network on 256 points of moons (1,025
parameters: Lanczos on Hessian-vector products); and the training speed of
the edge-of-stability run taking the app's 15 frames a second while a slice
worker cuts planes from them as the landscape screen does, against the same
run taking the frames alone (steps per CPU-second of this process, the
worker's thread included, best of alternating windows: the machine is
shared).
"""

from __future__ import annotations

import time

from lrtui.engine.startup import import_tensorflow, quiet_stderr


def seconds_per_picture(cut, repeats: int) -> float:
    cut()  # traced once
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        cut()
        best = min(best, time.perf_counter() - started)
    return best


FRAME = 1 / 15  # the app's frames: a snapshot this often, offered to the worker if there is one


def training_rate(run, seconds: float, worker=None, kind: str = "plane") -> tuple[float, float]:
    """(steps per second, steps per CPU-second of this process, the worker's thread included).
    Both arms take the app's frames; with `worker`, each frame is offered to it."""
    from lrtui.workers.slice_worker import SliceRequest

    done, started, cpu = 0, time.perf_counter(), time.process_time()
    next_frame = started
    while time.perf_counter() - started < seconds:
        done += len(run.advance(1024))
        if time.perf_counter() >= next_frame:
            next_frame += FRAME
            snap = run.snapshot()
            if worker is not None:
                worker.offer(SliceRequest(snap, kind))
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu)


def bench_slices(quick: bool) -> list[dict]:
    import threading

    from benchmarks.bench import figure

    with quiet_stderr():
        import_tensorflow()
        from lrtui.engine.device import DeviceChoice
        from lrtui.engine.run import Run
        from lrtui.engine.slices import Slicer
        from lrtui.settings.fields import Settings
        from lrtui.settings.presets import preset_values
        from lrtui.workers.slice_worker import SliceWorker, path_of

        cpu = DeviceChoice("/CPU:0")
        edge = Settings().with_(**preset_values("edge-of-stability")).with_(steps=10**12)
        run = Run(edge, cpu, sharpness_default=10)
        run.advance(3000)
        snap = run.snapshot()
        slicer = Slicer(run.model, run.dataset)
        thetas, steps, recent = path_of(snap)
        repeats = 5 if quick else 20
        plane = seconds_per_picture(
            lambda: slicer.plane(snap.theta, thetas, steps, snap.step, recent), repeats)
        line = seconds_per_picture(lambda: slicer.line(snap.theta, "steep", snap.recent_theta),
                                   repeats)
        wide = Run(Settings(model="mlp", dataset="moons", hidden=256, n=256), cpu)
        wide.advance(50)
        wide_snap = wide.snapshot()
        wide_slicer = Slicer(wide.model, wide.dataset)
        wide_plane = seconds_per_picture(
            lambda: wide_slicer.plane(wide_snap.theta, *path_of(wide_snap)[:2], wide_snap.step,
                                      path_of(wide_snap)[2]), 2 if quick else 5)

        worker = SliceWorker(lambda picture: None)
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        alone, cutting = [], []
        for _ in range(2 if quick else 4):
            alone.append(training_rate(run, 1.0 if quick else 2.0))
            cutting.append(training_rate(run, 1.0 if quick else 2.0, worker))
        worker.cancel()
        thread.join(10)
    wall, wall_cutting = max(r[0] for r in alone), max(r[0] for r in cutting)
    per_cpu, per_cpu_cutting = max(r[1] for r in alone), max(r[1] for r in cutting)
    cost = 1 - per_cpu_cutting / per_cpu  # the share of the CPU the slices took
    return [
        figure("plane of a 1-16-1 network (49 parameters)", plane * 1000, "≤ 100 ms",
               plane <= 0.1, f"exact Hessian, eigh, 2,560 lanes; a line slice {line * 1000:.1f} ms",
               " ms"),
        figure("plane of a 2-256-1 network (1,025 parameters)", wide_plane * 1000, "≤ 1,000 ms",
               wide_plane <= 1.0, "48 Lanczos products, 2,560 lanes of 256 points", " ms"),
        figure("g open on a training network: CPU to the slices", cost * 100, "≤ 30 %",
               cost <= 0.30,
               f"{per_cpu_cutting:,.0f} vs {per_cpu:,.0f} steps per CPU-second; wall clock "
               f"{wall_cutting:,.0f} vs {wall:,.0f} steps/s ({worker.pictures} planes cut)", " %"),
    ]


if __name__ == "__main__":
    from benchmarks.bench import show

    print(show(bench_slices(quick=False)))
