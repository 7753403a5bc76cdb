"""The loss pane: loss against step, linear or log, downsampled to the pane's width.

A cursor reads the curve: `[` and `]` move it one bucket of the history
(one step while the run is shorter than the history's 2,048 buckets),
`{` and `}` a tenth of the run, and the mouse puts it under the pointer. The
pane's title then gives the exact step and loss there (for a wider bucket,
its steps and the lowest and highest loss in it).
"""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from lrtui.engine.history import CurveView
from lrtui.engine.run import fmt
from lrtui.plotdata import axis_value, downsample, finite_pairs, limits, positive_pairs
from lrtui.themes import plot_color


class LossPlot(PlotextPlot):
    BORDER_TITLE = "Loss"

    log_scale: reactive[bool] = reactive(True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._curve: CurveView | None = None
        self._ols_loss: float | None = None
        self._step = 0
        self.cursor_step: int | None = None  # where the cursor is, as a step number
        self._frame_columns: tuple[int, int] | None = None  # the plot area, found in the last render

    def set_curve(self, curve: CurveView | None, step: int, ols_loss: float | None) -> None:
        self._curve, self._step, self._ols_loss = curve, step, ols_loss
        self.refresh()

    def watch_log_scale(self) -> None:
        self.border_subtitle = "log scale (y to switch)" if self.log_scale else "linear (y to switch)"
        self.refresh()

    def render(self):
        self._draw()
        text = super().render()
        self._frame_columns = _frame_columns(text.plain)
        return text

    # -- the cursor ------------------------------------------------------------------
    def move_cursor(self, buckets: int = 0, tenths: int = 0) -> None:
        """Move by whole buckets or by tenths of the run; the first move shows it at the end."""
        curve = self._curve
        if curve is None or len(curve.step) == 0:
            return
        last = int(curve.step[-1])
        if self.cursor_step is None:
            self.cursor_step = last
        else:
            jump = buckets * curve.span + tenths * max(curve.span, last // 10)
            self.cursor_step = min(max(0, self.cursor_step + jump), last)
        self.refresh()

    def cursor_reading(self) -> str | None:
        """What the cursor shows: the exact step and loss, or a bucket's range."""
        curve = self._curve
        if self.cursor_step is None or curve is None or len(curve.step) == 0:
            return None
        i = min(self.cursor_step // curve.span, len(curve.step) - 1)
        first = int(curve.step[i])
        if curve.span == 1:
            return f"step {first:,}: loss {fmt(float(curve.last[i]))}"
        low, high = fmt(float(curve.low[i])), fmt(float(curve.high[i]))
        loss = low if low == high else f"{low} to {high}"
        return f"steps {first:,}-{first + curve.span - 1:,}: loss {loss}"

    def on_mouse_move(self, event) -> None:
        self._cursor_to_pointer(event)

    def on_click(self, event) -> None:
        self._cursor_to_pointer(event)

    def _cursor_to_pointer(self, event) -> None:
        offset = event.get_content_offset(self)
        curve = self._curve
        if offset is None or self._frame_columns is None or curve is None or len(curve.step) == 0:
            return
        left, right = self._frame_columns
        if not left <= offset.x <= right or right <= left:
            return
        last = max(self._step, int(curve.step[-1]))
        self.cursor_step = min(round((offset.x - left) / (right - left) * last), int(curve.step[-1]))
        self.refresh()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        curve = self._curve
        if curve is None or len(curve.step) == 0:
            self.cursor_step = None  # a new run: the cursor comes back with the next [ or ]
            plt.title("no steps yet: space runs, s steps")
            return
        # Each bucket contributes its min and its max: oscillation shows as a band.
        steps = np.repeat(curve.step.astype(np.float64), 2)
        losses = np.column_stack([curve.low, curve.high]).ravel()
        pick = positive_pairs if self.log_scale else finite_pairs
        steps, losses = pick(steps, losses)
        steps, losses = downsample(steps, losses, max(8, self.size.width * 2))
        if len(steps) == 0:
            plt.title("no finite loss to show")
            return
        plt.yscale("log" if self.log_scale else "linear")
        last = max(self._step, int(curve.step[-1]))
        plt.xlim(*limits(0.0, float(last)))
        log = self.log_scale
        low, high = limits(float(losses.min()), float(losses.max()), log=log)
        plt.ylim(axis_value(low, log), axis_value(high, log))
        theme = self.app.current_theme
        plt.plot(steps, losses, color=plot_color(theme, "loss-line", "accent"), marker="braille")
        if self._ols_loss is not None and (self._ols_loss > 0 or not self.log_scale):
            low, high = float(losses.min()), float(losses.max())
            if low <= self._ols_loss <= high:
                # In data units, as a line: plotext's hline takes log10 units and then
                # takes the log again, which fails for a loss below 1 on a log axis.
                plt.plot([0.0, float(last)], [self._ols_loss, self._ols_loss],
                         color=plot_color(theme, "true-line", "success"), marker="braille")
        reading = self.cursor_reading()
        if reading is None:
            plt.title(f"loss {fmt(float(curve.last[-1]))}, step {last:,}")
            return
        span_start = min(self.cursor_step // curve.span, len(curve.step) - 1) * curve.span
        # A two-point line in data units: plotext's vline breaks on a log axis below 1.
        x = float(span_start)
        plt.plot([x, x], [float(losses.min()), float(losses.max())],
                 color=plot_color(theme, "cursor", "warning"), marker="braille")
        plt.title(reading)


def _frame_columns(plain: str) -> tuple[int, int] | None:
    """The first and last column inside plotext's frame (┌───┐), to map the mouse to steps."""
    for line in plain.splitlines():
        left, right = line.find("┌"), line.rfind("┐")
        if 0 <= left < right:
            return left + 1, right - 1
    return None
