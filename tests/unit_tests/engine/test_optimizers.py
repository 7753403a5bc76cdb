"""The Keras optimizers inside the compiled chunk, against their update rules in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from support import LESSON_DATA

from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import OPTIMIZERS, Settings

tf = import_tensorflow()
import keras  # noqa: E402

from lrtui.engine.optimizers import make_optimizer  # noqa: E402
from lrtui.engine.trainer import Trainer  # noqa: E402

DATA = LESSON_DATA
X = DATA.x.astype(np.float64)
Y = DATA.y.astype(np.float64)


def gradient(theta):
    error = theta[0] * X + theta[1] - Y
    return np.mean(error**2), np.array([2 * np.mean(error * X), 2 * np.mean(error)])


def numpy_momentum(lrs, mu, nesterov=False):
    """v ← μ·v − lr·g; w ← w + v (Nesterov: w ← w + μ·v − lr·g)."""
    theta, velocity, path = np.array([0.0, -1.0]), np.zeros(2), []
    for lr in lrs:
        path.append(theta.copy())
        _, g = gradient(theta)
        velocity = mu * velocity - lr * g
        theta = theta + (mu * velocity - lr * g if nesterov else velocity)
    return np.array(path), theta


def numpy_adam(lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Kingma & Ba: m, v running moments; step lr·√(1−β2^t)/(1−β1^t)·m/(√v + ε)."""
    theta, m, v, path = np.array([0.0, -1.0]), np.zeros(2), np.zeros(2), []
    for t, lr in enumerate(lrs, start=1):
        path.append(theta.copy())
        _, g = gradient(theta)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        theta = theta - lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)
    return np.array(path), theta


def trajectory(method: Settings, lrs: list[float]):
    """Run the trainer with the lr changed wherever `lrs` changes; (w, b) each step starts from."""
    trainer = Trainer(DATA, "/CPU:0", lrs[0], 0.0, -1.0, method=method)
    batches, start = [], 0
    for end in [i for i in range(1, len(lrs)) if lrs[i] != lrs[i - 1]] + [len(lrs)]:
        trainer.set_learning_rate(lrs[start])
        batches.append(trainer.run(end - start))
        start = end
    path = np.concatenate([np.column_stack([b.w, b.b]) for b in batches])
    used = np.concatenate([b.lr for b in batches])
    return path, np.array(trainer.weights()), used


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_200_steps_equal_numpy(nesterov):
    lrs = [0.05] * 200
    name = "nesterov" if nesterov else "momentum"
    path, final, _ = trajectory(Settings(optimizer=name, momentum=0.8), lrs)
    want_path, want_final = numpy_momentum(lrs, 0.8, nesterov)
    np.testing.assert_allclose(path, want_path, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(final, want_final, rtol=1e-4, atol=1e-5)


def test_adam_200_steps_equal_numpy():
    lrs = [0.05] * 200
    path, final, _ = trajectory(Settings(optimizer="adam", beta_1=0.8, beta_2=0.99), lrs)
    want_path, want_final = numpy_adam(lrs, 0.8, 0.99)
    np.testing.assert_allclose(path, want_path, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(final, want_final, rtol=1e-4, atol=1e-5)


def test_lr_change_mid_run_applies_from_the_next_step_for_momentum_and_adam():
    lrs = [0.05] * 60 + [0.01] * 80 + [0.08] * 60
    path, _, used = trajectory(Settings(optimizer="momentum", momentum=0.9), lrs)
    np.testing.assert_allclose(path, numpy_momentum(lrs, 0.9)[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(used, lrs, rtol=1e-6)
    path, _, used = trajectory(Settings(optimizer="adam"), lrs)
    np.testing.assert_allclose(path, numpy_adam(lrs)[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(used, lrs, rtol=1e-6)


def eager_keras(method: Settings, lrs: list[float]):
    """The same Keras optimizer stepped eagerly from Python, one call per step."""
    w, b = tf.Variable(0.0), tf.Variable(-1.0)
    optimizer = make_optimizer(method, lrs[0])
    x, y = tf.constant(DATA.x), tf.constant(DATA.y)
    path = []
    for lr in lrs:
        path.append((float(w.numpy()), float(b.numpy())))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        grads = tape.gradient(loss, [w, b])
        optimizer.learning_rate.assign(lr)
        optimizer.apply_gradients(zip(grads, [w, b]))
    return np.array(path)


@pytest.mark.parametrize("name", [o for o in OPTIMIZERS if o != "gd"])
def test_lr_change_mid_run_applies_from_the_next_step_for_every_optimizer(name):
    method = Settings(optimizer=name)
    lrs = [0.02] * 40 + [0.1] * 40
    path, _, used = trajectory(method, lrs)
    np.testing.assert_allclose(used, lrs, rtol=1e-6)
    np.testing.assert_allclose(path, eager_keras(method, lrs), rtol=1e-4, atol=1e-5)
    # The step after the change is the first to move differently from a run that kept 0.02.
    kept, _, _ = trajectory(method, [0.02] * 80)
    np.testing.assert_allclose(path[:41], kept[:41], rtol=1e-6)
    assert not np.allclose(path[41], kept[41], rtol=1e-6, atol=0)


def test_reset_restarts_the_optimizer_state():
    trainer = Trainer(DATA, "/CPU:0", 0.05, 0.0, -1.0, method=Settings(optimizer="adam"))
    first = trainer.run(100)
    trainer.reset(0.0, -1.0)
    again = trainer.run(100)
    np.testing.assert_array_equal(first.w, again.w)
    np.testing.assert_array_equal(first.loss, again.loss)


def test_changing_the_lr_does_not_retrace_any_optimizer():
    for name in OPTIMIZERS:
        trainer = Trainer(DATA, "/CPU:0", 0.05, 0.0, -1.0, method=Settings(optimizer=name))
        trainer.run(10)
        traces = trainer.traces
        for lr in (0.01, 0.2, 0.003):
            trainer.set_learning_rate(lr)
            assert trainer.run(10).lr[-1] == pytest.approx(lr)
        assert trainer.traces == traces, name


def test_keras_3_has_no_lr_alias():
    """The reason the trainer assigns optimizer.learning_rate: `lr` is gone in Keras 3."""
    optimizer = keras.optimizers.Adam(0.1)
    assert not hasattr(optimizer, "lr")
