"""fastai's learning-rate range test on a real Keras model: `find_lr(model, x, y)`.

The sweep is the one lrtui's `f` screen runs on the line (`engine/lr_find`):
lr_i = start·(end/start)^(i/num), one batch per lr, the bias-corrected
smoothed loss, a stop once it passes 4 × its best, and the three suggestions
read off the same window by the same functions. Only the training differs:
here each step is `model.train_on_batch` on the next batch of the user's data.

The model is put back exactly as it was: every variable of the model (weights,
batch-norm statistics, the dropout seed), of its metrics and of its optimizer
(slots, iteration count, learning rate) is copied before the sweep and
assigned back after it, so the values are bit-identical. A schedule the
optimizer was built with is swapped for the sweep's own schedule meanwhile,
then put back (the train function is traced again both times, since a traced
function holds on to the schedule it saw).
"""

from __future__ import annotations

import itertools

import keras
import numpy as np

from lrtui.engine.lr_find import END, NUM, START, RangeTest, check_sweep, past_stop, smooth, suggest, sweep_lrs

Schedule = keras.optimizers.schedules.LearningRateSchedule


class SweepSchedule(Schedule):
    """lr = start·(end/start)^((iterations − first)/num), for an optimizer built with a schedule."""

    def __init__(self, start: float, end: float, num: int, first: int):
        self.start, self.ratio, self.num, self.first = start, end / start, num, first

    def __call__(self, step):
        progress = keras.ops.cast(step - self.first, "float32") / float(self.num)
        return self.start * keras.ops.power(self.ratio, progress)


def _batches(x, y, batch_size: int, seed: int):
    """(x, y, sample_weight) batches without end: shuffled slices of arrays, or a dataset's own."""
    if y is None and not isinstance(x, np.ndarray) and hasattr(x, "__iter__") \
            and not isinstance(x, (dict, list, tuple)):
        source = x.repeat() if hasattr(x, "repeat") else itertools.cycle(x)
        for item in source:
            yield keras.utils.unpack_x_y_sample_weight(item)
        return
    leaves = keras.tree.flatten(x)
    n = len(leaves[0])
    if n == 0:
        raise ValueError("find_lr: no samples in x")
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for first in range(0, n, batch_size):
            pick = order[first:first + batch_size]
            yield _take(x, pick), None if y is None else _take(y, pick), None


def _take(arrays, pick: np.ndarray):
    return keras.tree.map_structure(lambda a: np.asarray(a)[pick], arrays)


def _variables(model) -> list:
    seen, out = set(), []
    for v in [*model.variables, *model.metrics_variables, *model.optimizer.variables]:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def find_lr(model, x, y=None, *, batch_size: int = 32, start: float = START, end: float = END,
            num: int = NUM, seed: int = 0) -> RangeTest:
    """Sweep the lr over `num` batches from a copy of the training state; put it all back.

    `x, y` are arrays (or dicts/lists of them), sliced into shuffled batches of
    `batch_size`; or `x` is a tf.data.Dataset (or any iterable) of batches and
    `y` is None. Returns the engine's `RangeTest`: `lrs`, `losses` (each batch's
    own loss), `smoothed`, and `suggestions` (minimum, steep, valley).
    """
    check_sweep(start, end, num)
    if batch_size < 1:
        raise ValueError(f"find_lr: batch_size {batch_size} must be at least 1")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", True):
        raise ValueError("find_lr: compile the model first (it needs its optimizer and loss)")
    batches = _batches(x, y, batch_size, seed)
    first = next(batches)
    if not model.built:
        model(first[0])
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    variables = _variables(model)
    saved = [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]
    original_lr = optimizer._learning_rate  # a variable, or a schedule to swap and give back
    scheduled = isinstance(original_lr, Schedule)
    lrs = sweep_lrs(start, end, num)
    losses: list[float] = []
    try:
        if scheduled:
            iterations = int(keras.ops.convert_to_numpy(optimizer.iterations))
            optimizer.learning_rate = SweepSchedule(start, end, num, iterations)
            model.make_train_function(force=True)
        for i, (bx, by, weights) in enumerate(itertools.chain([first], batches)):
            if i == num:
                break
            if not scheduled:
                original_lr.assign(lrs[i])
            model.reset_metrics()  # so the loss Keras reports is this batch's own
            logs = model.train_on_batch(bx, by, sample_weight=weights, return_dict=True)
            losses.append(float(logs["loss"]))
            smoothed, _ = smooth(np.asarray(losses))
            if len(smoothed) < len(losses) or past_stop(smoothed[-1], float(smoothed.min())):
                break
    finally:
        if scheduled:
            optimizer.learning_rate = original_lr
            model.make_train_function(force=True)
        for variable, value in zip(variables, saved):
            variable.assign(value)
    smoothed, keep = smooth(np.asarray(losses))
    lrs, losses_kept = lrs[:keep], np.asarray(losses[:keep], np.float64)
    return RangeTest(lrs, losses_kept, smoothed, num, stopped_early=keep < num,
                     suggestions=suggest(lrs, smoothed, num))


def describe(test: RangeTest) -> str:
    """One line: how the sweep ended and what it suggests."""
    picks = ", ".join(f"{name} {s.learning_rate:.3g}" for name, s in test.suggestions.items())
    end = "stopped when the smoothed loss passed 4 × its best" if test.stopped_early else "ran all steps"
    return f"range test: {len(test.lrs)} steps, {end}; {picks or 'no suggestion (too few points)'}"

