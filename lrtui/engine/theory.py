"""What the data says before any training: the exact answer and the lr bounds.

For loss = mean((w·x + b − y)²) the Hessian is constant,
H = 2·[[m2, m1], [m1, 1]] with m1 = mean(x), m2 = mean(x²). Plain gradient
descent converges iff 0 < lr < 2/λmax, zig-zags above 1/λmax, and the best
constant lr is 2/(λmax + λmin).

The loss is exactly quadratic around the OLS answer, so plain gradient
descent is solved in closed form too: along each eigen-direction of H the
error is multiplied by (1 − lr·λ) every step. That gives the steps a run
needs to get within 1% of the OLS loss, for any lr, before running it
(`predicted_steps_to_converge`); compare mode and the lr map measure the same
thing with `converged_loss` and `first_converged`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# "Converged": the loss is within this share of the OLS loss (compare mode's
# summary, the lr map, and the prediction all use it).
WITHIN = 0.01
NEVER = 1e12  # predicted steps beyond this are reported as never (inf)


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
    def converged_loss(self) -> float:
        """The loss a run must reach to count as converged: within 1% of the OLS loss."""
        return self.ols_loss * (1 + WITHIN) + 1e-12

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


def first_converged(loss: np.ndarray, target: float) -> np.ndarray:
    """Per column of `loss` (rows are steps), the first row at or below `target`; -1 if none."""
    hit = np.asarray(loss) <= target
    return np.where(hit.any(axis=0), np.argmax(hit, axis=0), -1)


def excess_loss(theory: Theory, learning_rates, init_w: float, init_b: float,
                steps) -> np.ndarray:
    """Plain GD's loss above the OLS loss after `steps` steps, for each lr (exact, float64).

    With error e = (w, b) − (ols_w, ols_b) split along H's eigenvectors into
    c_i, the excess is Σ ½·λ_i·c_i²·(1 − lr·λ_i)^(2·steps).
    """
    lam, parts = _eigen_parts(theory, init_w, init_b)
    lrs = np.asarray(learning_rates, np.float64)[..., None]
    factor = (1.0 - lrs * lam) ** 2
    return np.sum(parts * factor ** np.asarray(steps, np.float64)[..., None], axis=-1)


def predicted_steps_to_converge(theory: Theory, learning_rates, init_w: float,
                                init_b: float) -> np.ndarray:
    """For each lr, the first step at which plain GD's loss is within 1% of the OLS loss.

    inf where it never gets there (the lr diverges, or sits exactly on lr_max).
    """
    lrs = np.atleast_1d(np.asarray(learning_rates, np.float64))
    lam, parts = _eigen_parts(theory, init_w, init_b)
    room = theory.converged_loss - theory.ols_loss
    moving = parts > 0
    rho = np.abs(1.0 - lrs[:, None] * lam)  # the factor per step along each direction
    slowest = np.max(np.where(moving, rho, 0.0), axis=1)
    start = parts.sum()
    answer = np.full(lrs.shape, np.inf)
    if start <= room:
        return np.zeros(lrs.shape)
    ok = slowest < 1.0
    # An upper bound: the whole excess shrinks at least as fast as its slowest part.
    with np.errstate(divide="ignore"):
        bound = np.ceil(np.log(room / start) / (2.0 * np.log(np.where(ok, slowest, 0.5))))
    # Past ~1e12 steps (a hair below lr_max, or rounding on it) it counts as never:
    # no budget reaches it, and float64 steps would stop bisecting.
    ok &= bound <= NEVER
    high = np.where(ok, np.maximum(bound, 1.0), 1.0)
    low = np.zeros(lrs.shape)  # excess(low) > room, excess(high) <= room
    while np.any(ok & (high - low > 1)):
        middle = np.floor((low + high) / 2)
        below = excess_loss(theory, lrs, init_w, init_b, middle) <= room
        high = np.where(ok & below, middle, high)
        low = np.where(ok & ~below, middle, low)
    answer[ok] = high[ok]
    return answer


def _eigen_parts(theory: Theory, init_w: float, init_b: float) -> tuple[np.ndarray, np.ndarray]:
    """H's eigenvalues and ½·λ_i·c_i², the initial excess loss along each eigenvector."""
    hessian = 2.0 * np.array([[theory.m2, theory.m1], [theory.m1, 1.0]])
    lam, vectors = np.linalg.eigh(hessian)
    error = np.array([init_w - theory.ols_w, init_b - theory.ols_b])
    c = vectors.T @ error
    return lam, 0.5 * lam * c * c
