"""The lesson's model: y = w·x + b, mean squared error, starting from the lesson's w and b."""

from __future__ import annotations

import numpy as np

from lrtui.engine.models.base import Model, Parameter, lanes_last


class Line(Model):
    name = "line"
    parameters = (Parameter("w"), Parameter("b"))
    exact_hessian = True

    def __init__(self, init_w: float = 0.0, init_b: float = -1.0):
        self.init_w, self.init_b = init_w, init_b

    def initial(self, seed: int) -> np.ndarray:
        return np.array([self.init_w, self.init_b], np.float32)

    def output(self, params: dict, x):
        w, b = lanes_last(params["w"]), lanes_last(params["b"])
        # Without lanes this is the lesson's w * x + b, op for op.
        return w * x + b
