"""Settings of a run and the strict parsing of every value a user can type.

Both the command line and the hyperparameter pane go through the same
parsers, so a value is accepted or refused with the same message everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from lrtui.settings.model_fields import (
    check_model_and_data,
    inputs_of_dataset,
    parse_activation,
    parse_dataset,
    parse_degree,
    parse_hidden,
    parse_model,
    parse_sharpness_every,
)
from lrtui.settings.parsing import SettingError
from lrtui.settings.parsing import choice as _choice
from lrtui.settings.parsing import in_range as _in_range
from lrtui.settings.parsing import integer as _integer
from lrtui.settings.parsing import number as _number
from lrtui.settings.presets import parse_preset

SPEEDS = ("1", "3", "10", "30", "100", "300", "1000", "max")

# Every learning rate a field, a flag or a key (+, -) may set.
LR_RANGE = (1e-10, 1e4)
LR_RANGE_TEXT = "1e-10 to 1e4"


def parse_learning_rate(text: str) -> float:
    value = _number(text, "learning rate")
    if value <= 0:
        raise SettingError(f"learning rate: '{text.strip()}' must be greater than 0")
    return _in_range(value, *LR_RANGE, "learning rate", text.strip())


def parse_steps(text: str) -> int:
    return _in_range(_integer(text, "steps"), 1, 1_000_000_000, "steps", text.strip())


def parse_weight(text: str, what: str = "weight") -> float:
    return _in_range(_number(text, what), -1e6, 1e6, what, text.strip())


def parse_log_every(text: str) -> int:
    return _in_range(_integer(text, "log every"), 1, 1_000_000_000, "log every", text.strip())


def parse_n(text: str) -> int:
    return _in_range(_integer(text, "n"), 2, 10_000_000, "n", text.strip())


def parse_noise(text: str) -> float:
    return _in_range(_number(text, "noise"), 0.0, 1e6, "noise", text.strip())


def parse_seed(text: str) -> int:
    return _in_range(_integer(text, "seed"), 0, 2**32 - 1, "seed", text.strip())


def parse_speed(text: str) -> str:
    """Steps per second as one of SPEEDS; "max" lets the machine set the pace."""
    value = text.strip().lower()
    if value in SPEEDS:
        return value
    raise SettingError(f"speed: '{text.strip()}' is not one of {', '.join(SPEEDS)}")


def parse_device(text: str) -> str:
    value = text.strip()
    if value.lower() in ("auto", "cpu", "gpu"):
        return value.lower()
    if re.fullmatch(r"/?(device:)?(CPU|GPU):\d+", value, re.IGNORECASE):
        return value
    raise SettingError(f"device: '{value}' is not auto, cpu, gpu or a name like /GPU:1")


OPTIMIZERS = ("gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam")
SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine", "cyclic", "plateau")
_YES = ("yes", "true", "on", "1")
_NO = ("no", "false", "off", "0")


def parse_optimizer(text: str) -> str:
    return _choice(text, OPTIMIZERS, "optimizer")


def parse_schedule(text: str) -> str:
    return _choice(text, SCHEDULES, "schedule")


def parse_fraction(text: str, what: str) -> float:
    """A decay factor such as momentum, β1, β2 or ρ: at least 0, below 1."""
    value = _number(text, what)
    if not 0.0 <= value < 1.0:
        raise SettingError(f"{what}: '{text.strip()}' must be at least 0 and below 1")
    return value


def parse_epsilon(text: str) -> float:
    value = _number(text, "epsilon")
    if value <= 0:
        raise SettingError(f"epsilon: '{text.strip()}' must be greater than 0")
    return _in_range(value, 1e-12, 1.0, "epsilon", text.strip())


def parse_count(text: str, what: str, low: int = 1) -> int:
    return _in_range(_integer(text, what), low, 1_000_000_000, what, text.strip())


def parse_decay_rate(text: str) -> float:
    value = _number(text, "decay rate")
    if value <= 0:
        raise SettingError(f"decay rate: '{text.strip()}' must be greater than 0")
    return _in_range(value, 1e-6, 100.0, "decay rate", text.strip())


def parse_yes_no(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise SettingError(f"{what}: '{text.strip()}' is not yes or no")


def parse_boundaries(text: str) -> tuple[int, ...]:
    """Steps where the step schedule drops, e.g. "100,150": whole, increasing, at most 16."""
    parts = [part for part in text.replace(" ", ",").split(",") if part]
    if not parts:
        raise SettingError("boundaries: empty, type steps like 100,150")
    values = tuple(parse_count(part, "boundaries") for part in parts)
    if len(values) > 16:
        raise SettingError("boundaries: at most 16 steps")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise SettingError(f"boundaries: '{text.strip()}' must increase, e.g. 100,150")
    return values


def parse_cycle_ratio(text: str) -> float:
    return _in_range(_number(text, "cycle ratio"), 1.0, 1e4, "cycle ratio", text.strip())


def parse_batch_size(text: str) -> int:
    """Points per step, at least 1; "full" means every point (stored as 0: plain gradient descent)."""
    if text.strip().lower() == "full":
        return 0
    value = _integer(text, "batch size")
    if value < 1:
        raise SettingError(f"batch size: '{text.strip()}' is not a number of points: use 1 or more, "
                           "or full for every point")
    return _in_range(value, 1, 10_000_000, "batch size", text.strip())


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run; defaults are the lesson's."""

    learning_rate: float = 0.1
    steps: int = 200
    init_w: float = 0.0
    init_b: float = -1.0
    speed: str = "100"
    log_every: int = 20
    n: int = 100
    noise: float = 0.1
    seed: int = 0
    true_w: float = 0.1
    true_b: float = 0.5
    x_min: float = 0.0
    x_max: float = 1.0
    data: str | None = None
    device: str = "auto"
    theme: str = "lesson"
    # How each step moves the weights: the optimizer, its parameters, the
    # schedule of the lr over the steps, and how many points a step sees.
    optimizer: str = "gd"
    momentum: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    rho: float = 0.9
    epsilon: float = 1e-7
    schedule: str = "constant"
    decay_steps: int = 100
    decay_rate: float = 0.5
    staircase: bool = False
    boundaries: tuple[int, ...] = (100, 150)
    warmup_steps: int = 0
    alpha: float = 0.0
    cycle_steps: int = 50
    cycle_ratio: float = 10.0
    patience: int = 10
    min_delta: float = 1e-4
    batch_size: int = 0
    # What is trained, on what: the model (the lesson's line by default), its
    # size, the data set, feature scaling and the seed of random initial weights.
    model: str = "line"
    dataset: str = "line"
    degree: int = 3
    hidden: int = 16
    activation: str = "tanh"
    standardize: bool = False
    init_seed: int = 0
    # Steps between measurements of the sharpness; None: the command's own
    # default (10 in the app, off headless), 0: off.
    sharpness_every: int | None = None
    preset: str | None = None  # the preset the settings started from, if any
    # Train through divergence for the whole budget, as the lesson's loop does
    # (float32 overflows to inf, then NaN); by default a run stops at a loss
    # 1e12× its start or not a number, while its weights are still finite.
    no_stop: bool = False

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def steps_per_second(self) -> float | None:
        """The speed as a number, or None for as fast as the machine allows."""
        return None if self.speed == "max" else float(self.speed)


