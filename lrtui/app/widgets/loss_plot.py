"""The loss pane: loss against step, linear or log, downsampled to the pane's width."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive

from lrtui.app.plotdata import (
    downsample,
    finite_pairs,
    limit_value,
    limits,
    line_value,
    nice_ceiling,
    positive_pairs,
    snapped,
    ticks,
)
from lrtui.app.themes import plot_color
from lrtui.app.widgets.loss_cursor import LossCursor
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.history import CurveView
from lrtui.engine.run import fmt


class LossPlot(PlotPane):
    BORDER_TITLE = "Loss"
    label = "loss"  # the title's word: a Keras training shows "batch loss"

    log_scale: reactive[bool] = reactive(True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._curve: CurveView | None = None
        self._ols_loss: float | None = None
        self._step = 0
        self._budget_end = 0
        self._x_end = 1.0  # the step at the right end of the x axis, as last drawn
        self._validation: tuple[tuple[int, float], ...] = ()  # (step, loss) points
        self._epoch_ends: tuple[int, ...] = ()  # steps to mark with a vertical line
        self.cursor = LossCursor()

    def set_curve(self, curve: CurveView | None, step: int, budget_end: int,
                  ols_loss: float | None) -> None:
        self._curve, self._step, self._ols_loss = curve, step, ols_loss
        self._budget_end = budget_end
        self.redraw()

    @property
    def x_end(self) -> float:
        """The step at the right end of the x axis, as last drawn (another plot can line up)."""
        return self._x_end

    def set_marks(self, validation: tuple[tuple[int, float], ...], epoch_ends: tuple[int, ...]) -> None:
        """Validation losses as points and epoch ends as lines; drawn with the next curve."""
        self._validation, self._epoch_ends = validation, epoch_ends

    def watch_log_scale(self) -> None:
        self.border_subtitle = "log scale (y)" if self.log_scale else "linear scale (y)"
        self.redraw()

    # -- the cursor ------------------------------------------------------------------
    def move_cursor(self, buckets: int = 0, tenths: int = 0) -> None:
        if self.cursor.move(self._curve, buckets, tenths):
            self.redraw()

    def on_mouse_move(self, event) -> None:
        self._cursor_to_pointer(event)

    def on_click(self, event) -> None:
        self._cursor_to_pointer(event)

    def _cursor_to_pointer(self, event) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self.cursor.to_column(self._curve, offset.x, self._x_end):
            self.redraw()

    def _build(self) -> list[int]:
        changed = super()._build()
        # The frame's columns map the mouse to steps.
        self.cursor.find_frame([strip.text for strip in self._strips])
        return changed

    # -- the figure ----------------------------------------------------------------------
    def draw(self) -> None:
        plt = self.plt
        curve = self._curve
        if curve is None or len(curve.step) == 0:
            self.cursor.step = None  # a new run: the next [ or ] brings it back
            plt.title("no steps yet: space runs")
            return
        # Each bucket contributes its min and its max: oscillation shows as a band.
        steps = np.repeat(curve.step.astype(np.float64), 2)
        losses = np.column_stack([curve.low, curve.high]).ravel()
        pick = positive_pairs if self.log_scale else finite_pairs
        steps, losses = pick(steps, losses)
        last = max(self._step, int(curve.step[-1]))
        # The x axis ends at the budget, or at a round number: old points stay put.
        end = min(float(self._budget_end), nice_ceiling(last)) if self._budget_end > last else last
        steps, losses = downsample(steps, losses, max(8, self.size.width * 2), (0.0, float(end)))
        if len(steps) == 0:
            plt.title("no finite loss to show")
            return
        val_steps, val_losses = pick(*(np.array(v, np.float64) for v in zip(*self._validation))) \
            if self._validation else (np.zeros(0), np.zeros(0))
        plt.yscale("log" if self.log_scale else "linear")
        self._x_end = float(end)
        plt.xlim(*limits(0.0, float(end)))
        log = self.log_scale
        every = np.r_[losses, val_losses]
        low, high = snapped(float(every.min()), float(every.max()), log=log)
        plt.ylim(limit_value(low, log), limit_value(high, log))
        plt.yticks(*ticks(low, high, log, count=max(2, self.size.height // 4)))
        theme = self.app.current_theme
        # At most one epoch line every 8 columns: more would only grey the plot.
        ends = self._epoch_ends[::max(1, len(self._epoch_ends) * 8 // max(8, self.size.width))]
        for end_step in ends:
            if end_step < end:
                plt.vline(float(end_step), plot_color(theme, "cursor", "panel"))
        plt.plot(steps, losses, color=plot_color(theme, "loss-line", "accent"), marker="braille")
        if len(val_steps):
            plt.scatter(val_steps, val_losses, color=plot_color(theme, "true-line", "success"),
                        marker="●")
        if self._ols_loss is not None and (self._ols_loss > 0 or not log):
            if low <= self._ols_loss <= high:
                # plotext takes reference lines in data units, even on a log axis.
                plt.hline(line_value(self._ols_loss, log), plot_color(theme, "true-line", "success"))
        reading = self.cursor.reading(curve)
        if reading is None:
            plt.title(f"{self.label} {fmt(float(curve.last[-1]))}"
                      + (f"  ● val {fmt(self._validation[-1][1])}" if self._validation else ""))
            return
        # A two-point line in data units marks the cursor.
        x = self.cursor.x(curve)
        plt.plot([x, x], [low, high], color=plot_color(theme, "cursor", "warning"), marker="braille")
        plt.title(reading)
