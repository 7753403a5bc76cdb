"""Distance to the minimum along each Hessian eigen-direction, against step.

Gradient descent shrinks the error along an eigenvector by |1 − lr·λ| each
step: along the steep direction fast (or with a flip, above 1/λmax), along
the slow one by 1 − lr·λmin. The slow line is the one that sets how long a
run takes; lr_opt makes the two factors equal.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.app.plotdata import downsample, limit_value, limits, positive_pairs, step_ticks
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.history import CurveView
from lrtui.engine.landscape import eigen_errors
from lrtui.engine.theory import Theory


class EigenErrorPlot(PlotPane):
    BORDER_TITLE = "Error along the eigen-directions"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._theory: Theory | None = None
        self._curve: CurveView | None = None

    def set_curve(self, theory: Theory | None, curve: CurveView | None) -> None:
        self._theory, self._curve = theory, curve
        self.redraw()

    def draw(self) -> None:
        plt = self.plt
        theory, curve = self._theory, self._curve
        if theory is None or curve is None or len(curve.step) == 0:
            plt.title("no steps yet: space runs, s steps")
            return
        steep, slow = eigen_errors(theory, curve.w, curve.b)
        steps = curve.step.astype(np.float64)
        theme = self.app.current_theme
        width = max(8, self.size.width * 2)
        shown = []
        for values, name, variable in ((steep, "steep (λmax)", "warning"),
                                       (slow, "slow (λmin)", "secondary")):
            x, y = positive_pairs(steps, values)
            x, y = downsample(x, y, width)
            if len(x):
                shown.append((x, y, name, variable))
        if not shown:
            plt.title("at the minimum")
            return
        plt.yscale("log")
        low = min(float(y.min()) for _, y, _, _ in shown)
        high = max(float(y.max()) for _, y, _, _ in shown)
        low, high = limits(low, high, log=True)
        plt.ylim(limit_value(low, True), limit_value(high, True))
        ticks = decade_ticks(low, high)
        if ticks:
            self.set_yticks(ticks, [f"1e{round(math.log10(t))}" for t in ticks])
        plt.xlim(*limits(0.0, float(curve.step[-1])))
        plt.xticks(*step_ticks(float(curve.step[-1]), max(2, self.size.width // 10)))
        for x, y, name, variable in shown:
            plt.plot(x, y, marker="braille", color=plot_color(theme, variable, variable), label=name)
        balance = ("no lr_opt: the slow direction is flat" if theory.lr_opt is None else
                   f"lr_opt {theory.lr_opt:.4g} balances them")
        plt.title(self.fitted_title("|w − w*| along each eigenvector (log)", balance))


def decade_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Powers of ten inside [low, high], thinned to at most `most`: short labels on a log axis."""
    first, last = math.ceil(math.log10(low)), math.floor(math.log10(high))
    exponents = list(range(first, last + 1))
    stride = max(1, math.ceil(len(exponents) / most))
    return [10.0 ** e for e in exponents[::stride]]
