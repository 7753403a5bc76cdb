"""Settings of a run and the strict parsing of every value a user can type.

Both the command line and the hyperparameter pane go through the same
parsers, so a value is accepted or refused with the same message everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from typing import Callable

# Plain decimal or scientific notation only: Python's float() also takes
# "1_0", "nan", "inf" and " 1 ", which a learning rate field must refuse.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")

SPEEDS = ("1", "3", "10", "30", "100", "300", "1000", "max")


class SettingError(ValueError):
    """A value the user typed that cannot be used; the message says why."""


def _number(text: str, what: str) -> float:
    text = text.strip()
    if not text:
        raise SettingError(f"{what}: empty, type a number")
    if not _NUMBER.fullmatch(text):
        raise SettingError(f"{what}: '{text}' is not a number (use e.g. 0.1 or 1e-3)")
    value = float(text)
    if math.isinf(value):
        raise SettingError(f"{what}: '{text}' is too large")
    if value == 0.0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0]):
        raise SettingError(f"{what}: '{text}' is too small to represent")
    return value


def _integer(text: str, what: str) -> int:
    text = text.strip()
    if not text:
        raise SettingError(f"{what}: empty, type a whole number")
    if not _INTEGER.fullmatch(text):
        raise SettingError(f"{what}: '{text}' is not a whole number")
    return int(text)


def _in_range(value, low, high, what: str, text: str):
    if not low <= value <= high:
        raise SettingError(f"{what}: '{text}' is out of range, use {low:g} to {high:g}")
    return value


def parse_learning_rate(text: str) -> float:
    value = _number(text, "learning rate")
    if value <= 0:
        raise SettingError(f"learning rate: '{text.strip()}' must be greater than 0")
    return _in_range(value, 1e-10, 1e4, "learning rate", text.strip())


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

    def with_(self, **changes) -> "Settings":
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
}

# Fields that define the data: changing one makes a new data set.
DATA_FIELDS = ("n", "noise", "seed", "true_w", "true_b", "x_min", "x_max", "data")


def check(settings: Settings) -> Settings:
    """Refuse combinations that no single parser can see."""
    if settings.x_min >= settings.x_max:
        raise SettingError(f"x range: x min {settings.x_min:g} must be below x max {settings.x_max:g}")
    return settings


def field_names() -> list[str]:
    return [f.name for f in fields(Settings)]
