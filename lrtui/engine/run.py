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
from lrtui.engine.method import batch_that_fits, describe
from lrtui.engine.recording import Recording
from lrtui.engine.records import StepBatch
from lrtui.engine.stability import warning_text
from lrtui.engine.theory import Theory, theory_of
from lrtui.settings.fields import DATA_FIELDS, METHOD_FIELDS, Settings

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


def usable_learning_rate(value: float) -> bool:
    """Zero, negative, infinite or NaN: no gradient descent step can use it."""
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


class Run:
    def __init__(self, settings: Settings, device: DeviceChoice, dataset: Dataset | None = None):
        if not usable_learning_rate(settings.learning_rate):
            raise ValueError(f"learning rate {fmt(settings.learning_rate)}: "
                             "it must be a finite number above 0")
        self.device = device
        self.dataset = dataset or make_dataset(settings)
        settings, batch_note = batch_that_fits(settings, self.dataset.n)
        self.settings = settings
        self.theory = theory_of(self.dataset.x, self.dataset.y)
        # TensorFlow is imported here, never at module import: callers mute it first.
        from lrtui.engine.trainer import Trainer

        self.trainer = Trainer(self.dataset, device.name, settings.learning_rate,
                               settings.init_w, settings.init_b, method=settings)
        self.history = LossHistory()
        self.recording = Recording()  # every step, for run files and CSV export
        self.data_version = 1
        self.state = State.READY
        self.budget_end = settings.steps
        self.latest: LogRow | None = None
        self.pending_rows: list[LogRow] = []
        self.pending_events: list[Event] = []
        self._limit_armed = False
        if device.note:
            self.say(device.note, "warning")
        if batch_note:
            self.say(batch_note, "warning")
        self._warn_if_unstable(settings.learning_rate)

    # -- reading -------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def learning_rate(self) -> float:
        return self.settings.learning_rate

    def say(self, text: str, kind: str = "info") -> None:
        self.pending_events.append(Event(self.step, text, kind))

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
        self.history.add(batch)
        self.recording.add(batch)
        every = self.settings.log_every
        self.pending_rows.extend(log_rows(batch, every))
        if len(batch):
            self.latest = row_at(batch, len(batch) - 1)
        if batch.diverged:
            self.state = State.DIVERGED
            self.say(f"diverged at step {int(batch.step[-1])} with lr {fmt(self.learning_rate)} "
                     f"(lr_max {fmt(self.theory.lr_max)}): loss {fmt(float(batch.loss[-1]))}",
                     "error")
        elif self.step >= self.budget_end:
            self.state = State.FINISHED
            self.say(f"budget reached: {self.step} steps, loss {fmt(self.current_loss())}")
        return batch

    def _arm_divergence_limit(self) -> None:
        start = self.trainer.current_loss()
        if math.isfinite(start):
            self.trainer.set_loss_limit(DIVERGENCE_FACTOR * max(start, 1.0))
        self._limit_armed = True

    def current_loss(self) -> float:
        return self.trainer.current_loss()

    def continue_(self) -> bool:
        """Make a finished or diverged run runnable again; False if nothing changed."""
        if self.state == State.FINISHED:
            self.budget_end = self.step + self.settings.steps
            self.say(f"continuing for another {self.settings.steps} steps")
        elif self.state == State.DIVERGED:
            w, b = self.weights()
            if not (math.isfinite(w) and math.isfinite(b) and math.isfinite(self.current_loss())):
                self.reset("the weights are not finite any more: back to the initial weights")
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
        self.recording.clear()
        self.latest = None
        self.budget_end = s.steps
        self._limit_armed = False
        self.state = State.READY
        self.say(f"{why}: w={fmt(s.init_w)} b={fmt(s.init_b)}")

    def apply(self, settings: Settings) -> None:
        """Take new settings; data or initial weights changing means a fresh start."""
        old = self.settings
        if not any(getattr(settings, f) != getattr(old, f) for f in DATA_FIELDS):
            settings, batch_note = batch_that_fits(settings, self.dataset.n)
            if batch_note:
                self.say(batch_note, "warning")
        self.settings = settings
        if settings.learning_rate != old.learning_rate:
            self.settings = old.with_(learning_rate=old.learning_rate)
            self.set_learning_rate(settings.learning_rate)
            self.settings = settings
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
        self.trainer.set_data(dataset)
        self.trainer.configure(self.settings)  # the mini-batch shuffle follows the data's seed
        self.data_version += 1
        self.reset(f"new data: {dataset.source}, n={dataset.n}")
        self.say(f"lr_max {fmt(self.theory.lr_max)}, lr_opt {fmt(self.theory.lr_opt)}")

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
        return Snapshot(
            state=self.state, step=self.step, budget_end=self.budget_end, w=w, b=b, loss=loss,
            learning_rate=self.learning_rate, settings=self.settings, theory=self.theory,
            device=self.device.label, steps_per_second=steps_per_second,
            curve=self.history.view(),
            x=self.dataset.x if with_data else None, y=self.dataset.y if with_data else None,
            data_version=self.data_version, data_source=self.dataset.source,
            rows=rows, rows_skipped=skipped, events=events, message=message,
            device_note=self.device.note,
        )
