"""The stability markers: what the theory says about an lr before the run shows it.

The bounds (lr_max = 2/λmax, 1/λmax) are exact for plain gradient descent on
the full batch. For the other optimizers they are only a reference, and the
markers say so instead of predicting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lrtui.engine.method import peak_factor
from lrtui.engine.theory import Theory
from lrtui.settings.fields import Settings

PLAIN_GD_NOTE = "lr_max is the plain-GD bound"


@dataclass(frozen=True)
class Marker:
    regime: str  # converges | oscillates | diverges | reference
    words: str  # what the status line says, e.g. "will oscillate"
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
    if regime == "oscillates":
        return Marker(regime, "will oscillate", "info")
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
    if mark.regime == "oscillates":
        return (f"{at} is above 1/λmax {_fmt(theory.lr_zigzag)}: expect it to oscillate "
                f"(lr_max {_fmt(theory.lr_max)})", "info")
    if mark.regime == "reference" and learning_rate * min(peak, 1e300) >= theory.lr_max:
        return (f"{at} is above lr_max {_fmt(theory.lr_max)}, but {PLAIN_GD_NOTE}: "
                f"{settings.optimizer} may still converge", "info")
    return None


def _fmt(value: float) -> str:
    return f"{value:.4g}"
