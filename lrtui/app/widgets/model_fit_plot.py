"""The fit pane for models beyond the line: a curve through one input, classes on two.

One input (poly, an mlp on sine): the points and the model's curve across
them. Two inputs (logistic, an mlp on circle, xor, moons, spiral): the two
classes in two colours and the decision boundary, where the model's
probability of class 1 crosses one half. The engine hands over the curve or
the boundary as plain arrays (lrtui.engine.fit_view); this pane only draws.
"""

from __future__ import annotations

import numpy as np

from lrtui.app.plotdata import finite_pairs, limits
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.fit_view import FitView

MARGIN = 0.15
MAX_POINTS = 2000
MAX_BOUNDARY = 600


class ModelFitPlot(PlotPane):
    BORDER_TITLE = "Fit"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._view: FitView | None = None
        self._title = ""
        self._box: tuple[float, float, float, float] | None = None

    def set_data(self, x: np.ndarray, y: np.ndarray) -> None:
        """New points: one column of x (a curve to fit) or two (two classes, labels in y)."""
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if len(x) > MAX_POINTS:  # an even thinning keeps the cloud's shape
            keep = np.linspace(0, len(x) - 1, MAX_POINTS).astype(np.int64)
            x, y = x[keep], y[keep]
        self._x, self._y = x, y
        if x.ndim == 1:
            xs, ys = finite_pairs(x, y)
        else:
            xs, ys = finite_pairs(x[:, 0], x[:, 1])
        self._box = _frame(xs, ys) if len(xs) else None
        self.redraw()

    def set_view(self, view: FitView | None, title: str) -> None:
        if view is None:
            return
        if self._same_on_screen(view) and title == self._title:
            return
        self._view, self._title = view, title
        self.redraw()

    def _same_on_screen(self, view: FitView) -> bool:
        """The new curve would land on the dots the old one lit (the boundary is always new)."""
        old = self._view
        if old is None or self._box is None or view.curve_y is None or old.curve_y is None \
                or len(old.curve_y) != len(view.curve_y):
            return False
        dot = (self._box[3] - self._box[2]) / max(1, 4 * self.size.height)  # braille: 4 a row
        return bool(np.all(np.abs(view.curve_y - old.curve_y) < dot / 2))

    def draw(self) -> None:
        plt = self.plt
        if self._box is None or self._x is None:
            plt.title("waiting for data")
            return
        self.draw_points()
        if self._view is not None:
            self.draw_view(self._view, plot_color(self.app.current_theme, "fit-line", "error"))
        if self._title:
            plt.title(self.fitted_title(*self._title.split("; ")))

    def draw_points(self) -> None:
        """The frame and the data: the points of a curve, or the two classes in two colours."""
        plt = self.plt
        theme = self.app.current_theme
        x0, x1, y0, y1 = self._box
        plt.xlim(x0, x1)
        plt.ylim(y0, y1)
        points = plot_color(theme, "points", "primary")
        if self._x.ndim == 1:
            plt.scatter(self._x, self._y, marker="dot", color=points)
            return
        for label, color in ((0, points), (1, plot_color(theme, "true-line", "success"))):
            mine = self._y == label
            plt.scatter(self._x[mine, 0], self._x[mine, 1], marker="dot", color=color)

    def draw_view(self, view: FitView, color) -> None:
        """A model's curve (one input) or its decision boundary (two inputs) in `color`."""
        plt = self.plt
        _, _, y0, y1 = self._box
        if view.curve_x is not None:
            cx, cy = finite_pairs(view.curve_x, view.curve_y)
            inside = (cy >= y0) & (cy <= y1)  # what leaves the frame is not drawn
            plt.scatter(cx[inside], cy[inside], marker="braille", color=color)
        elif view.boundary is not None and len(view.boundary):
            edge = view.boundary
            if len(edge) > MAX_BOUNDARY:
                edge = edge[np.linspace(0, len(edge) - 1, MAX_BOUNDARY).astype(np.int64)]
            plt.scatter(edge[:, 0], edge[:, 1], marker="braille", color=color)


def _frame(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    x0, x1 = limits(float(x.min()), float(x.max()))
    y0, y1 = limits(float(y.min()), float(y.max()))
    pad_x, pad_y = (x1 - x0) * MARGIN, (y1 - y0) * MARGIN
    return x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
