"""The lesson's blackboard picture: the loss along one direction, and the steps as jumps across it.

The lesson draws the loss as a parabola in one parameter and the steps as
jumps: a small lr creeps down one side, a good one lands near the bottom, one
above 1/curvature jumps to the other side and back, one above 2/curvature
climbs out. Here that picture is cut from the real surface: the 1-D slice of
the loss through the current (w, b) along b (w held), along w (b held), or
along an eigenvector of the Hessian.

A slice of a quadratic is a parabola whose second derivative is uᵀHu, the
Hessian's entry for that direction (2 for b, 2·mean(x²) for w, λ for an
eigenvector). Along an eigenvector the picture is exact: that part of the
error is multiplied by (1 − lr·λ) each step, a 1-D gradient descent on the
parabola drawn. Along b or w the earlier steps are projected onto the line
through the current point and shown on the slice: the lesson's sketch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.engine.landscape import Moments, loss_at, moments_from_theory
from lrtui.engine.theory import Theory

DIRECTIONS = ("b", "w", "steep", "shallow")
MEANING = {"b": "along b, w held", "w": "along w, b held",
           "steep": "along the steep eigen-direction (λmax)",
           "shallow": "along the shallow eigen-direction (λmin)"}
MARGIN = 0.15  # the frame reaches this share past the points and the bottom


@dataclass(frozen=True)
class Slice:
    direction: str
    unit: tuple[float, float]  # (along w, along b), length 1
    offset: np.ndarray  # positions along the direction, 0 = the current point
    loss: np.ndarray  # the loss at each offset
    curvature: float  # the slice's second derivative: uᵀHu
    steps_offset: np.ndarray  # the last steps' positions along the direction (the newest last)
    steps_loss: np.ndarray  # their loss on the slice
    bottom: float  # the offset of the slice's lowest point
    origin: tuple[float, float]  # the current (w, b)

    @property
    def lr_max(self) -> float:
        """Above this, a 1-D gradient descent on this parabola climbs out."""
        return 2.0 / self.curvature if self.curvature > 0 else math.inf

    @property
    def lr_jump(self) -> float:
        """Above this, each step jumps to the other side of the bottom."""
        return 1.0 / self.curvature if self.curvature > 0 else math.inf

    def regime(self, learning_rate: float) -> str:
        """What a step of this lr does on this parabola, in the lesson's words."""
        if learning_rate >= self.lr_max:
            return "climbs out"
        if learning_rate > self.lr_jump:
            return "jumps across and back"
        if learning_rate > 0.5 * self.lr_jump:
            return "lands near the bottom"
        return "creeps down one side"


def direction(theory: Theory, name: str) -> np.ndarray:
    """The unit vector (along w, along b) of a named direction."""
    if name == "w":
        return np.array([1.0, 0.0])
    if name == "b":
        return np.array([0.0, 1.0])
    if name not in DIRECTIONS:
        raise ValueError(f"no direction {name!r}: use one of {', '.join(DIRECTIONS)}")
    _, vectors = theory.eigen()  # ascending: shallow first
    unit = vectors[:, 1 if name == "steep" else 0]
    return unit if unit[np.argmax(np.abs(unit))] > 0 else -unit  # a stable sign


def curvature_along(theory: Theory, unit: np.ndarray) -> float:
    """uᵀHu: along w or b exactly H's diagonal entry, along an eigenvector its eigenvalue."""
    return float(unit @ theory.hessian() @ unit)


def loss_slice(theory: Theory, w: float, b: float, name: str, recent_w=(), recent_b=(),
               points: int = 161, moments: Moments | None = None) -> Slice:
    """The slice through (w, b) along `name`, framing the bottom and the recent steps."""
    moments = moments or moments_from_theory(theory)
    unit = direction(theory, name)
    origin = np.array([w, b], np.float64)

    def along(offset):
        at = origin[:, None] + unit[:, None] * np.atleast_1d(offset)[None, :]
        return loss_at(moments, at[0], at[1])

    past = np.stack([np.asarray(recent_w, np.float64), np.asarray(recent_b, np.float64)])
    steps_offset = unit @ (past - origin[:, None]) if past.size else np.zeros(0)
    curvature = curvature_along(theory, unit)
    # The slice's slope at 0 is g·u; its bottom is where slope + curvature·t = 0.
    slope = float(np.dot(_gradient(moments, w, b), unit))
    bottom = -slope / curvature if curvature > 0 else 0.0
    finite = steps_offset[np.isfinite(steps_offset)]
    low = min([0.0, bottom, *finite.tolist()])
    high = max([0.0, bottom, *finite.tolist()])
    width = high - low
    if width <= 0 or not math.isfinite(width):
        width = 2.0 / math.sqrt(curvature) if curvature > 0 else 2.0
        low, high = bottom - width / 2, bottom + width / 2
    offset = np.linspace(low - MARGIN * width, high + MARGIN * width, points)
    return Slice(name, (float(unit[0]), float(unit[1])), offset, along(offset), curvature,
                 steps_offset, along(steps_offset) if len(steps_offset) else np.zeros(0),
                 bottom, (float(w), float(b)))


def _gradient(moments: Moments, w: float, b: float) -> np.ndarray:
    """dL/dw and dL/db of the mean squared error, from the data's five means."""
    m = moments
    return np.array([2 * (w * m.m2 + b * m.m1 - m.mxy), 2 * (w * m.m1 + b - m.my)])
