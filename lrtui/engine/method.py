"""How a run takes its steps, in words: optimizer, schedule, batch size (no TensorFlow here)."""

from __future__ import annotations

from lrtui.settings.fields import Settings

OPTIMIZER_RULES = {
    "gd": "plain gradient descent: w -= lr·dw",
    "momentum": "SGD with momentum: v = μ·v − lr·dw; w += v",
    "nesterov": "SGD with Nesterov momentum: w += μ·v − lr·dw",
    "rmsprop": "RMSprop: dw over a running RMS of dw (ρ)",
    "adagrad": "Adagrad: dw over the root of the sum of all dw²",
    "adam": "Adam: running mean (β1) over running RMS (β2) of dw",
}

# The parameters each optimizer and each schedule reads.
OPTIMIZER_PARAMETERS = {
    "gd": (),
    "momentum": ("momentum",),
    "nesterov": ("momentum",),
    "rmsprop": ("rho", "epsilon"),
    "adagrad": ("epsilon",),
    "adam": ("beta_1", "beta_2", "epsilon"),
}
SCHEDULE_PARAMETERS = {
    "constant": (),
    "step": ("boundaries", "decay_rate"),
    "exponential": ("decay_steps", "decay_rate", "staircase"),
    "inverse_time": ("decay_steps", "decay_rate", "staircase"),
    "cosine": ("decay_steps", "warmup_steps", "alpha"),
    "cyclic": ("cycle_steps", "cycle_ratio"),
    "plateau": ("patience", "decay_rate", "min_delta"),
}
SYMBOLS = {"momentum": "μ", "beta_1": "β1", "beta_2": "β2", "rho": "ρ", "epsilon": "ε"}


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return f"{value:g}"


def describe_optimizer(settings: Settings) -> str:
    """e.g. "adam β1 0.9 β2 0.999 ε 1e-07"."""
    parts = [settings.optimizer]
    for name in OPTIMIZER_PARAMETERS[settings.optimizer]:
        parts.append(f"{SYMBOLS[name]} {_value(getattr(settings, name))}")
    return " ".join(parts)


def describe_schedule(settings: Settings) -> str:
    """e.g. "cosine decay_steps 100 warmup_steps 10 alpha 0"."""
    parts = [settings.schedule]
    for name in SCHEDULE_PARAMETERS[settings.schedule]:
        parts.append(f"{name} {_value(getattr(settings, name))}")
    return " ".join(parts)


def batch_that_fits(settings: Settings, n: int) -> tuple[Settings, str]:
    """A batch larger than the data is the whole data: the settings that say so, and why."""
    if settings.batch_size <= n:
        return settings, ""
    return settings.with_(batch_size=0), (f"batch size {settings.batch_size:,} is more than the "
                                          f"{n:,} points: every step uses all {n:,} (full batch)")


def describe_batch(settings: Settings, n: int) -> str:
    size = settings.batch_size
    if size == 0 or size >= n:
        return "full batch"
    return f"batch {size} of {n} (reshuffled each epoch)"


def describe(settings: Settings, n: int) -> str:
    return f"{describe_optimizer(settings)}; {describe_schedule(settings)}; {describe_batch(settings, n)}"


def peak_factor(settings: Settings) -> float:
    """The largest factor the schedule multiplies the lr by (inf if it grows without end)."""
    if settings.schedule == "cyclic":
        return settings.cycle_ratio
    if settings.schedule in ("step", "exponential", "plateau") and settings.decay_rate > 1:
        return float("inf")
    return 1.0
