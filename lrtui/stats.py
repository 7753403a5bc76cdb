"""Counters and first-time marks for the benchmark suite.

Off unless LRTUI_STATS names a file; then the app writes them there as JSON
when it exits. Counting costs one dict update, so it stays in the product.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter

counters: Counter[str] = Counter()
marks: dict[str, float] = {}


def count(name: str, amount: int = 1) -> None:
    counters[name] += amount


def mark(name: str) -> None:
    """Wall-clock time of the first time `name` happened."""
    marks.setdefault(name, time.time())


def dump() -> None:
    path = os.environ.get("LRTUI_STATS")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"counters": dict(counters), "marks": marks}, out)
