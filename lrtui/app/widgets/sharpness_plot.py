"""The sharpness pane: the Hessian's top eigenvalue against step, and 2/lr beside it.

Plain gradient descent is stable while sharpness < 2/lr. For the line and
poly the Hessian is constant: the pane draws its exact λmax. For the logistic
loss and networks the sharpness moves, and the pane draws the live estimate
measured every few steps: at the edge of stability it climbs to the 2/lr line
and hovers there. Both share a log axis; 2/lr follows the lr each step used,
so a schedule bends it.
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


class SharpnessPlot(PlotPane):
    BORDER_TITLE = "Sharpness"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._curve: CurveView | None = None
        self._step = 0
        self._exact: float | None = None
        self._end: float | None = None

    def set_curve(self, curve: CurveView | None, step: int, exact: float | None,
                  end: float | None = None) -> None:
        """`exact`: the constant λmax of a quadratic loss, or None (live estimate)."""
        self._curve, self._step, self._exact, self._end = curve, step, exact, end
        if self.display:
            self.redraw()

    def draw(self) -> None:
        plt = self.plt
        curve = self._curve
        if curve is None or len(curve.step) == 0 or curve.lr is None:
            plt.title("sharpness: no steps yet")
            return
        steps = curve.step.astype(np.float64)
        end = max(float(self._step), float(steps[-1]), self._end or 0.0)
        width = max(8, self.size.width * 2)
        bound_x, bound_y = positive_pairs(steps, 2.0 / np.where(curve.lr > 0, curve.lr, np.nan))
        bound_x, bound_y = downsample(bound_x, bound_y, width, (0.0, end))
        sharp = curve.sharpness if curve.sharpness is not None else np.full(len(steps), np.nan)
        sharp_x, sharp_y = positive_pairs(steps, sharp)
        sharp_x, sharp_y = downsample(sharp_x, sharp_y, width, (0.0, end))
        values = np.r_[bound_y, sharp_y, [self._exact] if self._exact else []]
        if len(values) == 0:
            plt.title("sharpness: not measured yet")
            return
        low, high = limits(float(values.min()) / 1.5, float(values.max()) * 1.5, log=True)
        plt.yscale("log")
        plt.xlim(*limits(0.0, end))
        plt.xticks(*step_ticks(end, max(2, self.size.width // 10)))
        plt.ylim(limit_value(low, True), limit_value(high, True))
        self.set_yticks(*ticks(low, high, True))
        theme = self.app.current_theme
        if len(sharp_x):
            plt.scatter(sharp_x, sharp_y, color=plot_color(theme, "loss-line", "accent"),
                        marker="braille")
        if self._exact:
            plt.hline(line_value(self._exact, True), plot_color(theme, "fit-line", "error"))
        # 2/lr last, on top: where the sharpness sits on it, the edge of stability shows.
        plt.plot(bound_x, bound_y, color=plot_color(theme, "true-line", "warning"), marker="braille")
        two_over_lr = 2.0 / float(curve.lr[-1]) if curve.lr[-1] > 0 else float("nan")
        if self._exact:
            now, how = f"λmax {fmt(self._exact)}", "exact"
        elif len(sharp_y):
            now, how = f"sharpness {fmt(float(sharp_y[-1]))}", "live estimate"
        else:
            now, how = "sharpness", "not measured yet"
        plt.title(self.fitted_title(now, f"2/lr {fmt(two_over_lr)}", how))
