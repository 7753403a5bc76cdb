"""What the data says before any training: the exact answer and the lr bounds.

For loss = mean((w·x + b − y)²) the Hessian is constant,
H = 2·[[m2, m1], [m1, 1]] with m1 = mean(x), m2 = mean(x²). Plain gradient
descent converges iff 0 < lr < 2/λmax, zig-zags above 1/λmax, and the best
constant lr is 2/(λmax + λmin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Theory:
    ols_w: float
    ols_b: float
    ols_loss: float
    lambda_max: float
    lambda_min: float
    m1: float
    m2: float

    @property
    def lr_max(self) -> float:
        """Above this, plain gradient descent diverges."""
        return 2.0 / self.lambda_max

    @property
    def lr_zigzag(self) -> float:
        """Above this, the steep direction overshoots and the path zig-zags."""
        return 1.0 / self.lambda_max

    @property
    def lr_opt(self) -> float:
        """The constant lr that shrinks the slowest error fastest."""
        return 2.0 / (self.lambda_max + self.lambda_min)

    @property
    def condition_number(self) -> float:
        return self.lambda_max / self.lambda_min if self.lambda_min > 0 else math.inf

    def regime(self, learning_rate: float) -> str:
        """How plain gradient descent behaves at this lr, in the lesson's words."""
        if learning_rate >= self.lr_max:
            return "diverges"
        if learning_rate > self.lr_zigzag:
            return "oscillates"
        return "converges"


def theory_of(x: np.ndarray, y: np.ndarray) -> Theory:
    x64 = np.asarray(x, np.float64)
    y64 = np.asarray(y, np.float64)
    m1 = float(x64.mean())
    m2 = float((x64 * x64).mean())
    spread = math.sqrt((m2 - 1.0) ** 2 + 4.0 * m1 * m1)
    lam_max = (1.0 + m2) + spread
    lam_min = max((1.0 + m2) - spread, 0.0)
    design = np.stack([x64, np.ones_like(x64)], axis=1)
    (w, b), *_ = np.linalg.lstsq(design, y64, rcond=None)
    loss = float(np.mean((w * x64 + b - y64) ** 2))
    return Theory(float(w), float(b), loss, lam_max, lam_min, m1, m2)


def theory_for(model, x: np.ndarray, y: np.ndarray) -> Theory | None:
    """The exact theory when the model's Hessian is constant: the line's, or a polynomial's
    (its λmax, λmin and least-squares loss over the columns 1, x, …, x^D; it has no single
    w and b, so ols_w and ols_b are NaN). None for the logistic loss and networks: their
    curvature moves with the weights and is measured live (the sharpness)."""
    if model.name == "line":
        return theory_of(x, y)
    if model.name != "poly":
        return None
    from lrtui.engine.quadratic import features

    design = features(x, model.degree)
    y64 = np.asarray(y, np.float64)
    eigenvalues = np.linalg.eigvalsh(2.0 * design.T @ design / len(design))
    coefficients, *_ = np.linalg.lstsq(design, y64, rcond=None)
    loss = float(np.mean((design @ coefficients - y64) ** 2))
    x64 = np.asarray(x, np.float64)
    return Theory(math.nan, math.nan, loss, float(eigenvalues[-1]), float(max(eigenvalues[0], 0.0)),
                  float(x64.mean()), float((x64 * x64).mean()))
