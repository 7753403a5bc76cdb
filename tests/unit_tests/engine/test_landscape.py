"""The loss landscape: the grid from five means equals the loss computed point by point."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.app.widgets.landscape_plot import visible_runs
from lrtui.engine.data import generate
from lrtui.engine.landscape import (
    contour_points,
    eigen_directions,
    eigen_errors,
    frame,
    levels,
    loss_at,
    loss_grid,
    moments_from_theory,
    moments_of,
)
from lrtui.engine.theory import theory_of

DATASETS = {
    "lesson": dict(n=100, x_min=0.0, x_max=1.0, true_w=0.1, true_b=0.5, noise=0.1, seed=0),
    "shifted": dict(n=500, x_min=2.0, x_max=5.0, true_w=-1.5, true_b=3.0, noise=0.5, seed=3),
    "wide": dict(n=50, x_min=-20.0, x_max=10.0, true_w=0.3, true_b=-2.0, noise=2.0, seed=7),
}


def direct_loss(x, y, w, b) -> float:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    return float(np.mean((w * x + b - y) ** 2))


@pytest.mark.parametrize("name", DATASETS)
def test_grid_equals_point_by_point_loss(name):
    data = generate(**DATASETS[name])
    theory = theory_of(data.x, data.y)
    box = frame(theory, (0.0, -1.0))
    grid = loss_grid(moments_of(data.x, data.y), box, 41, 33)
    assert grid.loss.shape == (33, 41)
    rng = np.random.default_rng(1)
    for row, column in zip(rng.integers(0, 33, 12), rng.integers(0, 41, 12)):
        expected = direct_loss(data.x, data.y, grid.w[column], grid.b[row])
        assert grid.loss[row, column] == pytest.approx(expected, rel=1e-9, abs=1e-12), \
            f"cell ({row}, {column}) at w={grid.w[column]} b={grid.b[row]}"


def test_ols_minimum_is_the_grid_minimum_within_one_cell():
    data = generate(**DATASETS["lesson"])
    theory = theory_of(data.x, data.y)
    box = frame(theory, (0.0, -1.0))
    grid = loss_grid(moments_of(data.x, data.y), box, 60, 48)
    row, column = np.unravel_index(np.argmin(grid.loss), grid.loss.shape)
    assert abs(grid.w[column] - theory.ols_w) <= (box[1] - box[0]) / 60
    assert abs(grid.b[row] - theory.ols_b) <= (box[3] - box[2]) / 48


@pytest.mark.parametrize("name", DATASETS)
def test_grid_minimum_is_the_ols_loss_to_within_one_cell_of_travel(name):
    # In a narrow diagonal valley the lowest grid point can sit a few cells along the
    # valley floor, so for any data the check is on the loss: the grid minimum is
    # above the exact minimum by no more than one cell's worth of curvature.
    data = generate(**DATASETS[name])
    theory = theory_of(data.x, data.y)
    box = frame(theory, (0.0, -1.0))
    grid = loss_grid(moments_of(data.x, data.y), box, 60, 48)
    cell = np.hypot((box[1] - box[0]) / 60, (box[3] - box[2]) / 48)
    one_cell = 0.5 * theory.lambda_max * cell ** 2
    assert theory.ols_loss * (1 - 1e-9) <= grid.loss.min() <= theory.ols_loss + one_cell


def test_moments_recovered_from_the_theory_match_the_data():
    data = generate(**DATASETS["shifted"])
    direct = moments_of(data.x, data.y)
    recovered = moments_from_theory(theory_of(data.x, data.y))
    for field in ("m1", "m2", "my", "myy", "mxy"):
        assert getattr(recovered, field) == pytest.approx(getattr(direct, field), rel=1e-7)
    assert loss_at(recovered, 0.7, -0.2) == pytest.approx(direct_loss(data.x, data.y, 0.7, -0.2),
                                                          rel=1e-7)


def test_frame_holds_start_minimum_and_calm_path_but_caps_a_diverging_one():
    data = generate(**DATASETS["lesson"])
    theory = theory_of(data.x, data.y)
    calm = frame(theory, (0.0, -1.0))
    for w, b in ((0.0, -1.0), (theory.ols_w, theory.ols_b)):
        assert calm[0] < w < calm[1] and calm[2] < b < calm[3]
    path_w, path_b = np.array([0.0, 0.9, 1.2]), np.array([-1.0, 0.2, 0.9])
    wider = frame(theory, (0.0, -1.0), path_w, path_b)
    assert wider[0] <= 0.0 and wider[1] >= 1.2 and wider[3] >= 0.9
    exploding = frame(theory, (0.0, -1.0), [0.0, 1e6, -1e12], [-1.0, 1e6, 1e12])
    width = calm[1] - calm[0]
    assert exploding[1] - exploding[0] < 6 * width, "a diverging path must not shrink the bowl to a dot"


def test_contours_are_ellipses_at_their_level():
    data = generate(**DATASETS["lesson"])
    theory = theory_of(data.x, data.y)
    moments = moments_of(data.x, data.y)
    grid = loss_grid(moments, frame(theory, (0.0, -1.0)), 200, 160)
    values = levels(theory, grid, 5)
    assert np.all(np.diff(values) < 0) and values[-1] > theory.ols_loss
    for level, (w, b) in zip(values, contour_points(grid, values)):
        assert len(w) > 10
        # Every contour point lies within a cell of the level: its loss is close to it.
        losses = loss_at(moments, w, b)
        spread = grid.loss.max() - grid.loss.min()
        assert np.all(np.abs(losses - level) < 0.05 * spread)


def test_eigen_directions_and_errors():
    data = generate(**DATASETS["shifted"])
    theory = theory_of(data.x, data.y)
    steep, slow = eigen_directions(theory)
    hessian = 2.0 * np.array([[theory.m2, theory.m1], [theory.m1, 1.0]])
    assert hessian @ steep == pytest.approx(theory.lambda_max * steep, rel=1e-9)
    assert hessian @ slow == pytest.approx(theory.lambda_min * slow, abs=1e-9)
    # A point 2 units along the slow direction from the minimum: slow error 2, steep error 0.
    w = theory.ols_w + 2 * slow[0]
    b = theory.ols_b + 2 * slow[1]
    e_steep, e_slow = eigen_errors(theory, [w], [b])
    assert e_slow[0] == pytest.approx(2.0)
    assert e_steep[0] == pytest.approx(0.0, abs=1e-9)


def test_a_path_leaving_the_frame_is_clipped_at_its_edge():
    box = (0.0, 1.0, 0.0, 1.0)
    stretches, exit_point = visible_runs(np.array([0.5, 0.6, 5.0]), np.array([0.5, 0.6, 0.6]), box)
    assert len(stretches) == 1
    xs, ys = stretches[0]
    assert xs[-1] == pytest.approx(1.0) and ys[-1] == pytest.approx(0.6)
    assert exit_point == pytest.approx((1.0, 0.6))
    stretches, exit_point = visible_runs(np.array([0.2, 0.4, 0.5]), np.array([0.2, 0.3, 0.5]), box)
    assert exit_point is None and stretches[0][0] == [0.2, 0.4, 0.5]
