"""Learning-rate schedules, computed inside the compiled chunk from the step number.

A schedule here is a *shape*: a factor that multiplies the run's learning
rate at each step, so lr used = learning_rate × factor(step). That is why
`+`, `-` and a typed lr keep working while a schedule runs: they change the
learning rate the schedule is built on, so the whole curve is rescaled from
the next step on, and the schedule keeps its place.

The formulas are Keras's own (keras.optimizers.schedules) with
initial_learning_rate = the run's lr; cyclic is Smith's triangular cycle
between lr and cycle_ratio × lr; plateau is a ReduceLROnPlateau that works
per step instead of per epoch (see `Plateau`).

Only the kind of schedule and its parameters fix the compiled graph; the
step and the lr are tensors and variables, so running on never retraces.
"""

from __future__ import annotations

import math

import tensorflow as tf

from lrtui.settings.fields import Settings


def factor(settings: Settings, step: tf.Tensor) -> tf.Tensor:
    """The schedule's factor at `step` (an integer tensor), as float32."""
    kind = settings.schedule
    t = tf.cast(step, tf.float32)
    if kind == "step":
        # PiecewiseConstantDecay: step <= b0 keeps the lr, each boundary passed multiplies it.
        passed = tf.add_n([tf.cast(step > b, tf.float32) for b in settings.boundaries])
        return tf.pow(tf.constant(settings.decay_rate, tf.float32), passed)
    if kind in ("exponential", "inverse_time"):
        progress = t / float(settings.decay_steps)
        if settings.staircase:
            progress = tf.floor(progress)
        if kind == "exponential":
            return tf.pow(tf.constant(settings.decay_rate, tf.float32), progress)
        return 1.0 / (1.0 + settings.decay_rate * progress)
    if kind == "cosine":
        return _cosine(settings, t)
    if kind == "cyclic":
        half = float(settings.cycle_steps)
        cycle = tf.floor(1.0 + t / (2.0 * half))
        x = tf.abs(t / half - 2.0 * cycle + 1.0)
        return 1.0 + (settings.cycle_ratio - 1.0) * tf.maximum(0.0, 1.0 - x)
    return tf.constant(1.0, tf.float32)  # constant, and plateau (its factor is a variable)


def _cosine(settings: Settings, t: tf.Tensor) -> tf.Tensor:
    """Linear warmup from 0 to lr, then half a cosine from lr down to alpha × lr."""
    warmup, decay = float(settings.warmup_steps), float(settings.decay_steps)
    after = tf.minimum(tf.maximum(t - warmup, 0.0), decay)
    cosine = 0.5 * (1.0 + tf.cos(math.pi * after / decay))
    decayed = (1.0 - settings.alpha) * cosine + settings.alpha
    if settings.warmup_steps == 0:
        return decayed
    return tf.where(t < warmup, t / warmup, decayed)


class Plateau:
    """Reduce-on-plateau, per step, with its state in variables that outlive a chunk.

    After each step's loss: if it is below best × (1 − min_delta) it is the new
    best and the wait starts over; otherwise the wait grows, and when it
    reaches `patience` the factor is multiplied by decay_rate and the wait
    starts over. The lr of that same step already uses the new factor. A
    reset (or a new optimizer, schedule or data) sets the factor back to 1.
    """

    def __init__(self):
        self.best = tf.Variable(math.inf, dtype=tf.float32, trainable=False)
        self.wait = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.factor = tf.Variable(1.0, dtype=tf.float32, trainable=False)

    def reset(self) -> None:
        self.best.assign(math.inf)
        self.wait.assign(0)
        self.factor.assign(1.0)

    def observe(self, settings: Settings, loss: tf.Tensor) -> tf.Tensor:
        """Take one step's loss; return the factor to use for this step."""
        improved = loss < self.best * (1.0 - settings.min_delta)
        self.best.assign(tf.where(improved, loss, self.best))
        wait = tf.where(improved, 0, self.wait + 1)
        drop = wait >= settings.patience
        self.wait.assign(tf.where(drop, 0, wait))
        self.factor.assign(tf.where(drop, self.factor * settings.decay_rate, self.factor))
        return self.factor.read_value()
