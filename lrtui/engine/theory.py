"""What the data says before any training: the exact answer, the lr bounds, the steps it takes.

For loss = mean((w·x + b − y)²) the Hessian is constant,
H = 2·[[m2, m1], [m1, 1]] with m1 = mean(x), m2 = mean(x²). Plain gradient
descent converges iff 0 < lr < 2/λmax; above 1/λmax the weights' steep
component zig-zags while the loss still falls every step. 2/(λmax + λmin) is
the lr with the fastest worst-case asymptotic rate; from a given start,
another lr can get close sooner (`steps_to_within` tells how soon). Compare
mode and the lr map measure the same thing on real runs with
`converged_loss` and `first_converged`.

When every x is the same, λmin = 0: a whole line of (w, b) fits equally well,
gradient descent never moves along it, and there is no lr_opt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# "Close to the minimum": the loss is within this share of the OLS loss
# (plus a hair, so an exact fit with an OLS loss of 0 can be reached).
WITHIN = 0.01
WITHIN_FLOOR = 1e-12


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
    def singular(self) -> bool:
        """Every x the same: λmin = 0, the minimum is a line of (w, b), not a point."""
        return self.lambda_min <= 1e-12 * self.lambda_max

    @property
    def lr_max(self) -> float:
        """Above this, plain gradient descent diverges."""
        return 2.0 / self.lambda_max

    @property
    def lr_zigzag(self) -> float:
        """Above this, the steep component of the weights overshoots and zig-zags."""
        return 1.0 / self.lambda_max

    @property
    def lr_opt(self) -> float | None:
        """The constant lr with the fastest worst-case asymptotic rate; None if singular."""
        if self.singular:
            return None
        return 2.0 / (self.lambda_max + self.lambda_min)

    @property
    def converged_loss(self) -> float:
        """The loss a run must reach to count as close: within 1% of the OLS loss."""
        return self.ols_loss * (1 + WITHIN) + WITHIN_FLOOR

    @property
    def condition_number(self) -> float:
        return math.inf if self.singular else self.lambda_max / self.lambda_min

    def regime(self, learning_rate: float) -> str:
        """How plain gradient descent behaves at this lr, in the lesson's words."""
        if learning_rate >= self.lr_max:
            return "diverges"
        if learning_rate > self.lr_zigzag:
            return "zigzags"
        return "converges"

    def hessian(self) -> np.ndarray:
        """H = 2·[[mean x², mean x], [mean x, 1]], the same at every (w, b)."""
        return 2.0 * np.array([[self.m2, self.m1], [self.m1, 1.0]])

    def eigen(self) -> tuple[np.ndarray, np.ndarray]:
        """The Hessian's eigenvalues (ascending) and unit eigenvectors (as columns)."""
        return np.linalg.eigh(self.hessian())


def theory_of(x: np.ndarray, y: np.ndarray) -> Theory:
    x64 = np.asarray(x, np.float64)
    y64 = np.asarray(y, np.float64)
    m1 = float(x64.mean())
    m2 = float((x64 * x64).mean())
    spread = math.sqrt((m2 - 1.0) ** 2 + 4.0 * m1 * m1)
    lam_max = (1.0 + m2) + spread
    # λmax·λmin = det H = 4·var(x): exact for constant x, where (1 + m2) − spread cancels.
    lam_min = 4.0 * float(np.mean((x64 - m1) ** 2)) / lam_max
    design = np.stack([x64, np.ones_like(x64)], axis=1)
    # For singular data lstsq gives the minimum nearest (0, 0): one point of the line of minima.
    (w, b), *_ = np.linalg.lstsq(design, y64, rcond=None)
    loss = float(np.mean((w * x64 + b - y64) ** 2))
    return Theory(float(w), float(b), loss, lam_max, lam_min, m1, m2)


def first_converged(loss: np.ndarray, target: float) -> np.ndarray:
    """Per column of `loss` (rows are steps), the first row at or below `target`; -1 if none."""
    hit = np.asarray(loss) <= target
    return np.where(hit.any(axis=0), np.argmax(hit, axis=0), -1)


def steps_to_within(theory: Theory, learning_rate, init_w: float, init_b: float,
                    within: float = WITHIN):
    """How many plain full-batch GD steps from (init_w, init_b) until the loss is within
    `within` of the OLS loss (loss ≤ (1 + within)·OLS loss), for each learning rate.

    Exact for this quadratic: the error along eigenvector i shrinks by (1 − lr·λi)
    each step, so the loss above the minimum after k steps is
    Σ ½·λi·ci²·(1 − lr·λi)^(2k), ci being the start's offset from the minimum along
    it. `learning_rate` may be a number or an array; the answer has its shape, as
    floats: a whole number of steps, or inf where the loss never gets there
    (at or above lr_max).
    """
    lrs = np.asarray(learning_rate, np.float64)
    values, vectors = theory.eigen()
    offset = np.array([init_w - theory.ols_w, init_b - theory.ols_b])
    with np.errstate(over="ignore", invalid="ignore"):  # a start or an lr past float64: never
        weight = 0.5 * values * (vectors.T @ offset) ** 2  # each direction's share of the excess
        ratio = np.abs(1.0 - lrs[..., None] * values)  # (..., 2)
    if not np.all(np.isfinite(weight)):
        steps = np.full(lrs.shape, np.inf)
        return float(steps) if steps.ndim == 0 else steps
    weight = np.where(values > 1e-12 * values[-1], weight, 0.0)  # a flat direction costs nothing
    target = within * theory.ols_loss + WITHIN_FLOOR
    live = weight > 0

    def excess(k):
        with np.errstate(over="ignore", invalid="ignore"):  # a lane that never gets there
            return np.sum(np.where(live, weight * ratio ** (2.0 * k[..., None]), 0.0), axis=-1)

    steps = np.zeros(lrs.shape)
    start = float(weight.sum())
    if start <= target:
        return float(steps) if steps.ndim == 0 else steps
    never = np.any(live & ~(ratio < 1.0 - 1e-12), axis=-1)  # lr_max itself: rounding says 0.9999…
    # An upper bound: each direction alone within target / 2.
    with np.errstate(divide="ignore", invalid="ignore"):
        alone = np.log(target / (2.0 * weight)) / (2.0 * np.log(ratio))
    alone = np.where(live & (ratio > 0), alone, np.where(live, 1.0, 0.0))
    high = np.where(never, 1.0, np.ceil(np.max(np.maximum(alone, 1.0), axis=-1)))
    low = np.zeros(lrs.shape)  # excess(low) > target, excess(high) <= target
    for _ in range(80):
        if np.all(high - low <= 1):
            break
        middle = np.floor((low + high) / 2)
        reached = excess(middle) <= target
        high = np.where(reached, middle, high)
        low = np.where(reached, low, middle)
    steps = np.where(never, np.inf, high)
    return float(steps) if steps.ndim == 0 else steps
