"""The sharpness: the top eigenvalue of the training loss's Hessian, measured while training.

For the line and the polynomial the Hessian is constant and the theory knows
λmax in advance. For the logistic loss and a network it moves with the
weights, and plain gradient descent is stable only while lr < 2/λmax of the
Hessian where it stands: the lesson's lr_max becomes "2/sharpness, now".

The Hessian itself is never formed (a network has P² entries). A
Hessian-vector product H·v costs about two gradients: forward-mode
differentiation (tf.autodiff.ForwardAccumulator) of the reverse-mode
gradient, i.e. the directional derivative of ∇L along v. Power iteration
repeats v ← H·v/|H·v|, and the Rayleigh quotient vᵀHv tends to the eigenvalue
largest in size. Started from the vector of the previous measurement (the
Hessian moves little in a few steps), a few iterations suffice.

Power iteration finds the eigenvalue largest in absolute value. If that one is
negative (a saddle-like region of a network's loss), the top eigenvalue is
found by iterating on H + s·I with s = −λ, which moves every eigenvalue to
≥ 0 and keeps their order, and subtracting s again.

θ may carry a lane axis, [R, P]: lanes do not interact, so the product of the
summed loss is every lane's own product and each lane's vector is normalised
on its own. Everything here traces into the trainers' compiled chunks.
"""

from __future__ import annotations

import tensorflow as tf

# Iterations from a random vector (the first measurement of a run), and from the last one.
COLD_ITERATIONS = 64
WARM_ITERATIONS = 4


def hessian_vector_product(loss_of, theta, v):
    """H·v of loss_of at θ, for every lane: forward-over-backward."""
    with tf.autodiff.ForwardAccumulator(theta, v) as forward:
        with tf.GradientTape() as tape:
            tape.watch(theta)
            total = tf.reduce_sum(loss_of(theta))
        gradient = tape.gradient(total, theta)
    return forward.jvp(gradient)


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

    return tf.cond(tf.reduce_any(shift > 0), shifted, lambda: (largest, vector))


def start_vector(shape, seed: int = 0):
    """A random unit vector (per lane) to start the first power iteration from."""
    return _unit(tf.random.stateless_normal(shape, seed=[seed, 7919]))