# One parser per field the user can type into (pane or command line).
PARSERS: dict[str, Callable[[str], object]] = {
    "learning_rate": parse_learning_rate,
    "steps": parse_steps,
    "init_w": lambda t: parse_weight(t, "init w"),
    "init_b": lambda t: parse_weight(t, "init b"),
    "speed": parse_speed,
    "log_every": parse_log_every,
    "n": parse_n,
    "noise": parse_noise,
    "seed": parse_seed,
    "true_w": lambda t: parse_weight(t, "true w"),
    "true_b": lambda t: parse_weight(t, "true b"),
    "x_min": lambda t: parse_weight(t, "x min"),
    "x_max": lambda t: parse_weight(t, "x max"),
    "device": parse_device,
    "optimizer": parse_optimizer,
    "momentum": lambda t: parse_fraction(t, "momentum"),
    "beta_1": lambda t: parse_fraction(t, "beta 1"),
    "beta_2": lambda t: parse_fraction(t, "beta 2"),
    "rho": lambda t: parse_fraction(t, "rho"),
    "epsilon": parse_epsilon,
    "schedule": parse_schedule,
    "decay_steps": lambda t: parse_count(t, "decay steps"),
    "decay_rate": parse_decay_rate,
    "staircase": lambda t: parse_yes_no(t, "staircase"),
    "boundaries": parse_boundaries,
    "warmup_steps": lambda t: parse_count(t, "warmup steps", low=0),
    "alpha": lambda t: parse_fraction(t, "alpha"),
    "cycle_steps": lambda t: parse_count(t, "cycle steps"),
    "cycle_ratio": parse_cycle_ratio,
    "patience": lambda t: parse_count(t, "patience"),
    "min_delta": lambda t: parse_fraction(t, "min delta"),
    "batch_size": parse_batch_size,
    "model": parse_model,
    "dataset": parse_dataset,
    "degree": parse_degree,
    "hidden": parse_hidden,
    "activation": parse_activation,
    "standardize": lambda t: parse_yes_no(t, "standardize"),
    "init_seed": lambda t: _in_range(_integer(t, "init seed"), 0, 2**32 - 1, "init seed", t.strip()),
    "sharpness_every": parse_sharpness_every,
    "preset": parse_preset,
    "no_stop": lambda t: parse_yes_no(t, "no stop"),
    # Not a run setting: the length of an LR range test.
    "sweep_steps": lambda t: parse_count(t, "num", low=10),
}

# Fields that define how a step is taken: changing one restarts the run from
# the initial weights, so that runs compare on equal terms.
METHOD_FIELDS = ("optimizer", "momentum", "beta_1", "beta_2", "rho", "epsilon", "schedule",
                 "decay_steps", "decay_rate", "staircase", "boundaries", "warmup_steps", "alpha",
                 "cycle_steps", "cycle_ratio", "patience", "min_delta", "batch_size")


def parser_text(value) -> str:
    """A value from a file (JSON, TOML) as the text its field's parser reads, exactly:
    lists become "100,150", booleans yes/no, floats keep every digit."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def as_text(field: str, value) -> str:
    """A setting the way a field shows it, and the way its parser reads it back."""
    if value is None and field in ("sharpness_every", "preset"):
        return "auto" if field == "sharpness_every" else "none"
    if field == "batch_size" and value == 0:
        return "full"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)

# Fields that define the data: changing one makes a new data set.
DATA_FIELDS = ("n", "noise", "seed", "true_w", "true_b", "x_min", "x_max", "data", "dataset",
               "standardize")


def check(settings: Settings) -> Settings:
    """Refuse combinations that no single parser can see."""
    if settings.x_min >= settings.x_max:
        raise SettingError(f"x range: x min {settings.x_min:g} must be below x max {settings.x_max:g}")
    if not settings.data:  # a file's columns are known once it is read
        check_model_and_data(settings.model, inputs_of_dataset(settings.dataset),
                             f"data set {settings.dataset}")
    return settings


def field_names() -> list[str]:
    return [f.name for f in fields(Settings)]
