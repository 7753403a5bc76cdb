"""Several runs in lock-step: one compiled computation with a dimension of runs.

w, b, the learning rates and every optimizer's state are vectors with one
entry per run. Each step computes all runs' losses in one [runs, points]
matrix, takes the gradients with GradientTape and applies each run's own
update rule elementwise, so R runs cost one compiled call, not R Python loops.

A run whose loss goes non-finite (or past its loss limit) freezes: its row for
that step is recorded, its update is not applied, and it keeps its last
finite weights while the others go on; unless stopping is off, when every run
trains through to inf and NaN as the lesson's loop does. A run can also be held (paused on its
own); a held run neither steps nor records.

The loss is the model's own (lrtui.engine.models) with a lane axis: the line
keeps its w and b vectors; any other model trains θ of shape [runs, P], one
row per run, and records loss, lr and |∇L| per run instead of w, b, dw, db.

Compare mode runs a handful of lanes and records every field; the lr map runs
hundreds and records only the loss (`record`), compiles only the rule it uses
(`switchable=False`: compare mode can switch a lane's rule without a retrace,
the map never does) and may follow an lr schedule (`method`), the same factor
per step as the single-run trainer's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from lrtui.engine import schedules
from lrtui.engine.compiled import compile_chunk
from lrtui.engine.data import Dataset
from lrtui.engine.models import Line, Model
from lrtui.engine.update_rules import ADAGRAD_START, CODES, OPTIMIZERS, rule_constants
from lrtui.settings.fields import Settings

CAPACITIES = (1, 64, 1024, 16384)
# The rows a chunk records per step and run; `live` says whether the run took part.
FIELDS = ("loss", "w", "b", "dw", "db", "lr", "live")  # the line's
MODEL_FIELDS = ("loss", "lr", "grad_norm", "live")  # every other model's


@dataclass
class BatchRecords:
    """A chunk's records: values[field][step, run], and which runs froze."""

    values: dict[str, np.ndarray]
    diverged: np.ndarray  # (runs,) bool: the run froze in this chunk
    steps: int


