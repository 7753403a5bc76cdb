"""The models a run can train, each stated once as a loss over named parameters.

The decision, taken once for every trainer: a model states its loss as a pure
function `loss(params, x, y)` of a dict of named parameter tensors (w, b;
c0…cD; w1, w2, b; W1, b1, W2, b2), where every parameter may carry leading
lane axes. Without lanes it returns one loss; with parameters of shape
[R, *shape] it returns R losses, one per lane, from one computation. Beside it
the model says how its parameters sit in one flat vector
(`flatten`/`unflatten`, the layout of `parameters`), and how they start.

Why this shape:
- The lesson's loop stays as it is: the solo trainer hands `{"w": w, "b": b}`
  (two scalar variables) to `line.loss`, takes dL/dw and dL/db with
  GradientTape and does `w.assign_sub(lr * dw)`. Its ops are the very ops it
  ran before, so its numbers are bit for bit today's.
- Every other consumer wants one vector: power iteration for the sharpness
  (a Hessian-vector product is a vector), compare mode and the lr × steps map
  (one row of the [lanes, P] matrix per run), optimizer state, run files. So
  the other models train one flat variable θ and read their named parameters
  as slices of it: `loss(unflatten(θ), x, y)`.
- Lanes are independent, so the gradient of the sum of the lanes' losses is
  every lane's own gradient, and a Hessian-vector product of that sum is
  every lane's own product: the batched trainer and the sharpness need no
  special case per model.
- The loss is written with names, the way the lesson writes the line, so a
  model reads like its formula; the flat vector is bookkeeping beside it.
"""

from __future__ import annotations

from lrtui.engine.models.base import Model, ModelError, Parameter
from lrtui.engine.models.line import Line
from lrtui.engine.models.logistic import Logistic
from lrtui.engine.models.mlp import MLP
from lrtui.engine.models.poly import Poly
from lrtui.settings.fields import SettingError, Settings
from lrtui.settings.model_fields import ACTIVATIONS, MODELS, check_model_and_data


def make_model(name: str, inputs: int, *, degree: int = 3, hidden: int = 16,
               activation: str = "tanh", init_w: float = 0.0, init_b: float = -1.0) -> Model:
    """The model `name` for data with `inputs` input columns (2 means labelled classes).

    Raises ModelError, with a one-line message, when the data does not fit the model.
    """
    if name not in MODELS:
        raise ModelError(f"model: '{name}' is not one of {', '.join(MODELS)}")
    try:
        check_model_and_data(name, inputs)
    except SettingError as error:
        raise ModelError(str(error)) from None
    if name == "line":
        return Line(init_w, init_b)
    if name == "poly":
        return Poly(degree)
    if name == "logistic":
        return Logistic()
    return MLP(inputs, hidden, activation)


def model_of(settings: Settings, inputs: int) -> Model:
    """The model the settings name, for data with `inputs` input columns."""
    s = settings
    return make_model(s.model, inputs, degree=s.degree, hidden=s.hidden, activation=s.activation,
                      init_w=s.init_w, init_b=s.init_b)


__all__ = ["ACTIVATIONS", "MODELS", "Line", "Logistic", "MLP", "Model", "ModelError",
           "Parameter", "Poly", "make_model", "model_of"]
