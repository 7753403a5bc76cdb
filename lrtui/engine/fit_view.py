"""What the fit pane draws for a model other than the line, worked out in the engine.

The UI never computes: the model's output lives in TensorFlow, so the worker
evaluates it and hands the pane plain arrays. One input: the prediction on a
grid of x across the data (the fitted curve). Two inputs: the probability of
class 1 on a grid over the plane of the points, and the decision boundary
(p = 0.5) as the points where p crosses one half between neighbouring cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CURVE_POINTS = 160
GRID = 48
MARGIN = 0.1  # the grid reaches this share past the data on each side


@dataclass(frozen=True)
class FitView:
    curve_x: np.ndarray | None = None  # one input: x across the data
    curve_y: np.ndarray | None = None  # the model's prediction there
    grid_x1: np.ndarray | None = None  # two inputs: the grid's x1 and x2 ticks
    grid_x2: np.ndarray | None = None
    probability: np.ndarray | None = None  # p(class 1), [len(x2), len(x1)]
    boundary: np.ndarray | None = None  # (k, 2): points of the p = 0.5 line


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = (high - low) * MARGIN or 1.0
    return low - pad, high + pad


def fit_view(predict, x: np.ndarray) -> FitView:
    """`predict(points)` gives the model's output (a logit when it classifies) at points."""
    return fit_views(lambda points: np.asarray(predict(points))[None], x)[0]


def fit_views(predict, x: np.ndarray) -> list[FitView]:
    """One view per run of a comparison: `predict(points)` gives every run's output at
    the points, [runs, points], in one call (one grid, one TensorFlow call for all)."""
    if np.ndim(x) == 1:
        low, high = _span(x)
        grid = np.linspace(low, high, CURVE_POINTS).astype(np.float32)
        outputs = np.asarray(predict(grid), np.float64)
        return [FitView(curve_x=grid.astype(np.float64), curve_y=row) for row in outputs]
    x1 = np.linspace(*_span(x[:, 0]), GRID)
    x2 = np.linspace(*_span(x[:, 1]), GRID)
    a, b = np.meshgrid(x1, x2)  # rows: x2, columns: x1
    points = np.stack([a.ravel(), b.ravel()], axis=1).astype(np.float32)
    views = []
    for logit in np.asarray(predict(points), np.float64):
        probability = 1.0 / (1.0 + np.exp(-np.clip(logit.reshape(a.shape), -60, 60)))
        views.append(FitView(grid_x1=x1, grid_x2=x2, probability=probability,
                             boundary=boundary_points(x1, x2, probability)))
    return views


def boundary_points(x1: np.ndarray, x2: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Where p crosses 0.5 between two neighbouring cells, across and along the grid,
    placed by linear interpolation between them."""
    side = probability - 0.5
    found = []
    across = np.flatnonzero((np.sign(side[:, :-1]) * np.sign(side[:, 1:]) < 0).ravel())
    for index in across:
        row, col = divmod(int(index), len(x1) - 1)
        t = side[row, col] / (side[row, col] - side[row, col + 1])
        found.append((x1[col] + t * (x1[col + 1] - x1[col]), x2[row]))
    along = np.flatnonzero((np.sign(side[:-1, :]) * np.sign(side[1:, :]) < 0).ravel())
    for index in along:
        row, col = divmod(int(index), len(x1))
        t = side[row, col] / (side[row, col] - side[row + 1, col])
        found.append((x1[col], x2[row] + t * (x2[row + 1] - x2[row])))
    return np.array(found, np.float64).reshape(-1, 2)
