"""Each lr schedule against Keras's own schedule class (or the documented formula).

The lr a step records is the lr that step used, so a run's `lr` column is
compared with the schedule evaluated at the same step numbers, every step
from 0 to 299: that covers warmup, staircase edges and boundaries.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import LESSON_DATA

from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

tf = import_tensorflow()
import keras  # noqa: E402  (after the quiet import)

from lrtui.engine.trainer import Trainer  # noqa: E402

LR = 0.05
STEPS = np.arange(300)
DATA = LESSON_DATA


def lrs_used(method: Settings, steps: int = 300) -> np.ndarray:
    trainer = Trainer(DATA, "/CPU:0", LR, 0.0, -1.0, method=method)
    batch = trainer.run(steps)
    assert len(batch) == steps and not batch.diverged
    return batch.lr


def keras_lrs(schedule) -> np.ndarray:
    return np.array([float(schedule(int(step))) for step in STEPS])


CASES = {
    "step": (Settings(schedule="step", boundaries=(100, 150, 260), decay_rate=0.5),
             lambda: keras.optimizers.schedules.PiecewiseConstantDecay(
                 [100, 150, 260], [LR, LR * 0.5, LR * 0.25, LR * 0.125])),
    "exponential": (Settings(schedule="exponential", decay_steps=40, decay_rate=0.3),
                    lambda: keras.optimizers.schedules.ExponentialDecay(LR, 40, 0.3)),
    "exponential staircase": (
        Settings(schedule="exponential", decay_steps=40, decay_rate=0.3, staircase=True),
        lambda: keras.optimizers.schedules.ExponentialDecay(LR, 40, 0.3, staircase=True)),
    "inverse_time": (Settings(schedule="inverse_time", decay_steps=25, decay_rate=0.7),
                     lambda: keras.optimizers.schedules.InverseTimeDecay(LR, 25, 0.7)),
    "inverse_time staircase": (
        Settings(schedule="inverse_time", decay_steps=25, decay_rate=0.7, staircase=True),
        lambda: keras.optimizers.schedules.InverseTimeDecay(LR, 25, 0.7, staircase=True)),
    "cosine": (Settings(schedule="cosine", decay_steps=200, alpha=0.1),
               lambda: keras.optimizers.schedules.CosineDecay(LR, 200, alpha=0.1)),
    "cosine with warmup": (
        Settings(schedule="cosine", decay_steps=150, warmup_steps=60, alpha=0.05),
        lambda: keras.optimizers.schedules.CosineDecay(0.0, 150, alpha=0.05, warmup_target=LR,
                                                       warmup_steps=60)),
}


@pytest.mark.parametrize("name", CASES)
def test_schedule_equals_keras_schedule_class(name):
    method, keras_schedule = CASES[name]
    np.testing.assert_allclose(lrs_used(method), keras_lrs(keras_schedule()), rtol=2e-6, atol=1e-12)


def triangular(step: int, low: float, high: float, half: int) -> float:
    """Smith (2017), triangular policy: cycle = floor(1 + t/2h), x = |t/h − 2·cycle + 1|."""
    cycle = math.floor(1 + step / (2 * half))
    x = abs(step / half - 2 * cycle + 1)
    return low + (high - low) * max(0.0, 1 - x)


def test_cyclic_follows_the_triangular_formula():
    method = Settings(schedule="cyclic", cycle_steps=40, cycle_ratio=6.0)
    expected = [triangular(int(s), LR, 6 * LR, 40) for s in STEPS]
    used = lrs_used(method)
    np.testing.assert_allclose(used, expected, rtol=2e-6)
    assert used.max() == pytest.approx(6 * LR) and used[80] == pytest.approx(LR)


def plateau_lrs(losses, lr, patience, factor, min_delta):
    """Reduce-on-plateau per step, written out: the lr each step uses after seeing its loss."""
    best, wait, scale, out = math.inf, 0, 1.0, []
    for loss in losses:
        if loss < best * (1 - min_delta):
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                scale, wait = scale * factor, 0
        out.append(lr * scale)
    return np.array(out)


def test_plateau_drops_the_lr_after_patience_steps_without_improvement():
    # lr 0.7 is above 1/λmax on this data: the loss zig-zags, so plateaus happen.
    method = Settings(schedule="plateau", patience=5, decay_rate=0.5, min_delta=0.01)
    trainer = Trainer(DATA, "/CPU:0", 0.7, 0.0, -1.0, method=method)
    batch = trainer.run(300)
    # The rule is applied to the float32 losses the chunk computed.
    expected = plateau_lrs(batch.loss.astype(np.float32), 0.7, 5, 0.5, 0.01)
    np.testing.assert_allclose(batch.lr, expected, rtol=2e-6)
    assert batch.lr[-1] < 0.7, "no drop happened: the test shows nothing"
    # A reset starts the schedule over at full lr.
    trainer.reset(0.0, -1.0)
    assert trainer.run(1).lr[0] == pytest.approx(0.7)


def test_a_manual_lr_change_rescales_the_schedule_without_retrace():
    method = Settings(schedule="cosine", decay_steps=200, warmup_steps=20)
    trainer = Trainer(DATA, "/CPU:0", LR, 0.0, -1.0, method=method)
    first = trainer.run(100)
    traces = trainer.traces
    trainer.set_learning_rate(3 * LR)
    second = trainer.run(100)
    assert trainer.traces == traces
    shape = keras_lrs(keras.optimizers.schedules.CosineDecay(
        0.0, 200, warmup_target=1.0, warmup_steps=20))
    np.testing.assert_allclose(first.lr, LR * shape[:100], rtol=2e-6, atol=1e-12)
    np.testing.assert_allclose(second.lr, 3 * LR * shape[100:200], rtol=2e-6, atol=1e-12)
    assert list(second.step) == list(range(100, 200))


def test_the_run_says_that_a_manual_change_rescales_the_schedule():
    from lrtui.engine.device import DeviceChoice
    from lrtui.engine.run import Run

    run = Run(Settings(schedule="exponential", decay_steps=10, decay_rate=0.5), DeviceChoice("/CPU:0"))
    run.advance(20)
    run.set_learning_rate(0.2, "doubled")
    _, events = run.drain()
    assert any("exponential schedule scales by 2" in e.text for e in events), events
    batch = run.advance(1)
    assert batch.lr[0] == pytest.approx(0.2 * 0.5 ** 2.0, rel=1e-6)
