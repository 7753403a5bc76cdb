"""One experiment: data, model, theory, trainer, history and the step budget.

No threads and no UI here: the app's controller drives a Run from its worker
thread, and `lrtui run` drives one directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from lrtui.engine.data import Dataset
from lrtui.engine.datasets import make_dataset  # noqa: F401  (where callers find it)
from lrtui.engine.device import DeviceChoice
from lrtui.engine.fit_view import FitView, fit_view
from lrtui.engine.history import (
    CurveView,
    LogRow,
    LossHistory,
    ParameterTrail,
    TrailView,
    log_rows,
    row_at,
)
from lrtui.engine.landscape import loss_at, moments_of
from lrtui.engine.method import batch_that_fits, describe
from lrtui.engine.models import Model, model_of
from lrtui.engine.quadratic import Curvature, scaling_of
from lrtui.engine.recording import Recording
from lrtui.engine.records import RECENT_STEPS, StepBatch
from lrtui.engine.stability import diverging_reason, predicted_steps, singular_note, warning_text
from lrtui.engine.theory import Theory, theory_for
from lrtui.settings.fields import DATA_FIELDS, METHOD_FIELDS, Settings, check
from lrtui.settings.model_fields import MODEL_FIELDS

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
    model: Model | None = None
    theta: np.ndarray | None = None  # every parameter, flat, in the model's order (a copy)
    sharpness: float | None = None  # the last one measured, if any
    lr_max_now: float | None = None  # 2/λmax: exact for the line and poly, else 2/sharpness
    fit: FitView | None = None  # what the fit pane draws for models other than the line
    # The line and poly: the curvature on the raw and on the z-scored inputs (feature scaling).
    scaling: tuple[Curvature, Curvature] | None = None
    # θ of the last few steps, the current θ last, [k, P] (the blackboard's jumps; the line's
    # rows are [w, b]).
    recent_theta: np.ndarray | None = None
    # Models other than the line: θ along the whole run, thinned (the landscape's projected path).
    trail: TrailView | None = None
    # The points the run trains on (never changed in place: new data is a new Dataset), for the
    # pictures that evaluate the model's loss themselves (the slices of a network's loss).
    dataset: Dataset | None = None

    @property
    def recent_w(self) -> np.ndarray | None:
        """The line's w of the last few steps, the current w last."""
        return self._recent_column(0)

    @property
    def recent_b(self) -> np.ndarray | None:
        return self._recent_column(1)

    def _recent_column(self, i: int) -> np.ndarray | None:
        line = self.model is None or self.model.name == "line"
        return self.recent_theta[:, i] if line and self.recent_theta is not None else None


