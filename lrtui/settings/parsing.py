"""The strict reading of typed numbers, whole numbers and names, shared by every settings module.

Python's float() and int() are too lenient for a field a person types into
("1_0", "nan", " 1 "); these read plain decimal or scientific notation only
and say in one line what is wrong.
"""

from __future__ import annotations

import math
import re

# Plain decimal or scientific notation only: Python's float() also takes
# "1_0", "nan", "inf" and " 1 ", which a learning rate field must refuse.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


class SettingError(ValueError):
    """A value the user typed that cannot be used; the message says why."""


def number(text: str, what: str) -> float:
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


def integer(text: str, what: str) -> int:
    text = text.strip()
    if not text:
        raise SettingError(f"{what}: empty, type a whole number")
    if not _INTEGER.fullmatch(text):
        raise SettingError(f"{what}: '{text}' is not a whole number")
    return int(text)


def in_range(value, low, high, what: str, text: str):
    if not low <= value <= high:
        raise SettingError(f"{what}: '{text}' is out of range, use {low:g} to {high:g}")
    return value


def choice(text: str, choices: tuple[str, ...], what: str) -> str:
    value = text.strip().lower().replace("-", "_")
    if value in choices:
        return value
    raise SettingError(f"{what}: '{text.strip()}' is not one of {', '.join(choices)}")



def count_in(text: str, what: str, low: int, high: int) -> int:
    """A whole number from low to high."""
    return in_range(integer(text, what), low, high, what, text.strip())
