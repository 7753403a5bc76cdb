"""The fit pane: the data, the true line and the current fit line y = w·x + b."""

from __future__ import annotations

import numpy as np

from lrtui.app.plotdata import clip_segment, finite_pairs, limits
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane

# The frame is the data's range plus this share on each side, whatever the fit line does.
MARGIN = 0.15
MAX_POINTS = 2000  # a scatter of more points than the pane has cells shows nothing more


class FitPlot(PlotPane):
    BORDER_TITLE = "Fit"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._x = self._y = None
        self._box: tuple[float, float, float, float] | None = None
        self._true: tuple[float, float] | None = None
        self._fit: tuple[float, float] | None = None  # the run's latest (w, b)
        self._drawn: tuple[float, float] | None = None  # the (w, b) the screen shows

    def set_data(self, x: np.ndarray, y: np.ndarray, true_line: tuple[float, float] | None,
                 start_line: tuple[float, float]) -> None:
        """New points; the frame holds them, the true line and the line training starts from."""
        x, y = finite_pairs(x, y)
        if len(x) > MAX_POINTS:  # an even thinning keeps the cloud's shape
            keep = np.linspace(0, len(x) - 1, MAX_POINTS).astype(np.int64)
            x, y = x[keep], y[keep]
        self._x, self._y, self._true = x, y, true_line
        self._box = self._frame(x, y, [line for line in (true_line, start_line) if line])
        self.redraw()

    @staticmethod
    def _frame(x, y, lines) -> tuple[float, float, float, float] | None:
        if len(x) == 0:
            return None
        x0, x1 = limits(float(x.min()), float(x.max()))
        y0, y1 = limits(float(y.min()), float(y.max()))
        # Lines count at the data's ends, but never stretch the frame past 3 data heights.
        reach = 3 * (y1 - y0)
        for w, b in lines:
            for end in (w * x0 + b, w * x1 + b):
                if np.isfinite(end):
                    y0, y1 = min(y0, max(end, y0 - reach)), max(y1, min(end, y1 + reach))
        pad_x, pad_y = (x1 - x0) * MARGIN, (y1 - y0) * MARGIN
        return x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y

    def set_fit(self, w: float, b: float) -> None:
        self._fit = (w, b)
        if self._drawn == (w, b) or self._same_on_screen(w, b):
            return
        self._drawn = (w, b)
        self.redraw()

    def _same_on_screen(self, w: float, b: float) -> bool:
        """True if the line would land on the same dots and the title would read the same."""
        if self._drawn is None or self._box is None:
            return False
        old_w, old_b = self._drawn
        if _title(w, b) != _title(old_w, old_b):
            return False
        x0, x1, y0, y1 = self._box
        dot = (y1 - y0) / max(1, 4 * self.size.height)  # braille: 4 dots a row
        return all(abs((w * x + b) - (old_w * x + old_b)) < dot / 2 for x in (x0, x1))

    def draw(self) -> None:
        plt = self.plt
        theme = self.app.current_theme
        box = self._box
        if box is None:
            plt.title("waiting for data")
            return
        plt.xlim(box[0], box[1])
        plt.ylim(box[2], box[3])
        plt.scatter(self._x, self._y, marker="dot", color=plot_color(theme, "points", "primary"),
                    label="data")
        if self._true is not None:
            self._line(*self._true, box, plot_color(theme, "true-line", "success"), "true line")
        if self._drawn is not None:
            w, b = self._drawn
            if self._line(w, b, box, plot_color(theme, "fit-line", "error"), "fit"):
                plt.title(_title(w, b))
            else:
                middle = w * (box[0] + box[1]) / 2 + b
                where = "above ↑" if middle > box[3] else "below ↓"
                plt.title(f"fit line {where}  {_title(w, b)}")

    def _line(self, w: float, b: float, box, color, label: str) -> bool:
        segment = clip_segment(box[0], w * box[0] + b, box[1], w * box[1] + b, box)
        if segment is None:
            return False
        xa, ya, xb, yb = segment
        self.plt.plot(np.linspace(xa, xb, 40), np.linspace(ya, yb, 40), color=color,
                      marker="braille", label=label)
        return True


def _title(w: float, b: float) -> str:
    return f"w={w:.3g}  b={b:.3g}"
