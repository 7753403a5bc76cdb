"""The update rules compare mode runs in lock-step, their constants, and a numpy reference.

The names are those of `--optimizer`; the constants are Keras 3's defaults
(SGD's momentum is set to 0.9, its usual value), so a run here moves like the
same Keras optimizer would. The numpy reference is the rule written out step
by step in float64: the batched TensorFlow version is checked against it.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.settings.fields import OPTIMIZERS, parse_optimizer  # noqa: F401  (one list of names)

CODES = {name: index for index, name in enumerate(OPTIMIZERS)}
ADAGRAD_START = 0.1  # Keras's initial_accumulator_value

_CONSTANTS = {"momentum": 0.9, "rho": 0.9, "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999}


def rule_constants() -> dict[str, float]:
    return dict(_CONSTANTS)


def reference_run(optimizer: str, x, y, learning_rate: float, init_w: float, init_b: float,
                  steps: int) -> dict[str, np.ndarray]:
    """Run `steps` steps in numpy; returns per-step loss, w, b (the weights each step starts from)."""
    k = _CONSTANTS
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    w, b = float(init_w), float(init_b)
    start = ADAGRAD_START if optimizer == "adagrad" else 0.0
    s1 = [start, start]
    s2 = [0.0, 0.0]
    out = {"loss": [], "w": [], "b": []}
    for t in range(1, steps + 1):
        residual = w * x + b - y
        loss = float(np.mean(residual ** 2))
        grads = [float(np.mean(2 * residual * x)), float(np.mean(2 * residual))]
        out["loss"].append(loss)
        out["w"].append(w)
        out["b"].append(b)
        params = [w, b]
        for i, g in enumerate(grads):
            p = params[i]
            if optimizer == "gd":
                p -= learning_rate * g
            elif optimizer in ("momentum", "nesterov"):
                s1[i] = k["momentum"] * s1[i] - learning_rate * g
                p += s1[i] if optimizer == "momentum" else k["momentum"] * s1[i] - learning_rate * g
            elif optimizer == "rmsprop":
                s1[i] = k["rho"] * s1[i] + (1 - k["rho"]) * g * g
                p -= learning_rate * g / math.sqrt(s1[i] + k["epsilon"])  # Keras 3: ε inside
            elif optimizer == "adagrad":
                s1[i] += g * g
                p -= learning_rate * g / math.sqrt(s1[i] + k["epsilon"])
            elif optimizer == "adam":
                s1[i] += (g - s1[i]) * (1 - k["beta_1"])
                s2[i] += (g * g - s2[i]) * (1 - k["beta_2"])
                alpha = learning_rate * math.sqrt(1 - k["beta_2"] ** t) / (1 - k["beta_1"] ** t)
                p -= alpha * s1[i] / (math.sqrt(s2[i]) + k["epsilon"])
            else:
                raise ValueError(optimizer)
            params[i] = p
        w, b = params
    return {name: np.asarray(values) for name, values in out.items()}
