"""The stability markers: what the theory says about an lr before the run shows it.

The bounds (lr_max = 2/λmax, 1/λmax) are exact for plain gradient descent on
the full batch. Between 1/λmax and lr_max the weights' steep component
zig-zags across the valley, yet the loss still falls at every step; above
lr_max it grows. For the other optimizers the bounds are only a reference,
and the markers say so instead of predicting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lrtui.engine.method import peak_factor
from lrtui.engine.theory import Theory, steps_to_within
from lrtui.settings.fields import Settings

PLAIN_GD_NOTE = "lr_max is the plain-GD bound"
# Between 1/λmax and lr_max: what moves back and forth is the weights, not the loss.
ZIGZAG_WORDS = "w,b zig-zag, loss falls"


@dataclass(frozen=True)
class Marker:
    regime: str  # converges | zigzags | diverges | reference
    words: str  # what the status line says, e.g. "w,b zig-zag, loss falls"
    kind: str  # info | warning, as a run event


def marker(settings: Settings, theory: Theory, learning_rate: float | None = None) -> Marker:
    """The marker for `learning_rate` (default: the settings' lr) at its schedule's peak."""
    lr = settings.learning_rate if learning_rate is None else learning_rate
    peak = peak_factor(settings)
    top = lr * peak if math.isfinite(peak) else math.inf
    if settings.optimizer != "gd":
        return Marker("reference", f"{settings.optimizer}: {PLAIN_GD_NOTE}", "info")
    regime = theory.regime(top)
    if regime == "diverges":
        return Marker(regime, "will diverge", "warning")
    if regime == "zigzags":
        return Marker(regime, ZIGZAG_WORDS, "info")
    return Marker(regime, "converges", "info")


def warning_text(settings: Settings, theory: Theory, learning_rate: float) -> tuple[str, str] | None:
    """The event a run logs for this lr, as (text, kind), or None when all is calm."""
    mark = marker(settings, theory, learning_rate)
    peak = peak_factor(settings)
    at = f"lr {_fmt(learning_rate)}"
    if peak != 1.0:
        at += f" (peak {_fmt(learning_rate * peak)} in the {settings.schedule} schedule)"
    if mark.regime == "diverges":
        return f"{at} is above lr_max {_fmt(theory.lr_max)}: expect it to diverge", "warning"
    if mark.regime == "zigzags":
        return (f"{at} is above 1/λmax {_fmt(theory.lr_zigzag)}: the steep component of the "
                f"weights zig-zags, while the loss still falls every step (lr_max "
                f"{_fmt(theory.lr_max)})", "info")
    if mark.regime == "reference" and learning_rate * min(peak, 1e300) >= theory.lr_max:
        return (f"{at} is above lr_max {_fmt(theory.lr_max)}, but {PLAIN_GD_NOTE}: "
                f"{settings.optimizer} may still converge", "info")
    return None


def singular_note(theory: Theory) -> str | None:
    """What is true when every x is the same; None for data with a unique minimum."""
    if not theory.singular:
        return None
    level = theory.ols_w * theory.m1 + theory.ols_b  # the mean of y
    return (f"every x is {_fmt(theory.m1)}: the minimum is not unique, every line with "
            f"w·{_fmt(theory.m1)} + b = {_fmt(level)} fits as well (loss {_fmt(theory.ols_loss)}). "
            f"Plain GD below lr_max {_fmt(theory.lr_max)} still converges: the loss to that "
            "minimum, the weights to the point of that line nearest the start (no step moves "
            "along it). No lr_opt: κ = ∞")


def predicted_steps(settings: Settings, theory: Theory, n: int,
                    learning_rate: float | None = None) -> float | None:
    """Steps from the start to within 1% of the minimum at this lr (inf: never), or None
    where the theory does not predict it: another optimizer, a schedule, a mini-batch."""
    batch = settings.batch_size
    if settings.optimizer != "gd" or settings.schedule != "constant" or 0 < batch < n:
        return None
    lr = settings.learning_rate if learning_rate is None else learning_rate
    return steps_to_within(theory, lr, settings.init_w, settings.init_b)


def diverging_reason(optimizer: str, theory: Theory, last_lr: float, start_loss: float,
                     final_loss: float, previous_loss: float) -> str:
    """Why a run that used up its budget is still diverging, or "" if it is not.

    Plain gradient descent above lr_max diverges whatever the loss did so far;
    any run whose loss ends above its start and still rising is diverging too.
    """
    if optimizer == "gd" and last_lr >= theory.lr_max:
        where = "at" if last_lr == theory.lr_max else "above"
        return f"plain GD at lr {_fmt(last_lr)} is {where} lr_max {_fmt(theory.lr_max)}"
    if final_loss > start_loss and final_loss > previous_loss:
        return f"the loss ends above its start ({_fmt(final_loss)} > {_fmt(start_loss)}) and rising"
    return ""


def _fmt(value: float) -> str:
    return f"{value:.4g}"
