"""Soak: the real app, headless, at full speed for N minutes, abused on a timer.

    python -m benchmarks.soak --minutes 10 --out soak.json

The lr is doubled, halved or typed every couple of seconds (so runs diverge
and recover), the terminal is resized between 40×12 and 250×80, and a
stopped run is started again. Every second a sample of the process's
resident memory (RSS), the step, the state and the speed is taken. The JSON
report holds the samples, the totals and every error; the exit status is 0
when there was none.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

from lrtui.app.textual_internals import app_exception, notifications, resize, send_keys
from lrtui.engine.run import State
from lrtui.settings.fields import Settings

SAMPLE_SECONDS = 1.0
LR_SECONDS = 2.0
RESIZE_SECONDS = 5.0
LOAD_TIMEOUT = 300.0


def rss_mb() -> float:
    """Resident memory now, from /proc (Linux); the peak from getrusage elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak(minutes: float, seed: int = 0) -> dict:
    from lrtui.app.app import LrApp

    rng = random.Random(seed)
    app = LrApp(Settings(speed="max", steps=1_000_000_000))
    report = {"minutes": minutes, "seed": seed, "samples": [], "errors": [], "lr_changes": 0,
              "resizes": 0, "restarts": 0, "divergences": 0, "steps_total": 0}
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + LOAD_TIMEOUT
        while not (app.snapshot and app.snapshot.state == State.READY):
            if time.monotonic() > deadline or (app.snapshot and app.snapshot.state == State.ERROR):
                report["errors"].append(f"the run did not load: {app.snapshot and app.snapshot.message}")
                return report
            await pilot.pause(0.1)
        started = time.monotonic()
        end = started + minutes * 60
        next_sample = next_lr = next_resize = started
        last_step, seen = 0, set()
        send_keys(app, "space")
        while time.monotonic() < end:
            now = time.monotonic()
            snap = app.snapshot
            if app_exception(app) is not None:
                report["errors"].append(f"exception: {app_exception(app)!r}")
                break
            if snap.state in (State.FINISHED, State.DIVERGED, State.PAUSED, State.READY):
                report["divergences"] += snap.state == State.DIVERGED
                if snap.state == State.DIVERGED:
                    send_keys(app, "minus", "minus", "minus")
                send_keys(app, "space")
                report["restarts"] += 1
            if now >= next_lr:
                key = rng.choice(["plus", "minus", "typed"])
                if key == "typed":
                    lr = str(rng.choice([0.001, 0.01, 0.1, 0.5, 0.9, 2.0]))
                    # Keys queued in the same burst as l still go to the app, not the
                    # field (Textual moves the focus after them): let l land first.
                    send_keys(app, "l")
                    await asyncio.sleep(0.3)
                    send_keys(app, *[c if c != "." else "full_stop" for c in lr], "enter")
                else:
                    send_keys(app, key)
                report["lr_changes"] += 1
                next_lr = now + LR_SECONDS
            if now >= next_resize:
                resize(app, rng.randint(40, 250), rng.randint(12, 80))
                report["resizes"] += 1
                next_resize = now + RESIZE_SECONDS
            if now >= next_sample:
                snap = app.snapshot
                report["steps_total"] += max(0, snap.step - last_step)
                last_step = snap.step
                report["samples"].append({
                    "t": round(now - started, 2), "rss_mb": round(rss_mb(), 1), "step": snap.step,
                    "state": snap.state.name.lower(), "lr": snap.learning_rate,
                    "steps_per_second": round(snap.steps_per_second)})
                next_sample = now + SAMPLE_SECONDS
            # Error notices count as errors, except divergence: that is a result.
            for notice in notifications(app):
                if notice.identity not in seen and notice.severity == "error" \
                        and "diverged" not in notice.message:
                    report["errors"].append(f"notice: {notice.message}")
                seen.add(notice.identity)
            await asyncio.sleep(0.1)  # the app's loop runs meanwhile; a tool, not a test
        report["seconds"] = round(time.monotonic() - started, 1)
    if app_exception(app) is not None and not any("exception" in e for e in report["errors"]):
        report["errors"].append(f"exception: {app_exception(app)!r}")
    return summarize(report)


def summarize(report: dict) -> dict:
    rss = [s["rss_mb"] for s in report["samples"]]
    if rss:
        # The first minute holds XLA's compiles and the caches filling: growth counts after it.
        settled = [s["rss_mb"] for s in report["samples"] if s["t"] >= 60] or rss[len(rss) // 2:]
        report.update(rss_start_mb=rss[0], rss_end_mb=rss[-1], rss_max_mb=max(rss),
                      rss_growth_after_first_minute_mb=round(settled[-1] - settled[0], 1))
        speeds = [s["steps_per_second"] for s in report["samples"] if s["state"] == "running"]
        report["median_steps_per_second"] = sorted(speeds)[len(speeds) // 2] if speeds else 0
    report["ok"] = not report["errors"]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default %(default)s)")
    parser.add_argument("--out", default="soak.json", help="the JSON report (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the abuse (default %(default)s)")
    args = parser.parse_args(argv)
    from lrtui.engine.startup import quiet_stderr

    with quiet_stderr():
        report = asyncio.run(soak(args.minutes, args.seed))
    Path(args.out).write_text(json.dumps(report, indent=2))
    keys = ("seconds", "steps_total", "median_steps_per_second", "lr_changes", "resizes",
            "divergences", "rss_start_mb", "rss_max_mb", "rss_end_mb",
            "rss_growth_after_first_minute_mb")
    print(", ".join(f"{k}={report.get(k)}" for k in keys))
    print(f"{len(report['errors'])} errors; report in {args.out}")
    for error in report["errors"][:10]:
        print(f"  {error}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