class BatchedTrainer:
    def __init__(self, dataset: Dataset, device: str, learning_rates, optimizers,
                 init_w: float, init_b: float, jit: bool = True,
                 record: tuple[str, ...] | None = None, switchable: bool = True,
                 method: Settings | None = None, model: Model | None = None,
                 initial: np.ndarray | None = None):
        """`model` defaults to the lesson's line from (init_w, init_b); another model's runs
        all start from `initial` (θ, default: the model's own start with seed 0). `record`
        defaults to every field the model has."""
        self.model = model or Line(init_w, init_b)
        self.is_line = isinstance(self.model, Line)
        available = FIELDS if self.is_line else MODEL_FIELDS
        record = available if record is None else record
        self.runs = len(learning_rates)
        if len(optimizers) != self.runs:
            raise ValueError("one optimizer per learning rate")
        unknown = [name for name in record if name not in available]
        if unknown:
            raise ValueError(f"no such record: {', '.join(unknown)}")
        if method is not None and (method.schedule == "plateau" or method.batch_size):
            raise ValueError("lanes follow a schedule of the step only, on the full batch")
        self.device = device
        self.jit = jit
        self.traces = 0  # one trace serves all runs and every lr
        self.optimizers = tuple(optimizers)
        self.record = tuple(record)
        self.switchable = switchable
        # The schedule and the rules' constants (momentum, rho, ...) are compiled in.
        self.method = method
        self.constants = rule_constants() if method is None else {
            name: float(getattr(method, name)) for name in rule_constants()}
        self._chunks: dict[int, object] = {}
        r = self.runs
        # One row of parameters per run: the line's w and b are [runs]; θ is [runs, P].
        shape = [r] if self.is_line else [r, self.model.size]
        with tf.device(device):
            points = [None] if dataset.x.ndim == 1 else [None, dataset.x.shape[1]]
            self.x = tf.Variable(dataset.x, shape=tf.TensorShape(points), trainable=False)
            self.y = tf.Variable(dataset.y, shape=tf.TensorShape([None]), trainable=False)
            if self.is_line:
                self.w = tf.Variable(tf.zeros([r]))
                self.b = tf.Variable(tf.zeros([r]))
                self.trained = [self.w, self.b]
            else:
                self.theta = tf.Variable(tf.zeros(shape))
                self.trained = [self.theta]
            self.learning_rate = tf.Variable(np.asarray(learning_rates, np.float32), trainable=False)
            self.code = tf.Variable(np.asarray([CODES[o] for o in optimizers], np.int32),
                                    trainable=False)
            # Optimizer state, per trained variable: first slot (velocity, mean or
            # accumulator), second (Adam's v).
            self.slot1 = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.trained]
            self.slot2 = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.trained]
            self.t = tf.Variable(tf.zeros([r]), trainable=False)  # updates applied, per run
            self.frozen = tf.Variable(tf.zeros([r], tf.bool), trainable=False)
            self.held = tf.Variable(tf.zeros([r], tf.bool), trainable=False)
            self.loss_limit = tf.Variable(tf.fill([r], np.float32(np.inf)), trainable=False)
            # Off: every run trains through divergence, as the lesson's loop does.
            self.stop_at_divergence = tf.Variable(True, trainable=False)
        self.reset_to(self.model.initial(0) if initial is None else initial)

    # -- state -------------------------------------------------------------
    def reset(self, init_w: float, init_b: float, run: int | None = None) -> None:
        """The line back at (init_w, init_b) with fresh optimizer state, for one run or all."""
        self.reset_to(np.array([init_w, init_b], np.float32), run)

    def reset_to(self, theta: np.ndarray, run: int | None = None) -> None:
        """Back to θ (the line: [w, b]) and fresh optimizer state, for one run or all."""
        picked = self._mask(run)

        def put(variable, value):
            mask = picked.reshape((-1,) + (1,) * (len(variable.shape) - 1))
            variable.assign(np.where(mask, value, variable.numpy()).astype(variable.dtype.as_numpy_dtype))

        theta = np.asarray(theta, np.float32)
        if self.is_line:
            put(self.w, theta[0])
            put(self.b, theta[1])
        else:
            put(self.theta, theta[None, :])
        start = np.where(np.asarray([o == "adagrad" for o in self.optimizers]), ADAGRAD_START, 0.0)
        for slot in self.slot1:
            put(slot, start.astype(np.float32).reshape((-1,) + (1,) * (len(slot.shape) - 1)))
        for slot in self.slot2:
            put(slot, np.float32(0.0))
        put(self.t, np.float32(0.0))
        put(self.frozen, False)
        put(self.loss_limit, np.float32(np.inf))

    def _mask(self, run: int | None) -> np.ndarray:
        mask = np.zeros(self.runs, bool)
        if run is None:
            mask[:] = True
        else:
            mask[run] = True
        return mask

    def set_data(self, dataset: Dataset) -> None:
        """New points for every lane; x and y have no fixed length, so nothing retraces."""
        self.x.assign(dataset.x)
        self.y.assign(dataset.y)

    def set_learning_rates(self, learning_rates) -> None:
        self.learning_rate.assign(np.asarray(learning_rates, np.float32))

    def set_learning_rate(self, run: int, learning_rate: float) -> None:
        values = self.learning_rate.numpy()
        values[run] = learning_rate
        self.learning_rate.assign(values)

    def set_optimizer(self, run: int, optimizer: str) -> None:
        """Switch one run's rule; its weights stay, its optimizer state starts afresh."""
        if not self.switchable and optimizer not in self.optimizers:
            raise ValueError(f"{optimizer} was not compiled into these lanes")
        optimizers = list(self.optimizers)
        optimizers[run] = optimizer
        self.optimizers = tuple(optimizers)
        codes = self.code.numpy()
        codes[run] = CODES[optimizer]
        self.code.assign(codes)  # a variable: switching rules never retraces
        picked = self._mask(run)
        start = ADAGRAD_START if optimizer == "adagrad" else 0.0
        pairs = [(slot, start) for slot in self.slot1] + [(slot, 0.0) for slot in self.slot2]
        for slot, value in pairs + [(self.t, 0.0)]:
            mask = picked.reshape((-1,) + (1,) * (len(slot.shape) - 1))
            slot.assign(np.where(mask, np.float32(value), slot.numpy()))

    def set_held(self, held) -> None:
        self.held.assign(np.asarray(held, bool))

    def set_loss_limit(self, run: int | None, limit: float) -> None:
        """The loss past which a run (or every run: None) counts as diverged and freezes."""
        self.loss_limit.assign(np.where(self._mask(run), np.float32(limit), self.loss_limit.numpy()))

    def set_stopping(self, stop: bool) -> None:
        self.stop_at_divergence.assign(bool(stop))

    def unfreeze(self, run: int) -> None:
        values = self.frozen.numpy()
        values[run] = False
        self.frozen.assign(values)

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The line's w and b per run; NaN for the other models (see `theta_now`)."""
        if not self.is_line:
            nan = np.full(self.runs, np.nan)
            return nan, nan.copy()
        return self.w.numpy().astype(np.float64), self.b.numpy().astype(np.float64)

    def theta_now(self) -> np.ndarray:
        """Every run's parameters, [runs, P] float32 (the line: columns w, b)."""
        if self.is_line:
            return np.stack([self.w.numpy(), self.b.numpy()], axis=1)
        return self.theta.numpy()

    def frozen_runs(self) -> np.ndarray:
        return self.frozen.numpy().copy()

    def _named(self) -> dict:
        if self.is_line:
            return {"w": self.w, "b": self.b}
        return self.model.unflatten(self.theta)

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Every run's output (a logit when the model classifies) at `points`: [runs, points]."""
        with tf.device(self.device):
            return self.model.output(self._named(), tf.constant(points, tf.float32)).numpy()

    def current_loss(self) -> np.ndarray:
        with tf.device(self.device):
            return self.model.loss(self._named(), self.x, self.y).numpy().astype(np.float64)

    # -- training ----------------------------------------------------------
    def run(self, count: int) -> BatchRecords:
        """Up to `count` lock-steps of every run that is neither held nor frozen."""
        capacity = _capacity(count)
        count = min(count, capacity)
        chunk = self._chunks.get(capacity) or self._compile(capacity)
        before = self.frozen.numpy().copy()
        with tf.device(self.device):
            done, records = chunk(tf.constant(count, tf.int32))
        done = int(done)
        array = records.numpy()[:done].astype(np.float64)  # (steps, fields, runs)
        values = {name: array[:, i, :] for i, name in enumerate(self.record)}
        if "live" in values:
            values["live"] = values["live"] > 0.5
        return BatchRecords(values, self.frozen.numpy() & ~before, done)

    def _compile(self, capacity: int):
        model, trained, named, x, y = self.model, self.trained, self._named, self.x, self.y
        lr_var, code_var, t_var = self.learning_rate, self.code, self.t
        slot1, slot2 = self.slot1, self.slot2
        frozen, held, loss_limit = self.frozen, self.held, self.loss_limit
        record, method, constants = self.record, self.method, self.constants
        # All six rules, picked per lane, unless the lanes' rules are fixed.
        rules = OPTIMIZERS if self.switchable else tuple(sorted(set(self.optimizers), key=CODES.get))
        scheduled = method is not None and method.schedule != "constant"
        stopping = self.stop_at_divergence
        is_line = self.is_line

        def per_run(value, like):
            """A [runs] vector shaped to meet `like` ([runs] or [runs, P]) elementwise."""
            return value if len(like.shape) == 1 else value[:, None]

        def one_step(i, records):
            live = ~(frozen | held)
            with tf.GradientTape() as tape:
                loss = model.loss(named(), x, y)
                # Runs are independent: the gradient of the sum is each run's own gradient.
                total = tf.reduce_sum(loss)
            slopes = tape.gradient(total, trained)
            good = tf.math.is_finite(loss) & (loss <= loss_limit)
            for slope in slopes:
                finite = tf.math.is_finite(slope)
                good = good & (finite if len(slope.shape) == 1 else tf.reduce_all(finite, axis=1))
            good = good | ~stopping.read_value()
            lr = lr_var.read_value()
            if scheduled:
                # The step a lane is at is the number of updates it has taken.
                lr = lr * schedules.factor(method, tf.cast(t_var, tf.int32))
            fields = {"loss": loss, "lr": lr, "live": tf.cast(live, tf.float32)}
            if is_line:
                dw, db = slopes
                fields.update(w=self.w.read_value(), b=self.b.read_value(), dw=dw, db=db)
            else:
                fields["grad_norm"] = tf.norm(slopes[0], axis=1)
            records = records.write(i, tf.stack([fields[name] for name in record]))
            move = live & good
            t_next = t_var + 1.0
            for k, (param, slope) in enumerate(zip(trained, slopes)):
                new, n1, n2 = _update(per_run(code_var, param), param, slope, slot1[k], slot2[k],
                                      per_run(lr, param), per_run(t_next, param), constants, rules)
                moving = per_run(move, param)
                for variable, value in ((param, new), (slot1[k], n1), (slot2[k], n2)):
                    variable.assign(tf.where(moving, value, variable))
            t_var.assign(tf.where(move, t_next, t_var))
            frozen.assign(frozen | (live & ~good))
            return i + 1, records

        def chunk(count):
            self.traces += 1
            records = tf.TensorArray(tf.float32, size=capacity)
            done, records = tf.while_loop(
                lambda i, _: (i < count) & tf.reduce_any(~(frozen | held)),
                one_step,
                (tf.constant(0), records),
                maximum_iterations=capacity,
            )
            return done, records.stack()

        compiled, self.jit = compile_chunk(chunk, self.device, self.jit)
        self._chunks[capacity] = compiled
        return compiled

    def warm_up(self, counts=None) -> None:
        """Compile the chunks that runs of these step counts will use (default: the small ones)."""
        capacities = CAPACITIES[:3] if counts is None else sorted({_capacity(c) for c in counts})
        for capacity in capacities:
            if capacity not in self._chunks:
                self._compile(capacity)


