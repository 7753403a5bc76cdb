"""The sharpness: the top eigenvalue of the training loss's Hessian, measured while training.

For the line and the polynomial the Hessian is constant and the theory knows
λmax in advance. For the logistic loss and a network it moves with the
weights, and plain gradient descent is stable only while lr < 2/λmax of the
Hessian where it stands: the lesson's lr_max becomes "2/sharpness, now".

The Hessian itself is never formed (a network has P² entries). A
Hessian-vector product H·v is forward-mode differentiation
(tf.autodiff.ForwardAccumulator) of the reverse-mode gradient: the
directional derivative of ∇L along v. Power iteration repeats
v ← H·v/|H·v|, and the Rayleigh quotient vᵀHv tends to the eigenvalue
largest in size.

Inside training a run measures from a cold start once (`COLD_ITERATIONS`
from a random vector, outside the compiled loop, with the exact product
above), and after that every measurement is ONE iteration, warm-started
from the last vector: the Hessian moves little in a few steps, so power
iteration spread over the run tracks λmax as it moves. That one live product
is a central difference of two exact gradients, (∇L(θ+εv) − ∇L(θ−εv))/2ε
(`difference_product`): for these small models the cost of a compiled step
is the number of operations, not the arithmetic, and the difference is two
plain gradients where forward-over-backward is several times more
operations. Measured on a 1-16-1 network, 256 points, every 10 steps
(benchmarks/model_speed.py, steps per CPU-second): forward-over-backward
cost 35% of the training speed, a double GradientTape 43%, the central
difference 17%. For the line and poly (a quadratic loss) the difference is
exact up to rounding; for the network it matched the exact product's λmax
to about 1e-5.

Power iteration finds the eigenvalue largest in absolute value. If that one is
negative (a saddle-like region of a network's loss), the top eigenvalue is
found by iterating on H + s·I with s = −λ, which moves every eigenvalue to
≥ 0 and keeps their order, and subtracting s again. The cold start finds s;
the warm iterations keep using it.

θ may carry a lane axis, [R, P]: lanes do not interact, so the product of the
summed loss is every lane's own product and each lane's vector is normalised
on its own. Everything here traces into the trainers' compiled chunks.
"""

from __future__ import annotations

import tensorflow as tf

# Iterations from a random vector (the first measurement of a run), and from the last one.
COLD_ITERATIONS = 64
WARM_ITERATIONS = 1


def hessian_vector_product(loss_of, theta, v):
    """H·v of loss_of at θ, for every lane: forward-over-backward."""
    with tf.autodiff.ForwardAccumulator(theta, v) as forward:
        with tf.GradientTape() as tape:
            tape.watch(theta)
            total = tf.reduce_sum(loss_of(theta))
        gradient = tape.gradient(total, theta)
    return forward.jvp(gradient)


# ε of the central difference, relative to 1 + |θ|: small enough that the third
# derivative barely shows (the error is O(ε²)), large enough that float32 rounding
# of the gradients does not (it grows as 1/ε).
EPSILON = 1e-3


def difference_product(gradient_at, v, size):
    """H·v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε with ε = EPSILON·(1 + size), `gradient_at(offset)`
    giving ∇L at θ + offset. Exact for a quadratic loss (the line, poly) up to rounding."""
    step = EPSILON * (1.0 + size)
    return (gradient_at(step * v) - gradient_at(-step * v)) / (2.0 * step)


def warm_iteration(v, hv, shift):
    """One power-iteration step from unit v given H·v: (vᵀHv, the next unit vector of
    H + shift·I)."""
    return tf.reduce_sum(v * hv, axis=-1), _unit(hv + shift[..., None] * v)


def _unit(v):
    return v / (tf.norm(v, axis=-1, keepdims=True) + 1e-30)


def power_iteration(product, v, iterations):
    """(Rayleigh quotient, next vector) after `iterations` products (a tensor: no retrace)."""
    def body(i, v, quotient):
        hv = product(v)
        return i + 1, _unit(hv), tf.reduce_sum(v * hv, axis=-1)

    _, v, quotient = tf.while_loop(lambda i, *_: i < iterations, body,
                                   (tf.constant(0), _unit(v), tf.zeros(tf.shape(v)[:-1])))
    return quotient, v


def top_eigenvalue(loss_of, theta, v, iterations):
    """(λmax, its vector) per lane, by power iteration started from v."""
    value, vector, _ = cold_start(loss_of, theta, v, iterations)
    return value, vector


def cold_start(loss_of, theta, v, iterations):
    """(λmax, its vector, the shift s ≥ 0 the warm iterations use) per lane."""
    theta = tf.convert_to_tensor(theta)

    def product(u):
        return hessian_vector_product(loss_of, theta, u)

    largest, vector = power_iteration(product, v, iterations)
    shift = tf.nn.relu(-largest)  # > 0 only where the largest in size is negative

    def shifted():
        top, top_vector = power_iteration(lambda u: product(u) + shift[..., None] * u, v,
                                          iterations)
        negative = shift > 0
        return (tf.where(negative, top - shift, largest),
                tf.where(negative[..., None], top_vector, vector))

    value, vector = tf.cond(tf.reduce_any(shift > 0), shifted, lambda: (largest, vector))
    return value, vector, shift


def measure(model, theta, x, y, iterations: int = COLD_ITERATIONS) -> float:
    """The sharpness of `model`'s loss on (x, y) at θ (one lane), from a fresh vector."""
    value, _ = top_eigenvalue(lambda t: model.loss_flat(t, x, y), tf.constant(theta, tf.float32),
                              start_vector([model.size]), tf.constant(iterations))
    return float(value)


def start_vector(shape, seed: int = 0):
    """A random unit vector (per lane) to start the first power iteration from."""
    return _unit(tf.random.stateless_normal(shape, seed=[seed, 7919]))
