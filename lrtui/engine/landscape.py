"""The loss surface over (w, b), exactly, from five numbers of the data.

loss(w, b) = mean((w·x + b − y)²) expands to

    w²·mean(x²) + 2wb·mean(x) + b² − 2w·mean(xy) − 2b·mean(y) + mean(y²)

so once the five means are known, the loss anywhere costs a handful of
multiplications whatever the number of points: a whole grid is O(grid).
The surface is a quadratic bowl centred on the OLS answer; its level sets are
ellipses whose axes are the Hessian's eigenvectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.theory import Theory

# The frame reaches this share past the start, the minimum and the path.
MARGIN = 0.12
# A diverging path may stretch the frame to this many times its calm size, no more:
# beyond it the path is drawn leaving the frame.
MAX_STRETCH = 4.0


@dataclass(frozen=True)
class Moments:
    """The data's sufficient statistics for the squared loss of a line."""

    m1: float  # mean(x)
    m2: float  # mean(x²)
    my: float  # mean(y)
    myy: float  # mean(y²)
    mxy: float  # mean(x·y)


def moments_of(x: np.ndarray, y: np.ndarray) -> Moments:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    return Moments(float(x.mean()), float((x * x).mean()), float(y.mean()),
                   float((y * y).mean()), float((x * y).mean()))


def moments_from_theory(theory: Theory) -> Moments:
    """The same five means, recovered from the OLS answer and the loss at it.

    At the minimum the gradient is zero (the normal equations):
    mean(xy) = w*·m2 + b*·m1 and mean(y) = w*·m1 + b*; the loss there gives mean(y²).
    So a Theory carries the whole surface, and the UI needs no copy of the points.
    """
    w, b, m1, m2 = theory.ols_w, theory.ols_b, theory.m1, theory.m2
    mxy = w * m2 + b * m1
    my = w * m1 + b
    myy = theory.ols_loss - (w * w * m2 + 2 * w * b * m1 + b * b) + 2 * w * mxy + 2 * b * my
    return Moments(m1, m2, my, myy, mxy)


def loss_at(moments: Moments, w, b):
    """The mean squared error at (w, b); w and b broadcast like numpy arrays."""
    m = moments
    w = np.asarray(w, np.float64)
    b = np.asarray(b, np.float64)
    loss = w * w * m.m2 + 2 * w * b * m.m1 + b * b - 2 * w * m.mxy - 2 * b * m.my + m.myy
    # Rounding can take the expansion a hair below zero at the minimum of an exact fit.
    return np.maximum(loss, 0.0)


@dataclass(frozen=True)
class Grid:
    w: np.ndarray  # (columns,) the w of each column
    b: np.ndarray  # (rows,) the b of each row
    loss: np.ndarray  # (rows, columns)


def loss_grid(moments: Moments, box: tuple[float, float, float, float],
              columns: int, rows: int) -> Grid:
    """The loss at the centres of a columns × rows grid over box = (w0, w1, b0, b1)."""
    w0, w1, b0, b1 = box
    columns, rows = max(2, int(columns)), max(2, int(rows))
    w = w0 + (np.arange(columns) + 0.5) * (w1 - w0) / columns
    b = b0 + (np.arange(rows) + 0.5) * (b1 - b0) / rows
    return Grid(w, b, loss_at(moments, w[None, :], b[:, None]))


def eigen_directions(theory: Theory) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors in (w, b) along the steep (λmax) and the slow (λmin) direction."""
    hessian = 2.0 * np.array([[theory.m2, theory.m1], [theory.m1, 1.0]])
    _, vectors = np.linalg.eigh(hessian)  # ascending eigenvalues
    return vectors[:, 1], vectors[:, 0]


def eigen_errors(theory: Theory, w, b) -> tuple[np.ndarray, np.ndarray]:
    """|distance to the OLS answer| along the steep and the slow direction, per point."""
    steep, slow = eigen_directions(theory)
    dw = np.asarray(w, np.float64) - theory.ols_w
    db = np.asarray(b, np.float64) - theory.ols_b
    with np.errstate(invalid="ignore", over="ignore"):  # weights past float32's range: inf, NaN
        return np.abs(dw * steep[0] + db * steep[1]), np.abs(dw * slow[0] + db * slow[1])


def frame(theory: Theory, start: tuple[float, float], path_w=(), path_b=()) -> tuple[float, float, float, float]:
    """A (w0, w1, b0, b1) box holding the start, the minimum and the path.

    The calm box holds the start and the minimum; the path may stretch it up
    to MAX_STRETCH times, so a diverging run does not shrink the bowl to a dot.
    """
    ws = [start[0], theory.ols_w]
    bs = [start[1], theory.ols_b]
    w0, w1, b0, b1 = _padded(min(ws), max(ws), min(bs), max(bs))
    pw = np.asarray(path_w, np.float64)
    pb = np.asarray(path_b, np.float64)
    keep = np.isfinite(pw) & np.isfinite(pb)
    if keep.any():
        width, height = w1 - w0, b1 - b0
        reach_w, reach_h = (MAX_STRETCH - 1) / 2 * width, (MAX_STRETCH - 1) / 2 * height
        lo_w = max(float(pw[keep].min()), w0 - reach_w)
        hi_w = min(float(pw[keep].max()), w1 + reach_w)
        lo_b = max(float(pb[keep].min()), b0 - reach_h)
        hi_b = min(float(pb[keep].max()), b1 + reach_h)
        if lo_w < w0 or hi_w > w1 or lo_b < b0 or hi_b > b1:
            w0, w1, b0, b1 = _padded(min(w0, lo_w), max(w1, hi_w), min(b0, lo_b), max(b1, hi_b))
    return w0, w1, b0, b1


def _padded(w0: float, w1: float, b0: float, b1: float) -> tuple[float, float, float, float]:
    # A square-ish box: a start right at the minimum still shows some bowl.
    span = max(w1 - w0, b1 - b0, 1e-6)
    pad_w = (span - (w1 - w0)) / 2 + span * MARGIN
    pad_b = (span - (b1 - b0)) / 2 + span * MARGIN
    return w0 - pad_w, w1 + pad_w, b0 - pad_b, b1 + pad_b


def levels(theory: Theory, grid: Grid, count: int = 7) -> np.ndarray:
    """Loss values for the contour lines: the ellipses' sizes halve from the frame's edge in."""
    excess = float(np.nanmax(grid.loss)) - theory.ols_loss
    if not math.isfinite(excess) or excess <= 0:
        return np.zeros(0)
    # Halving an ellipse's radius quarters the loss above the minimum.
    return theory.ols_loss + excess * 0.5 * 0.25 ** np.arange(count)


def contour_points(grid: Grid, level_values: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each level, the grid points where the loss crosses it (to a neighbour right or below)."""
    out = []
    loss = grid.loss
    for level in level_values:
        above = loss >= level
        edge = np.zeros_like(above)
        edge[:, :-1] |= above[:, :-1] != above[:, 1:]
        edge[:-1, :] |= above[:-1, :] != above[1:, :]
        rows, cols = np.nonzero(edge)
        out.append((grid.w[cols], grid.b[rows]))
    return out
