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
    # Both ends are clipped: one value beyond CLIP would otherwise turn the limits round.
    low, high = (min(max(v, -CLIP), CLIP) for v in (low, high))
    if log:
        low, high = max(low, TINY), max(high, TINY)
        if high <= low * (1 + 1e-9):
            low, high = low / 2, high * 2
        return low, high
    if high - low <= 1e-12 * max(1.0, abs(low), abs(high)):
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, high + pad
    return low, high


def downsample(x, y, width: int, x_range: tuple[float, float] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """At most `width` points, keeping each column's min and max so spikes stay visible.

    With `x_range` (the axis, for x in ascending order) the columns are fixed
    slices of the axis rather than equal shares of the points: a growing curve
    then changes only its last column, and a redraw sends only what moved.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    width = max(2, int(width))
    if len(x) <= width:
        return x, y
    groups = width // 2
    low, high = x_range if x_range is not None else (0.0, 0.0)
    if high > low:
        column = np.clip(((x - low) / (high - low) * groups).astype(np.int64), 0, groups - 1)
        edges = np.r_[np.flatnonzero(np.r_[True, column[1:] != column[:-1]]), len(x)]
    else:
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
    # With ends near 1e38, x0 + t·dx loses all precision: clamp what is inside by construction.
    def inside(v, lo, hi):
        return min(max(v, lo), hi)

    return (inside(x0 + t0 * dx, xmin, xmax), inside(y0 + t0 * dy, ymin, ymax),
            inside(x0 + t1 * dx, xmin, xmax), inside(y0 + t1 * dy, ymin, ymax))


def limit_value(value: float, log: bool) -> float:
    """plotext takes the limits of a log axis as log10 of the value (ticks and lines it takes as is)."""
    return math.log10(max(value, TINY)) if log else value


def ticks(low: float, high: float, log: bool, count: int = 5) -> tuple[list[float], list[str]]:
    """Tick values and short labels: 1e+12, not 1000000000000.0."""
    if log:
        lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
        stride = max(1, math.ceil((hi - lo) / count))
        decades = [d for d in range(lo, hi + 1, stride) if low <= 10.0**d <= high]
        if len(decades) >= 2:
            return [10.0**d for d in decades], [_short(10.0**d) for d in decades]
        values = list(np.geomspace(low, high, 3))
        return values, [_short(v) for v in values]
    values = list(np.linspace(low, high, count))
    return values, [_short(v) for v in values]


def step_ticks(end: float, count: int = 5) -> tuple[list[float], list[str]]:
    """Ticks for a step axis from 0 to `end`: whole steps only, 1-2-5 apart (0 50 100 150)."""
    end = max(float(end), 1.0)
    stride = max(1.0, nice_ceiling(end / max(1, count - 1)))
    values = [k * stride for k in range(int(end // stride) + 1)]
    if len(values) < 2:  # a narrow pane: 0 and the largest round step inside, never 0 alone
        values = [0.0, max(1.0, nice_floor(end))]
    return values, [_step_label(v) for v in values]


def _step_label(step: float) -> str:
    if step < 100_000:
        return str(int(step))
    mantissa, exponent = f"{step:.2g}".split("e+") if "e" in f"{step:.2g}" else (f"{step:.2g}", "")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def not_finite_at(x, y) -> np.ndarray:
    """The x of every point whose y is not a number (inf or NaN): what a plot must mark."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    return x[np.isfinite(x) & ~np.isfinite(y)]


def _short(value: float) -> str:
    return f"{value:.3g}"


def nice_floor(value: float) -> float:
    """The last of 1, 2, 5, 10, 20, 50, … at or below value."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    for step in (5.0, 2.0, 1.0):
        if step * decade <= value * (1 + 1e-12):
            return step * decade
    return decade


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5, 10, 20, 50, … at or above value: an axis end that rarely moves."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if value <= step * decade * (1 + 1e-12):
            return step * decade
    return 10.0 * decade


def snapped(low: float, high: float, log: bool) -> tuple[float, float]:
    """Limits widened to whole decades (log) or to 1-2-5 steps (linear), so a slowly
    changing curve keeps its axes, and the terminal gets only the lines that moved."""
    low, high = limits(low, high, log)
    if log:
        return 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high))
    span = nice_ceiling((high - low) / 4)
    return math.floor(low / span) * span, math.ceil(high / span) * span


def line_value(value: float, log: bool) -> float:
    """plotext takes a reference line (hline, vline) as the value itself: it takes the
    log10 on a log axis, and raises if the value is not above 0 there."""
    return min(max(value, TINY), CLIP) if log else min(max(value, -CLIP), CLIP)
