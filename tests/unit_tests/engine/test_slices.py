"""The slices of a model's loss: its Hessian, the plane along the top two eigenvectors, the line.

The Hessian is checked against what is known exactly (2/n·VᵀV for poly, the
theory's for the line, XᵀSX/n for the logistic loss) and against central
differences of the float64 numpy gradients (tests/numpy_models.py) for the
network; its top eigenvalue against the run's own sharpness; the pictures
against the run they are cut through.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy_models import hessian_by_differences, numpy_mlp, reference, sigmoid
from support import CPU

from lrtui.engine.blackboard import model_directions, regime
from lrtui.engine.datasets import classes, sine, z_score
from lrtui.engine.history import ParameterTrail
from lrtui.engine.models import make_model
from lrtui.engine.plane import levels, project, refined
from lrtui.engine.quadratic import hessian as poly_hessian
from lrtui.engine.records import RECENT_STEPS
from lrtui.engine.run import Run
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings
from lrtui.settings.presets import preset_values

import_tensorflow()
from lrtui.engine.hessian import LossProbe, lanczos  # noqa: E402  (after the quiet import)
from lrtui.engine.slices import Slicer  # noqa: E402

SAVED = Path(__file__).parent / "data" / "mlp_sine_step3000.json"
SINE = sine(64, 0.0, 0)
MOONS = classes("moons", 96, 0.1, 1)
X03 = np.random.default_rng(0).uniform(0, 3, 100).astype(np.float32)
Y03 = (0.1 * X03 + 0.5 + np.random.default_rng(1).normal(0, 0.1, 100)).astype(np.float32)
EDGE = Settings().with_(**preset_values("edge-of-stability"))


def saved_mlp():
    """The edge-of-stability network at step 3,000, where its sharpness is about 2/lr = 20."""
    mlp = make_model("mlp", 1, hidden=16)
    return mlp, mlp.from_named(json.loads(SAVED.read_text())).astype(np.float64)


# -- the Hessian ---------------------------------------------------------------------------

@pytest.mark.parametrize("degree", [1, 3, 5])
@pytest.mark.parametrize("scaled", [False, True])
def test_the_hessian_of_poly_is_2_over_n_vtv(degree, scaled):
    x = z_score(X03).astype(np.float32) if scaled else X03
    poly = make_model("poly", 1, degree=degree)
    theta = np.random.default_rng(degree).normal(0, 1, poly.size)
    got = LossProbe(poly, x, Y03).hessian(theta)
    exact = poly_hessian(x, degree)
    np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-9 * np.abs(exact).max())


def test_the_hessian_of_the_line_is_the_theorys():
    got = LossProbe(make_model("line", 1), X03, Y03).hessian(np.array([0.3, -1.0]))
    np.testing.assert_allclose(got, theory_of(X03, Y03).hessian(), rtol=1e-12)


def test_the_hessian_of_the_logistic_loss_is_xtsx_over_n():
    logistic = make_model("logistic", 2)
    design = np.c_[MOONS.x.astype(np.float64), np.ones(MOONS.n)]  # columns x1, x2, 1
    probe = LossProbe(logistic, MOONS.x, MOONS.y)
    for theta in ([0.0, 0.0, 0.0], [1.5, -2.0, 0.3]):
        p = sigmoid(design @ np.asarray(theta))
        exact = design.T @ (design * (p * (1 - p))[:, None]) / MOONS.n
        np.testing.assert_allclose(probe.hessian(np.asarray(theta)), exact, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("inputs", [1, 2])
def test_the_hessian_of_a_network_is_the_finite_difference_hessian(inputs):
    if inputs == 1:
        mlp, theta = saved_mlp()
        data = SINE
    else:
        mlp = make_model("mlp", 2, hidden=6)
        theta = mlp.initial(4).astype(np.float64)
        data = MOONS

    def gradient(t):
        return numpy_mlp(t, data.x.astype(np.float64), data.y.astype(np.float64), inputs,
                         mlp.hidden, "tanh")[1]

    expected = hessian_by_differences(gradient, theta)
    got = LossProbe(mlp, data.x, data.y).hessian(theta)
    np.testing.assert_allclose(got, expected, atol=1e-6 * np.abs(expected).max())
    np.testing.assert_allclose(got, got.T, atol=0)


def test_lanczos_finds_the_extreme_eigenpairs_that_eigh_finds():
    """Above EXACT_LIMIT parameters the matrix is not formed: Lanczos on products instead."""
    mlp, theta = saved_mlp()
    probe = LossProbe(mlp, SINE.x, SINE.y)
    exact = probe.eigen(theta)
    approximate = probe.eigen(theta, exact_limit=0)
    assert exact.exact and not approximate.exact and approximate.hessian is None
    assert approximate.how == "Lanczos, 48 products"
    for pick in ("steep", "second"):
        (value, vector), (want, wanted) = getattr(approximate, pick), getattr(exact, pick)
        assert value == pytest.approx(want, rel=1e-8)
        assert abs(vector @ wanted) == pytest.approx(1.0, abs=1e-8)
    assert approximate.shallow[0] == pytest.approx(exact.shallow[0], rel=1e-6)
    # 48 products on a whole space of 20: the Krylov space is whole, every pair exact.
    small = np.diag(np.arange(1.0, 21.0))
    values, _ = lanczos(lambda v: small @ v, 20, 48)
    np.testing.assert_allclose(values, np.arange(1.0, 21.0), rtol=1e-10)


def test_eigenvectors_keep_their_sign_from_one_picture_to_the_next():
    mlp, theta = saved_mlp()
    probe = LossProbe(mlp, SINE.x, SINE.y)
    first = probe.eigen(theta)
    flipped = type(first)(first.values, -first.vectors, True, first.hessian)
    again = probe.eigen(theta + 1e-4, flipped)
    assert again.steep[1] @ flipped.steep[1] > 0.99 and again.second[1] @ flipped.second[1] > 0.99


def test_the_top_eigenvalue_is_the_runs_measured_sharpness():
    run = Run(EDGE, CPU, sharpness_default=10)
    run.advance(1500)
    slicer = Slicer(run.model, run.dataset)
    steep, _ = slicer.directions_at(run.trainer.theta_now()).steep
    assert steep == pytest.approx(run.trainer.measure_sharpness(), rel=1e-3)
    assert steep == pytest.approx(run.sharpness, rel=2e-2)  # the warm estimate, a few steps old


# -- the blackboard's line -------------------------------------------------------------------

@pytest.mark.parametrize("case", ["mlp", "logistic", "poly"])
def test_the_slice_curvature_is_uthu_for_every_direction(case):
    if case == "mlp":
        model, theta = saved_mlp()
        data = SINE
    elif case == "logistic":
        model, theta, data = make_model("logistic", 2), np.array([1.5, -2.0, 0.3]), MOONS
    else:
        model, data = make_model("poly", 1, degree=3), sine(64, 0.1, 0)
        theta = np.array([0.1, 0.9, 0.0, -0.2])
    slicer = Slicer(model, data)
    hessian = slicer.probe.hessian(theta)
    eigenvalues, vectors = np.linalg.eigh(hessian)
    assert slicer.directions == model_directions(model)
    for name in slicer.directions:
        cut = slicer.line(theta, name, theta[None])
        if name in ("steep", "shallow"):
            unit = vectors[:, -1 if name == "steep" else 0]
            assert cut.curvature == pytest.approx(eigenvalues[-1 if name == "steep" else 0],
                                                  rel=1e-8, abs=1e-12)
            assert cut.base is None
        else:
            index = list(n for p in model.parameters for n in [p.name] * p.size).index(name)
            unit = np.eye(model.size)[index]
            assert cut.base == theta[index] and name in cut.meaning
        assert cut.curvature == pytest.approx(unit @ hessian @ unit, rel=1e-8, abs=1e-12)
        # Through θ: the drawn curve at offset 0 is the loss there.
        here = reference(model, theta, data.x, data.y)[0]
        assert np.interp(0.0, cut.offset, cut.loss) == pytest.approx(here, rel=1e-3)
        # The drawn curve bends as uᵀHu says near θ: a parabola fitted to its middle points.
        middle = np.abs(cut.offset) <= 0.1 * np.ptp(cut.offset)
        if middle.sum() >= 5 and cut.curvature > 1e-6:
            fitted = 2 * np.polyfit(cut.offset[middle], cut.loss[middle], 2)[0]
            assert fitted == pytest.approx(cut.curvature, rel=0.05)


def test_poly_steps_along_the_steep_direction_are_exactly_a_1d_gradient_descent():
    settings = Settings(model="poly", degree=2, dataset="sine", n=64, noise=0.1)
    run = Run(settings, CPU)
    lr = 1.9 / run.theory.lambda_max  # between 1/λ and 2/λ: every step jumps across
    run.set_learning_rate(lr)
    run.advance(RECENT_STEPS + 3)
    snap = run.snapshot()
    assert len(snap.recent_theta) == RECENT_STEPS + 1
    cut = Slicer(run.model, run.dataset).line(snap.theta, "steep", snap.recent_theta)
    assert cut.curvature == pytest.approx(run.theory.lambda_max, rel=1e-6)
    around = cut.steps_offset - cut.bottom
    np.testing.assert_allclose(around[1:], (1 - lr * cut.curvature) * around[:-1], rtol=2e-3,
                               atol=1e-6 * np.abs(around).max())
    assert np.all(np.sign(around[1:]) != np.sign(around[:-1]))
    assert cut.regime(lr) == regime(lr, cut.curvature) == "jumps across and back"


def test_a_networks_last_steps_are_the_steps_it_took():
    model = make_model("mlp", 1, hidden=16)
    run = Run(Settings(model="mlp", dataset="sine", n=64, noise=0.0, learning_rate=0.1), CPU)
    theta = model.initial(run.settings.init_seed).astype(np.float64)
    walked = [theta]
    for _ in range(20):
        theta = theta - 0.1 * reference(model, theta, run.dataset.x, run.dataset.y)[1]
        walked.append(theta)
    run.advance(3)
    np.testing.assert_allclose(run.snapshot().recent_theta, walked[:4], rtol=1e-4, atol=1e-6)
    run.advance(17)  # past RECENT_STEPS: the last dozen, the current θ last
    snap = run.snapshot()
    np.testing.assert_allclose(snap.recent_theta, walked[-RECENT_STEPS - 1:], rtol=1e-4, atol=1e-5)
    assert snap.recent_w is None and snap.trail.step.tolist() == [0, 3, 20]
    run.reset()
    snap = run.snapshot()
    assert len(snap.recent_theta) == 1 and snap.trail.step.tolist() == [0]


def test_the_last_steps_survive_a_batch_of_several_chunks():
    model = make_model("mlp", 1, hidden=4)
    from lrtui.engine.trainer import CAPACITIES, Trainer

    trainer = Trainer(SINE, "/CPU:0", 0.05, 0.0, 0.0, model=model, initial=model.initial(0))
    count = CAPACITIES[-1] + 5  # two chunks: the last holds 5 steps, the first the other 7
    batch = trainer.run(count)
    steps, thetas = batch.recent()
    assert steps.tolist() == list(range(count - RECENT_STEPS, count))
    again = Trainer(SINE, "/CPU:0", 0.05, 0.0, 0.0, model=model, initial=model.initial(0))
    again.run(count - 1)
    # The last step started from θ after count − 1 steps.
    np.testing.assert_allclose(thetas[-1], again.run(1).recent_theta[0], rtol=1e-6, atol=1e-7)


# -- the landscape's plane --------------------------------------------------------------------

@pytest.mark.parametrize("case", ["mlp", "logistic"])
def test_the_plane_is_centred_on_the_runs_loss_and_its_points_are_the_models_loss(case):
    settings = EDGE if case == "mlp" else Settings(model="logistic", dataset="moons")
    run = Run(settings, CPU)
    for _ in range(5):
        run.advance(40)
    snap = run.snapshot()
    thetas = snap.trail.matrix()[:-1]
    picture = Slicer(run.model, run.dataset).plane(snap.theta, thetas, snap.trail.step[:-1],
                                                   snap.step, 0)
    assert picture.loss_here == pytest.approx(run.current_loss(), rel=1e-5)
    assert picture.parameters == run.model.size and picture.how == "exact Hessian"
    eigen = Slicer(run.model, run.dataset).directions_at(snap.theta)
    assert picture.curvatures == pytest.approx((eigen.values[-1], eigen.values[-2]), rel=1e-9)
    # The path ends at the centre; each earlier θ sits at its projection onto u1 and u2.
    assert (picture.path_a[-1], picture.path_c[-1]) == (0.0, 0.0)
    (_, u1), (_, u2) = eigen.steep, eigen.second
    a, c = project(thetas, snap.theta, u1, u2)
    np.testing.assert_allclose(picture.path_a[:-1], a, atol=1e-9)
    np.testing.assert_allclose(picture.path_c[:-1], c, atol=1e-9)
    assert picture.path_step.tolist() == snap.trail.step.tolist()
    # A grid point (a, c) holds the loss at θ + a·u1 + c·u2, by the numpy model.
    grid = picture.grid
    for row, column in ((0, 0), (len(grid.b) // 2, len(grid.w) // 3), (-1, -1)):
        at = snap.theta + grid.w[column] * u1 + grid.b[row] * u2
        expected = reference(run.model, at, run.dataset.x, run.dataset.y)[0]
        assert grid.loss[row, column] == pytest.approx(expected, rel=1e-9)
    # The centre is in the frame, and the loss there is the run's (interpolated on the grid).
    a0, a1, c0, c1 = picture.box
    assert a0 < 0 < a1 and c0 < 0 < c1
    middle = refined(grid, 401, 401)
    centre = middle.loss[np.argmin(np.abs(middle.b)), np.argmin(np.abs(middle.w))]
    assert centre == pytest.approx(run.current_loss(), rel=0.05)
    assert len(levels(grid)) == 6 and levels(grid)[0] < grid.loss.max()


def test_the_trail_stays_bounded_keeps_the_start_and_the_newest():
    trail = ParameterTrail(capacity=16)
    for step in range(0, 10_000, 7):
        trail.add(step, np.full(3, float(step)))
    view = trail.view()
    assert len(view.step) <= 16 and view.step[0] == 0 and view.step[-1] == 9996
    assert np.all(np.diff(view.step) > 0)
    np.testing.assert_array_equal(view.matrix()[:, 0], view.step)
    assert not view.thetas[0].flags.writeable  # shared with every frame, never written to
