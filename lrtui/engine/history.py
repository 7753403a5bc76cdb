"""Raw step records in, a bounded history out.

A run can last ten million steps; the loss pane is a hundred columns wide.
`LossHistory` keeps a fixed number of buckets, each covering a power-of-two
span of steps with the min, max and last loss, the last (w, b) in it (NaN for
models other than the line) and the last sharpness measured in it (NaN if none).
When the buckets run out, neighbours merge and each bucket covers twice the
span: memory and redraw cost stay flat however long the run goes. The lr
map keeps its loss matrix the same way, one column per learning rate.
"""

from __future__ import annotations

import math
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
    sharpness: np.ndarray | None = None  # the last sharpness measured in each bucket, or NaN


class LossHistory:
    """Bucketed loss of one run, or of many lanes in lock-step (`lanes`, for the lr map).

    With lanes, every array gains a second axis of one column per lane; the
    buckets, their spans and their merging are the same for all lanes.
    `carried` names the records whose last value each bucket keeps besides
    the loss (the weights and lr of a run; nothing for the map).
    """

    def __init__(self, buckets: int = 2048, lanes: int | None = None,
                 carried: tuple[str, ...] = ("w", "b", "lr")):
        self.capacity = buckets
        self.lanes = lanes
        self.carried = carried
        self.clear()

    def clear(self) -> None:
        shape = (self.capacity,) if self.lanes is None else (self.capacity, self.lanes)
        self.span = 1
        self.count = 0
        self.low = np.full(shape, np.inf)
        self.high = np.full(shape, -np.inf)
        self.last = np.zeros(shape)
        for name in self.carried:
            setattr(self, name, np.zeros(shape))
        self.sharpness = np.full(shape, np.nan)

    def add(self, batch: StepBatch) -> None:
        # Another model than the line has no w and b: its buckets keep NaN there.
        nan = np.full(len(batch), np.nan)
        self.add_steps(batch.step, batch.loss, **{
            name: nan if getattr(batch, name) is None else getattr(batch, name)
            for name in self.carried})
        if batch.sharpness is not None and len(batch):
            self._add_sharpness(batch.step, batch.sharpness)

    def _add_sharpness(self, step: np.ndarray, sharpness: np.ndarray) -> None:
        """Each bucket keeps the last sharpness measured in it (the measured steps are few)."""
        index = step // self.span
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        # The last measured step of each bucket: the latest finite index, -1 where none.
        measured = np.where(np.isfinite(sharpness), np.arange(len(step)), -1)
        latest = np.maximum.reduceat(measured, starts)
        hit = latest >= 0
        self.sharpness[index[starts][hit]] = sharpness[latest[hit]]

    def add_steps(self, step: np.ndarray, loss: np.ndarray, **carried: np.ndarray) -> None:
        """Consecutive steps' losses (one row per step; one column per lane with lanes)."""
        if len(step) == 0:
            return
        while int(step[-1]) // self.span >= self.capacity:
            self._coarsen()
        index = step // self.span
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        where = index[starts]
        ends = np.r_[starts[1:], len(step)] - 1
        # NaN would poison min/max: it is kept as +inf, still "bad" to the plot.
        loss = np.where(np.isnan(loss), np.inf, loss)
        self.low[where] = np.minimum(self.low[where], np.minimum.reduceat(loss, starts, axis=0))
        self.high[where] = np.maximum(self.high[where], np.maximum.reduceat(loss, starts, axis=0))
        self.last[where] = loss[ends]
        for name in self.carried:
            getattr(self, name)[where] = carried[name][ends]
        self.count = max(self.count, int(where[-1]) + 1)

    def _coarsen(self) -> None:
        def pad(values, fill):
            return np.concatenate([values, np.full_like(values, fill)])

        self.low = pad(np.minimum(self.low[0::2], self.low[1::2]), np.inf)
        self.high = pad(np.maximum(self.high[0::2], self.high[1::2]), -np.inf)
        # The later bucket of a pair holds the later values, unless it is still empty.
        later_used = np.arange(1, self.capacity, 2) < self.count
        if self.lanes is not None:
            later_used = later_used[:, None]
        for name in ("last",) + self.carried:
            values = getattr(self, name)
            setattr(self, name, pad(np.where(later_used, values[1::2], values[0::2]), 0.0))
        # A pair's sharpness is the later bucket's, unless it measured none.
        later, earlier = self.sharpness[1::2], self.sharpness[0::2]
        self.sharpness = pad(np.where(np.isfinite(later), later, earlier), np.nan)
        self.count = (self.count + 1) // 2
        self.span *= 2

    def steps(self) -> np.ndarray:
        """The first step of each bucket in use."""
        return np.arange(self.count, dtype=np.int64) * self.span

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
            self.steps(), self.low[:n].copy(), self.high[:n].copy(), self.last[:n].copy(),
            self.w[:n].copy(), self.b[:n].copy(), self.span, self.lr[:n].copy(),
            self.sharpness[:n].copy(),
        )


