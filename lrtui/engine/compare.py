"""Compare mode: 2 to 6 runs on the same data from the same initial weights.

`CompareRun` is to `BatchedTrainer` what `Run` is to `Trainer`: it keeps each
run's step count, bounded loss history, log rows and the summary the lesson
asks for (final loss, steps to get within 1% of the OLS loss, the step it
diverged at). No threads and no UI: the compare controller and
`lrtui compare` drive it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.data import Dataset
from lrtui.engine.device import DeviceChoice
from lrtui.engine.fit_view import FitView, fit_views
from lrtui.engine.history import CurveView, LogRow, LossHistory, log_rows
from lrtui.engine.landscape import Moments, moments_of
from lrtui.engine.models import Model, model_of
from lrtui.engine.records import StepBatch
from lrtui.engine.run import DIVERGENCE_FACTOR, Event, State, fmt, make_dataset, overflow_note
from lrtui.engine.stability import diverging_reason
from lrtui.engine.theory import Theory, first_converged, theory_for
from lrtui.settings.fields import Settings

MIN_RUNS, MAX_RUNS = 2, 6


class RunStatus:
    READY = "ready"  # shown before its first step, while nothing runs
    RUNNING = "running"
    HELD = "paused"
    FINISHED = "finished"
    DIVERGING = "diverging"  # its budget ran out while it was still diverging
    DIVERGED = "diverged"

    ENDED = (FINISHED, DIVERGING, DIVERGED)


@dataclass(frozen=True)
class Lane:
    """One run of a comparison, as the UI and the printout see it; arrays are copies."""

    index: int
    learning_rate: float
    optimizer: str
    status: str
    step: int
    w: float
    b: float
    loss: float
    reached_at: int | None  # first step within 1% of the OLS loss
    diverged_at: int | None
    curve: CurveView | None = None
    non_finite_at: int | None = None  # the first step whose loss was not a number
    params: dict | None = None  # every parameter by name (models other than the line)
    fit: FitView | None = None  # its curve or decision boundary (models other than the line)

    @property
    def label(self) -> str:
        return f"{self.index + 1}: {self.optimizer} lr {fmt(self.learning_rate)}"

    def summary(self) -> dict:
        summary = {"run": self.index + 1, "optimizer": self.optimizer, "lr": self.learning_rate,
                   "status": self.status,
                   "stable": self.status not in (RunStatus.DIVERGING, RunStatus.DIVERGED),
                   "steps": self.step, "final_loss": self.loss}
        if self.params is None:
            summary.update(w=self.w, b=self.b)
        else:
            summary["params"] = self.params
        summary.update(steps_to_1pct=self.reached_at, diverged_at=self.diverged_at,
                       first_non_finite_step=self.non_finite_at)
        return summary


@dataclass(frozen=True)
class CompareSnapshot:
    state: State
    lanes: tuple[Lane, ...]
    settings: Settings
    theory: Theory | None
    moments: Moments | None
    x: np.ndarray | None
    y: np.ndarray | None
    device: str
    steps_per_second: float = 0.0
    events: tuple[Event, ...] = ()
    message: str = ""


def check_runs(learning_rates, optimizers) -> tuple[list[float], list[str]]:
    """Pair learning rates with optimizers; a single value of either applies to every run."""
    lrs, opts = list(learning_rates), list(optimizers)
    if len(lrs) == 1 and len(opts) > 1:
        lrs = lrs * len(opts)
    if len(opts) == 1 and len(lrs) > 1:
        opts = opts * len(lrs)
    if len(lrs) != len(opts):
        raise ValueError(f"{len(lrs)} learning rates and {len(opts)} optimizers: give one of "
                         "either, or as many of each")
    if not MIN_RUNS <= len(lrs) <= MAX_RUNS:
        raise ValueError(f"compare runs {MIN_RUNS} to {MAX_RUNS} runs, not {len(lrs)}")
    return lrs, opts


class CompareRun:
    def __init__(self, settings: Settings, device: DeviceChoice, learning_rates, optimizers,
                 dataset: Dataset | None = None):
        self.settings = settings
        self.device = device
        self.learning_rates, self.optimizers = check_runs(learning_rates, optimizers)
        self.dataset = dataset or make_dataset(settings)
        self.model: Model = model_of(settings, self.dataset.inputs)
        self.theory = theory_for(self.model, self.dataset.x, self.dataset.y)
        # The exact loss surface over (w, b) exists for the line only.
        self.moments = moments_of(self.dataset.x, self.dataset.y) if self.model.name == "line" else None
        from lrtui.engine.batched import BatchedTrainer  # TensorFlow: callers mute it first

        self.trainer = BatchedTrainer(self.dataset, device.name, self.learning_rates,
                                      self.optimizers, settings.init_w, settings.init_b,
                                      model=self.model, initial=self.initial_theta())
        self.count = len(self.learning_rates)
        self.histories = [LossHistory() for _ in range(self.count)]
        self.pending_rows: list[tuple[int, LogRow]] = []
        self.pending_events: list[Event] = []
        self.state = State.READY
        n = self.count
        self.steps = [0] * n
        self.budget_end = [settings.steps] * n
        self.held = [False] * n  # paused on its own, while the others go on
        self.status = [RunStatus.RUNNING] * n
        self.reached_at: list[int | None] = [None] * n
        self.diverged_at: list[int | None] = [None] * n
        self.last_loss = [math.nan] * n
        self.start_loss = [math.nan] * n  # each run's loss at step 0
        self.non_finite_at: list[int | None] = [None] * n
        self._armed = [False] * n
        self.trainer.set_stopping(not settings.no_stop)

    def initial_theta(self) -> np.ndarray:
        """Where every run starts (the same for all, so they compare on equal terms)."""
        return self.model.initial(self.settings.init_seed)

    def _clear_lanes(self, runs) -> None:
        for k in runs:
            self.steps[k] = 0
            self.budget_end[k] = self.settings.steps
            self.status[k] = RunStatus.HELD if self.held[k] else RunStatus.RUNNING
            self.reached_at[k] = None
            self.diverged_at[k] = None
            self.last_loss[k] = math.nan
            self.start_loss[k] = math.nan
            self.non_finite_at[k] = None
            self._armed[k] = False
            self.histories[k].clear()

    def say(self, text: str, kind: str = "info", step: int | None = None) -> None:
        self.pending_events.append(Event(max(self.steps) if step is None else step, text, kind))

    def drain(self) -> tuple[list[tuple[int, LogRow]], list[Event]]:
        rows, events = list(self.pending_rows), list(self.pending_events)
        self.pending_rows.clear()
        self.pending_events.clear()
        return rows, events

    def runs_for(self, run: int | None) -> list[int]:
        return list(range(self.count)) if run is None else [run]

    # -- training ------------------------------------------------------------
    def steppable(self, run: int | None = None) -> list[int]:
        """Runs that would take a step now: not held, not finished, not diverged."""
        return [k for k in self.runs_for(run) if self.status[k] == RunStatus.RUNNING]

    def advance(self, count: int, run: int | None = None) -> list[StepBatch]:
        """Up to `count` lock-steps of the steppable runs (of one run if `run` is given)."""
        lanes = self.steppable(run)
        if not lanes:
            return []
        count = min([count] + [self.budget_end[k] - self.steps[k] for k in lanes])
        if count <= 0:
            return []
        self._arm(lanes)
        self.trainer.set_held([k not in lanes for k in range(self.count)])
        records = self.trainer.run(count)
        batches = []
        for k in range(self.count):
            live = records.values["live"][:, k]
            n = int(live.sum())
            if n == 0:
                continue
            steps = np.arange(self.steps[k], self.steps[k] + n, dtype=np.int64)
            column = {f: records.values[f][live, k] for f in records.values if f != "live"}
            if self.trainer.is_line:
                batch = StepBatch(steps, *(column[f] for f in ("loss", "w", "b", "dw", "db", "lr")),
                                  diverged=bool(records.diverged[k]))
            else:
                batch = StepBatch(steps, column["loss"], None, None, None, None, column["lr"],
                                  diverged=bool(records.diverged[k]), grad_norm=column["grad_norm"])
            batches.append(batch)
            self._took(k, batch)
        return batches

    def _arm(self, lanes: list[int]) -> None:
        """Each run's divergence limit, judged from its loss when it (re)starts."""
        todo = [k for k in lanes if not self._armed[k]]
        if not todo:
            return
        losses = self.trainer.current_loss()
        for k in todo:
            if math.isfinite(losses[k]):
                self.trainer.set_loss_limit(k, DIVERGENCE_FACTOR * max(losses[k], 1.0))
            self._armed[k] = True

    def _took(self, k: int, batch: StepBatch) -> None:
        if batch.step[0] == 0:
            self.start_loss[k] = float(batch.loss[0])
        bad = np.flatnonzero(~np.isfinite(batch.loss))
        if self.non_finite_at[k] is None and len(bad):
            self.non_finite_at[k] = int(batch.step[bad[0]])
            if self.settings.no_stop:
                self.say(f"run {k + 1}: the loss overflowed float32 at step "
                         f"{self.non_finite_at[k]}; no-stop trains on", "warning", self.non_finite_at[k])
        self.histories[k].add(batch)
        self.pending_rows.extend((k, row) for row in log_rows(batch, self.settings.log_every))
        self.steps[k] += batch.updates
        if self.reached_at[k] is None:
            target = self.theory.converged_loss if self.theory else -np.inf
            first = int(first_converged(batch.loss, target))
            if first >= 0:
                self.reached_at[k] = int(batch.step[first])
        if batch.diverged:
            self.status[k] = RunStatus.DIVERGED
            self.diverged_at[k] = int(batch.step[-1])
            self.last_loss[k] = float(batch.loss[-1])
            w, b = self.trainer.weights()
            self.say(f"run {k + 1} ({self.optimizers[k]}, lr {fmt(self.learning_rates[k])}) "
                     f"diverged at step {self.diverged_at[k]}: loss {fmt(self.last_loss[k])}"
                     f"{overflow_note(self.last_loss[k], w[k], b[k])}", "error")
        elif self.steps[k] >= self.budget_end[k] and self.non_finite_at[k] is not None:
            # Trained through (no-stop) to a loss that is not a number.
            self.status[k] = RunStatus.DIVERGED
            self.last_loss[k] = float(self.trainer.current_loss()[k])
        elif self.steps[k] >= self.budget_end[k]:
            final = float(self.trainer.current_loss()[k])
            why = diverging_reason(self.optimizers[k], self.theory, float(batch.lr[-1]),
                                   self.start_loss[k], final, float(batch.loss[-1]))
            self.status[k] = RunStatus.DIVERGING if why else RunStatus.FINISHED
            if why:
                self.say(f"run {k + 1} ({self.optimizers[k]}, lr {fmt(self.learning_rates[k])}) "
                         f"is diverging at step {self.steps[k]}: {why}", "warning")
        if self.done:
            self.state = State.FINISHED

    @property
    def done(self) -> bool:
        return all(s in RunStatus.ENDED for s in self.status)

    # -- changing things -------------------------------------------------------
    def hold(self, run: int, held: bool) -> None:
        """Pause (or resume) one run on its own; the others go on."""
        self.held[run] = held
        if self.status[run] in (RunStatus.RUNNING, RunStatus.HELD):
            self.status[run] = RunStatus.HELD if held else RunStatus.RUNNING
        self.say(f"run {run + 1} {'paused' if held else 'resumed'}")

    def extend(self) -> bool:
        """Finished runs get another budget of steps; False if none was finished.

        With no-stop nothing freezes: a run that trained through to NaN goes on too.
        """
        again = (RunStatus.FINISHED, RunStatus.DIVERGING)
        if self.settings.no_stop:
            again += (RunStatus.DIVERGED,)
        finished = [k for k in range(self.count) if self.status[k] in again]
        for k in finished:
            self.budget_end[k] = self.steps[k] + self.settings.steps
            self.status[k] = RunStatus.HELD if self.held[k] else RunStatus.RUNNING
        if finished:
            self.say(f"another {self.settings.steps} steps")
        return bool(finished)

    def set_learning_rate(self, run: int, learning_rate: float, how: str = "set") -> None:
        old = self.learning_rates[run]
        self.learning_rates[run] = learning_rate
        self.trainer.set_learning_rate(run, learning_rate)
        self.say(f"run {run + 1}: lr {how} {fmt(old)} -> {fmt(learning_rate)}")
        if self.status[run] == RunStatus.DIVERGED:
            w, b = self.trainer.weights()
            if not math.isfinite(self.trainer.current_loss()[run]):
                # The loss at its weights is not a number: no step can start there.
                where = f"w={fmt(w[run])} b={fmt(b[run])}" if self.model.name == "line" else "its weights"
                self.say(f"run {run + 1} stays stopped: its loss overflowed float32 at "
                         f"{where}; r resets", "warning")
            elif np.isfinite(self.trainer.theta_now()[run]).all():
                # Judge growth from here, so the lower lr gets its chance to recover.
                self.trainer.unfreeze(run)
                self._armed[run] = False
                self.status[run] = RunStatus.HELD if self.held[run] else RunStatus.RUNNING
                self.budget_end[run] = max(self.budget_end[run], self.steps[run] + self.settings.steps)

    def set_optimizer(self, run: int, optimizer: str) -> None:
        old = self.optimizers[run]
        self.optimizers[run] = optimizer
        self.trainer.set_optimizer(run, optimizer)
        self.say(f"run {run + 1}: optimizer {old} -> {optimizer} (its state starts afresh)")

    def reset(self) -> None:
        """Every run back to the same initial weights, with fresh optimizer state."""
        s = self.settings
        self.trainer.reset_to(self.initial_theta())
        self._clear_lanes(range(self.count))
        self.state = State.READY
        if self.model.name == "line":
            self.say(f"all runs reset to w={fmt(s.init_w)} b={fmt(s.init_b)}")
        else:
            self.say(f"all runs reset to the initial weights of {self.model.describe()}")

    # -- reading ------------------------------------------------------------
    def lanes(self, with_curves: bool = True) -> tuple[Lane, ...]:
        w, b = self.trainer.weights()
        theta = self.trainer.theta_now()
        losses = self.trainer.current_loss()
        # Models other than the line: each run's curve or boundary, all runs in one call.
        fits = (fit_views(self.trainer.predict, self.dataset.x)
                if with_curves and self.model.name != "line" else [None] * self.count)
        out = []
        for k in range(self.count):
            loss = self.last_loss[k] if self.status[k] == RunStatus.DIVERGED else float(losses[k])
            status = self.status[k]
            if status == RunStatus.RUNNING and self.state != State.RUNNING:
                # Steppable, but nothing runs: say what a learner sees.
                status = RunStatus.READY if self.steps[k] == 0 else RunStatus.HELD
            params = None if self.model.name == "line" else self.model.named(theta[k])
            out.append(Lane(k, self.learning_rates[k], self.optimizers[k], status,
                            self.steps[k], float(w[k]), float(b[k]), loss, self.reached_at[k],
                            self.diverged_at[k],
                            self.histories[k].view() if with_curves else None,
                            self.non_finite_at[k], params, fits[k]))
        return tuple(out)

    def snapshot(self, steps_per_second: float = 0.0, with_data: bool = True) -> CompareSnapshot:
        _, events = self.drain()
        return CompareSnapshot(
            state=self.state, lanes=self.lanes(), settings=self.settings, theory=self.theory,
            moments=self.moments, x=self.dataset.x if with_data else None,
            y=self.dataset.y if with_data else None, device=self.device.label,
            steps_per_second=steps_per_second, events=tuple(events))
