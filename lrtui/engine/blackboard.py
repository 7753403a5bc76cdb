"""The lesson's blackboard picture: the loss along one direction, and the steps as jumps across it.

The lesson draws the loss as a parabola in one parameter and the steps as
jumps: a small lr creeps down one side, a good one lands near the bottom, one
above 1/curvature jumps to the other side and back, one above 2/curvature
climbs out. Here that picture is cut from the real surface: the 1-D slice of
the loss through the current (w, b) along b (w held), along w (b held), or
along an eigenvector of the Hessian.

Other models are cut the same way through their θ (lrtui.engine.slices):
along the steep or the shallow eigenvector of the Hessian where θ stands,
or along one parameter that is a single number (a polynomial's c0…cD, the
logistic model's w1, w2 and b, a network's output bias b2). Their loss is
the model's own, evaluated at the slice's points; framing, the stability
numbers and the words are this module's, one for every model.

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
    offset: np.ndarray  # positions along the direction, 0 = the current point
    loss: np.ndarray  # the loss at each offset
    curvature: float  # the slice's second derivative: uᵀHu
    steps_offset: np.ndarray  # the last steps' positions along the direction (the newest last)
    steps_loss: np.ndarray  # their loss on the slice
    bottom: float  # the offset of the slice's lowest point (NaN: none in the frame)
    # Along a parameter: its value at the current point, so the axis can show the parameter
    # itself; None along an eigenvector (the axis is the offset).
    base: float | None = None
    meaning: str = ""  # the direction in words

    def __post_init__(self):
        if not self.meaning:
            object.__setattr__(self, "meaning", meaning_of(self.direction))

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
        return regime(learning_rate, self.curvature)


def regime(learning_rate: float, curvature: float) -> str:
    """What a gradient-descent step of this lr does on a parabola of this curvature."""
    if curvature < 0:
        return "slides away (the slice curves down)"
    if curvature == 0:
        return "creeps down one side"
    if learning_rate >= 2.0 / curvature:
        return "climbs out"
    if learning_rate > 1.0 / curvature:
        return "jumps across and back"
    if learning_rate > 0.5 / curvature:
        return "lands near the bottom"
    return "creeps down one side"


def meaning_of(name: str, line: bool = True) -> str:
    """The direction in words: the line's, an eigenvector's, or another model's parameter."""
    if name in ("steep", "shallow") or line:
        return MEANING.get(name, name)
    return f"along {name}, the others held"


def single_numbers(model) -> tuple[str, ...]:
    """The names of a model's parameters that are one number each (c0…cD; w1, w2, b; b2)."""
    return tuple(p.name for p in model.parameters if p.size == 1)


def model_directions(model) -> tuple[str, ...]:
    """The directions `d` turns through: the line's four; for another model the eigenvectors
    first, then each of its parameters that is one number."""
    if model is None or model.name == "line":
        return DIRECTIONS
    return ("steep", "shallow", *single_numbers(model))


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
    # The slice's slope at 0 is g·u.
    slope = float(np.dot(_gradient(moments, w, b), unit))
    base = {"w": float(w), "b": float(b)}.get(name)
    return cut(name, along, curvature_along(theory, unit), slope, steps_offset, base, points)


def cut(name: str, along, curvature: float, slope: float, steps_offset: np.ndarray,
        base: float | None = None, points: int = 161, quadratic: bool = True,
        reach: float = math.inf, meaning: str = "", least_width: float = 0.0) -> Slice:
    """The slice along one direction: `along(offsets)` is the loss there (one call for the
    curve and the steps together), `curvature` uᵀHu and `slope` g·u at the current point.

    A quadratic loss (the line, poly) is a parabola along any direction: its bottom is where
    slope + curvature·t = 0, and the frame always holds it. Any other loss is sampled: the
    bottom is the lowest point drawn (NaN if the slice still falls at the frame's edge), and
    the parabola's bottom frames the picture only within `reach` of the steps. The frame is
    at least `least_width` wide: steps that barely move (or none yet) still show a curve."""
    steps_offset = np.asarray(steps_offset, np.float64)
    finite = steps_offset[np.isfinite(steps_offset)]
    bottom = -slope / curvature if curvature > 0 else math.nan
    wanted = [0.0, *finite.tolist()]
    if math.isfinite(bottom) and (quadratic or abs(bottom) <= reach):
        wanted.append(bottom)
    low, high = min(wanted), max(wanted)
    width = high - low
    if math.isfinite(width) and 0 < width < least_width:
        middle = (low + high) / 2
        low, high, width = middle - least_width / 2, middle + least_width / 2, least_width
    if width <= 0 or not math.isfinite(width):
        width = least_width or (2.0 / math.sqrt(abs(curvature)) if curvature != 0 else 2.0)
        centre = bottom if math.isfinite(bottom) and (quadratic or abs(bottom) <= reach) else 0.0
        low, high = centre - width / 2, centre + width / 2
    offset = np.linspace(low - MARGIN * width, high + MARGIN * width, points)
    values = np.asarray(along(np.r_[offset, steps_offset]), np.float64)
    loss, steps_loss = values[:points], values[points:]
    if not quadratic:
        lowest = int(np.nanargmin(loss)) if np.isfinite(loss).any() else 0
        bottom = float(offset[lowest]) if 0 < lowest < points - 1 else math.nan
    return Slice(name, offset, loss, curvature, steps_offset, steps_loss, bottom, base, meaning)


def _gradient(moments: Moments, w: float, b: float) -> np.ndarray:
    """dL/dw and dL/db of the mean squared error, from the data's five means."""
    m = moments
    return np.array([2 * (w * m.m2 + b * m.m1 - m.mxy), 2 * (w * m.m1 + b - m.my)])
