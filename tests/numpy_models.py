"""Independent float64 numpy references of the models: loss and gradient written out by hand.

No TensorFlow here, so a mistake in a model's TensorFlow formula shows up as a
mismatch in the tests instead of being copied into the reference.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce(z, label):
    p = sigmoid(z)
    return float(np.mean(-label * np.log(p) - (1 - label) * np.log(1 - p)))


# (loss, gradient as a flat vector in the model's parameter order)
def numpy_line(theta, x, y):
    w, b = theta
    r = w * x + b - y
    return np.mean(r**2), np.array([np.mean(2 * r * x), np.mean(2 * r)])


def numpy_poly(theta, x, y):
    design = np.stack([x**k for k in range(len(theta))], axis=1)
    r = design @ theta - y
    return np.mean(r**2), 2 * design.T @ r / len(x)


def numpy_logistic(theta, x, y):
    w1, w2, b = theta
    z = w1 * x[:, 0] + w2 * x[:, 1] + b
    d = (sigmoid(z) - y) / len(y)  # dL/dz of the mean cross-entropy
    return bce(z, y), np.array([np.sum(d * x[:, 0]), np.sum(d * x[:, 1]), np.sum(d)])


def numpy_mlp(theta, x, y, inputs, hidden, activation):
    x = x.reshape(len(x), inputs)
    sizes = [inputs * hidden, hidden, hidden, 1]
    w1, b1, w2, b2 = np.split(theta, np.cumsum(sizes)[:-1])
    w1, w2 = w1.reshape(inputs, hidden), w2.reshape(hidden, 1)
    pre = x @ w1 + b1
    h = np.tanh(pre) if activation == "tanh" else np.maximum(pre, 0)
    out = (h @ w2)[:, 0] + b2[0]
    if inputs == 2:
        loss = bce(out, y)
        d_out = (sigmoid(out) - y) / len(y)
    else:
        loss = np.mean((out - y) ** 2)
        d_out = 2 * (out - y) / len(y)
    g_w2 = h.T @ d_out[:, None]
    g_b2 = np.array([d_out.sum()])
    d_h = d_out[:, None] * w2[:, 0][None, :]
    d_pre = d_h * ((1 - h**2) if activation == "tanh" else (pre > 0))
    g_w1 = x.T @ d_pre
    g_b1 = d_pre.sum(axis=0)
    return loss, np.concatenate([g_w1.ravel(), g_b1, g_w2.ravel(), g_b2])


def reference(model, theta, x, y):
    theta = np.asarray(theta, np.float64)
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if model.name == "line":
        return numpy_line(theta, x, y)
    if model.name == "poly":
        return numpy_poly(theta, x, y)
    if model.name == "logistic":
        return numpy_logistic(theta, x, y)
    return numpy_mlp(theta, x, y, model.inputs, model.hidden, model.activation)


def hessian_by_differences(gradient, theta, step=1e-5):
    """The Hessian by central differences of an exact gradient, symmetrised."""
    theta = np.asarray(theta, np.float64)
    columns = []
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = step
        columns.append((gradient(theta + e) - gradient(theta - e)) / (2 * step))
    h = np.stack(columns, axis=1)
    return (h + h.T) / 2
