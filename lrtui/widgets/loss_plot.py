"""The loss pane: loss against step, linear or log, downsampled to the pane's width."""

from __future__ import annotations

import numpy as np
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from lrtui.engine.history import CurveView
from lrtui.engine.run import fmt
from lrtui.plotdata import axis_value, downsample, finite_pairs, limits, line_value, positive_pairs
from lrtui.themes import plot_color


class LossPlot(PlotextPlot):
    BORDER_TITLE = "Loss"

    log_scale: reactive[bool] = reactive(True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._curve: CurveView | None = None
        self._ols_loss: float | None = None
        self._step = 0

    def set_curve(self, curve: CurveView | None, step: int, ols_loss: float | None) -> None:
        self._curve, self._step, self._ols_loss = curve, step, ols_loss
        self.refresh()

    def watch_log_scale(self) -> None:
        self.border_subtitle = "log scale (y to switch)" if self.log_scale else "linear (y to switch)"
        self.refresh()

    def render(self):
        self._draw()
        return super().render()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        curve = self._curve
        if curve is None or len(curve.step) == 0:
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
                plt.hline(line_value(self._ols_loss, log), plot_color(theme, "true-line", "success"))
        plt.title(f"loss {fmt(float(curve.last[-1]))}, step {last:,}")
