"""The blackboard slice: a parabola whose curvature is the Hessian's entry for its direction."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.engine.blackboard import DIRECTIONS, loss_slice
from lrtui.engine.run import make_dataset
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings

DATA = make_dataset(Settings())
THEORY = theory_of(DATA.x, DATA.y)


def data_hessian() -> np.ndarray:
    """2/n·VᵀV from the points themselves, V = [x, 1]."""
    design = np.stack([DATA.x.astype(np.float64), np.ones(DATA.n)], axis=1)
    return 2.0 / DATA.n * design.T @ design


def gd_path(learning_rate: float, steps: int, w: float = 0.0, b: float = -1.0):
    x, y = DATA.x.astype(np.float64), DATA.y.astype(np.float64)
    ws, bs = [w], [b]
    for _ in range(steps):
        residual = w * x + b - y
        w, b = w - learning_rate * np.mean(2 * residual * x), b - learning_rate * np.mean(2 * residual)
        ws.append(w)
        bs.append(b)
    return np.array(ws), np.array(bs)


@pytest.mark.parametrize("name", DIRECTIONS)
def test_the_slice_curvature_is_the_hessians_entry_for_its_direction(name):
    H = data_hessian()
    expected = {"w": H[0, 0], "b": H[1, 1], "steep": np.linalg.eigvalsh(H)[1],
                "shallow": np.linalg.eigvalsh(H)[0]}[name]
    cut = loss_slice(THEORY, 0.3, -0.7, name)
    assert cut.curvature == pytest.approx(expected, rel=1e-9)
    # Measured on the drawn curve itself: its second difference, and a parabola fitted to it.
    step = cut.offset[1] - cut.offset[0]
    second = np.diff(cut.loss, 2) / step ** 2
    assert np.allclose(second, expected, rtol=1e-5)
    assert np.polyfit(cut.offset, cut.loss, 2)[0] * 2 == pytest.approx(expected, rel=1e-6)
    # Through the current point: offset 0 is the loss there, the bottom is the slice's lowest point.
    here = np.mean((0.3 * DATA.x.astype(np.float64) - 0.7 - DATA.y) ** 2)
    assert np.interp(0.0, cut.offset, cut.loss) == pytest.approx(here, rel=1e-3)
    assert cut.offset[np.argmin(cut.loss)] == pytest.approx(cut.bottom, abs=2 * step)
    assert cut.lr_max == pytest.approx(2 / expected)


def test_along_the_steep_direction_the_steps_are_exactly_a_1d_gradient_descent():
    lr = 0.6  # above 1/λmax: each step jumps across the bottom
    ws, bs = gd_path(lr, 12)
    cut = loss_slice(THEORY, ws[-1], bs[-1], "steep", ws, bs)
    around_bottom = cut.steps_offset - cut.bottom
    factor = 1 - lr * cut.curvature
    np.testing.assert_allclose(around_bottom[1:], factor * around_bottom[:-1], rtol=1e-9, atol=1e-12)
    assert np.all(np.sign(around_bottom[1:]) != np.sign(around_bottom[:-1])), "jumps across"
    assert cut.regime(lr) == "jumps across and back"
    assert cut.steps_loss == pytest.approx(np.interp(cut.steps_offset, cut.offset, cut.loss), rel=1e-2)


@pytest.mark.parametrize("lr, words", [(0.001, "creeps down one side"), (0.3, "lands near the bottom"),
                                        (0.6, "jumps across and back"), (0.9, "climbs out")])
def test_the_lessons_lrs_in_the_lessons_words(lr, words):
    cut = loss_slice(THEORY, 0.0, -1.0, "steep")
    assert cut.lr_max == pytest.approx(THEORY.lr_max)
    assert cut.regime(lr) == words


def test_a_climbing_run_stays_in_the_frame():
    ws, bs = gd_path(0.9, 30)
    cut = loss_slice(THEORY, ws[-1], bs[-1], "b", ws[-8:], bs[-8:])
    assert cut.offset[0] <= cut.steps_offset.min() and cut.steps_offset.max() <= cut.offset[-1]
    assert np.all(np.isfinite(cut.loss))


def test_a_runs_frames_carry_its_last_steps_for_the_blackboard():
    from support import CPU

    from lrtui.engine.run import RECENT_STEPS, Run
    from lrtui.engine.startup import import_tensorflow

    import_tensorflow()
    run = Run(Settings(learning_rate=0.6), CPU)
    run.advance(5)
    snap = run.snapshot()
    ws, bs = gd_path(0.6, 5)
    np.testing.assert_allclose(snap.recent_w, ws, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(snap.recent_b, bs, rtol=1e-5, atol=1e-6)
    run.advance(40)
    snap = run.snapshot()
    assert len(snap.recent_w) == RECENT_STEPS + 1 and snap.recent_w[-1] == snap.w
    run.reset()
    assert list(run.snapshot().recent_b) == [-1.0]
