"""`LrtuiCallback`: publish a Keras fit to `lrtui watch` and take its steering.

    model.fit(x, y, callbacks=[LrtuiCallback(name="exp1")])

Every train batch goes out as a row (step, epoch, batch, the lr used, Keras's
logs as given), every epoch end as an event with its validation logs. The
batch-end hook only appends to a bounded deque; the callback declares itself
`async_safe`, so when no other callback needs them synchronously, Keras runs
it off the training thread. Everything else happens in the publisher's
threads (see `publisher.py`): without a viewer, the cost is that append.

Steering (from `lrtui watch`) is applied in `on_train_batch_begin`, which
Keras always calls in the training thread between two batches; the
acknowledgement names the step from which the change applies:

- set lr / scale lr: a float lr is the optimizer's variable, so
  `optimizer.learning_rate.assign(x)`. A `LearningRateSchedule` cannot take a
  float, so the callback wraps it once in `ScaledSchedule` (schedule × a
  factor in a variable) and steering changes the factor: the whole schedule is
  rescaled from the next step on and keeps its shape, the rule lrtui's own
  schedules follow. Setting lr x picks the factor that makes the next step's
  lr exactly x.
- pause blocks between two batches until resume or stop; stop sets
  `model.stop_training` (Keras ends the fit after that batch); save weights
  calls `model.save_weights(path)` between two batches.

The lr a row reports is exact for changes made here and for changes other
callbacks make at epoch boundaries (it is read again at each epoch's first
batch); with a schedule it is the schedule's value at the optimizer's
iteration count, computed in bulk off the training thread.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from lrtui.integrations.keras.channel import Channel
from lrtui.integrations.keras.publisher import Publisher

Schedule = keras.optimizers.schedules.LearningRateSchedule


@keras.saving.register_keras_serializable(package="lrtui")
class ScaledSchedule(Schedule):
    """A schedule times a factor that steering sets: lr(step) = factor · schedule(step)."""

    def __init__(self, schedule: Schedule, scale: float = 1.0):
        self.schedule = schedule
        self.scale = keras.Variable(scale, dtype="float32", trainable=False, name="lrtui_lr_scale")

    def __call__(self, step):
        lr = self.schedule(step)
        return lr * keras.ops.cast(self.scale, lr.dtype)

    def get_config(self) -> dict:
        return {"schedule": keras.saving.serialize_keras_object(self.schedule),
                "scale": float(keras.ops.convert_to_numpy(self.scale))}

    @classmethod
    def from_config(cls, config: dict) -> ScaledSchedule:
        return cls(keras.saving.deserialize_keras_object(config["schedule"]), config["scale"])


def schedule_values(schedule: Schedule, iterations: np.ndarray) -> np.ndarray:
    """The schedule at many iteration counts: one vectorised call if it allows, else one by one."""
    try:
        values = keras.ops.convert_to_numpy(schedule(iterations.astype(np.int64)))
        values = np.asarray(values, np.float64)
        if values.shape == iterations.shape:
            return values
    except Exception:  # a schedule written for a scalar step only
        pass
    return np.array([float(keras.ops.convert_to_numpy(schedule(int(i)))) for i in iterations])


def _number(value) -> float:
    return float(keras.ops.convert_to_numpy(value))


def describe_model(model) -> dict:
    optimizer = model.optimizer
    lr = getattr(optimizer, "_learning_rate", None)
    if isinstance(lr, ScaledSchedule):
        lr = lr.schedule
    try:
        params = int(model.count_params())
    except ValueError:  # not built yet
        params = None
    return {"model": model.name, "params": params, "optimizer": type(optimizer).__name__,
            "schedule": type(lr).__name__ if isinstance(lr, Schedule) else None}


class LrtuiCallback(keras.callbacks.Callback):
    # Batch ends only append to a deque; steering waits for batch begins (always synchronous).
    async_safe = True

    def __init__(self, name: str = "keras", *, find_lr_first: bool = False, find_lr_data=None,
                 find_lr_options: dict | None = None, root: str | os.PathLike | None = None,
                 max_detail_mb: float = 128):
        super().__init__()
        from lrtui.integrations.keras.channel import check_name

        self.name = check_name(name)
        if find_lr_first and find_lr_data is None:
            raise ValueError("find_lr_first needs the data to sweep on: find_lr_data=(x, y) or a "
                             "tf.data.Dataset of batches")
        self.find_lr_first = find_lr_first
        self.find_lr_data = find_lr_data
        self.find_lr_options = dict(find_lr_options or {})
        self.root = Path(root) if root else None
        self.max_detail_bytes = int(max_detail_mb * (1 << 20))
        self.channel: Channel | None = None
        self.publisher: Publisher | None = None
        self.range_test = None  # the RangeTest of find_lr_first, once run
        self.paused = False
        self.stopped_by_command = False
        self._next_step = 0  # the global step of the next batch
        self._epoch = 0
        self._epoch_base = 0
        self._lr_points: tuple[tuple[int, float], ...] = ()  # (from step, lr or scale factor)
        self._schedule: ScaledSchedule | None = None
        self._iterations_at = (0, 0)  # (step, optimizer iterations) at the start of this fit

    # -- Keras's hooks --------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model = self.model
        if self.publisher is None:
            self.channel = Channel.create(self.name, self.root)
            self.publisher = Publisher(self.channel, self._lrs_of, describe_model(model),
                                       max_detail_bytes=self.max_detail_bytes)
        self._take_over_schedule()
        self._iterations_at = (self._next_step, int(_number(model.optimizer.iterations)))
        self._note_lr(self._next_step, self._current_factor())
        self.publisher.describe.update(describe_model(model), epochs=self.params.get("epochs"),
                                       steps_per_epoch=self.params.get("steps"))
        self.publisher.start()
        self.publisher.event(self._next_step, "start", f"training started ({self._lr_text()})")
        if self.find_lr_first and self.range_test is None:
            self._range_test_first()
        self.publisher.set_state("training")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_base = self._next_step

    def on_train_batch_begin(self, batch, logs=None):
        step = self._epoch_base + batch
        if batch == 0 and self._schedule is None:
            self._note_lr(step, self._current_factor())  # another callback may have set it
        if self.publisher.inbox or self.paused:
            self._steer(step)

    def on_train_batch_end(self, batch, logs=None):
        step = self._epoch_base + batch
        self.publisher.publish(step, self._epoch, batch, dict(logs or {}))
        if step >= self._next_step:  # (batch ends may run in a pool, a little out of order)
            self._next_step = step + 1

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        shown = ", ".join(f"{k} {v:.4g}" for k, v in logs.items() if isinstance(v, float))
        self.publisher.event(self._next_step - 1, "epoch", f"epoch {epoch + 1} done: {shown}",
                             epoch=epoch, logs=logs)

    def on_train_end(self, logs=None):
        self.paused = False
        end = "stopped" if self.stopped_by_command else "finished"
        self.publisher.event(self._next_step - 1, end, f"training {end} after {self._next_step:,} "
                             "batches")
        self._give_back_schedule()
        self.publisher.close(end)

    # -- the lr ---------------------------------------------------------------------------
    def _take_over_schedule(self) -> None:
        optimizer = self.model.optimizer
        lr = getattr(optimizer, "_learning_rate", None)
        if isinstance(lr, ScaledSchedule):
            self._schedule = lr
        elif isinstance(lr, Schedule):
            self._schedule = ScaledSchedule(lr)
            optimizer.learning_rate = self._schedule
            # A train function traced before holds the old schedule: trace again.
            self.model.make_train_function(force=True)
        else:
            self._schedule = None

    def _give_back_schedule(self) -> None:
        """An unscaled schedule goes back as it was: the model saves without lrtui."""
        schedule = self._schedule
        if schedule is not None and _number(schedule.scale) == 1.0:
            self.model.optimizer.learning_rate = schedule.schedule
            self.model.make_train_function(force=True)
            self._schedule = None

    def _current_factor(self) -> float:
        """The optimizer's lr (a float lr), or the schedule's factor."""
        if self._schedule is not None:
            return _number(self._schedule.scale)
        lr = getattr(self.model.optimizer, "_learning_rate", None)
        return _number(lr) if isinstance(lr, keras.Variable) else math.nan

    def _note_lr(self, step: int, value: float) -> None:
        points = self._lr_points
        if points and points[-1][1] == value:
            return
        # Replaced whole, never changed in place: the collector thread reads it meanwhile.
        self._lr_points = tuple(p for p in points if p[0] < step) + ((step, value),)

    def _lrs_of(self, steps: np.ndarray) -> np.ndarray:
        """The lr each of these steps used (called from the publisher's collector thread)."""
        points = self._lr_points
        if not points:
            return np.full(len(steps), math.nan)
        starts = np.array([p[0] for p in points])
        values = np.array([p[1] for p in points], np.float64)
        lrs = values[np.maximum(np.searchsorted(starts, steps, side="right") - 1, 0)]
        schedule = self._schedule
        if schedule is not None:
            step0, iterations0 = self._iterations_at
            lrs = lrs * schedule_values(schedule.schedule, iterations0 + (steps - step0))
        return lrs

    def _lr_at(self, step: int) -> float:
        return float(self._lrs_of(np.array([step]))[0])

    def _lr_text(self) -> str:
        lr = self._lr_at(self._next_step)
        if self._schedule is not None:
            return f"lr {lr:.4g} from a {type(self._schedule.schedule).__name__}"
        return f"lr {lr:.4g}"

    # -- steering -----------------------------------------------------------------------
    def _steer(self, step: int) -> None:
        publisher = self.publisher
        while True:
            publisher.arrived.clear()
            while publisher.inbox:
                self._apply(publisher.inbox.popleft(), step)
            if not self.paused:
                return
            publisher.arrived.wait(0.25)

    def _apply(self, command: dict, step: int) -> None:
        kind = command["command"]
        try:
            text, extra = getattr(self, f"_do_{kind}")(command, step)
        except Exception as error:  # a bad path, a read-only disk: said, and training goes on
            self.publisher.event(step, "refused", f"{kind} failed: {error}", id=command.get("id"),
                                 command=kind)
            return
        self.publisher.event(step, "ack", text, id=command.get("id"), command=kind,
                             from_step=step, **extra)

    def _set_lr(self, step: int, new_lr: float) -> tuple[str, dict]:
        old = self._lr_at(step)
        if self._schedule is not None:
            factor = _number(self._schedule.scale) * new_lr / old
            self._schedule.scale.assign(factor)
            self._note_lr(step, factor)
            rescaled = f" (the {type(self._schedule.schedule).__name__} scales by {factor:.4g})"
        else:
            self.model.optimizer.learning_rate.assign(new_lr)
            self._note_lr(step, _number(self.model.optimizer.learning_rate))
            rescaled = ""
        now = self._lr_at(step)
        return f"lr {old:.4g} -> {now:.4g} from step {step:,}{rescaled}", {"lr": now}

    def _do_set_lr(self, command: dict, step: int):
        return self._set_lr(step, float(command["value"]))

    def _do_scale_lr(self, command: dict, step: int):
        return self._set_lr(step, self._lr_at(step) * float(command["value"]))

    def _do_pause(self, command: dict, step: int):
        self.paused = True
        self.publisher.set_state("paused")
        return f"paused before step {step:,}", {}

    def _do_resume(self, command: dict, step: int):
        was = self.paused
        self.paused = False
        self.publisher.set_state("training")
        return (f"resumed at step {step:,}" if was else f"not paused (at step {step:,})"), {}

    def _do_stop(self, command: dict, step: int):
        self.paused = False
        self.stopped_by_command = True
        self.model.stop_training = True
        self.publisher.set_state("training")
        return f"stopping: step {step:,} is the last batch", {}

    def _do_save_weights(self, command: dict, step: int):
        path = command["path"]
        started = time.monotonic()
        self.model.save_weights(path)
        return (f"weights saved to {path} before step {step:,} "
                f"({time.monotonic() - started:.2f} s)"), {"path": path}

    # -- the range test first ------------------------------------------------------------------
    def _range_test_first(self) -> None:
        from lrtui.integrations.keras.find_lr import describe, find_lr
        from lrtui.integrations.keras.range_file import publish_range_test

        self.publisher.set_state("range test")
        self.publisher.event(self._next_step, "range test", "range test: sweeping the lr …")
        data = self.find_lr_data
        x, y = data if isinstance(data, tuple) else (data, None)
        test = find_lr(self.model, x, y, **self.find_lr_options)
        self.range_test = test
        publish_range_test(self.channel, test)
        self.publisher.event(self._next_step, "range test", describe(test),
                             suggestions={n: s.learning_rate for n, s in test.suggestions.items()})
