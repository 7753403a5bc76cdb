"""The lesson's training loop, compiled: GradientTape, then w.assign_sub(lr * dw).

A Python call into TensorFlow costs far more than one step of this tiny
model, so steps run in chunks: one compiled call runs up to `capacity` steps
in a tf.while_loop and returns every step's loss, w, b, dw, db and lr. The
number of steps is a tensor, so any count up to the capacity reuses the same
compiled function; only a handful of capacities exist.

The model states its loss (lrtui.engine.models). The line keeps the
lesson's two variables w and b and its loss over them, op for op; every other
model trains one flat variable θ, read as its named parameters, with the same
loop: GradientTape, then θ.assign_sub(lr * dθ). Its steps record loss, lr
and |∇L| instead of w, b, dw, db, and the chunk keeps θ of its last
RECENT_STEPS steps in a ring (a [K, P] buffer in the loop's state, written in
place: measured at no cost on a 1-16-1 network), for the blackboard. Every `sharpness_every` steps (if set) the
chunk also measures the sharpness at the weights the step starts from
(lrtui.engine.sharpness): one power iteration warm-started from the last
measurement's vector, on a full-batch step in the same pass as the step's
own gradient; a run's first measurement starts cold, before the chunk.

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

from lrtui.engine import schedules, sharpness
from lrtui.engine.compiled import compile_chunk
from lrtui.engine.data import Dataset
from lrtui.engine.models import Line, Model
from lrtui.engine.optimizers import make_optimizer
from lrtui.engine.records import FIELDS, MODEL_FIELDS, RECENT_STEPS, StepBatch
from lrtui.engine.shuffle import epoch_order
from lrtui.settings.fields import METHOD_FIELDS, Settings

# A chunk stops at its count, so one step costs the same in any capacity; each
# capacity is one XLA compile (about half a second). The app compiles the first
# before the run starts and the others in the background (`warm_up`): until a
# large one is ready, its steps run as several calls of the largest ready one.
CAPACITIES = (64, 1024, 16384)


class Trainer:
    """Owns the weights (w and b, or θ) and the lr as tf.Variables on one device, and the
    compiled chunks."""

    def __init__(self, dataset: Dataset, device: str, learning_rate: float,
                 init_w: float, init_b: float, jit: bool = True, method: Settings | None = None,
                 model: Model | None = None, initial: np.ndarray | None = None):
        """`model` defaults to the lesson's line from (init_w, init_b); another model starts
        from `initial` (θ), or from its own start with the method's init seed."""
        self.model = model or Line(init_w, init_b)
        self.is_line = isinstance(self.model, Line)
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
            shape = [None] if dataset.x.ndim == 1 else [None, dataset.x.shape[1]]
            self.x = tf.Variable(dataset.x, shape=tf.TensorShape(shape), trainable=False)
            self.y = tf.Variable(dataset.y, shape=tf.TensorShape([None]), trainable=False)
            if self.is_line:
                self.w = tf.Variable(float(init_w), dtype=tf.float32)
                self.b = tf.Variable(float(init_b), dtype=tf.float32)
                self.trained = [self.w, self.b]
            else:
                start = self.model.initial((method or Settings()).init_seed) if initial is None \
                    else initial
                self.theta = tf.Variable(np.asarray(start, np.float32))
                self.trained = [self.theta]
            # The sharpness: its cadence, and the vector the next power iteration starts from.
            self.sharpness_every = tf.Variable(0, dtype=tf.int32, trainable=False)
            self.eigenvector = tf.Variable(sharpness.start_vector([self.model.size]),
                                           trainable=False)
            self.eigenvector_cold = tf.Variable(True, trainable=False)
            self.eigen_shift = tf.Variable(0.0, trainable=False)  # s of H + s·I (sharpness)
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
        self._measuring = False  # whether the compiled chunks measure the sharpness
        self._cold = None  # the compiled cold start of the sharpness
        self.configure(method or Settings())
        self.set_sharpness_every((method or Settings()).sharpness_every or 0)

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
                    self.optimizer.build(self.trained)
                    self._optimizer_start = [v.numpy() for v in self.optimizer.variables]
            self._discard_chunks()
        self._reset_method_state()

    def set_sharpness_every(self, every: int) -> None:
        """Measure the sharpness every `every` steps (0: never). Switching it on or off
        recompiles (a run that does not measure keeps the plain loop); changing how
        often does not."""
        self.sharpness_every.assign(int(every))
        if bool(every) != self._measuring:
            self._measuring = bool(every)
            self._discard_chunks()

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
        """The line back at (init_w, init_b), at step 0 with fresh method state."""
        self.reset_to(np.array([init_w, init_b], np.float32))

    def reset_to(self, theta: np.ndarray) -> None:
        """The weights back at θ (the line: [w, b]), at step 0 with fresh method state."""
        self.set_theta(theta)
        self.loss_limit.assign(np.inf)
        self.step = 0
        self._reset_method_state()
        self.eigenvector.assign(sharpness.start_vector([self.model.size]))
        self.eigenvector_cold.assign(True)
        self.eigen_shift.assign(0.0)

    def set_theta(self, theta: np.ndarray) -> None:
        theta = np.asarray(theta, np.float32)
        if self.is_line:
            self.w.assign(float(theta[0]))
            self.b.assign(float(theta[1]))
        else:
            self.theta.assign(theta)

    def theta_now(self) -> np.ndarray:
        """Every parameter as one float32 vector, in the model's order (the line: [w, b])."""
        if self.is_line:
            return np.array([self.w.numpy(), self.b.numpy()], np.float32)
        return self.theta.numpy()

    def set_learning_rate(self, learning_rate: float) -> None:
        self.learning_rate.assign(float(learning_rate))

    def set_loss_limit(self, limit: float) -> None:
        self.loss_limit.assign(float(limit))

    def set_stopping(self, stop: bool) -> None:
        """Stop at a bad loss (the default), or train through it like the lesson's loop."""
        self.stop_at_divergence.assign(bool(stop))

    def weights(self) -> tuple[float, float]:
        """The line's (w, b); NaN for the other models, whose weights are `theta_now()`."""
        if not self.is_line:
            return float("nan"), float("nan")
        return float(self.w.numpy()), float(self.b.numpy())

    def _named(self) -> dict:
        """The parameters as the model's loss reads them: the line's own two variables, or
        the named slices of θ."""
        if self.is_line:
            return {"w": self.w, "b": self.b}
        return self.model.unflatten(self.theta)

    def current_loss(self) -> float:
        with tf.device(self.device):
            return float(self.model.loss(self._named(), self.x, self.y).numpy())

    def predict(self, points: np.ndarray) -> np.ndarray:
        """The model's output (a logit when it classifies) at `points`, where the weights stand."""
        with tf.device(self.device):
            return self.model.output(self._named(), tf.constant(points, tf.float32)).numpy()

    def measure_sharpness(self, iterations: int = sharpness.COLD_ITERATIONS) -> float:
        """The sharpness where the weights stand now, from a fresh vector (outside a chunk)."""
        with tf.device(self.device):
            return sharpness.measure(self.model, self.theta_now(), self.x, self.y, iterations)

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
            return StepBatch.empty(self.is_line)
        if len(batches) == 1:
            return batches[0]
        return StepBatch.joined(batches)

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
            if self._measuring and bool(self.eigenvector_cold.numpy()):
                self._cold_start()
            self.first_step.assign(self.step)
            done, ok, records, ring = chunk(tf.constant(count, tf.int32))
        done = int(done)
        ok = bool(ok)
        rows = records.numpy()[:, :done].astype(np.float64)
        steps = np.arange(self.step, self.step + done, dtype=np.int64)
        self.step += done - (0 if ok else 1)
        measured = rows[-1] if self._measuring else None
        if self.is_line:
            return StepBatch(steps, *rows[:len(FIELDS)], diverged=not ok, sharpness=measured)
        loss, lr, grad_norm = rows[:len(MODEL_FIELDS)]
        # The ring holds step i of the chunk at i % K: the last min(done, K) steps, in order.
        recent = ring.numpy()[np.arange(max(0, done - RECENT_STEPS), done) % RECENT_STEPS]
        return StepBatch(steps, loss, None, None, None, None, lr, diverged=not ok,
                         grad_norm=grad_norm, sharpness=measured, recent_theta=recent)

    def _compile(self, capacity: int, generation: int | None = None):
        trained = self.trained
        learning_rate, loss_limit, stopping = self.learning_rate, self.loss_limit, self.stop_at_divergence
        method, optimizer, plateau = self.method, self.optimizer, self.plateau
        batch = self._batch_function(method.batch_size)
        gradient = self._sharpness_step() if self._measuring else self._plain_step()

        def one_step(i, ok, records, step, order, ring):
            x, y, order = batch(step, tf.equal(i, 0), order)
            # The line: GradientTape over w and b, giving [dw, db]; the others: [dθ].
            loss, slopes, measured = gradient(x, y, step)
            good = tf.math.is_finite(loss) & (loss <= loss_limit)
            for slope in slopes:
                good = good & tf.reduce_all(tf.math.is_finite(slope))
            good = good | ~stopping.read_value()
            lr = learning_rate.read_value()
            if method.schedule == "plateau":
                lr = lr * plateau.observe(method, loss)
            elif method.schedule != "constant":
                lr = lr * schedules.factor(method, step)
            if self.is_line:
                w, b = trained
                dw, db = slopes
                row = [loss, w.read_value(), b.read_value(), dw, db, lr]
            else:
                row = [loss, lr, tf.norm(slopes[0])]
                # θ this step starts from, into the ring of the last steps.
                ring = tf.tensor_scatter_nd_update(ring, [[i % RECENT_STEPS]],
                                                   trained[0].read_value()[None])
            if measured is not None:
                row.append(measured)  # at the weights this step starts from
            records = records.write(i, tf.stack(row))

            def update():
                if optimizer is None:
                    # The lesson's update, exactly: w.assign_sub(lr * dw), b.assign_sub(lr * db)
                    # (another model: θ.assign_sub(lr * dθ)).
                    for weight, slope in zip(trained, slopes):
                        weight.assign_sub(lr * slope)
                else:
                    optimizer.learning_rate.assign(lr)
                    optimizer.apply_gradients(zip(slopes, trained))
                return tf.constant(True)

            ok = tf.cond(good, update, lambda: tf.constant(False))
            return i + 1, ok, records, step + 1, order, ring

        def chunk(count):
            self.traces += 1
            # The step number is carried by the loop, not added to a fixed start: XLA
            # would fold a loop-invariant start into the program as a constant and
            # compile the chunk anew for each start.
            start = self.first_step.read_value()
            records = tf.TensorArray(tf.float32, size=capacity)
            # The line's records hold its weights already: its ring stays empty.
            ring = tf.zeros([0 if self.is_line else RECENT_STEPS, self.model.size])
            done, ok, records, _, _, ring = tf.while_loop(
                lambda i, ok, *_: (i < count) & ok,
                one_step,
                (tf.constant(0), tf.constant(True), records, start, tf.range(self.n), ring),
                maximum_iterations=capacity,
            )
            return done, ok, tf.transpose(records.stack()), ring

        compiled, self.jit = compile_chunk(chunk, self.device, self.jit)
        # A background compile that finishes after the method changed is thrown away.
        if generation is None or generation == self._generation:
            self._chunks[capacity] = compiled
        return compiled

    def _plain_step(self):
        """(x, y, step) -> (loss, gradients, None): the lesson's GradientTape."""
        model, trained, named = self.model, self.trained, self._named

        def gradient(x, y, step):
            with tf.GradientTape() as tape:
                loss = model.loss(named(), x, y)
            return loss, tape.gradient(loss, trained), None

        return gradient

    def _sharpness_step(self):
        """(x, y, step) -> (loss, gradients, sharpness or NaN). A measuring step adds one power
        iteration, warm from the last vector, on the loss over every point (whatever the
        batch): H·v from the gradients at θ ± εv (see lrtui.engine.sharpness)."""
        model, named, every = self.model, self._named, self.sharpness_every
        vector, shift = self.eigenvector, self.eigen_shift
        plain = self._plain_step()

        def gradient_at(offset):
            """The flat gradient of the full-data loss at θ + offset; the weights stay put."""
            params = {name: value + part for (name, value), part in
                      zip(named().items(), self._split(offset))}
            with tf.GradientTape() as tape:
                tape.watch(params)
                loss = model.loss(params, self.x, self.y)
            gradients = tape.gradient(loss, params)
            return tf.concat([tf.reshape(gradients[name], [-1]) for name in model.names], 0)

        def measured(x, y):
            loss, slopes, _ = plain(x, y, None)
            v = vector.read_value()
            hv = sharpness.difference_product(gradient_at, v, tf.norm(self._flat()))
            value, next_vector = sharpness.warm_iteration(v, hv, shift.read_value())
            vector.assign(next_vector)
            return loss, slopes, value

        def gradient(x, y, step):
            due = tf.equal(step % tf.maximum(every, 1), 0)
            nan = tf.constant(np.nan, tf.float32)
            return tf.cond(due, lambda: measured(x, y), lambda: plain(x, y, step)[:2] + (nan,))

        return gradient

    def _flat(self):
        """θ as one tensor, read now (the line: [w, b])."""
        return tf.stack([self.w, self.b]) if self.is_line else self.theta.read_value()

    def _split(self, flat) -> list:
        """A flat vector cut into the model's parameters, in order and shape."""
        parts, start = [], 0
        for p in self.model.parameters:
            piece = flat[start:start + p.size]
            parts.append(piece[0] if p.shape == () else tf.reshape(piece, p.shape))
            start += p.size
        return parts

    def _cold_start(self) -> None:
        """The first measurement of a run: power iteration from a random vector, long enough
        to converge, and the shift a dominant negative eigenvalue needs (compiled once)."""
        if self._cold is None:
            model, x, y = self.model, self.x, self.y

            def start(theta, v):
                return sharpness.cold_start(lambda t: model.loss_flat(t, x, y), theta, v,
                                            tf.constant(sharpness.COLD_ITERATIONS))

            self._cold = tf.function(start, jit_compile=self.jit)
        _, vector, shift = self._cold(tf.constant(self.theta_now()), self.eigenvector.read_value())
        self.eigenvector.assign(vector)
        self.eigen_shift.assign(shift)
        self.eigenvector_cold.assign(False)

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
