"""JSON has no NaN or Infinity: the one place where such a value becomes null."""

from __future__ import annotations

import math


def finite_or_none(value):
    """A float that is not a finite number becomes None; anything else is kept."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonable(values: dict) -> dict:
    """The same mapping with every non-finite float as None (lists and dicts inside too)."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return finite_or_none(value)
    return clean(values)
