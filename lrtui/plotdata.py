"""The one place where numbers are made safe for plotext.

plotext 5.3 raises on ±inf, draws nothing when a value is near 1e300, raises
on a log axis with values <= 0 and on equal axis limits. Every plot in lrtui
passes its data through these functions and nothing else.
"""

from __future__ import annotations

import math

import numpy as np

# Beyond this, plotext's scaling arithmetic loses the plot.
CLIP = 1e30
TINY = 1e-30


def finite_pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Keep the (x, y) pairs where both are finite, clipped to ±CLIP."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    return np.clip(x[keep], -CLIP, CLIP), np.clip(y[keep], -CLIP, CLIP)


def positive_pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    """For a log axis: finite pairs whose y is > 0."""
    x, y = finite_pairs(x, y)
    keep = y > 0
    return x[keep], np.maximum(y[keep], TINY)


def limits(low: float, high: float, log: bool = False) -> tuple[float, float]:
    """Axis limits that are finite and distinct (and positive on a log axis)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = (1.0, 10.0) if log else (0.0, 1.0)
    low, high = min(low, high), max(low, high)
    low, high = max(-CLIP, low), min(CLIP, high)
    if log:
        low, high = max(low, TINY), max(high, TINY)
        if high <= low * (1 + 1e-9):
            low, high = low / 2, high * 2
        return low, high
    if high - low <= 1e-12 * max(1.0, abs(low), abs(high)):
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, high + pad
    return low, high


def downsample(x, y, width: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `width` points, keeping each column's min and max so spikes stay visible."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    width = max(2, int(width))
    if len(x) <= width:
        return x, y
    groups = width // 2
    edges = np.linspace(0, len(x), groups + 1).astype(np.int64)
    xs, ys = [], []
    for start, end in zip(edges[:-1], edges[1:]):
        if end <= start:
            continue
        part = y[start:end]
        lo, hi = int(np.argmin(part)), int(np.argmax(part))
        for i in sorted({lo, hi}):
            xs.append(x[start + i])
            ys.append(part[i])
    return np.asarray(xs), np.asarray(ys)


def clip_segment(x0, y0, x1, y1, box) -> tuple[float, float, float, float] | None:
    """The part of a line segment inside box = (xmin, xmax, ymin, ymax), or None.

    A diverging fit line can be a million units off; drawing it clipped to
    the frame shows which way it left instead of a blank plot.
    """
    xmin, xmax, ymin, ymax = box
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


def axis_value(value: float, log: bool) -> float:
    """plotext takes the limits of a log axis as log10 of the value."""
    return math.log10(max(value, TINY)) if log else value


def line_value(value: float, log: bool) -> float:
    """plotext takes a reference line (hline, vline) as the value itself: it takes the
    log10 on a log axis, and raises if the value is not above 0 there."""
    return min(max(value, TINY), CLIP) if log else min(max(value, -CLIP), CLIP)


def log_ticks(low: float, high: float, count: int = 5) -> tuple[list[float], list[str]]:
    """Ticks for a log axis as (values, labels): whole decades when the axis spans
    three or more, else `count` evenly spaced in log. plotext's own labels on a
    log axis print 1e-7 as 0.000000."""
    low, high = limits(low, high, log=True)
    first, last = math.ceil(math.log10(low)), math.floor(math.log10(high))
    if last - first >= 2:
        step = max(1, (last - first) // (count - 1) or 1)
        values = [10.0**k for k in range(first, last + 1, step)]
    else:
        values = list(np.geomspace(low, high, count))
    return values, [f"{v:.2g}" for v in values]
