"""The lr × steps map: the loss of every learning rate at every step, as one picture.

The lesson's "Learning Rate vs Steps" says the two knobs are independent and
only together decide where a run ends. The map answers it for the current
data, model, optimizer, schedule and initial weights at once: each lr is a
lane of one `BatchedTrainer` (compare mode's lanes, widened to hundreds), all
lanes step together in chunks, one compiled call per chunk, and only the loss
is recorded. The loss matrix is kept in `LossHistory`'s buckets with one
column per lr, so it stays a few hundred rows however many steps are asked
for. A lane whose loss goes bad freezes, as in compare mode; its cells after
that step hold +inf ("diverged").

Per lane it also keeps what a table of lrs needs: the final loss, the first
step within 1% of the OLS loss (compare mode's definition, theory.py's
`first_converged`), the step it diverged at and the lowest loss seen. No
threads and no UI here: `lrtui map` and the map worker drive it.

Every model has a map. The line and the polynomial have an exact theory
(their Hessian is constant): lr_opt, 1/λmax and lr_max are drawn on it and
"1% of the least-squares loss" is the finish line. The logistic loss and a
network have neither a known minimum nor a constant lr_max; their map
carries the sharpness at the start instead (the Hessian's top eigenvalue at
the initial weights, by power iteration): 2/sharpness there is where plain
GD's first steps stop being stable, the line the map shows them against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrtui.engine.data import Dataset
from lrtui.engine.history import LossHistory
from lrtui.engine.models import Model, model_of
from lrtui.engine.run import DIVERGENCE_FACTOR, make_dataset
from lrtui.engine.theory import Theory, first_converged, steps_to_within, theory_for
from lrtui.settings.fields import Settings

DEFAULT_LANES = 128
MAX_LANES = 4096
# The default range: from lr_max/1000 (crawls) to 3·lr_max (past the cliff).
BELOW_LR_MAX, ABOVE_LR_MAX = 1e-3, 3.0
# Without a known lr_max: this far either side of the current lr.
AROUND_LR = 100.0
LR_RANGE = (1e-10, 1e4)  # the learning rates a run accepts
MAP_BUCKETS = 512  # rows of the kept matrix, at most, for any number of steps
# Losses recorded by one compiled call, at most (8 MiB of float32): a chunk of
# 1,024 lanes is 1,024 steps, a chunk of 128 lanes 16,384.
CELLS_PER_CHUNK = 1 << 21
CHUNK_STEPS = (64, 1024, 16384)  # the lane trainer's capacities a map uses


class MapError(ValueError):
    """A map that cannot be made as asked; the message says why."""


def map_theory(settings: Settings, dataset: Dataset) -> Theory | None:
    """The exact theory of the map's model on this data: the line's or the polynomial's;
    None for a model whose curvature moves (the logistic loss, a network)."""
    return theory_for(model_of(settings, dataset.inputs), dataset.x, dataset.y)


def default_learning_rates(theory: Theory | None, learning_rate: float,
                           num: int = DEFAULT_LANES) -> np.ndarray:
    """Log-spaced lrs from lr_max/1000 to 3·lr_max, or around `learning_rate` if lr_max is unknown."""
    if theory is not None and math.isfinite(theory.lr_max):
        low, high = theory.lr_max * BELOW_LR_MAX, theory.lr_max * ABOVE_LR_MAX
    else:
        low, high = learning_rate / AROUND_LR, learning_rate * AROUND_LR
    low, high = max(low, LR_RANGE[0]), min(high, LR_RANGE[1])
    return np.geomspace(low, high, num)


def chunk_steps(lanes: int) -> int:
    """Steps per compiled call for this many lanes."""
    return max(s for s in CHUNK_STEPS if s * lanes <= CELLS_PER_CHUNK or s == CHUNK_STEPS[0])


def check_grid(lr_min: float, lr_max: float, num: int, steps: int) -> None:
    """Refuse a grid no map can have, with one line saying what is wrong."""
    if not (isinstance(num, int) and 1 <= num <= MAX_LANES):
        raise MapError(f"--num {num}: use 1 to {MAX_LANES} learning rates")
    if not (isinstance(steps, int) and steps >= 1):
        raise MapError(f"--steps {steps}: use 1 step or more")
    for name, value in (("--lr-min", lr_min), ("--lr-max", lr_max)):
        if not (math.isfinite(value) and LR_RANGE[0] <= value <= LR_RANGE[1]):
            raise MapError(f"{name} {value:g}: use a learning rate from 1e-10 to 1e4")
    if num > 1 and lr_min >= lr_max:
        raise MapError(f"--lr-min {lr_min:g} must be below --lr-max {lr_max:g}")


def check_method(settings: Settings) -> None:
    """The lanes take full-batch steps with a schedule of the step; say so for the rest."""
    if settings.batch_size:
        raise MapError("the lr map takes full-batch steps: drop --batch-size "
                       f"{settings.batch_size} (or use 'full')")
    if settings.schedule == "plateau":
        raise MapError("the lr map cannot follow the plateau schedule (it depends on each "
                       "run's own losses): pick another schedule")


@dataclass(frozen=True)
class LrMapView:
    """The map so far, as copies: safe to hand to another thread or write to a file."""

    learning_rates: np.ndarray  # (lanes,)
    step: np.ndarray  # (rows,) the first step of each row's bucket
    span: int  # steps per row
    loss: np.ndarray  # (rows, lanes) the last loss in each bucket; +inf once a lane diverged
    low: np.ndarray  # (rows, lanes) the lowest loss in each bucket
    high: np.ndarray  # (rows, lanes) the highest
    final_loss: np.ndarray  # (lanes,) the loss after the last step taken (at divergence: that loss)
    steps_to_1pct: np.ndarray  # (lanes,) int, -1: not (yet) within 1% of the OLS loss
    diverged_at: np.ndarray  # (lanes,) int, -1: never
    min_loss: np.ndarray  # (lanes,)
    steps_done: int
    steps: int  # the budget
    theory: Theory | None  # exact for the line and poly; None where the curvature moves
    predicted: np.ndarray | None  # plain GD's predicted steps to 1% per lr (inf: never)
    settings: Settings
    start_loss: float  # every lane's loss at the initial weights
    start_sharpness: float  # λmax of the Hessian there: exact, or measured (NaN: unknown)

    @property
    def exact(self) -> bool:
        """True when the theory is exact (line, poly); False when it is the start's sharpness."""
        return self.theory is not None

    def theory_lines(self) -> list[tuple[str, float]]:
        """The learning rates the map marks: lr_opt, 1/λmax and lr_max from the exact theory;
        for the other models 1/λ and 2/λ of the sharpness at the initial weights (plain GD's
        first steps are stable below the second; later the sharpness moves)."""
        if self.theory is not None:
            t = self.theory
            return [("lr_opt", math.nan if t.lr_opt is None else t.lr_opt),
                    ("1/λmax", t.lr_zigzag), ("lr_max", t.lr_max)]
        s = self.start_sharpness
        if not (math.isfinite(s) and s > 0):
            return []
        return [("1/λmax", 1.0 / s), ("lr_max", 2.0 / s)]

    @property
    def floor_loss(self) -> float:
        """The bottom of the colour scale: the least-squares loss, or else the lowest loss any
        lr has reached so far (the logistic loss and a network have no known minimum)."""
        if self.theory is not None:
            return self.theory.ols_loss
        finite = self.min_loss[np.isfinite(self.min_loss)]
        return float(finite.min()) if len(finite) else self.start_loss

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.steps

    def rows(self) -> list[dict]:
        """One summary row per lr, in the lesson's words; None where there is no such step."""
        def step_or_none(value):
            return None if value < 0 else int(value)

        return [{"lr": float(lr), "final_loss": float(final), "steps_to_1pct": step_or_none(reached),
                 "diverged_at": step_or_none(diverged), "min_loss": float(low)}
                for lr, final, reached, diverged, low in zip(
                    self.learning_rates, self.final_loss, self.steps_to_1pct, self.diverged_at,
                    self.min_loss)]


