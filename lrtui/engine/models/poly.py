"""A polynomial of degree D in one input: y = c0 + c1·x + … + cD·x^D, mean squared error.

Still linear in its parameters, so the loss is quadratic and its Hessian is
the constant 2/n·VᵀV (V the columns 1, x, …, x^D): the theory is exact, and
the powers of an unscaled x make that Hessian badly conditioned.
"""

from __future__ import annotations

from lrtui.engine.models.base import Model, ModelError, Parameter
from lrtui.settings.model_fields import MAX_DEGREE


class Poly(Model):
    name = "poly"
    exact_hessian = True

    def __init__(self, degree: int):
        if not 1 <= degree <= MAX_DEGREE:
            raise ModelError(f"degree: {degree} is out of range, use 1 to {MAX_DEGREE}")
        self.degree = degree
        self.parameters = tuple(Parameter(f"c{k}") for k in range(degree + 1))

    def describe(self) -> str:
        return f"poly degree {self.degree}"

    def output(self, params: dict, x):
        import tensorflow as tf

        coefficients = tf.stack([params[f"c{k}"] for k in range(self.degree + 1)], axis=-1)
        powers = [tf.ones_like(x)]
        for _ in range(self.degree):
            powers.append(powers[-1] * x)
        design = tf.stack(powers, axis=-1)  # [N, D+1]: the columns 1, x, …, x^D
        return tf.reduce_sum(coefficients[..., None, :] * design, axis=-1)
