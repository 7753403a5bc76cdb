"""The learning-rate range test, as fastai's lr_find does it.

Raise the lr a little every step, exponentially from `start` to `end` over
`num` steps: lr_i = start · (end/start)^(i/num). Record each step's loss and
a smoothed loss (running average with β = 0.98, divided by 1 − β^t so the
first values are not pulled toward 0). Stop once the smoothed loss exceeds
4 × the best smoothed loss so far. Then read suggestions off the smoothed
curve between the first tenth and the last five points:

- minimum: the lr at the lowest smoothed loss, divided by 10;
- steep: the lr where the loss falls fastest per unit of log lr;
- valley: in the longest decreasing run of the curve, the point 1/3 + 1/6
  of the way along it (fastai's default since 2.4).

On a convex problem like the lesson's the smoothed loss falls from the very
first point, so the longest descent is the whole window and the valley is
only its middle: it moves with `start`. The test keeps fastai's rule, and
says so (`valley_is_middle`) with the window it was read from.

The sweep trains its own copy of the model (same data, optimizer, batch size
and initial weights as the run), so the run's weights, step and optimizer
state are exactly as before: nothing needs restoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lrtui.engine.data import Dataset
from lrtui.engine.theory import Theory, theory_of
from lrtui.settings.fields import Settings

START, END, NUM = 1e-7, 10.0, 100
BETA = 0.98
STOP_FACTOR = 4.0
SUGGESTIONS = ("minimum", "steep", "valley")
MEANINGS = {
    "minimum": "lr at the lowest loss ÷ 10",
    "steep": "where the loss falls fastest",
    "valley": "1/2 of the way into the longest descent",
}


@dataclass(frozen=True)
class Suggestion:
    name: str
    learning_rate: float
    at_lr: float  # where it is marked on the curve (minimum: the lr of the lowest loss)
    at_loss: float
    window: tuple[float, float] | None = None  # valley: the lrs its longest descent spans
    from_first: bool = False  # valley: that descent starts at the window's first point


@dataclass(frozen=True)
class RangeTest:
    lrs: np.ndarray  # the lr each recorded step used
    losses: np.ndarray  # each step's loss
    smoothed: np.ndarray  # the smoothed loss the suggestions are read from
    num: int
    stopped_early: bool  # the smoothed loss passed 4 × its best before `num` steps
    theory: Theory | None = None  # the line's exact answer; None for someone else's model
    suggestions: dict[str, Suggestion] = field(default_factory=dict)

    @property
    def valley_is_middle(self) -> bool:
        """The loss fell from the window's first point: the valley is the sweep's middle."""
        valley = self.suggestions.get("valley")
        return valley is not None and valley.from_first

    def valley_note(self) -> str:
        """One line: on a convex problem the valley is only the middle of the sweep."""
        low, high = self.suggestions["valley"].window
        return (f"valley = the middle of the sweep: the smoothed loss falls from the first "
                f"lr of fastai's window ({low:.3g} to {high:.3g}), so it moves with --start")

    def useful_top(self) -> float:
        """The highest smoothed loss before the lowest one: above it is only the blow-up."""
        if len(self.smoothed) == 0:
            return math.nan
        lowest = int(np.argmin(self.smoothed))
        return float(np.max(self.smoothed[:lowest + 1]))


def sweep_lrs(start: float, end: float, num: int) -> np.ndarray:
    return start * (end / start) ** (np.arange(num) / num)


def check_sweep(start: float, end: float, num: int) -> None:
    if not 0 < start < end:
        raise ValueError(f"range test: start {start:g} must be above 0 and below end {end:g}")
    if num < 10:
        raise ValueError(f"range test: num {num} is too few steps, use at least 10")


def past_stop(value: float, best: float) -> bool:
    """fastai's stop rule: the smoothed loss passed 4 × its best (or is not a number)."""
    return value > STOP_FACTOR * best or not math.isfinite(value)


def smooth(losses: np.ndarray, beta: float = BETA) -> tuple[np.ndarray, int]:
    """The bias-corrected running average, and how many points to keep (the stop rule)."""
    average, best, out = 0.0, math.inf, []
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * float(loss)
        value = average / (1 - beta**t)
        out.append(value)
        best = min(best, value)
        if past_stop(value, best):
            break
    return np.array(out), len(out)


def _window(lrs: np.ndarray, values: np.ndarray, num: int) -> tuple[np.ndarray, np.ndarray]:
    """fastai reads its suggestions from [num//10 : -5], cut before the first NaN."""
    lrs, values = lrs[num // 10:-5], values[num // 10:-5]
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        cut = min(int(bad[0]), len(lrs) - 1)
        lrs, values = lrs[:cut], values[:cut]
    return lrs, values


def minimum(lrs: np.ndarray, losses: np.ndarray) -> Suggestion:
    i = int(np.argmin(losses))
    return Suggestion("minimum", float(lrs[i]) / 10, float(lrs[i]), float(losses[i]))


def steep(lrs: np.ndarray, losses: np.ndarray) -> Suggestion:
    slopes = np.diff(losses) / np.diff(np.log(lrs))
    i = int(np.argmin(slopes))
    return Suggestion("steep", float(lrs[i]), float(lrs[i]), float(losses[i]))


def valley(lrs: np.ndarray, losses: np.ndarray) -> Suggestion:
    # run[i]: the most points of a strictly decreasing sequence (not necessarily
    # adjacent) that ends at point i; the longest one found first wins.
    run = np.ones(len(losses), dtype=np.int64)
    end = 0
    for i in range(1, len(losses)):
        lower = losses[:i] > losses[i]
        if lower.any():
            run[i] = max(run[i], int(run[:i][lower].max()) + 1)
        if run[i] > run[end]:
            end = i
    start = end - int(run[end])
    third = (end - start) / 3
    i = start + int(third) + int(third / 2)
    # fastai's start sits one before the run's first point; -1 means it began at the first.
    first = max(start + 1, 0)
    return Suggestion("valley", float(lrs[i]), float(lrs[i]), float(losses[i]),
                      window=(float(lrs[first]), float(lrs[end])), from_first=first == 0)


def suggest(lrs: np.ndarray, smoothed: np.ndarray, num: int) -> dict[str, Suggestion]:
    """Every suggestion that the kept window allows (none if fewer than 2 points remain)."""
    lrs, values = _window(np.asarray(lrs, np.float64), np.asarray(smoothed, np.float64), num)
    if len(lrs) < 2:
        return {}
    return {s.name: s for s in (minimum(lrs, values), steep(lrs, values), valley(lrs, values))}


def range_test(settings: Settings, dataset: Dataset, device: str, start: float = START,
               end: float = END, num: int = NUM, jit: bool = True) -> RangeTest:
    """Run the sweep from the settings' initial weights on a copy of the model."""
    check_sweep(start, end, num)
    from lrtui.engine.trainer import Trainer  # TensorFlow: the caller imported it quietly

    # The sweep is an exponential schedule that grows: lr_i = start · (end/start)^(i/num).
    sweep = settings.with_(schedule="exponential", decay_rate=end / start, decay_steps=num,
                           staircase=False)
    trainer = Trainer(dataset, device, start, settings.init_w, settings.init_b, jit=jit,
                      method=sweep)
    batch = trainer.run(num)
    smoothed, keep = smooth(batch.loss)
    lrs, losses = batch.lr[:keep], batch.loss[:keep]
    return RangeTest(lrs, losses, smoothed, num, stopped_early=keep < num,
                     theory=theory_of(dataset.x, dataset.y),
                     suggestions=suggest(lrs, smoothed, num))
