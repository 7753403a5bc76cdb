"""Logistic regression on two inputs: p = σ(w1·x1 + w2·x2 + b), mean binary cross-entropy.

Convex but not quadratic: its Hessian XᵀSX/n (S the diagonal of p·(1−p), at
most 1/4) changes with the weights, so lr_max moves as the run goes and is
never above 2 / (λmax(XᵀX/n)/4).
"""

from __future__ import annotations

from lrtui.engine.models.base import Model, Parameter, lanes_last


class Logistic(Model):
    name = "logistic"
    parameters = (Parameter("w1"), Parameter("w2"), Parameter("b"))
    inputs = 2
    classifies = True

    def output(self, params: dict, x):
        w1, w2, b = (lanes_last(params[n]) for n in ("w1", "w2", "b"))
        return w1 * x[:, 0] + w2 * x[:, 1] + b
