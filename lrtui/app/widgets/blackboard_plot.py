"""The blackboard parabola: the loss along one direction and the last steps as jumps across it.

The slice comes from lrtui.engine.blackboard; this pane only draws it: the
parabola, its bottom, and each recent step as a segment from point to point
with an arrow head (→ or ←) near its end, the newest point marked "now".
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.app.plotdata import finite_pairs, limit_value, limits
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.blackboard import Slice
from lrtui.engine.run import fmt

HEAD = 0.8  # where along a jump its arrow head is drawn


class BlackboardPlot(PlotPane):
    BORDER_TITLE = "Blackboard: the loss along one direction"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cut: Slice | None = None

    def set_slice(self, cut: Slice | None) -> None:
        self.cut = cut
        self.redraw()

    def axis(self, cut: Slice) -> tuple[np.ndarray, np.ndarray, str]:
        """x of the curve and of the steps: the parameter itself along a parameter (b, w, c0, …),
        else the offset along the eigenvector."""
        if cut.base is not None:
            return cut.base + cut.offset, cut.base + cut.steps_offset, cut.direction
        return cut.offset, cut.steps_offset, f"offset along the {cut.direction} eigenvector"

    def draw(self) -> None:
        plt = self.plt
        cut = self.cut
        if cut is None:
            plt.title("waiting for the run …")
            return
        theme = self.app.current_theme
        x, steps_x, label = self.axis(cut)
        curve_x, curve_y = finite_pairs(x, cut.loss)
        points_x, points_y = finite_pairs(steps_x, cut.steps_loss)
        if len(curve_x) < 2:
            plt.title("the slice is not finite here")
            return
        low, high = limits(float(curve_y.min()), float(curve_y.max()))
        plt.ylim(limit_value(low, False), limit_value(high, False))
        plt.xlim(*limits(float(curve_x.min()), float(curve_x.max())))
        plt.plot(curve_x, curve_y, marker="braille", color=plot_color(theme, "loss-line", "accent"),
                 label=f"loss {cut.meaning}")
        if math.isfinite(cut.bottom):  # a slice that still falls at the frame's edge has none
            bottom = cut.bottom + (x[0] - cut.offset[0])  # the bottom on the same axis as x
            plt.vline(bottom, plot_color(theme, "true-line", "success"))
        jump = plot_color(theme, "fit-line", "error")
        for (x0, y0), (x1, y1) in zip(zip(points_x[:-1], points_y[:-1]), zip(points_x[1:], points_y[1:])):
            plt.plot([x0, x1], [y0, y1], marker="braille", color=jump)
            # The head sits on the chord just before the landing point, which stays visible.
            head_x, head_y = x0 + HEAD * (x1 - x0), y0 + HEAD * (y1 - y0)
            plt.text("→" if x1 >= x0 else "←", head_x, head_y, color=jump)
        if len(points_x):
            plt.scatter([points_x[-1]], [points_y[-1]], marker="●", color=jump, label="now")
        plt.xlabel(label)
        plt.title(f"{cut.meaning}: curvature {fmt(cut.curvature)}, 2/curvature {fmt(cut.lr_max)}")
