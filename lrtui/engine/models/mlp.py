"""A network with one hidden layer: out = act(x·W1 + b1)·W2 + b2.

Regression on one input (mean squared error) or classification on two
inputs (the output is a logit, mean binary cross-entropy). The matrices are
laid out as Keras lays out a Dense kernel, inputs × outputs, so W1 is
inputs × hidden and W2 hidden × 1; the same network in Keras takes these
weights unchanged. Weights start Glorot-uniform (limit √(6/(fan_in+fan_out)))
from the init seed, biases at zero.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.engine.models.base import Model, ModelError, Parameter
from lrtui.settings.model_fields import MAX_HIDDEN


class MLP(Model):
    name = "mlp"

    def __init__(self, inputs: int, hidden: int, activation: str = "tanh"):
        if not 1 <= hidden <= MAX_HIDDEN:
            raise ModelError(f"hidden: {hidden} is out of range, use 1 to {MAX_HIDDEN}")
        if activation not in ("tanh", "relu"):
            raise ModelError(f"activation: '{activation}' is not one of tanh, relu")
        if inputs not in (1, 2):
            raise ModelError(f"mlp takes one or two inputs, not {inputs}")
        self.inputs, self.hidden, self.activation = inputs, hidden, activation
        self.classifies = inputs == 2
        self.parameters = (Parameter("W1", (inputs, hidden)), Parameter("b1", (hidden,)),
                           Parameter("W2", (hidden, 1)), Parameter("b2", (1,)))

    def describe(self) -> str:
        return f"mlp {self.inputs}-{self.hidden}-1 {self.activation}"

    def initial(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)

        def glorot(fan_in, fan_out):
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-limit, limit, (fan_in, fan_out))

        w1 = glorot(self.inputs, self.hidden)
        w2 = glorot(self.hidden, 1)
        return np.concatenate([w1.ravel(), np.zeros(self.hidden), w2.ravel(),
                               np.zeros(1)]).astype(np.float32)

    def output(self, params: dict, x):
        import tensorflow as tf

        act = tf.tanh if self.activation == "tanh" else tf.nn.relu
        inputs = x[:, None] if self.inputs == 1 else x  # [N, inputs]
        # With lanes, W1 is [R, inputs, hidden]: matmul broadcasts the points over the lanes.
        hidden = act(tf.matmul(inputs, params["W1"]) + params["b1"][..., None, :])
        return tf.matmul(hidden, params["W2"])[..., 0] + params["b2"]