def _capacity(count: int) -> int:
    return next((c for c in CAPACITIES if c >= count), CAPACITIES[-1])


def _update(code, param, grad, slot1, slot2, lr, t, k, rules):
    """The next (param, slot1, slot2) under each lane's rule, for the rules compiled in."""
    g2 = grad * grad
    velocity = k["momentum"] * slot1 - lr * grad
    mean_square = k["rho"] * slot1 + (1 - k["rho"]) * g2
    accumulator = slot1 + g2
    m = slot1 + (grad - slot1) * (1 - k["beta_1"])
    v = slot2 + (g2 - slot2) * (1 - k["beta_2"])

    def gd():  # the lesson's update
        return param - lr * grad, slot1, slot2

    def momentum():  # v ← μ·v − lr·g; p ← p + v
        return param + velocity, velocity, slot2

    def nesterov():  # the same velocity, the step looks ahead along it
        return param + k["momentum"] * velocity - lr * grad, velocity, slot2

    def rmsprop():  # s ← ρ·s + (1−ρ)·g²; p ← p − lr·g/√(s + ε), as Keras 3 writes it
        return param - lr * grad / tf.sqrt(mean_square + k["epsilon"]), mean_square, slot2

    def adagrad():  # a ← a + g²; p ← p − lr·g/√(a + ε)
        return param - lr * grad / tf.sqrt(accumulator + k["epsilon"]), accumulator, slot2

    def adam():  # bias-corrected first and second moments
        alpha = lr * tf.sqrt(1 - tf.pow(k["beta_2"], t)) / (1 - tf.pow(k["beta_1"], t))
        return param - alpha * m / (tf.sqrt(v) + k["epsilon"]), m, v

    rule = {"gd": gd, "momentum": momentum, "nesterov": nesterov, "rmsprop": rmsprop,
            "adagrad": adagrad, "adam": adam}
    outs = [rule[name]() for name in rules]
    new = list(outs[0])
    for name, out in zip(rules[1:], outs[1:]):
        chosen = tf.equal(code, CODES[name])
        new = [tf.where(chosen, a, b) for a, b in zip(out, new)]
    return tuple(new)
