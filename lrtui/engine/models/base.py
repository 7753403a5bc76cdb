"""What every model is: named parameters in one flat vector, a start, an output and a loss.

A model holds no TensorFlow state: it describes. The trainers own the
variables and hand the model either named tensors (the line's w and b) or the
named slices of one flat vector θ (`unflatten`). Parameters may carry
leading lane axes ([R, *shape] for R runs in lock-step); `output` and `loss`
then return one row per lane.

TensorFlow is imported inside the methods that build TensorFlow ops: a model
is also made before TensorFlow is loaded, to check settings against the data
and to describe a run, and the engine loads TensorFlow quietly first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrtui.settings.parsing import SettingError


class ModelError(SettingError):
    """A model that cannot be used with these settings or this data; the message says why."""


@dataclass(frozen=True)
class Parameter:
    name: str
    shape: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Model:
    name = "model"
    parameters: tuple[Parameter, ...] = ()
    inputs = 1  # input columns of x: 1 (x has shape [N]) or 2 ([N, 2])
    classifies = False  # True: the output is a logit and the loss is binary cross-entropy
    # True for losses quadratic in the parameters (line, poly): the Hessian is
    # constant, so the theory's lr_max is exact before any step.
    exact_hessian = False

    # -- the flat vector ---------------------------------------------------------
    @property
    def size(self) -> int:
        """How many numbers the parameters are: the length of θ."""
        return sum(p.size for p in self.parameters)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def describe(self) -> str:
        """The model in a few words, e.g. "mlp 1-16-1 tanh"."""
        return self.name

    def initial(self, seed: int) -> np.ndarray:
        """θ at the start of a run, float32; `seed` draws random weights where a model has them."""
        return np.zeros(self.size, np.float32)

    def unflatten(self, theta) -> dict:
        """θ of shape [*lanes, P] as named tensors of shape [*lanes, *shape] (views, differentiable)."""
        import tensorflow as tf

        lanes = theta.shape[:-1].as_list()
        if None in lanes:  # lanes of any count (the pictures' grids): the shape when run
            lanes = tf.unstack(tf.shape(theta)[:-1], num=len(lanes))
        out, start = {}, 0
        for p in self.parameters:
            if p.shape == ():
                out[p.name] = theta[..., start]
            else:
                out[p.name] = tf.reshape(theta[..., start:start + p.size], lanes + list(p.shape))
            start += p.size
        return out

    def named(self, theta: np.ndarray) -> dict:
        """θ as {name: value}: a float for a scalar, nested lists for vectors and matrices."""
        theta = np.asarray(theta, np.float64)
        out, start = {}, 0
        for p in self.parameters:
            part = theta[start:start + p.size]
            out[p.name] = float(part[0]) if p.shape == () else part.reshape(p.shape).tolist()
            start += p.size
        return out

    def from_named(self, values: dict) -> np.ndarray:
        """The inverse of `named`: θ as float32; ValueError if a name or a shape is wrong."""
        missing = [n for n in self.names if n not in values]
        extra = [n for n in values if n not in self.names]
        if missing or extra:
            raise ValueError(f"parameters of {self.describe()}: "
                             + (f"missing {', '.join(missing)}" if missing else
                                f"unknown {', '.join(extra)}"))
        parts = []
        for p in self.parameters:
            value = np.asarray(values[p.name], np.float64)
            if value.shape != p.shape:
                raise ValueError(f"parameter {p.name} has shape {value.shape}, "
                                 f"{self.describe()} needs {p.shape}")
            parts.append(value.reshape(-1))
        return np.concatenate(parts).astype(np.float32)

    # -- the maths -----------------------------------------------------------------
    def output(self, params: dict, x):
        """The prediction (a logit when the model classifies) at every point: [*lanes, N]."""
        raise NotImplementedError

    def loss(self, params: dict, x, y):
        """The training loss, [*lanes]: mean squared error, or mean cross-entropy from logits."""
        out = self.output(params, x)
        if self.classifies:
            return cross_entropy(out, y)
        return squared_error(out, y)

    def loss_flat(self, theta, x, y):
        """The same loss as a function of θ: what the sharpness and the lanes differentiate."""
        return self.loss(self.unflatten(theta), x, y)


def squared_error(prediction, y):
    import tensorflow as tf

    return tf.reduce_mean(tf.square(prediction - y), axis=-1)


def cross_entropy(logit, label):
    """Mean binary cross-entropy from logits. TensorFlow's form, max(z, 0) − z·y +
    log(1 + e^−|z|), written with `where`, so that its derivatives are right at z = 0,
    where a model that starts at zero weights has every logit (relu and abs would say 0)."""
    import tensorflow as tf

    each = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.broadcast_to(label, tf.shape(logit)),
                                                   logits=logit)
    return tf.reduce_mean(each, axis=-1)


def lanes_last(value):
    """A per-lane scalar made ready to meet the points: [R] -> [R, 1]; no lanes: unchanged."""
    return value[..., None] if value.shape.rank else value
