"""The loss pane's cursor: which step it is on, and the exact loss there.

`[` and `]` move it one bucket of the loss history (one step while the run
is shorter than the history's 2,048 buckets), `{` and `}` a tenth of the run,
and the mouse puts it under the pointer. The pane's title then reads the step
and its loss; for a bucket wider than one step, its steps and the lowest and
highest loss in it. The cursor is a step number, so it stays on its step
while the run grows and the buckets widen.
"""

from __future__ import annotations

from lrtui.engine.history import CurveView
from lrtui.engine.run import fmt


class LossCursor:
    def __init__(self):
        self.step: int | None = None  # None: not shown
        self.frame: tuple[int, int] | None = None  # first and last column of the plot area

    def _bucket(self, curve: CurveView) -> int:
        return min(self.step // curve.span, len(curve.step) - 1)

    def move(self, curve: CurveView | None, buckets: int = 0, tenths: int = 0) -> bool:
        """Move by buckets or tenths of the run; the first move shows it at the last step."""
        if curve is None or len(curve.step) == 0:
            return False
        last = int(curve.step[-1])
        if self.step is None:
            self.step = last
        else:
            jump = buckets * curve.span + tenths * max(curve.span, last // 10)
            self.step = min(max(0, self.step + jump), last)
        return True

    def reading(self, curve: CurveView | None) -> str | None:
        if self.step is None or curve is None or len(curve.step) == 0:
            return None
        i = self._bucket(curve)
        first = int(curve.step[i])
        if curve.span == 1:
            return f"step {first:,}: loss {fmt(float(curve.last[i]))}"
        low, high = fmt(float(curve.low[i])), fmt(float(curve.high[i]))
        loss = low if low == high else f"{low} to {high}"
        return f"steps {first:,}-{first + curve.span - 1:,}: loss {loss}"

    def x(self, curve: CurveView) -> float:
        """Where to draw it: the first step of its bucket."""
        return float(self._bucket(curve) * curve.span)

    def find_frame(self, lines: list[str]) -> None:
        """Find plotext's frame (┌───┐) in the plot's text, to map mouse columns to steps."""
        self.frame = None
        for line in lines:
            left, right = line.find("┌"), line.rfind("┐")
            if 0 <= left < right - 1:
                self.frame = (left + 1, right - 1)
                return

    def to_column(self, curve: CurveView | None, column: int, x_end: float) -> bool:
        """Put the cursor on the step under a column of the pane; False if off the plot."""
        if self.frame is None or curve is None or len(curve.step) == 0:
            return False
        left, right = self.frame
        if not left <= column <= right:
            return False
        self.step = min(round((column - left) / (right - left) * x_end), int(curve.step[-1]))
        return True
