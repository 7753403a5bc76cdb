"""The Keras optimizers a run can use instead of the lesson's plain update.

Plain gradient descent ("gd") is not here: the trainer writes it out as the
lesson does, w.assign_sub(lr * dw). The others are Keras 3 optimizers driven
from inside the compiled chunk: each step assigns the lr it uses to
`optimizer.learning_rate` (a variable; Keras 3 has no `lr` alias) and calls
`apply_gradients`, which works inside the tf.while_loop under XLA.
"""

from __future__ import annotations

import keras

from lrtui.settings.fields import Settings


def make_optimizer(settings: Settings, learning_rate: float):
    """A Keras optimizer for `settings.optimizer`, or None for plain gradient descent."""
    s = settings
    if s.optimizer == "gd":
        return None
    if s.optimizer in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate, momentum=s.momentum,
                                    nesterov=s.optimizer == "nesterov")
    if s.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate, rho=s.rho, epsilon=s.epsilon)
    if s.optimizer == "adagrad":
        return keras.optimizers.Adagrad(learning_rate, epsilon=s.epsilon)
    if s.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=s.beta_1, beta_2=s.beta_2,
                                     epsilon=s.epsilon)
    raise ValueError(f"unknown optimizer {s.optimizer!r}")

