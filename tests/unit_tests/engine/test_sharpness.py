"""The sharpness estimate against exact Hessians computed in float64 numpy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy_models import hessian_by_differences, numpy_mlp, sigmoid

from lrtui.engine.datasets import classes, sine, z_score
from lrtui.engine.models import make_model
from lrtui.engine.quadratic import curvature, feature_scaling, hessian
from lrtui.engine.startup import import_tensorflow

tf = import_tensorflow()
from lrtui.engine.sharpness import COLD_ITERATIONS, WARM_ITERATIONS, start_vector, top_eigenvalue  # noqa: E402

SAVED = Path(__file__).parent / "data" / "mlp_sine_step3000.json"
X03 = np.random.default_rng(0).uniform(0, 3, 100).astype(np.float32)  # x uniform in [0, 3]
Y03 = (0.1 * X03 + 0.5 + np.random.default_rng(1).normal(0, 0.1, 100)).astype(np.float32)


def sharpness(model, theta, x, y, iterations=300, lanes=()):
    """The estimate from a cold start with plenty of iterations: a float, or one per lane."""
    theta = tf.constant(np.asarray(theta, np.float32))
    value, _ = top_eigenvalue(lambda t: model.loss_flat(t, x, y), theta,
                              start_vector(list(lanes) + [model.size]), tf.constant(iterations))
    return value.numpy() if lanes else float(value)


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
@pytest.mark.parametrize("scaled", [False, True])
def test_poly_sharpness_is_the_exact_largest_eigenvalue(degree, scaled):
    x = z_score(X03).astype(np.float32) if scaled else X03
    model = make_model("poly", 1, degree=degree)
    exact = np.linalg.eigvalsh(hessian(x, degree))[-1]
    theta = np.random.default_rng(degree).normal(0, 1, model.size)
    assert sharpness(model, theta, x, Y03) == pytest.approx(exact, rel=1e-4)


def test_line_sharpness_is_the_theorys_lambda_max():
    from lrtui.engine.theory import theory_of

    line = make_model("line", 1)
    got = sharpness(line, [0.0, -1.0], X03, Y03)
    assert got == pytest.approx(theory_of(X03, Y03).lambda_max, rel=1e-5)
    assert got == pytest.approx(curvature(X03, 1).lambda_max, rel=1e-5)


def test_mlp_sharpness_matches_a_finite_difference_hessian_at_saved_parameters():
    """Parameters saved from the edge-of-stability run (64 points of sin(2x), 1-16-1 tanh,
    lr 0.1) at step 3,000, where the sharpness has risen to about 2/lr = 20."""
    data = sine(64, 0.0, 0)
    mlp = make_model("mlp", 1, hidden=16)
    theta = mlp.from_named(json.loads(SAVED.read_text()))

    def gradient(t):
        return numpy_mlp(t, data.x, data.y, 1, 16, "tanh")[1]

    exact = np.linalg.eigvalsh(hessian_by_differences(gradient, theta))
    assert 15 < exact[-1] < 25
    assert sharpness(mlp, theta, data.x, data.y) == pytest.approx(exact[-1], rel=1e-3)


def test_logistic_sharpness_is_exact_and_at_most_a_quarter_of_the_data_bound():
    data = classes("moons", 200, 0.1, 0)
    logistic = make_model("logistic", 2)
    design = np.c_[data.x.astype(np.float64), np.ones(200)]  # columns x1, x2, 1 (w1, w2, b)
    bound = np.linalg.eigvalsh(design.T @ design / 200)[-1] / 4
    for theta in ([0, 0, 0], [1.5, -2.0, 0.3], [5.0, 5.0, -1.0]):
        p = sigmoid(design @ np.asarray(theta, np.float64))
        exact = np.linalg.eigvalsh(design.T @ (design * (p * (1 - p))[:, None]) / 200)[-1]
        got = sharpness(logistic, theta, data.x, data.y)
        assert got == pytest.approx(exact, rel=1e-4)
        assert got <= bound * (1 + 1e-5)
    # At zero weights every p is 1/2: the bound is reached.
    assert sharpness(logistic, [0, 0, 0], data.x, data.y) == pytest.approx(bound, rel=1e-4)


def test_a_dominant_negative_eigenvalue_still_gives_the_top_one():
    """Power iteration alone would find −10 here; the shifted pass finds 3."""
    a = np.diag([-10.0, 3.0, 1.0]).astype(np.float32)
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    a = (rotation @ a @ rotation.T).astype(np.float32)

    def loss_of(theta):
        return 0.5 * tf.reduce_sum(theta * tf.linalg.matvec(a, theta), axis=-1)

    value, vector = top_eigenvalue(loss_of, tf.zeros([3]), start_vector([3]), tf.constant(200))
    assert float(value) == pytest.approx(3.0, rel=1e-4)
    np.testing.assert_allclose(np.abs(vector.numpy()), np.abs(rotation[:, 1]), atol=1e-3)


def test_each_lane_gets_its_own_sharpness():
    data = sine(64, 0.0, 0)
    mlp = make_model("mlp", 1, hidden=8)
    thetas = np.stack([mlp.initial(k) for k in range(3)])
    together = sharpness(mlp, thetas, data.x, data.y, lanes=[3])
    assert together.shape == (3,)
    for k in range(3):
        alone = sharpness(mlp, thetas[k], data.x, data.y)
        assert together[k] == pytest.approx(alone, rel=1e-3)
    assert len(set(np.round(together, 4))) == 3


def test_a_warm_start_needs_only_a_few_iterations():
    model = make_model("poly", 1, degree=3)
    x = z_score(X03).astype(np.float32)
    exact = np.linalg.eigvalsh(hessian(x, 3))[-1]
    loss_of = lambda t: model.loss_flat(t, x, Y03)  # noqa: E731
    theta = tf.zeros([4])
    cold, vector = top_eigenvalue(loss_of, theta, start_vector([4]), tf.constant(COLD_ITERATIONS))
    warm, _ = top_eigenvalue(loss_of, theta, vector, tf.constant(WARM_ITERATIONS))
    assert float(cold) == pytest.approx(exact, rel=1e-4)
    assert float(warm) == pytest.approx(exact, rel=1e-5)


def test_it_runs_inside_an_xla_compiled_loop():
    data = sine(64, 0.0, 0)
    mlp = make_model("mlp", 1, hidden=16)
    theta = tf.constant(mlp.from_named(json.loads(SAVED.read_text())))

    @tf.function(jit_compile=True)
    def measure(iterations):
        return top_eigenvalue(lambda t: mlp.loss_flat(t, data.x, data.y), theta,
                              start_vector([mlp.size]), iterations)[0]

    eager = sharpness(mlp, theta.numpy(), data.x, data.y)
    assert float(measure(tf.constant(300))) == pytest.approx(float(eager), rel=1e-3)


def test_feature_scaling_of_a_cubic_on_x_in_0_to_3():
    """The measured numbers the README quotes: κ in the tens of thousands before, tens after."""
    raw, scaled = feature_scaling(X03, 3)
    assert raw.condition_number > 1e4
    assert scaled.condition_number < 100
    assert scaled.lr_max / raw.lr_max > 10
    print(f"cubic on x in [0, 3]: κ {raw.condition_number:.3g} -> {scaled.condition_number:.3g}, "
          f"lr_max {raw.lr_max:.3g} -> {scaled.lr_max:.3g}")
