"""The lesson's training loop, compiled: GradientTape, then w.assign_sub(lr * dw).

A Python call into TensorFlow costs far more than one step of this tiny
model, so steps run in chunks: one compiled call runs up to `capacity` steps
in a tf.while_loop and returns every step's loss, w, b, dw, db and lr. The
number of steps is a tensor, so any count up to the capacity reuses the same
compiled function; only a handful of capacities exist.

The loop stops early at the first step whose loss is non-finite or above
`loss_limit`, and does not apply that step's update, so the weights stay at
the last point where the loss was still a number. With `stop_at_divergence`
off it never stops, as the lesson's loop: float32 overflows to inf, then NaN.

The method of a run (settings.optimizer, the lr schedule, the batch size)
is fixed per compiled chunk: `configure` takes a new one and recompiles.
Plain gradient descent on the full batch is the lesson's loop unchanged;
a schedule multiplies the lr variable by its factor at each step
(`schedules`), a Keras optimizer replaces assign_sub (`optimizers`), and a
mini-batch is a slice of a per-epoch shuffle seeded from the data's seed.
"""

from __future__ import annotations

import atexit
import threading
import weakref

import numpy as np
import tensorflow as tf

from lrtui.engine import schedules
from lrtui.engine.compiled import compile_chunk
from lrtui.engine.data import Dataset
from lrtui.engine.optimizers import make_optimizer
from lrtui.engine.records import FIELDS, StepBatch
from lrtui.engine.shuffle import epoch_order
from lrtui.settings.fields import METHOD_FIELDS, Settings

# A chunk stops at its count, so one step costs the same in any capacity; each
# capacity is one XLA compile (about half a second). The app compiles the first
# before the run starts and the others in the background (`warm_up`): until a
# large one is ready, its steps run as several calls of the largest ready one.
CAPACITIES = (64, 1024, 16384)


