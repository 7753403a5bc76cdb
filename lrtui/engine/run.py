"""One experiment: data, theory, trainer, history and the step budget.

No threads and no UI here: the app's controller drives a Run from its worker
thread, and `lrtui run` drives one directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from lrtui.engine.data import Dataset, generate, load_csv
from lrtui.engine.device import DeviceChoice
from lrtui.engine.history import CurveView, LogRow, LossHistory, log_rows, row_at
from lrtui.engine.landscape import loss_at, moments_of
from lrtui.engine.method import describe
from lrtui.engine.recording import Recording
from lrtui.engine.records import StepBatch
from lrtui.engine.stability import diverging_reason, predicted_steps, singular_note, warning_text
from lrtui.engine.theory import Theory, theory_of
from lrtui.settings.fields import DATA_FIELDS, METHOD_FIELDS, Settings

# The blackboard draws the last few steps as jumps: their weights travel in every frame.
RECENT_STEPS = 12
# A loss this many times its value at the start of the run counts as diverged:
# the run stops while the weights are still finite, so a lower lr can recover.
DIVERGENCE_FACTOR = 1e12


class State(str, Enum):
    LOADING = "loading TensorFlow"
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    DIVERGED = "diverged"
    ERROR = "error"


@dataclass(frozen=True)
class Event:
    step: int
    text: str
    kind: str = "info"  # info | warning | error


@dataclass(frozen=True)
class Snapshot:
    """What the UI needs to draw one frame; every array in it is a copy."""

    state: State
    step: int
    budget_end: int
    w: float
    b: float
    loss: float
    learning_rate: float
    settings: Settings
    theory: Theory | None
    device: str
    steps_per_second: float
    curve: CurveView | None
    x: np.ndarray | None
    y: np.ndarray | None
    data_version: int
    data_source: str
    rows: tuple[LogRow, ...] = ()
    rows_skipped: int = 0  # logged steps left out of `rows` to keep the frame small
    events: tuple[Event, ...] = ()
    message: str = ""
    device_note: str = ""  # why the device differs from the one asked for, if it does
    mini_batch: bool = False  # the curve holds each step's batch loss, not the full data's
    non_finite_at: int | None = None  # the first step whose loss was not a number
    # Plain GD from the start to 1% of the minimum at this lr: steps (inf: never), or None
    # where the theory does not predict it (another optimizer, a schedule, a mini-batch).
    predicted_steps: float | None = None
    # The weights of the last few steps, the current weights last (the blackboard's jumps).
    recent_w: np.ndarray | None = None
    recent_b: np.ndarray | None = None


def make_dataset(settings: Settings) -> Dataset:
    if settings.data:
        return load_csv(settings.data)
    return generate(settings.n, settings.x_min, settings.x_max, settings.true_w,
                    settings.true_b, settings.noise, settings.seed)


def fmt(value: float) -> str:
    """A number the way the step log and messages print it."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def overflow_note(loss: float, w: float, b: float) -> str:
    """Why a loss is not a number: float32 overflowed, in the loss alone or in the weights too."""
    if math.isfinite(loss):
        return ""
    if math.isfinite(w) and math.isfinite(b):
        return " (it overflowed float32; w and b are still finite)"
    return " (the weights overflowed float32 too)"


def usable_learning_rate(value: float) -> bool:
    """Zero, negative, infinite or NaN: no gradient descent step can use it."""
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


