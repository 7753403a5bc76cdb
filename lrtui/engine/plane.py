"""The landscape of a model with more than two parameters: a plane through where it stands.

The line's loss is a surface over (w, b) and can be drawn whole. A network's
loss lives over dozens or thousands of parameters; what can be drawn is a
slice. The plane chosen here goes through the current θ along the Hessian's
top two eigenvectors u1 and u2 (not the trajectory's principal directions):
the directions in which the loss curves most, where gradient descent's
stability is decided (lr < 2/λ1), so the picture shows the walls a large lr
bounces between. A point (a, c) of the picture is θ + a·u1 + c·u2; its
loss is the model's own there, exactly, not a quadratic model of it.

The run's path is projected onto the plane: each earlier θ_k is drawn at
((θ_k − θ)·u1, (θ_k − θ)·u2). Those points are generally off the plane (the
path moved along other directions too), so the loss under a drawn point is
not the loss the run had there; the current point, at the centre, is on it.

This module is numpy only (the screens use it); lrtui.engine.slices computes
a PlaneSlice with TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.landscape import Grid

# The loss is evaluated on this many points (lanes of the model's loss), then refined by
# bilinear interpolation to the pane's dots for the contour lines.
COLUMNS, ROWS = 64, 40
MARGIN = 0.12  # the frame reaches this share past the path and the centre
# The path may stretch the frame to this many times the calm one (the recent steps and the
# bowl's own size around the centre), no more: an early θ far away is drawn leaving the frame.
MAX_STRETCH = 6.0


@dataclass(frozen=True)
class PlaneSlice:
    """The loss on the plane through θ along u1 and u2, and the path projected onto it."""

    grid: Grid  # grid.w: offsets along u1 (columns), grid.b: along u2 (rows), grid.loss [rows, cols]
    path_a: np.ndarray  # the path's points along u1, oldest first; the current point (0, 0) last
    path_c: np.ndarray  # ... along u2
    path_step: np.ndarray  # the step of each path point
    curvatures: tuple[float, float]  # λ1 and λ2: the loss's second derivative along u1 and u2
    loss_here: float  # the loss at θ, the plane's centre
    how: str  # how the eigenvectors were found: "exact Hessian" or "Lanczos, k products"
    parameters: int  # P
    step: int  # the run's step at θ

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(a0, a1, c0, c1): the frame the grid covers."""
        g = self.grid
        half_a = (g.w[1] - g.w[0]) / 2 if len(g.w) > 1 else 0.0
        half_c = (g.b[1] - g.b[0]) / 2 if len(g.b) > 1 else 0.0
        return g.w[0] - half_a, g.w[-1] + half_a, g.b[0] - half_c, g.b[-1] + half_c

    def lowest(self) -> tuple[float, float, float]:
        """(a, c, loss) of the lowest grid point: the bottom of the bowl in view."""
        loss = np.where(np.isfinite(self.grid.loss), self.grid.loss, np.inf)
        row, column = np.unravel_index(int(np.argmin(loss)), loss.shape)
        return float(self.grid.w[column]), float(self.grid.b[row]), float(loss[row, column])


def project(thetas: np.ndarray, theta: np.ndarray, u1: np.ndarray, u2: np.ndarray):
    """Each θ_k as ((θ_k − θ)·u1, (θ_k − θ)·u2)."""
    if len(thetas) == 0:
        return np.zeros(0), np.zeros(0)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged θ: inf, NaN
        offset = np.asarray(thetas, np.float64) - np.asarray(theta, np.float64)
        return offset @ u1, offset @ u2


def frame(path_a: np.ndarray, path_c: np.ndarray, calm_points: int, scale: float
          ) -> tuple[float, float, float, float]:
    """A square-ish (a0, a1, c0, c1) box around the centre and the path.

    The calm box holds the centre, the last `calm_points` points of the path (the recent
    steps) and a bowl of half-width `scale`; older points may stretch it up to MAX_STRETCH
    times, no further (a path from far away is drawn leaving the frame, as the line's)."""
    keep = np.isfinite(path_a) & np.isfinite(path_c)
    a, c = path_a[keep], path_c[keep]
    recent_a, recent_c = a[-calm_points:], c[-calm_points:]
    half = max(float(np.max(np.abs(recent_a), initial=0.0)),
               float(np.max(np.abs(recent_c), initial=0.0)),
               scale if math.isfinite(scale) else 0.0)
    if half <= 0:
        half = 1.0
    reach = MAX_STRETCH * half
    a0 = max(min(float(a.min(initial=0.0)), -half), -reach)
    a1 = min(max(float(a.max(initial=0.0)), half), reach)
    c0 = max(min(float(c.min(initial=0.0)), -half), -reach)
    c1 = min(max(float(c.max(initial=0.0)), half), reach)
    span = max(a1 - a0, c1 - c0)
    pad_a = (span - (a1 - a0)) / 2 + span * MARGIN
    pad_c = (span - (c1 - c0)) / 2 + span * MARGIN
    return a0 - pad_a, a1 + pad_a, c0 - pad_c, c1 + pad_c


def grid_offsets(box, columns: int = COLUMNS, rows: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    """The centres of a columns × rows grid over box, along u1 and along u2."""
    a0, a1, c0, c1 = box
    a = a0 + (np.arange(columns) + 0.5) * (a1 - a0) / columns
    c = c0 + (np.arange(rows) + 0.5) * (c1 - c0) / rows
    return a, c


def refined(grid: Grid, columns: int, rows: int) -> Grid:
    """The grid interpolated (bilinearly) to columns × rows over the same box: contour lines
    at the pane's resolution from a coarser evaluation."""
    columns, rows = max(2, int(columns)), max(2, int(rows))
    a0, a1 = grid.w[0], grid.w[-1]
    c0, c1 = grid.b[0], grid.b[-1]
    a = np.linspace(a0, a1, columns)
    c = np.linspace(c0, c1, rows)
    # Interpolate along each row, then along each column.
    across = np.stack([np.interp(a, grid.w, row) for row in grid.loss])  # [rows_in, columns]
    loss = np.stack([np.interp(c, grid.b, column) for column in across.T], axis=1)
    return Grid(a, c, loss)


def levels(grid: Grid, count: int = 6) -> np.ndarray:
    """Loss values for the contour lines: from halfway up the frame's walls down towards the
    lowest point in view, each step a quarter of the height above it (rings of a bowl halve)."""
    finite = grid.loss[np.isfinite(grid.loss)]
    if not len(finite):
        return np.zeros(0)
    low, high = float(finite.min()), float(finite.max())
    if not high > low:
        return np.zeros(0)
    return low + (high - low) * 0.5 * 0.25 ** np.arange(count)