class Trainer:
    """Owns w, b and the lr as tf.Variables on one device, and the compiled chunks."""

    def __init__(self, dataset: Dataset, device: str, learning_rate: float,
                 init_w: float, init_b: float, jit: bool = True, method: Settings | None = None):
        self.device = device
        self.jit = jit
        self.traces = 0  # how often a chunk was traced: an lr change must not add one
        self.step = 0  # steps applied since the last reset
        self._chunks: dict[int, object] = {}
        self._generation = 0  # counts the times the chunks were thrown away
        self._background: threading.Thread | None = None
        self.n = dataset.n
        with tf.device(device):
            # Shape [None]: new data of any size reuses the traced function.
            self.x = tf.Variable(dataset.x, shape=tf.TensorShape([None]), trainable=False)
            self.y = tf.Variable(dataset.y, shape=tf.TensorShape([None]), trainable=False)
            self.w = tf.Variable(float(init_w), dtype=tf.float32)
            self.b = tf.Variable(float(init_b), dtype=tf.float32)
            # The lr lives in a variable so that changing it never retraces.
            self.learning_rate = tf.Variable(float(learning_rate), dtype=tf.float32, trainable=False)
            self.loss_limit = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
            # A variable, so switching it never retraces.
            self.stop_at_divergence = tf.Variable(True, trainable=False)
            self.shuffle_seed = tf.Variable(0, dtype=tf.int64, trainable=False)
            self.first_step = tf.Variable(0, dtype=tf.int32, trainable=False)
            self.plateau = schedules.Plateau()
        self.optimizer = None
        self._optimizer_start: list = []
        self.method = Settings()
        self.configure(method or Settings())

    def configure(self, method: Settings) -> None:
        """Take the optimizer, schedule and batch size of `method`; state starts over."""
        changed = any(getattr(method, f) != getattr(self.method, f) for f in METHOD_FIELDS)
        self.method = method
        self.shuffle_seed.assign(method.seed)
        if changed or self.optimizer is None and method.optimizer != "gd":
            with tf.device(self.device):
                self.optimizer = make_optimizer(method, float(self.learning_rate.numpy()))
                if self.optimizer is not None:
                    # Built here, outside the compiled chunk; its start values are kept for reset.
                    self.optimizer.build([self.w, self.b])
                    self._optimizer_start = [v.numpy() for v in self.optimizer.variables]
            self._discard_chunks()
        self._reset_method_state()

    def _reset_method_state(self) -> None:
        self.plateau.reset()
        if self.optimizer is not None:
            for variable, start in zip(self.optimizer.variables, self._optimizer_start):
                variable.assign(start)

    # -- state -------------------------------------------------------------
    def set_data(self, dataset: Dataset) -> None:
        self.x.assign(dataset.x)
        self.y.assign(dataset.y)
        if self.method.batch_size and dataset.n != self.n:
            self._discard_chunks()  # the batch slicing was compiled for the old n
        self.n = dataset.n

    def reset(self, init_w: float, init_b: float) -> None:
        self.w.assign(float(init_w))
        self.b.assign(float(init_b))
        self.loss_limit.assign(np.inf)
        self.step = 0
        self._reset_method_state()

    def set_learning_rate(self, learning_rate: float) -> None:
        self.learning_rate.assign(float(learning_rate))

    def set_loss_limit(self, limit: float) -> None:
        self.loss_limit.assign(float(limit))

    def set_stopping(self, stop: bool) -> None:
        """Stop at a bad loss (the default), or train through it like the lesson's loop."""
        self.stop_at_divergence.assign(bool(stop))

    def weights(self) -> tuple[float, float]:
        return float(self.w.numpy()), float(self.b.numpy())

    def current_loss(self) -> float:
        with tf.device(self.device):
            return float(tf.reduce_mean(tf.square(self.w * self.x + self.b - self.y)).numpy())

    # -- training ----------------------------------------------------------
    def run(self, count: int) -> StepBatch:
        """Run up to `count` steps (fewer if the loss goes bad) and return their records."""
        batches = []
        while count > 0:
            capacity = self._capacity_for(count)
            todo = min(count, capacity)
            batch = self._run_chunk(capacity, todo)
            batches.append(batch)
            count -= todo
            if batch.diverged:
                break
        if not batches:
            return StepBatch.empty()
        if len(batches) == 1:
            return batches[0]
        return StepBatch(*(np.concatenate([getattr(b, f) for b in batches])
                           for f in ("step",) + FIELDS), batches[-1].diverged)

    def _capacity_for(self, count: int) -> int:
        """The smallest capacity that holds `count`; while the background is still
        compiling it, the largest one ready (the caller loops), so no step waits for XLA."""
        wanted = next((c for c in CAPACITIES if c >= count), CAPACITIES[-1])
        if wanted in self._chunks or not self.compiling:
            return wanted
        ready = [c for c in CAPACITIES if c < wanted and c in self._chunks]
        return ready[-1] if ready else wanted

    @property
    def compiling(self) -> bool:
        """True while capacities are being compiled in the background."""
        return self._background is not None and self._background.is_alive()

    def _discard_chunks(self) -> None:
        """Throw the compiled chunks away (a new method, a new n) and compile afresh."""
        self._generation += 1
        self._chunks.clear()
        if self._background is not None:  # this trainer compiles ahead: keep doing so
            self.warm_up()

    def _run_chunk(self, capacity: int, count: int) -> StepBatch:
        chunk = self._chunks.get(capacity) or self._compile(capacity)
        # tf.device scopes are per thread: open it here, in the caller's thread.
        with tf.device(self.device):
            self.first_step.assign(self.step)
            done, ok, records = chunk(tf.constant(count, tf.int32))
        done = int(done)
        ok = bool(ok)
        rows = records.numpy()[:, :done].astype(np.float64)
        steps = np.arange(self.step, self.step + done, dtype=np.int64)
        self.step += done - (0 if ok else 1)
        return StepBatch(steps, *rows, diverged=not ok)

    def _compile(self, capacity: int, generation: int | None = None):
        w, b = self.w, self.b
        learning_rate, loss_limit, stopping = self.learning_rate, self.loss_limit, self.stop_at_divergence
        method, optimizer, plateau = self.method, self.optimizer, self.plateau
        batch = self._batch_function(method.batch_size)

        def one_step(i, ok, records, step, order):
            x, y, order = batch(step, tf.equal(i, 0), order)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(w * x + b - y))
            dw, db = tape.gradient(loss, [w, b])
            good = tf.math.is_finite(loss) & (loss <= loss_limit)
            good = good & tf.math.is_finite(dw) & tf.math.is_finite(db)
            good = good | ~stopping.read_value()
            lr = learning_rate.read_value()
            if method.schedule == "plateau":
                lr = lr * plateau.observe(method, loss)
            elif method.schedule != "constant":
                lr = lr * schedules.factor(method, step)
            row = tf.stack([loss, w.read_value(), b.read_value(), dw, db, lr])
            records = records.write(i, row)

            def update():
                if optimizer is None:
                    # The lesson's update, exactly.
                    w.assign_sub(lr * dw)
                    b.assign_sub(lr * db)
                else:
                    optimizer.learning_rate.assign(lr)
                    optimizer.apply_gradients([(dw, w), (db, b)])
                return tf.constant(True)

            ok = tf.cond(good, update, lambda: tf.constant(False))
            return i + 1, ok, records, step + 1, order

        def chunk(count):
            self.traces += 1
            # The step number is carried by the loop, not added to a fixed start: XLA
            # would fold a loop-invariant start into the program as a constant and
            # compile the chunk anew for each start.
            start = self.first_step.read_value()
            records = tf.TensorArray(tf.float32, size=capacity)
            done, ok, records, _, _ = tf.while_loop(
                lambda i, ok, *_: (i < count) & ok,
                one_step,
                (tf.constant(0), tf.constant(True), records, start, tf.range(self.n)),
                maximum_iterations=capacity,
            )
            return done, ok, tf.transpose(records.stack())

        compiled, self.jit = compile_chunk(chunk, self.device, self.jit)
        # A background compile that finishes after the method changed is thrown away.
        if generation is None or generation == self._generation:
            self._chunks[capacity] = compiled
        return compiled

    def _batch_function(self, batch_size: int):
        """(step, first step of the chunk?, order) -> (x, y, order) for that step.

        Full batch: all points. Mini-batch: the step's slice of its epoch's
        shuffle; the shuffle depends only on the seed and the epoch (integer
        arithmetic, the same with or without XLA), so a reset, or a run file
        on another machine, replays the same batches. It is drawn at each epoch's first
        step (and at a chunk's first step) and carried through the loop
        meanwhile: drawing it every step would cost ten times more.
        """
        x, y, seed, n = self.x, self.y, self.shuffle_seed, self.n
        if batch_size == 0 or batch_size >= n:
            return lambda step, first, order: (x, y, order)

        def batch(step, first, order):
            per_epoch = n // batch_size  # the points left over sit out that epoch
            place = step % per_epoch

            def shuffle():
                return epoch_order(seed, step // per_epoch, n)

            order = tf.cond((place == 0) | first, shuffle, lambda: order)
            picks = tf.slice(order, [place * batch_size], [batch_size])
            return tf.gather(x, picks), tf.gather(y, picks), order

        return batch

    def warm_up(self, ahead: bool = True) -> None:
        """Compile the chunk every run starts with now, the larger ones in the background.

        XLA prints on its first compile: call while fd 2 is muted (the app keeps
        it muted for its whole life). The background thread is a daemon, and what
        it compiles for an outdated method is thrown away. At exit it is stopped
        after the compile under way and waited for: a daemon thread still inside
        XLA when the interpreter finalizes aborts the process (status 134).
        """
        if CAPACITIES[0] not in self._chunks:
            self._compile(CAPACITIES[0])
        if not ahead:
            return
        generation = self._generation

        def compile_the_rest() -> None:
            for capacity in CAPACITIES[1:]:
                if generation != self._generation or _EXITING.is_set():
                    return
                if capacity not in self._chunks:
                    self._compile(capacity, generation)

        self._background = threading.Thread(target=compile_the_rest, name="lrtui-compile",
                                            daemon=True)
        _COMPILERS.add(self._background)
        self._background.start()


_EXITING = threading.Event()
_COMPILERS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@atexit.register
def _finish_compiling() -> None:
    """Let background compiles end before the interpreter goes (see Trainer.warm_up)."""
    _EXITING.set()
    for thread in list(_COMPILERS):
        thread.join(timeout=30)
