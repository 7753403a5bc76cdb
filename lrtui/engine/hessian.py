"""The curvature of any model's loss where its weights stand: the Hessian, its eigen-directions.

The line's landscape and blackboard are exact from five means of the data.
A network has no such formula, and the pictures of its loss are slices: a
plane through the current θ along the Hessian's two steepest directions, a
line through θ along the steep or the shallow one. This module answers what
those pictures ask of a model's loss at θ, in float64 (the shallow end of an
ill-conditioned Hessian is lost in float32's rounding):

- the loss at many θ at once: the models take a leading lane axis, so a grid
  of θ + a·u1 + c·u2 is one batched call (a few, if the lanes would not fit
  in memory);
- the gradient, and Hessian-vector products (forward-over-backward,
  lrtui.engine.sharpness);
- the Hessian itself, one column per basis vector, the columns being the
  lanes of one product; then `numpy.linalg.eigh`. The models here are small,
  but `--hidden` goes to 4,096 (16,385 parameters, a 2 GB matrix): above
  `EXACT_LIMIT` parameters the matrix is not formed, and the extreme
  eigenpairs come from `LANCZOS_STEPS` Lanczos iterations on products
  instead (the top ones converge first; the pictures say which was used).

Eigenvectors have no sign of their own. A picture recomputed as the run moves
must not flip its axes at random: each vector takes the sign that agrees with
the same direction last time, or, the first time, makes its largest
component positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from lrtui.engine import sharpness
from lrtui.engine.models import Model

# Up to this many parameters the whole Hessian is formed. Measured on this 2-core machine,
# loaded (a 2-h-1 network on 256 points): 257 parameters take 0.22 s for the matrix and
# 0.02 s for eigh, 513 take 0.8 s and 3.9 s; 48 Lanczos products take 0.09–0.14 s and agree
# with eigh on the top two eigenvalues to every printed digit.
EXACT_LIMIT = 300
LANCZOS_STEPS = 48
# One call evaluates at most lanes × points × P ≤ this (P bounds a layer's width): the
# plane of a 1-16-1 network on 64 points (2,560 lanes) is one call, within ~130 MB.
LANE_BUDGET = 1 << 24


@dataclass(frozen=True)
class EigenDirections:
    """The Hessian at θ, seen through its eigenvectors (ascending, as eigh gives them)."""

    values: np.ndarray  # every eigenvalue (exact), or the Ritz values (Lanczos), ascending
    vectors: np.ndarray  # [P, len(values)]: unit vectors, as columns
    exact: bool  # the whole Hessian was formed; else Lanczos on Hessian-vector products
    hessian: np.ndarray | None  # [P, P] when formed

    @property
    def steep(self) -> tuple[float, np.ndarray]:
        """λmax and its vector: the direction in which the loss curves most."""
        return float(self.values[-1]), self.vectors[:, -1]

    @property
    def second(self) -> tuple[float, np.ndarray]:
        """The second largest eigenvalue and its vector (the plane's other axis)."""
        i = -2 if len(self.values) > 1 else -1
        return float(self.values[i]), self.vectors[:, i]

    @property
    def shallow(self) -> tuple[float, np.ndarray]:
        """λmin and its vector: the least curved direction (negative on a saddle)."""
        return float(self.values[0]), self.vectors[:, 0]

    @property
    def how(self) -> str:
        return "exact Hessian" if self.exact else f"Lanczos, {len(self.values)} products"


class LossProbe:
    """One model's loss on one data set, in float64, asked at any θ."""

    def __init__(self, model: Model, x: np.ndarray, y: np.ndarray):
        self.model = model
        self.size = model.size
        self.n = int(np.shape(x)[0])
        self.x = tf.constant(np.asarray(x, np.float64))
        self.y = tf.constant(np.asarray(y, np.float64))
        # The widest layer a lane holds per point: at most the parameter count.
        self.lanes_per_call = max(1, LANE_BUDGET // (self.n * max(1, self.size)))
        lanes = tf.TensorSpec([None, self.size], tf.float64)
        one = tf.TensorSpec([self.size], tf.float64)
        self._losses = tf.function(self._lane_losses, input_signature=[
            one, lanes, tf.TensorSpec([None, None], tf.float64)])
        self._gradient = tf.function(self._loss_and_gradient, input_signature=[one])
        self._products = tf.function(self._lane_products, input_signature=[lanes, lanes])

    def _loss_of(self, theta):
        return self.model.loss_flat(theta, self.x, self.y)

    def _lane_losses(self, theta, units, coefficients):
        # The lanes' θ are built here, a call's worth at a time: [L, P] never exists whole.
        return self._loss_of(theta + tf.matmul(coefficients, units))

    def _loss_and_gradient(self, theta):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            loss = self._loss_of(theta)
        return loss, tape.gradient(loss, theta)

    def _lane_products(self, thetas, vectors):
        return sharpness.hessian_vector_product(self._loss_of, thetas, vectors)

    # -- what the pictures ask ------------------------------------------------------
    def losses_along(self, theta: np.ndarray, units: np.ndarray, coefficients: np.ndarray
                     ) -> np.ndarray:
        """The loss at θ + Σ_j coefficients[l, j]·units[j] for every row l: a slice through θ
        along k directions (units [k, P], coefficients [L, k]), as lanes of as few calls as
        fit in memory (one for the pictures of a small network)."""
        theta = tf.constant(np.asarray(theta, np.float64))
        units = tf.constant(np.asarray(units, np.float64).reshape(-1, self.size))
        coefficients = np.asarray(coefficients, np.float64).reshape(-1, units.shape[0])
        parts = [self._losses(theta, units, tf.constant(coefficients[i:i + self.lanes_per_call])).numpy()
                 for i in range(0, len(coefficients), self.lanes_per_call)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def loss_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        loss, gradient = self._gradient(tf.constant(np.asarray(theta, np.float64)))
        return float(loss), gradient.numpy()

    def products(self, theta: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """H·v at θ for every row v of `vectors` ([k, P]) -> [k, P]."""
        vectors = np.asarray(vectors, np.float64).reshape(-1, self.size)
        theta = np.asarray(theta, np.float64)
        parts = []
        for i in range(0, len(vectors), self.lanes_per_call):
            block = vectors[i:i + self.lanes_per_call]
            lanes = np.broadcast_to(theta, block.shape)
            parts.append(self._products(tf.constant(lanes), tf.constant(block)).numpy())
        return np.concatenate(parts)

    def curvature_along(self, theta: np.ndarray, unit: np.ndarray) -> float:
        """uᵀHu: the second derivative of the loss along the unit vector u at θ."""
        unit = np.asarray(unit, np.float64)
        return float(unit @ self.products(theta, unit[None])[0])

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """The whole Hessian at θ, [P, P], symmetric: H·e_i for every basis vector e_i."""
        columns = self.products(theta, np.eye(self.size))
        return 0.5 * (columns + columns.T)  # rounding makes the products a hair unsymmetric

    def eigen(self, theta: np.ndarray, previous: EigenDirections | None = None,
              exact_limit: int = EXACT_LIMIT) -> EigenDirections:
        """The eigen-directions at θ: exact up to `exact_limit` parameters, else Lanczos.
        `previous` (the last answer for this model) keeps the vectors' signs from flipping."""
        if self.size <= exact_limit:
            matrix = self.hessian(theta)
            values, vectors = np.linalg.eigh(matrix)
            found = EigenDirections(values, vectors, True, matrix)
        else:
            values, vectors = lanczos(lambda v: self.products(theta, v[None])[0], self.size,
                                      LANCZOS_STEPS)
            found = EigenDirections(values, vectors, False, None)
        return EigenDirections(found.values, _signed(found.vectors, previous), found.exact,
                               found.hessian)


def lanczos(product, size: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ritz values (ascending) and unit Ritz vectors of a symmetric operator from `steps`
    Lanczos iterations with full reorthogonalisation; `product(v)` is H·v."""
    steps = min(steps, size)
    basis = np.zeros((size, steps))
    alpha, beta = np.zeros(steps), np.zeros(steps)
    q = np.random.default_rng(seed).standard_normal(size)
    q /= np.linalg.norm(q)
    used = steps
    for j in range(steps):
        basis[:, j] = q
        w = product(q)
        alpha[j] = q @ w
        for _ in range(2):  # twice is enough (Kahan): the basis stays orthogonal to rounding
            w -= basis[:, :j + 1] @ (basis[:, :j + 1].T @ w)
        beta[j] = np.linalg.norm(w)
        if j + 1 == steps or beta[j] <= 1e-12 * max(1.0, abs(alpha[j])):
            used = j + 1  # the Krylov space is whole: its Ritz pairs are exact
            break
        q = w / beta[j]
    tridiagonal = np.diag(alpha[:used]) + np.diag(beta[:used - 1], 1) + np.diag(beta[:used - 1], -1)
    values, small = np.linalg.eigh(tridiagonal)
    return values, basis[:, :used] @ small


def _signed(vectors: np.ndarray, previous: EigenDirections | None) -> np.ndarray:
    """Each column's sign: the one closer to the same position's vector last time (top, second
    and bottom count; others follow the largest-component rule)."""
    vectors = vectors.copy()
    for j in range(vectors.shape[1]):
        column = vectors[:, j]
        reference = _matching(previous, j, vectors.shape[1]) if previous is not None else None
        if reference is not None and len(reference) == len(column):
            flip = column @ reference < 0
        else:
            flip = column[np.argmax(np.abs(column))] < 0
        if flip:
            vectors[:, j] = -column
    return vectors


def _matching(previous: EigenDirections, j: int, count: int) -> np.ndarray | None:
    """Last time's vector for column j counted from the same end (the top or the bottom)."""
    from_top = count - 1 - j
    if from_top < 2:
        return previous.vectors[:, -1 - from_top]
    if j == 0:
        return previous.vectors[:, 0]
    return None


def natural_scale(loss: float, curvature: float) -> float:
    """How far along a direction of this curvature the quadratic rises by the loss itself:
    √(2·loss/curvature); a frame of about this size shows the bowl's walls."""
    if not (curvature > 0 and math.isfinite(curvature)) or not math.isfinite(loss):
        return math.nan
    return math.sqrt(2.0 * max(loss, 1e-12) / curvature)
