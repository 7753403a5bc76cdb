"""Mini-batch steps: each epoch's batches partition the points, reshuffled each epoch, from the seed."""

from __future__ import annotations

import numpy as np
import pytest
from support import LESSON_DATA

from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

import_tensorflow()
from lrtui.engine.trainer import Trainer  # noqa: E402

DATA = LESSON_DATA


def full_loss_and_grads(w, b):
    x, y = DATA.x.astype(np.float64), DATA.y.astype(np.float64)
    error = w * x + b - y
    return np.mean(error**2), 2 * np.mean(error * x), 2 * np.mean(error)


def test_each_epoch_of_batches_covers_every_point_once():
    # An lr so small that the weights do not move: every batch is measured at the same point,
    # so the mean of one epoch's 10 batch losses is the full-batch loss only if the
    # batches split the 100 points into disjoint tens.
    trainer = Trainer(DATA, "/CPU:0", 1e-10, 0.0, -1.0, method=Settings(batch_size=10))
    batch = trainer.run(30)
    loss, dw, db = full_loss_and_grads(0.0, -1.0)
    for epoch in range(3):
        part = slice(10 * epoch, 10 * epoch + 10)
        assert np.mean(batch.loss[part]) == pytest.approx(loss, rel=1e-5)
        assert np.mean(batch.dw[part]) == pytest.approx(dw, rel=1e-5)
        assert np.mean(batch.db[part]) == pytest.approx(db, rel=1e-5)
    # Batches differ from each other and the order changes from one epoch to the next.
    assert len(set(np.round(batch.loss[:10], 6))) > 5
    assert not np.allclose(batch.loss[:10], batch.loss[10:20])


def test_same_seed_same_batches_other_seed_other_batches():
    method = Settings(batch_size=16)
    trainer = Trainer(DATA, "/CPU:0", 0.1, 0.0, -1.0, method=method)
    first = trainer.run(50)
    trainer.reset(0.0, -1.0)
    np.testing.assert_array_equal(trainer.run(50).loss, first.loss)
    trainer.configure(method.with_(seed=7))
    trainer.reset(0.0, -1.0)
    assert not np.allclose(trainer.run(50).loss, first.loss)


def test_small_batches_make_the_loss_curve_noisy():
    full = Trainer(DATA, "/CPU:0", 0.3, 0.0, -1.0).run(400).loss
    small = Trainer(DATA, "/CPU:0", 0.3, 0.0, -1.0, method=Settings(batch_size=4)).run(400).loss
    # Full-batch GD below 1/λmax never goes up; mini-batch losses jump up and down.
    assert np.all(np.diff(full) <= 1e-7)
    assert np.sum(np.diff(small[100:]) > 0) > 50


def test_a_batch_as_large_as_the_data_is_plain_gradient_descent():
    full = Trainer(DATA, "/CPU:0", 0.1, 0.0, -1.0).run(100)
    same = Trainer(DATA, "/CPU:0", 0.1, 0.0, -1.0, method=Settings(batch_size=100)).run(100)
    np.testing.assert_array_equal(full.w, same.w)


def numpy_epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The documented recipe, written independently with Python integers: a 32-bit
    xor-shift-multiply hash of (seed, epoch, index), the points in the order of their hashes."""
    def mix(x: int) -> int:
        for _ in range(2):
            x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
        return (x >> 16) ^ x

    base = mix(mix(seed & 0xFFFFFFFF) ^ (epoch & 0xFFFFFFFF))
    keys = [mix((base + i) & 0xFFFFFFFF) for i in range(n)]
    return np.argsort(np.asarray(keys, np.int64), kind="stable")


@pytest.mark.parametrize("jit", [True, False], ids=["xla", "no-xla"])
def test_an_epochs_order_is_a_function_of_the_seed_alone(jit):
    import tensorflow as tf

    from lrtui.engine.shuffle import epoch_order

    order = tf.function(epoch_order, jit_compile=jit)
    for seed, epoch, n in ((0, 0, 100), (0, 1, 100), (7, 3, 1000), (2**32 - 1, 12345, 37)):
        got = order(tf.constant(seed, tf.int64), tf.constant(epoch, tf.int64), n).numpy()
        np.testing.assert_array_equal(got, numpy_epoch_order(seed, epoch, n),
                                      err_msg=f"seed {seed} epoch {epoch} n {n}")
    assert sorted(got) == list(range(37)), "a permutation"


def test_the_same_batches_with_and_without_xla():
    # The trainer's compile fallback (no XLA) must visit the points in the same order:
    # the losses then agree to float32 rounding (XLA fuses the mean differently).
    method = Settings(batch_size=10)
    runs = [Trainer(DATA, "/CPU:0", 0.1, 0.0, -1.0, jit=jit, method=method).run(200)
            for jit in (True, False)]
    np.testing.assert_allclose(runs[0].loss, runs[1].loss, rtol=1e-5)
    np.testing.assert_allclose(runs[0].w, runs[1].w, rtol=1e-5, atol=1e-7)
