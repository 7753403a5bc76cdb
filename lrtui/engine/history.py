"""Raw step records in, a bounded history out.

A run can last ten million steps; the loss pane is a hundred columns wide.
`LossHistory` keeps a fixed number of buckets, each covering a power-of-two
span of steps with the min, max and last loss and the last (w, b) in it.
When the buckets run out, neighbours merge and each bucket covers twice the
span: memory and redraw cost stay flat however long the run goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from lrtui.engine.records import FIELDS, StepBatch


@dataclass(frozen=True)
class CurveView:
    """A copy of the history, safe to hand to another thread."""

    step: np.ndarray  # first step of each bucket
    low: np.ndarray
    high: np.ndarray
    last: np.ndarray
    w: np.ndarray
    b: np.ndarray
    span: int  # steps per bucket
    lr: np.ndarray | None = None  # the lr used at each bucket's last step


class LossHistory:
    def __init__(self, buckets: int = 2048):
        self.capacity = buckets
        self.clear()

    def clear(self) -> None:
        self.span = 1
        self.count = 0
        self.low = np.full(self.capacity, np.inf)
        self.high = np.full(self.capacity, -np.inf)
        self.last = np.zeros(self.capacity)
        self.w = np.zeros(self.capacity)
        self.b = np.zeros(self.capacity)
        self.lr = np.zeros(self.capacity)

    def add(self, batch: StepBatch) -> None:
        if len(batch) == 0:
            return
        while int(batch.step[-1]) // self.span >= self.capacity:
            self._coarsen()
        index = batch.step // self.span
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        where = index[starts]
        ends = np.r_[starts[1:], len(batch)] - 1
        loss = batch.loss
        # NaN would poison min/max: it is kept as +inf, still "bad" to the plot.
        loss = np.where(np.isnan(loss), np.inf, loss)
        self.low[where] = np.minimum(self.low[where], np.minimum.reduceat(loss, starts))
        self.high[where] = np.maximum(self.high[where], np.maximum.reduceat(loss, starts))
        self.last[where] = loss[ends]
        self.w[where] = batch.w[ends]
        self.b[where] = batch.b[ends]
        self.lr[where] = batch.lr[ends]
        self.count = max(self.count, int(where[-1]) + 1)

    def _coarsen(self) -> None:
        half = self.capacity // 2
        self.low = np.r_[np.minimum(self.low[0::2], self.low[1::2]), np.full(half, np.inf)]
        self.high = np.r_[np.maximum(self.high[0::2], self.high[1::2]), np.full(half, -np.inf)]
        for name in ("last", "w", "b", "lr"):
            values = getattr(self, name)
            # The later bucket of a pair holds the later values, unless it is still empty.
            later_used = np.arange(1, self.capacity, 2) < self.count
            merged = np.where(later_used, values[1::2], values[0::2])
            setattr(self, name, np.r_[merged, np.zeros(half)])
        self.count = (self.count + 1) // 2
        self.span *= 2

    def load(self, view: CurveView) -> None:
        """Start over from a saved view (a Keras viewer attaching after old detail was dropped)."""
        self.clear()
        if len(view.step) > self.capacity:
            raise ValueError(f"a saved curve of {len(view.step)} buckets does not fit in {self.capacity}")
        n = len(view.step)
        self.span, self.count = view.span, n
        self.low[:n], self.high[:n], self.last[:n] = view.low, view.high, view.last
        self.w[:n], self.b[:n] = view.w, view.b
        if view.lr is not None:
            self.lr[:n] = view.lr

    def view(self) -> CurveView:
        n = self.count
        return CurveView(
            np.arange(n, dtype=np.int64) * self.span,
            self.low[:n].copy(), self.high[:n].copy(), self.last[:n].copy(),
            self.w[:n].copy(), self.b[:n].copy(), self.span, self.lr[:n].copy(),
        )


@dataclass(frozen=True)
class LogRow:
    """One line of the lesson's printout.

    With a mini-batch, `loss` is still the loss on all the points (at the weights
    the step starts from) and `batch_loss` the loss of the step's own batch, whose
    gradient dw, db the step used; on the full batch the two are one, and
    `batch_loss` is None.
    """

    step: int
    loss: float
    w: float
    b: float
    dw: float
    db: float
    lr: float
    batch_loss: float | None = None

    def as_dict(self) -> dict:
        out = {"step": self.step, "loss": self.loss}
        if self.batch_loss is not None:
            out["batch_loss"] = self.batch_loss
        out.update(w=self.w, b=self.b, dw=self.dw, db=self.db, lr=self.lr)
        return out


def _short(value) -> float:
    """The shortest decimal that is the same float32: lr 0.9, not 0.8999999761581421."""
    return float(str(np.float32(value)))


def row_at(batch: StepBatch, i: int, full_loss: Callable | None = None) -> LogRow:
    """Step i of the batch as a row; `full_loss(w, b)` given (a mini-batch run), the row's
    loss is the loss on all the points and its batch_loss the step's own."""
    row = LogRow(int(batch.step[i]), *(_short(getattr(batch, f)[i]) for f in FIELDS))
    if full_loss is None:
        return row
    return replace(row, loss=_short(full_loss(batch.w[i], batch.b[i])), batch_loss=row.loss)


def log_rows(batch: StepBatch, every: int, full_loss: Callable | None = None) -> list[LogRow]:
    """The rows the lesson prints: steps where step % every == 0, plus a diverging step."""
    picks = np.flatnonzero(batch.step % every == 0)
    if batch.diverged and (len(picks) == 0 or picks[-1] != len(batch) - 1):
        picks = np.r_[picks, len(batch) - 1]
    return [row_at(batch, int(i), full_loss) for i in picks]
