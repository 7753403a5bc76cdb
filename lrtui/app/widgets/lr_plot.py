"""The lr pane (key v): the lr each step actually used, against step, on a log axis.

With a schedule, a plateau drop, or + / - mid-run, this is where the lr's
path shows; it sits beside the loss so that cause and effect line up.
"""

from __future__ import annotations

import numpy as np

from lrtui.app.plotdata import (
    downsample,
    limit_value,
    limits,
    line_value,
    positive_pairs,
    step_ticks,
    ticks,
)
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.history import CurveView
from lrtui.engine.run import fmt


class LrPlot(PlotPane):
    BORDER_TITLE = "lr used"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._curve: CurveView | None = None
        self._step = 0
        self._lr_max: float | None = None
        self._x_end: float | None = None

    def set_curve(self, curve: CurveView | None, step: int, lr_max: float | None,
                  x_end: float | None = None) -> None:
        """`x_end`: where the x axis ends (a training's planned steps), so that it stays put."""
        self._curve, self._step, self._lr_max, self._x_end = curve, step, lr_max, x_end
        if self.display:
            self.redraw()

    def draw(self) -> None:
        plt = self.plt
        curve = self._curve
        if curve is None or curve.lr is None or len(curve.step) == 0:
            plt.title("no steps yet")
            return
        steps, lrs = positive_pairs(curve.step.astype(np.float64), curve.lr)
        last = max(self._step, int(curve.step[-1]))
        end = max(float(last), self._x_end or 0.0)
        steps, lrs = downsample(steps, lrs, max(8, self.size.width * 2), (0.0, end))
        if len(steps) == 0:
            plt.title("every lr was 0")  # a warmup's first step, for instance
            return
        plt.yscale("log")
        plt.xlim(*limits(0.0, end))
        plt.xticks(*step_ticks(end, max(2, self.size.width // 10)))
        low, high = float(lrs.min()), float(lrs.max())
        lr_max = self._lr_max
        if lr_max is not None and high * 0.5 <= lr_max <= high * 4:
            high = lr_max * 1.2  # show lr_max when the lr gets near it
        low, high = limits(low / 1.5, high * 1.5, log=True)
        plt.ylim(limit_value(low, True), limit_value(high, True))
        self.set_yticks(*ticks(low, high, True))
        theme = self.app.current_theme
        plt.plot(steps, lrs, color=plot_color(theme, "loss-line", "accent"), marker="braille")
        if lr_max is not None and low <= lr_max <= high:
            plt.hline(line_value(lr_max, True), plot_color(theme, "true-line", "warning"))
        plt.title(f"lr {fmt(float(curve.lr[-1]))}" + (" ( ─ lr_max)" if lr_max is not None
                                                       and low <= lr_max <= high else ""))