class Run:
    def __init__(self, settings: Settings, device: DeviceChoice, dataset: Dataset | None = None):
        if not usable_learning_rate(settings.learning_rate):
            raise ValueError(f"learning rate {fmt(settings.learning_rate)}: "
                             "it must be a finite number above 0")
        self.settings = settings
        self.device = device
        self.dataset = dataset or make_dataset(settings)
        self.theory = theory_of(self.dataset.x, self.dataset.y)
        self._moments = moments_of(self.dataset.x, self.dataset.y)
        # TensorFlow is imported here, never at module import: callers mute it first.
        from lrtui.engine.trainer import Trainer

        self.trainer = Trainer(self.dataset, device.name, settings.learning_rate,
                               settings.init_w, settings.init_b, method=settings)
        self.history = LossHistory()
        self.recording = Recording()  # every step, for run files and CSV export
        self._recent = np.zeros((3, 0))  # step, w, b of the last RECENT_STEPS steps
        self.data_version = 1
        self.state = State.READY
        self.budget_end = settings.steps
        self.latest: LogRow | None = None
        self.pending_rows: list[LogRow] = []
        self.pending_events: list[Event] = []
        self._limit_armed = False
        self.start_loss = math.nan  # the loss at step 0, as the run measured it
        self.non_finite_at: int | None = None  # the first step whose loss was not a number
        self._weights_non_finite_at: int | None = None
        self._prediction: tuple = (None, None)
        self.trainer.set_stopping(not settings.no_stop)
        if device.note:
            self.say(device.note, "warning")
        self._say_if_singular()
        self._warn_if_unstable(settings.learning_rate)

    # -- reading -------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def learning_rate(self) -> float:
        return self.settings.learning_rate

    def say(self, text: str, kind: str = "info", step: int | None = None) -> None:
        self.pending_events.append(Event(self.step if step is None else step, text, kind))

    def drain(self) -> tuple[tuple[LogRow, ...], tuple[Event, ...]]:
        rows, events = tuple(self.pending_rows), tuple(self.pending_events)
        self.pending_rows.clear()
        self.pending_events.clear()
        return rows, events

    def weights(self) -> tuple[float, float]:
        return self.trainer.weights()

    # -- training ------------------------------------------------------------
    def advance(self, count: int) -> StepBatch:
        """Run up to `count` steps within the budget; update history, log and state."""
        count = min(count, self.budget_end - self.step)
        if count <= 0 or self.state in (State.DIVERGED, State.FINISHED):
            return StepBatch.empty()
        if not self._limit_armed:
            self._arm_divergence_limit()
        batch = self.trainer.run(count)
        full_loss = self.full_loss if self.mini_batch else None
        if len(batch) and batch.step[0] == 0:
            self.start_loss = float(full_loss(batch.w[0], batch.b[0]) if full_loss else batch.loss[0])
        self._watch_overflow(batch)
        self.history.add(batch)
        self._recent = np.concatenate([self._recent, np.stack([batch.step, batch.w, batch.b])],
                                      axis=1)[:, -RECENT_STEPS:]
        self.recording.add(batch)
        every = self.settings.log_every
        self.pending_rows.extend(log_rows(batch, every, full_loss))
        if len(batch):
            self.latest = row_at(batch, len(batch) - 1, full_loss)
        if batch.diverged:
            self.state = State.DIVERGED
            loss = float(batch.loss[-1])
            self.say(f"diverged at step {int(batch.step[-1])} with lr {fmt(self.learning_rate)} "
                     f"(lr_max {fmt(self.theory.lr_max)}): loss {fmt(loss)}"
                     f"{overflow_note(loss, *self.weights())}", "error")
        elif self.step >= self.budget_end:
            self.state = State.FINISHED
            why = self.diverging()
            if self.non_finite_at is not None:
                why = f"diverged: the loss is not a number from step {self.non_finite_at}"
            elif why:
                why = f"diverging: {why}"
            self.say(f"budget reached: {self.step} steps, loss {fmt(self.current_loss())}"
                     + (f"; {why}" if why else ""), "warning" if why else "info")
        return batch

    def _watch_overflow(self, batch: StepBatch) -> None:
        """Note the first step whose loss, then whose weights, are not numbers any more."""
        if self.non_finite_at is None:
            bad = np.flatnonzero(~np.isfinite(batch.loss))
            if len(bad):
                self.non_finite_at = int(batch.step[bad[0]])
                if self.settings.no_stop:
                    self.say(f"step {self.non_finite_at}: the loss overflowed float32 "
                             f"({fmt(float(batch.loss[bad[0]]))}); no-stop trains on", "warning",
                             self.non_finite_at)
        if self._weights_non_finite_at is None and self.settings.no_stop:
            bad = np.flatnonzero(~(np.isfinite(batch.w) & np.isfinite(batch.b)))
            if len(bad):
                i = bad[0]
                self._weights_non_finite_at = int(batch.step[i])
                self.say(f"step {self._weights_non_finite_at}: the weights overflowed float32 "
                         f"(w={fmt(float(batch.w[i]))} b={fmt(float(batch.b[i]))}); from inf on, "
                         "inf − inf makes NaN", "warning", self._weights_non_finite_at)

    def diverging(self) -> str:
        """Why this run, stopped by its budget, is still diverging; "" if it is not."""
        if self.latest is None:
            return ""
        return diverging_reason(self.settings.optimizer, self.theory, self.latest.lr,
                                self.start_loss, self.current_loss(), self.latest.loss)

    def ending(self) -> tuple[str, bool]:
        """How the run ended, for a summary: (finished | diverging | diverged, stable)."""
        if self.state == State.DIVERGED or self.non_finite_at is not None:
            return "diverged", False
        if self.diverging():
            return "diverging", False
        return "finished", True

    def _arm_divergence_limit(self) -> None:
        start = self.trainer.current_loss()
        if math.isfinite(start):
            self.trainer.set_loss_limit(DIVERGENCE_FACTOR * max(start, 1.0))
        self._limit_armed = True

    def current_loss(self) -> float:
        return self.trainer.current_loss()

    @property
    def mini_batch(self) -> bool:
        """Each step sees only some of the points (its loss and gradient are the batch's)."""
        return 0 < self.settings.batch_size < self.dataset.n

    def full_loss(self, w, b):
        """The loss on all the points at (w, b), exact (float64) from the data's five means."""
        return loss_at(self._moments, w, b)

    def continue_(self) -> bool:
        """Make a finished or diverged run runnable again; False if nothing changed."""
        if self.state == State.FINISHED:
            self.budget_end = self.step + self.settings.steps
            self.say(f"continuing for another {self.settings.steps} steps")
        elif self.state == State.DIVERGED:
            w, b = self.weights()
            if self.settings.no_stop:
                self.budget_end = max(self.budget_end, self.step + 1)
                self.say(f"no-stop: training on from w={fmt(w)} b={fmt(b)} with lr "
                         f"{fmt(self.learning_rate)}")
            elif not (math.isfinite(w) and math.isfinite(b)):
                self.reset("the weights are not finite any more: back to the initial weights")
            elif not math.isfinite(self.current_loss()):
                # The loss overflowed, not the weights: they stay, and so does the stop,
                # since no step can start from a loss that is not a number.
                self.say(f"the loss at step {self.step} overflowed float32; the weights "
                         f"w={fmt(w)} b={fmt(b)} are finite and stay. A run stops where the "
                         "loss is not a number: no-stop trains on through it, r resets", "warning")
                return False
            else:
                # Judge growth from here, so a lower lr gets its chance to recover.
                self._limit_armed = False
                self.budget_end = self.step + self.settings.steps
                self.say(f"continuing from the diverged weights with lr {fmt(self.learning_rate)}")
        else:
            return False
        self.state = State.PAUSED
        return True

    # -- changing things -------------------------------------------------------
    def set_learning_rate(self, learning_rate: float, how: str = "set") -> None:
        if not usable_learning_rate(learning_rate):
            # The parsers refuse these already; a direct caller gets the same answer.
            self.say(f"lr {fmt(learning_rate)} refused: it must be a finite number above 0; "
                     f"lr stays {fmt(self.learning_rate)}", "warning")
            return
        old = self.settings.learning_rate
        self.settings = self.settings.with_(learning_rate=learning_rate)
        self.trainer.set_learning_rate(learning_rate)
        rescaled = ""
        if self.settings.schedule != "constant":
            # A schedule is a factor on the lr: the whole schedule scales with it.
            rescaled = f" (the {self.settings.schedule} schedule scales by {learning_rate / old:.4g})"
        self.say(f"lr {how}: {fmt(old)} -> {fmt(learning_rate)}{rescaled}")
        self._warn_if_unstable(learning_rate)

    def _warn_if_unstable(self, learning_rate: float) -> None:
        note = warning_text(self.settings, self.theory, learning_rate)
        if note:
            self.say(*note)

    def warn_at_start(self) -> None:
        """Starting above lr_max is allowed (it is the lesson), but it is said first."""
        note = warning_text(self.settings, self.theory, self.learning_rate)
        if note and note[1] == "warning":
            self.say(f"starting anyway: {note[0]}", "warning")

    def reset(self, why: str = "reset to the initial weights") -> None:
        s = self.settings
        self.trainer.reset(s.init_w, s.init_b)
        self.history.clear()
        self._recent = np.zeros((3, 0))
        self.recording.clear()
        self.latest = None
        self.start_loss = math.nan
        self.non_finite_at = None
        self._weights_non_finite_at = None
        self.budget_end = s.steps
        self._limit_armed = False
        self.state = State.READY
        self.say(f"{why}: w={fmt(s.init_w)} b={fmt(s.init_b)}")

    def apply(self, settings: Settings) -> None:
        """Take new settings; data or initial weights changing means a fresh start."""
        old = self.settings
        self.settings = settings
        if settings.learning_rate != old.learning_rate:
            self.settings = old.with_(learning_rate=old.learning_rate)
            self.set_learning_rate(settings.learning_rate)
            self.settings = settings
        if settings.no_stop != old.no_stop:
            self.trainer.set_stopping(not settings.no_stop)
            self._limit_armed = False  # stopping again: judged from the loss where it resumes
            self.say("no-stop on: the run trains through divergence, as the lesson's loop does"
                     if settings.no_stop else "no-stop off: a run stops at a loss 1e12× its start")
        if settings.steps != old.steps and self.state not in (State.READY,):
            self.budget_end = max(self.step, self.budget_end - old.steps + settings.steps)
            if self.state == State.FINISHED and self.step < self.budget_end:
                self.state = State.PAUSED
            self.say(f"budget set to {settings.steps} steps")
        elif self.state == State.READY:
            self.budget_end = settings.steps
        if any(getattr(settings, f) != getattr(old, f) for f in DATA_FIELDS):
            self.set_data(make_dataset(settings))
        elif any(getattr(settings, f) != getattr(old, f) for f in METHOD_FIELDS):
            self.change_method()
        elif (settings.init_w, settings.init_b) != (old.init_w, old.init_b):
            self.reset("new initial weights")

    def change_method(self) -> None:
        """A new optimizer, schedule or batch size: same data, same initial weights, step 0.

        A run that was running keeps running, so switching is one keypress.
        """
        was_running = self.state == State.RUNNING
        self.trainer.configure(self.settings)
        self.reset(describe(self.settings, self.dataset.n))
        self._warn_if_unstable(self.learning_rate)
        if was_running:
            self.state = State.RUNNING

    def set_data(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.theory = theory_of(dataset.x, dataset.y)
        self._moments = moments_of(dataset.x, dataset.y)
        self.trainer.set_data(dataset)
        self.trainer.configure(self.settings)  # the mini-batch shuffle follows the data's seed
        self.data_version += 1
        self.reset(f"new data: {dataset.source}, n={dataset.n}")
        if not self._say_if_singular():
            self.say(f"lr_max {fmt(self.theory.lr_max)}, lr_opt {fmt(self.theory.lr_opt)} "
                     "(fastest worst-case rate)")

    def _say_if_singular(self) -> bool:
        note = singular_note(self.theory)
        if note:
            self.say(note, "warning")
        return note is not None

    def new_data(self) -> None:
        """The next seed, same recipe."""
        if self.settings.data:
            self.say(f"the data comes from {self.settings.data}: no new data to draw", "warning")
            return
        self.apply(self.settings.with_(seed=self.settings.seed + 1))

    # -- for the UI ---------------------------------------------------------
    def snapshot(self, steps_per_second: float = 0.0, with_data: bool = True,
                 message: str = "", max_rows: int | None = None) -> Snapshot:
        rows, events = self.drain()
        skipped = 0
        if max_rows is not None and len(rows) > max_rows:
            skipped, rows = len(rows) - max_rows, rows[-max_rows:]
        w, b = self.weights()
        loss = self.latest.loss if self.latest and self.latest.step == self.step else None
        if loss is None:
            loss = self.current_loss()
        steps, recent_w, recent_b = self._recent
        if not len(steps) or steps[-1] < self.step:  # the weights the last step moved to
            recent_w, recent_b = np.r_[recent_w, w], np.r_[recent_b, b]
        return Snapshot(
            state=self.state, step=self.step, budget_end=self.budget_end, w=w, b=b, loss=loss,
            learning_rate=self.learning_rate, settings=self.settings, theory=self.theory,
            device=self.device.label, steps_per_second=steps_per_second,
            curve=self.history.view(),
            x=self.dataset.x if with_data else None, y=self.dataset.y if with_data else None,
            data_version=self.data_version, data_source=self.dataset.source,
            rows=rows, rows_skipped=skipped, events=events, message=message,
            device_note=self.device.note, mini_batch=self.mini_batch,
            non_finite_at=self.non_finite_at, predicted_steps=self._predicted(),
            recent_w=recent_w, recent_b=recent_b,
        )

    def _predicted(self) -> float | None:
        """The theory's steps to 1% for the current settings, worked out once per change."""
        key = (self.settings, self.data_version)
        if self._prediction[0] != key:
            self._prediction = (key, predicted_steps(self.settings, self.theory, self.dataset.n))
        return self._prediction[1]
