"""What a Keras training publishes per batch, and the loss curve made from it.

A row is one train batch: `step` (the global batch count, from 0), `epoch`,
`batch` (Keras's index within the epoch), `lr` (what the optimizer used for
that batch) and `logs`, exactly as Keras handed them to the callback.

Keras 3's `logs["loss"]` at batch k of an epoch is the running mean of the
epoch so far, not the batch's own loss. The loss pane wants the batch's loss
(it reacts at once to an lr change), so `BatchLosses` recovers it:
loss_k = (k+1)·mean_k − k·mean_{k−1} (batches counted from 0). Keras weights
its mean by the number of samples, so a smaller last batch of an epoch comes
out approximate; every other batch is exact up to float32 rounding.

`RowHistory` keeps that curve in the engine's bounded `LossHistory` (min and
max per bucket, buckets that double their span when they run out): both the
training process (which saves it when old detail is dropped) and a viewer
build it from the same rows with the same code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.history import CurveView, LossHistory
from lrtui.engine.records import StepBatch

ROW_KEYS = ("step", "epoch", "batch", "lr")


@dataclass(frozen=True)
class Row:
    step: int
    epoch: int
    batch: int
    lr: float
    logs: dict

    def flat(self) -> dict:
        """step, epoch, batch, lr, then the logs' keys: one JSON object of `lrtui watch --format jsonl`."""
        return {"step": self.step, "epoch": self.epoch, "batch": self.batch, "lr": self.lr,
                **self.logs}


def encode_row(step: int, epoch: int, batch: int, lr: float, logs: dict) -> str:
    # Python's json keeps NaN and Infinity (as tokens JSON itself lacks): the spool is
    # lossless, and the jsonl printer turns them into null.
    return json.dumps({"step": step, "epoch": epoch, "batch": batch, "lr": lr, "logs": logs},
                      separators=(",", ":"))


def decode_row(item: dict) -> Row | None:
    try:
        return Row(int(item["step"]), int(item["epoch"]), int(item["batch"]), float(item["lr"]),
                   dict(item["logs"]))
    except (KeyError, TypeError, ValueError):
        return None


class BatchLosses:
    """Turn Keras's running means back into each batch's loss, row after row."""

    def __init__(self):
        self.previous: tuple[int, int, float] | None = None  # (epoch, batch, running mean)

    def of(self, row: Row) -> float:
        mean = row.logs.get("loss")
        if not isinstance(mean, (int, float)):
            return math.nan
        mean = float(mean)
        last = self.previous
        self.previous = (row.epoch, row.batch, mean)
        if row.batch == 0:
            return mean
        if last is None or last[0] != row.epoch or last[1] != row.batch - 1:
            # A gap (dropped detail, or Keras reporting every few batches): the batch's
            # own loss cannot be recovered; the running mean is the closest we have.
            return mean
        return (row.batch + 1) * mean - row.batch * last[2]


class RowHistory:
    """The batch-loss curve and the lr curve of a training, bucketed and bounded."""

    def __init__(self, buckets: int = 2048):
        self.history = LossHistory(buckets)
        self.losses = BatchLosses()
        self.last_step = -1

    def add(self, rows: list[Row]) -> None:
        rows = [r for r in rows if r.step > self.last_step]
        if not rows:
            return
        steps = np.fromiter((r.step for r in rows), np.int64, len(rows))
        losses = np.fromiter((self.losses.of(r) for r in rows), np.float64, len(rows))
        lrs = np.fromiter((r.lr for r in rows), np.float64, len(rows))
        zeros = np.zeros(len(rows))
        # The engine's history also keeps the line's w and b; a Keras model has no such pair.
        self.history.add(StepBatch(steps, losses, zeros, zeros, zeros, zeros, lrs, False))
        self.last_step = int(steps[-1])

    def view(self) -> CurveView:
        return self.history.view()

    def to_json(self) -> dict:
        view = self.view()
        return {"span": view.span, "last_step": self.last_step, "low": view.low.tolist(),
                "high": view.high.tolist(), "last": view.last.tolist(), "lr": view.lr.tolist(),
                "running_mean": self.losses.previous}

    def load_json(self, saved: dict) -> None:
        """Start from a saved curve (the steps whose detail is gone), then add rows after it."""
        n = len(saved["low"])
        view = CurveView(np.arange(n, dtype=np.int64) * int(saved["span"]),
                         *(np.asarray(saved[k], np.float64) for k in ("low", "high", "last")),
                         np.zeros(n), np.zeros(n), int(saved["span"]),
                         np.asarray(saved["lr"], np.float64))
        self.history.load(view)
        self.last_step = int(saved["last_step"])
        last = saved.get("running_mean")
        self.losses.previous = tuple(last) if last else None
