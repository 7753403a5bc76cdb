"""The exact curvature of the models whose loss is quadratic in their parameters.

For the line and the polynomial, loss = mean((V·c − y)²) with V the columns
of the features (x and 1; or 1, x, …, x^D), so the Hessian is the constant
H = 2/n·VᵀV whatever the weights: λmax, κ = λmax/λmin and lr_max = 2/λmax
are known before the first step. That is also where feature scaling shows:
the columns x, x², x³ of an x in [0, 3] differ in size by orders of
magnitude, and so do the Hessian's eigenvalues; z-scoring x first makes the
columns comparable and κ drops by orders of magnitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.datasets import z_score


@dataclass(frozen=True)
class Curvature:
    lambda_max: float
    lambda_min: float

    @property
    def condition_number(self) -> float:
        return self.lambda_max / self.lambda_min if self.lambda_min > 0 else math.inf

    @property
    def lr_max(self) -> float:
        return 2.0 / self.lambda_max


def features(x: np.ndarray, degree: int) -> np.ndarray:
    """V: the columns 1, x, …, x^degree in float64 (the polynomial's c0…cD order)."""
    x = np.asarray(x, np.float64)
    return np.stack([x**k for k in range(degree + 1)], axis=1)


def hessian(x: np.ndarray, degree: int) -> np.ndarray:
    """2/n·VᵀV: the Hessian of the mean squared error of a polynomial in x (degree 1: the line)."""
    v = features(x, degree)
    return 2.0 * v.T @ v / len(v)


def curvature(x: np.ndarray, degree: int) -> Curvature:
    eigenvalues = np.linalg.eigvalsh(hessian(x, degree))
    return Curvature(float(eigenvalues[-1]), float(max(eigenvalues[0], 0.0)))


def feature_scaling(x: np.ndarray, degree: int) -> tuple[Curvature, Curvature]:
    """The curvature on x as it is and on x z-scored: what --standardize changes."""
    return curvature(x, degree), curvature(z_score(x), degree)


def scaling_of(settings) -> tuple[Curvature, Curvature] | None:
    """For poly: the curvature on the inputs as they come and z-scored, whatever
    --standardize says (both numbers are the lesson). None for the other models."""
    from lrtui.engine.datasets import make_dataset

    if settings.model != "poly":
        return None
    raw = make_dataset(settings.with_(standardize=False))
    return feature_scaling(raw.x, settings.degree)