def fmt(value: float) -> str:
    """A number the way the step log and messages print it."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def overflow_note(loss: float, w: float, b: float, names: str = "w and b") -> str:
    """Why a loss is not a number: float32 overflowed, in the loss alone or in the weights too
    (`w`, `b`: the line's, or any two numbers that are finite when the weights are)."""
    if math.isfinite(loss):
        return ""
    if math.isfinite(w) and math.isfinite(b):
        return f" (it overflowed float32; {names} are still finite)"
    return " (the weights overflowed float32 too)"


def usable_learning_rate(value: float) -> bool:
    """Zero, negative, infinite or NaN: no gradient descent step can use it."""
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


class Run:
    def __init__(self, settings: Settings, device: DeviceChoice, dataset: Dataset | None = None,
                 sharpness_default: int = 0):
        """`sharpness_default`: how often to measure the sharpness when the settings leave it
        to the command (None): the app measures, headless commands do not."""
        if not usable_learning_rate(settings.learning_rate):
            raise ValueError(f"learning rate {fmt(settings.learning_rate)}: "
                             "it must be a finite number above 0")
        self.device = device
        self.dataset = dataset or make_dataset(settings)
        settings, batch_note = batch_that_fits(settings, self.dataset.n)
        self.settings = settings
        self.sharpness_default = sharpness_default
        self._build_model()
        self.history = LossHistory()
        self.recording = Recording(line=self.model.name == "line")  # every step, for run files
        self._clear_recent()
        self.trail = ParameterTrail()  # θ along the run, for models other than the line
        self.start_trail()
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
        if device.note:
            self.say(device.note, "warning")
        if batch_note:
            self.say(batch_note, "warning")
        self._say_if_singular()
        self._warn_if_unstable(settings.learning_rate)

    def _build_model(self) -> None:
        """The model the settings name for this data, its theory and a trainer for it."""
        s = self.settings
        self.model = model_of(s, self.dataset.inputs)
        self.theory = theory_for(self.model, self.dataset.x, self.dataset.y)
        # The line's five means: its exact loss anywhere (the full-data loss of a mini-batch run).
        line = self.model.name == "line"
        self._moments = moments_of(self.dataset.x, self.dataset.y) if line else None
        self.sharpness: float | None = None  # the last measured
        self.scaling = scaling_of(s)
        # TensorFlow is imported here, never at module import: callers mute it first.
        from lrtui.engine.trainer import Trainer

        self.trainer = Trainer(self.dataset, self.device.name, s.learning_rate, s.init_w, s.init_b,
                               method=s, model=self.model, initial=self.initial_theta())
        self.trainer.set_stopping(not s.no_stop)
        self.trainer.set_sharpness_every(self.sharpness_every)

    def initial_theta(self) -> np.ndarray:
        """Where the run starts: the line at (init w, init b), poly and logistic at zero,
        a network Glorot-uniform from the init seed."""
        return self.model.initial(self.settings.init_seed)

    # -- reading -------------------------------------------------------------
    @property
    def sharpness_every(self) -> int:
        """Steps between measurements: the settings', or the command's default for models
        whose curvature moves (for the line and poly the theory is exact already)."""
        if self.settings.sharpness_every is not None:
            return self.settings.sharpness_every
        return 0 if self.theory is not None else self.sharpness_default

    @property
    def lr_max_now(self) -> float | None:
        """2/λmax where the weights stand: exact when the Hessian is constant (line, poly),
        else from the last measured sharpness (None before the first measurement)."""
        if self.theory is not None:
            return self.theory.lr_max
        if self.sharpness is not None and self.sharpness > 0:
            return 2.0 / self.sharpness
        return None

    def parameters(self) -> dict:
        """Every parameter by name: w, b; c0…cD; w1, w2, b; W1, b1, W2, b2 (nested lists)."""
        return self.model.named(self.trainer.theta_now())

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
            return StepBatch.empty(self.trainer.is_line)
        if not self._limit_armed:
            self._arm_divergence_limit()
        batch = self.trainer.run(count)
        if batch.sharpness is not None:
            measured = batch.sharpness[np.isfinite(batch.sharpness)]
            if len(measured):
                self.sharpness = float(measured[-1])
        full_loss = self.full_loss if self.mini_batch and batch.is_line else None
        if len(batch) and batch.step[0] == 0:
            self.start_loss = float(full_loss(batch.w[0], batch.b[0]) if full_loss else batch.loss[0])
        self._watch_overflow(batch)
        self.history.add(batch)
        self._keep_recent(batch)
        self.recording.add(batch)
        every = self.settings.log_every
        self.pending_rows.extend(log_rows(batch, every, full_loss))
        if len(batch):
            self.latest = row_at(batch, len(batch) - 1, full_loss)
        if batch.diverged:
            self.state = State.DIVERGED
            loss = float(batch.loss[-1])
            bound = self.lr_max_now
            said = "" if bound is None else f" (lr_max {fmt(bound)}{'' if self.theory else ' now'})"
            self.say(f"diverged at step {int(batch.step[-1])} with lr {fmt(self.learning_rate)}"
                     f"{said}: loss {fmt(loss)}{self._overflow_note(loss)}", "error")
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

    def _clear_recent(self) -> None:
        self._recent_steps = np.zeros(0, np.int64)
        self._recent_theta = np.zeros((0, self.model.size))

    def _keep_recent(self, batch: StepBatch) -> None:
        """θ of the last RECENT_STEPS steps (the blackboard's jumps), and of this advance's end
        on the trail (a network's landscape)."""
        steps, thetas = batch.recent()
        if len(steps):
            self._recent_steps = np.r_[self._recent_steps, steps][-RECENT_STEPS:]
            self._recent_theta = np.concatenate([self._recent_theta, thetas])[-RECENT_STEPS:]
        if not batch.is_line and len(batch):
            self.trail.add(self.step, self.trainer.theta_now())

    def start_trail(self) -> None:
        """The trail starts over where the weights stand now (a reset, a reopened run file)."""
        self.trail.clear()
        if self.model.name != "line":
            self.trail.add(self.step, self.trainer.theta_now())

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
        if self._weights_non_finite_at is None and self.settings.no_stop and batch.is_line:
            bad = np.flatnonzero(~(np.isfinite(batch.w) & np.isfinite(batch.b)))
            if len(bad):
                i = bad[0]
                self._weights_non_finite_at = int(batch.step[i])
                self.say(f"step {self._weights_non_finite_at}: the weights overflowed float32 "
                         f"(w={fmt(float(batch.w[i]))} b={fmt(float(batch.b[i]))}); from inf on, "
                         "inf − inf makes NaN", "warning", self._weights_non_finite_at)

    def _overflow_note(self, loss: float) -> str:
        if self.model.name == "line":
            return overflow_note(loss, *self.weights())
        finite = float(np.isfinite(self.trainer.theta_now()).all() or np.inf)
        return overflow_note(loss, finite, finite, "the weights")

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
            weights = f"w={fmt(w)} b={fmt(b)}" if self.model.name == "line" else "its weights"
            if self.settings.no_stop:
                self.budget_end = max(self.budget_end, self.step + 1)
                self.say(f"no-stop: training on from {weights} with lr "
                         f"{fmt(self.learning_rate)}")
            elif not np.isfinite(self.trainer.theta_now()).all():
                self.reset("the weights are not finite any more: back to the initial weights")
            elif not math.isfinite(self.current_loss()):
                # The loss overflowed, not the weights: they stay, and so does the stop,
                # since no step can start from a loss that is not a number.
                shown = weights + " " if self.model.name == "line" else ""
                self.say(f"the loss at step {self.step} overflowed float32; the weights {shown}are "
                         "finite and stay. A run stops where the loss is not a number: no-stop "
                         "trains on through it, r resets", "warning")
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
        self.trainer.reset_to(self.initial_theta())
        self.history.clear()
        self._clear_recent()
        self.start_trail()
        self.recording.clear()
        self.latest = None
        self.sharpness = None
        self.start_loss = math.nan
        self.non_finite_at = None
        self._weights_non_finite_at = None
        self.budget_end = s.steps
        self._limit_armed = False
        self.state = State.READY
        if self.model.name == "line":
            self.say(f"{why}: w={fmt(s.init_w)} b={fmt(s.init_b)}")
        elif self.model.name == "mlp":
            self.say(f"{why}: {self.model.describe()}, Glorot-uniform from init seed {s.init_seed}")
        else:
            self.say(f"{why}: {self.model.describe()} at zero")

    def apply(self, settings: Settings) -> None:
        """Take new settings; data or initial weights changing means a fresh start.

        Settings that do not go together (a one-input model on two-input data) raise
        ValueError with a one-line message before anything changes."""
        old = self.settings
        check(settings)
        fresh = {f for f in DATA_FIELDS + MODEL_FIELDS if getattr(settings, f) != getattr(old, f)}
        data = make_dataset(settings) if fresh & set(DATA_FIELDS) else self.dataset
        if fresh:  # the model is made now too, so that a bad pair changes nothing
            model_of(settings, data.inputs)
        if not any(getattr(settings, f) != getattr(old, f) for f in DATA_FIELDS):
            settings, batch_note = batch_that_fits(settings, self.dataset.n)
            if batch_note:
                self.say(batch_note, "warning")
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
        if settings.sharpness_every != old.sharpness_every:
            self.trainer.set_sharpness_every(self.sharpness_every)
        changed = {f for f in DATA_FIELDS + MODEL_FIELDS if getattr(settings, f) != getattr(old, f)}
        if changed & set(MODEL_FIELDS) or "dataset" in changed or "data" in changed:
            self.change_model(data)
        elif changed:
            self.set_data(data)
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

    def change_model(self, dataset: Dataset) -> None:
        """Another model (or data with other columns): a new trainer, from the start."""
        self.dataset = dataset
        self._build_model()
        self.recording = Recording(line=self.model.name == "line")
        self.data_version += 1
        self.reset(f"model {self.model.describe()} on {dataset.source}, n={dataset.n}")
        self._say_theory()

    def set_data(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.theory = theory_for(self.model, dataset.x, dataset.y)
        self.scaling = scaling_of(self.settings)
        self._moments = moments_of(dataset.x, dataset.y) if self.model.name == "line" else None
        self.trainer.set_data(dataset)
        self.trainer.configure(self.settings)  # the mini-batch shuffle follows the data's seed
        self.data_version += 1
        self.reset(f"new data: {dataset.source}, n={dataset.n}")
        self._say_theory()

    def _say_theory(self) -> None:
        if self._say_if_singular():
            return
        if self.theory is None:
            self.say(f"{self.model.describe()}: no lr_max in advance, its curvature moves; "
                     "lr_max now = 2/sharpness, measured live")
        else:
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
        theta = self.trainer.theta_now()
        recent = self._recent_theta
        if not len(self._recent_steps) or self._recent_steps[-1] < self.step:
            recent = np.concatenate([recent, theta[None]])  # the weights the last step moved to
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
            model=self.model, theta=theta,
            sharpness=self.sharpness, lr_max_now=self.lr_max_now,
            fit=None if self.model.name == "line" else
            fit_view(self.trainer.predict, self.dataset.x),
            scaling=self.scaling,
            recent_theta=recent, trail=None if self.model.name == "line" else self.trail.view(),
            dataset=self.dataset,
        )

    def _predicted(self) -> float | None:
        """The theory's steps to 1% for the current settings, worked out once per change."""
        key = (self.settings, self.data_version)
        if self._prediction[0] != key:
            self._prediction = (key, predicted_steps(self.settings, self.theory, self.dataset.n))
        return self._prediction[1]