@dataclass(frozen=True)
class LogRow:
    """One line of the lesson's printout; w, b, dw, db are the line's (None for other models).

    With a mini-batch, `loss` is still the loss on all the points (at the weights
    the step starts from) and `batch_loss` the loss of the step's own batch, whose
    gradient the step used; on the full batch the two are one, and `batch_loss` is
    None. (Other models than the line log the batch's loss alone: their weights
    at each step are not kept to work out the full loss.)
    """

    step: int
    loss: float
    w: float | None
    b: float | None
    dw: float | None
    db: float | None
    lr: float
    grad_norm: float = math.nan
    sharpness: float | None = None  # None: not measured at this step
    batch_loss: float | None = None

    def as_dict(self) -> dict:
        row: dict = {"step": self.step, "loss": self.loss}
        if self.batch_loss is not None:
            row["batch_loss"] = self.batch_loss
        if self.w is not None:
            row.update(w=self.w, b=self.b, dw=self.dw, db=self.db)
        row.update(lr=self.lr, grad_norm=self.grad_norm)
        if self.sharpness is not None:
            row["sharpness"] = self.sharpness
        return row


def _short(value) -> float:
    """The shortest decimal that is the same float32: lr 0.9, not 0.8999999761581421."""
    return float(str(np.float32(value)))


def row_at(batch: StepBatch, i: int, full_loss: Callable | None = None) -> LogRow:
    """Step i of the batch as a row; `full_loss(w, b)` given (a mini-batch run of the line),
    the row's loss is the loss on all the points and its batch_loss the step's own."""
    def value(name):
        column = getattr(batch, name)
        return None if column is None else _short(column[i])

    sharpness = value("sharpness")
    row = LogRow(int(batch.step[i]), *(value(f) for f in FIELDS), grad_norm=value("grad_norm"),
                 sharpness=sharpness if sharpness is not None and math.isfinite(sharpness) else None)
    if full_loss is None or not batch.is_line:
        return row
    return replace(row, loss=_short(full_loss(batch.w[i], batch.b[i])), batch_loss=row.loss)


def log_rows(batch: StepBatch, every: int, full_loss: Callable | None = None) -> list[LogRow]:
    """The rows the lesson prints: steps where step % every == 0, plus a diverging step."""
    picks = np.flatnonzero(batch.step % every == 0)
    if batch.diverged and (len(picks) == 0 or picks[-1] != len(batch) - 1):
        picks = np.r_[picks, len(batch) - 1]
    return [row_at(batch, int(i), full_loss) for i in picks]


@dataclass(frozen=True)
class TrailView:
    """Where a run's weights have been: θ at some of its steps, oldest first (shared, never
    written to: safe to hand to another thread)."""

    step: np.ndarray  # int64, [k]
    thetas: tuple[np.ndarray, ...]  # k read-only vectors of P (stacked only by who draws them)

    def matrix(self) -> np.ndarray:
        """θ at every point, [k, P]."""
        return np.stack(self.thetas) if self.thetas else np.zeros((0, 0), np.float32)


class ParameterTrail:
    """θ of a model with many parameters along the run, in at most `capacity` points.

    The landscape of a network projects the path onto a plane through where it
    stands now, so it needs the whole θ at points along the run, not one row
    per step (a run of a million steps of a 49-parameter network would be
    200 MB). Like the loss history, each point stands for a span of steps and
    holds the last θ given in it; when the points run out, neighbours merge
    (the later one stays) and each covers twice the span. The first point, the
    run's start, always stays. The runs give θ at the end of every advance,
    so the points are as fine as the frames, never finer than one step.
    """

    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self.span = 1
        self._steps: list[int] = []
        self._thetas: list[np.ndarray] = []

    def add(self, step: int, theta: np.ndarray) -> None:
        theta = np.array(theta, np.float32)  # a copy of its own: the views share it
        theta.setflags(write=False)
        if self._steps and self._steps[-1] // self.span == step // self.span and len(self._steps) > 1:
            self._steps[-1], self._thetas[-1] = step, theta  # the later θ of the same span
        else:
            self._steps.append(step)
            self._thetas.append(theta)
        while len(self._steps) > self.capacity:
            self._coarsen()

    def _coarsen(self) -> None:
        self.span *= 2
        keep = [0]  # the start stays
        for i in range(1, len(self._steps)):
            if self._steps[i] // self.span == self._steps[keep[-1]] // self.span and keep[-1] != 0:
                keep[-1] = i  # the later θ of the merged span
            else:
                keep.append(i)
        self._steps = [self._steps[i] for i in keep]
        self._thetas = [self._thetas[i] for i in keep]

    def view(self) -> TrailView:
        return TrailView(np.array(self._steps, np.int64), tuple(self._thetas))

    def __len__(self) -> int:
        return len(self._steps)
