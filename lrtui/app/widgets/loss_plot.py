"""The loss pane: loss against step, linear or log, downsampled to the pane's width.

The title reads the loss where the run is now (the status line's number); the
OLS line is the minimum (named in the border), drawn in the curve's own
coordinates so that a curve ending just above it never seems to end below it. A step whose loss is
not a number (float32 overflow, then NaN) is marked ▲ on the top edge.
"""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive

from lrtui.app.plotdata import (
    downsample,
    finite_pairs,
    limit_value,
    limits,
    nice_ceiling,
    not_finite_at,
    positive_pairs,
    snapped,
    step_ticks,
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
        self._loss: float | None = None  # the loss where the run is now
        self._batch = False  # the curve is each step's batch loss
        self._non_finite_at: int | None = None
        self.cursor = LossCursor()

    def set_curve(self, curve: CurveView | None, step: int, budget_end: int,
                  ols_loss: float | None, loss: float | None = None, batch: bool = False,
                  non_finite_at: int | None = None) -> None:
        self._curve, self._step, self._ols_loss = curve, step, ols_loss
        self._budget_end, self._loss, self._batch = budget_end, loss, batch
        self._non_finite_at = non_finite_at
        self.redraw()

    @property
    def x_end(self) -> float:
        """The step at the right end of the x axis, as last drawn (another plot can line up)."""
        return self._x_end

    def set_marks(self, validation: tuple[tuple[int, float], ...], epoch_ends: tuple[int, ...]) -> None:
        """Validation losses as points and epoch ends as lines; drawn with the next curve."""
        self._validation, self._epoch_ends = validation, epoch_ends

    def watch_log_scale(self) -> None:
        self.redraw()

    def _show_legend(self, ols_colour) -> None:
        """The border says what the line is (on the canvas a label would cover the curve's end,
        which sits beside the minimum) and which scale the y axis has."""
        scale = "log y" if self.log_scale else "linear y"
        if self._ols_loss is None:
            subtitle = f"{scale} scale"
        else:
            r, g, b = ols_colour
            mark, value = f"[#{r:02x}{g:02x}{b:02x}]━[/]", fmt(self._ols_loss)
            room = self.size.width - 4
            words = next((w for w in (f"OLS min {value}  {scale}", f"OLS min {value}")
                          if len(w) + 2 <= room), f"OLS {value}")
            subtitle = f"{mark} {words}"
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

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
        bad = not_finite_at(steps, losses)
        steps, losses = pick(steps, losses)
        last = max(self._step, int(curve.step[-1]))
        # The x axis ends at the budget, or at a round number: old points stay put.
        end = min(float(self._budget_end), nice_ceiling(last)) if self._budget_end > last else last
        steps, losses = downsample(steps, losses, max(8, self.size.width * 2), (0.0, float(end)))
        if len(steps) == 0:
            plt.title(self._title("no finite loss to show"))
            return
        val_steps, val_losses = pick(*(np.array(v, np.float64) for v in zip(*self._validation))) \
            if self._validation else (np.zeros(0), np.zeros(0))
        plt.yscale("log" if self.log_scale else "linear")
        self._x_end = float(end)
        plt.xlim(*limits(0.0, float(end)))
        plt.xticks(*step_ticks(end, max(2, self.size.width // 10)))
        log = self.log_scale
        ols = self._ols_loss
        shows_ols = ols is not None and (ols > 0 or not log)
        every = np.r_[losses, val_losses]
        low, high = float(every.min()), float(every.max())
        if shows_ols:
            low, high = min(low, ols), max(high, ols)  # the minimum stays in view
        low, high = snapped(low, high, log=log)
        plt.ylim(limit_value(low, log), limit_value(high, log))
        self.set_yticks(*ticks(low, high, log, count=max(2, self.size.height // 4)))
        theme = self.app.current_theme
        ols_colour = plot_color(theme, "true-line", "success")
        self._show_legend(ols_colour)
        # At most one epoch line every 8 columns: more would only grey the plot.
        ends = self._epoch_ends[::max(1, len(self._epoch_ends) * 8 // max(8, self.size.width))]
        for end_step in ends:
            if end_step < end:
                plt.vline(float(end_step), plot_color(theme, "cursor", "panel"))
        if shows_ols:
            # A line of the curve's own kind, so both land on the same dot rows.
            plt.plot([0.0, float(end)], [ols, ols], color=ols_colour, marker="braille")
        plt.plot(steps, losses, color=plot_color(theme, "loss-line", "accent"), marker="braille")
        if len(val_steps):
            plt.scatter(val_steps, val_losses, color=plot_color(theme, "true-line", "success"),
                        marker="●")
        if len(bad):
            # Not a number any more: marked where the curve left, on the top edge.
            bad = downsample(bad, np.zeros(len(bad)), max(4, self.size.width // 2))[0]
            plt.scatter(bad, np.full(len(bad), high), marker="▲",
                        color=plot_color(theme, "error", "error"))
        reading = self.cursor.reading(curve)
        if reading is None:
            plt.title(self._title())
            return
        # A two-point line in data units marks the cursor.
        x = self.cursor.x(curve)
        plt.plot([x, x], [low, high], color=plot_color(theme, "cursor", "warning"), marker="braille")
        plt.title(reading)

    def _title(self, note: str = "") -> str:
        """Which loss the curve is, the loss now, and since when it is not a number."""
        loss = self._loss
        if loss is None and self._curve is not None and len(self._curve.last):
            loss = float(self._curve.last[-1])
        now = "" if loss is None else fmt(loss)
        parts = [f"batch loss; all points {now}" if self._batch else f"{self.label} {now}"]
        if self._validation:
            parts.append(f"● val {fmt(self._validation[-1][1])}")
        if self._non_finite_at is not None:
            parts.append(f"▲ inf/nan from step {self._non_finite_at}")
        if note:
            parts.append(note)
        return self.fitted_title(*parts)