class LrMap:
    """Computes the map chunk by chunk; `view()` at any time shows what is done."""

    def __init__(self, settings: Settings, device: str, learning_rates, steps: int,
                 dataset: Dataset | None = None, buckets: int = MAP_BUCKETS, trainer=None):
        lrs = np.asarray(learning_rates, np.float64)
        if lrs.ndim != 1 or not 1 <= len(lrs) <= MAX_LANES:
            raise MapError(f"a map has 1 to {MAX_LANES} learning rates, not {lrs.size}")
        if not np.all(np.isfinite(lrs) & (lrs > 0)):
            raise MapError("every learning rate of a map must be a finite number above 0")
        if steps < 1:
            raise MapError(f"a map needs 1 step or more, not {steps}")
        check_method(settings)
        self.settings = settings.with_(steps=steps)
        self.learning_rates = lrs
        self.steps = steps
        self.dataset = dataset or make_dataset(settings)
        self.model: Model = model_of(settings, self.dataset.inputs)
        self.theory = theory_for(self.model, self.dataset.x, self.dataset.y)
        lanes = len(lrs)
        self.trainer = trainer if trainer is not None else lane_trainer(
            self.dataset, device, lrs, settings)
        if trainer is not None:
            trainer.set_data(self.dataset)
            trainer.set_learning_rates(lrs)
        self.initial = self.model.initial(settings.init_seed)
        self.trainer.reset_to(self.initial)
        self.start_sharpness = (self.theory.lambda_max if self.theory is not None
                                else self._measured_sharpness(device))
        self.history = LossHistory(buckets, lanes=lanes, carried=())
        self.chunk = chunk_steps(lanes)
        self.steps_done = 0
        self.final_loss = np.full(lanes, np.nan)
        self.steps_to_1pct = np.full(lanes, -1, np.int64)
        self.diverged_at = np.full(lanes, -1, np.int64)
        self.min_loss = np.full(lanes, np.inf)
        self.diverged_loss = np.full(lanes, np.inf)  # each lane's loss at the step it went bad
        start = self.trainer.current_loss()[0]
        self.start_loss = float(start)
        self.loss_limit = np.float32(DIVERGENCE_FACTOR * max(start, 1.0)) if math.isfinite(start) \
            else np.float32(np.inf)
        # The same limit as a solo run: judged from the loss at the initial weights.
        self.trainer.set_loss_limit(None, float(self.loss_limit))

    def _measured_sharpness(self, device: str) -> float:
        """λmax at the initial weights of a model whose curvature moves."""
        import tensorflow as tf  # loaded and muted by the caller

        from lrtui.engine import sharpness

        with tf.device(device):
            return sharpness.measure(self.model, self.initial, tf.constant(self.dataset.x),
                                     tf.constant(self.dataset.y))

    @property
    def done(self) -> bool:
        return self.steps_done >= self.steps

    def advance(self) -> int:
        """One compiled call: up to one chunk of steps of every lane; the steps taken."""
        count = min(self.chunk, self.steps - self.steps_done)
        if count <= 0:
            return 0
        records = self.trainer.run(count)
        taken = records.steps
        loss = records.values["loss"]  # (taken, lanes)
        step = np.arange(self.steps_done, self.steps_done + taken, dtype=np.int64)
        self._mark_divergence(step, loss, records.diverged)
        # A lane's cells after the step it diverged at are "diverged" (+inf).
        after = (self.diverged_at >= 0)[None, :] & (step[:, None] > self.diverged_at[None, :])
        loss = np.where(after, np.inf, loss)
        self.history.add_steps(step, loss)
        self.min_loss = np.minimum(self.min_loss, np.nanmin(np.where(np.isnan(loss), np.inf, loss),
                                                            axis=0))
        if self.theory is not None:  # no known minimum, no finish line
            open_ = self.steps_to_1pct < 0
            first = first_converged(loss, self.theory.converged_loss)
            reached = open_ & (first >= 0)
            self.steps_to_1pct[reached] = step[0] + first[reached]
        live = self.diverged_at < 0
        self.final_loss[~live] = self.diverged_loss[~live]
        self.steps_done += taken
        if taken < count:
            # Every lane froze: nothing moves any more, the rest of the budget is diverged.
            self.steps_done = self.steps
        if live.any():
            current = self.trainer.current_loss()
            self.final_loss[live] = current[live]
            if self.done:
                self.min_loss[live] = np.minimum(self.min_loss[live], current[live])
        return taken

    def _mark_divergence(self, step: np.ndarray, loss: np.ndarray, froze: np.ndarray) -> None:
        """The step each lane that froze in this chunk went bad at."""
        lanes = np.flatnonzero(froze & (self.diverged_at < 0))
        if not len(lanes):
            return
        bad = ~np.isfinite(loss[:, lanes]) | (loss[:, lanes] > float(self.loss_limit))
        first = np.argmax(bad, axis=0)
        # A gradient can overflow while its loss is still below the limit: then the
        # number of updates the lane took is the step it stopped at.
        taken = self.trainer.t.numpy()[lanes].astype(np.int64)
        self.diverged_at[lanes] = np.where(bad.any(axis=0), step[0] + first, taken)
        row = self.diverged_at[lanes] - step[0]
        inside = (row >= 0) & (row < len(step))
        self.diverged_loss[lanes] = np.where(inside, loss[np.clip(row, 0, len(step) - 1), lanes],
                                             np.inf)

    def compute(self, stop: Callable[[], bool] | None = None,
                progress: Callable[[LrMap], None] | None = None) -> LrMapView:
        """Run to the budget, checking `stop` before every chunk; the view of what was done."""
        while not self.done:
            if stop is not None and stop():
                break
            self.advance()
            if progress is not None:
                progress(self)
        return self.view()

    def view(self) -> LrMapView:
        h = self.history
        n = h.count
        s = self.settings
        predicted = None
        if self.model.name == "line" and s.optimizer == "gd" and s.schedule == "constant":
            predicted = steps_to_within(self.theory, self.learning_rates,
                                                    s.init_w, s.init_b)
        return LrMapView(
            learning_rates=self.learning_rates.copy(), step=h.steps(), span=h.span,
            loss=h.last[:n].copy(), low=h.low[:n].copy(), high=h.high[:n].copy(),
            final_loss=self.final_loss.copy(), steps_to_1pct=self.steps_to_1pct.copy(),
            diverged_at=self.diverged_at.copy(), min_loss=self.min_loss.copy(),
            steps_done=self.steps_done, steps=self.steps, theory=self.theory,
            predicted=predicted, settings=s, start_loss=self.start_loss,
            start_sharpness=float(self.start_sharpness))


def lane_trainer(dataset: Dataset, device: str, learning_rates, settings: Settings):
    """The lane trainer a map runs on: one lane per lr, loss records only, the run's rule."""
    from lrtui.engine.batched import BatchedTrainer  # TensorFlow: callers mute it first

    lanes = len(learning_rates)
    model = model_of(settings, dataset.inputs)
    return BatchedTrainer(dataset, device, learning_rates, [settings.optimizer] * lanes,
                          settings.init_w, settings.init_b, record=("loss",), switchable=False,
                          method=settings, model=model, initial=model.initial(settings.init_seed))
