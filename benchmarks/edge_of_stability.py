"""How the edge-of-stability preset was found, and the numbers the README quotes.

    python -m benchmarks.edge_of_stability [--steps 6000]

Runs the preset (64 noiseless points of sin(2x) on [−2, 2], a 1-16-1 tanh
network, Glorot-uniform from init seed 0, full-batch gradient descent) at
several learning rates through `lrtui run`, with the sharpness measured every
10 steps, and prints for each: the first step where sharpness·lr/2 reaches
0.99 (the sharpness at 2/lr), its range afterwards, the loss at the start, its
lowest, its last value, and how many logged steps the loss went up.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json

import numpy as np

from lrtui.commands.main import main


def measure(lr: float, steps: int, seed: int) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["run", "--preset", "edge-of-stability", "--lr", str(lr), "--steps", str(steps),
              "--init-seed", str(seed), "--log-every", "10", "--format", "jsonl"])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    rows = [line for line in lines if "event" not in line and "summary" not in line]
    summary = lines[-1]["summary"]
    steps_ = np.array([r["step"] for r in rows])
    ratio = np.array([r.get("sharpness", np.nan) for r in rows]) * lr / 2
    loss = np.array([r["loss"] for r in rows], dtype=float)
    hit = np.flatnonzero(ratio >= 0.99)
    reached = int(steps_[hit[0]]) if len(hit) else None
    after = ratio[steps_ >= reached + 200] if reached is not None else np.array([])
    return {"lr": lr, "seed": seed, "status": summary["status"], "start": float(ratio[0]),
            "reached_at": reached, "after_min": float(after.min()) if len(after) else None,
            "after_max": float(after.max()) if len(after) else None,
            "end_ratio": float(ratio[np.isfinite(ratio)][-1]),
            "loss_start": float(loss[0]), "loss_min": float(np.nanmin(loss)),
            "loss_end": float(summary["loss"]) if summary["loss"] is not None else None,
            "ups": int((np.diff(loss) > 0).sum())}


def main_(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.5])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    print("| lr | init seed | status | s·lr/2 at 0 | reaches 0.99 at | s·lr/2 after (min–max) "
          "| loss start → min → end | loss rose (of 10-step samples) |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        for lr in args.lrs:
            m = measure(lr, args.steps, seed)
            after = "–" if m["after_min"] is None else f"{m['after_min']:.3f}–{m['after_max']:.3f}"
            end = "diverged" if m["loss_end"] is None else f"{m['loss_end']:.4g}"
            print(f"| {lr} | {seed} | {m['status']} | {m['start']:.2f} | {m['reached_at'] or 'never'} "
                  f"(last {m['end_ratio']:.2f}) | {after} | {m['loss_start']:.3g} → {m['loss_min']:.3g} "
                  f"→ {end} | {m['ups']} |", flush=True)


if __name__ == "__main__":
    main_()
