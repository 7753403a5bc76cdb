"""The fit pane: the data, the true line and the current fit line y = w·x + b.

The legend sits in the border, not on the canvas, where it would cover the
lines on a small terminal. The title always shows w and b, shortened to the
pane's width, with an arrow when the line has left the frame.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.app.plotdata import clip_segment, finite_pairs, limits, ticks
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
        plt.xticks(*ticks(box[0], box[1], False, count=max(2, self.size.width // 10)))
        values, _ = ticks(box[2], box[3], False, count=max(2, self.size.height // 4))
        # Two digits: short labels leave the title room for w and b.
        self.set_yticks(values, [f"{v:.2g}" for v in values])
        self._show_legend()
        plt.scatter(self._x, self._y, marker="dot", color=plot_color(theme, "points", "primary"))
        if self._true is not None:
            self._line(*self._true, box, plot_color(theme, "true-line", "success"))
        if self._drawn is not None:
            w, b = self._drawn
            shown = self._line(w, b, box, plot_color(theme, "fit-line", "error"))
            plt.title(fit_title(w, b, None if shown else _where(w, b, box), self.title_room()))

    def legend_markup(self) -> str:
        """The legend for the border: each thing drawn, in its colour."""
        theme = self.app.current_theme

        def hex_of(variable: str, fallback: str) -> str:
            r, g, b = plot_color(theme, variable, fallback)
            return f"#{r:02x}{g:02x}{b:02x}"

        names = [("points", "primary", "•", "data"), ("true-line", "success", "━", "true line"),
                 ("fit-line", "error", "━", "fit")]
        if self._true is None:
            del names[1]
        if sum(len(name) + 4 for *_, name in names) > self.size.width - 4:
            names = [(v, f, m, name.split()[0]) for v, f, m, name in names]  # "true", not "true line"
        return "  ".join(f"[{hex_of(v, f)}]{m}[/] {name}" for v, f, m, name in names)

    def _show_legend(self) -> None:
        legend = self.legend_markup()
        if legend != self.border_subtitle:
            self.border_subtitle = legend

    def _line(self, w: float, b: float, box, color) -> bool:
        segment = clip_segment(box[0], w * box[0] + b, box[1], w * box[1] + b, box)
        if segment is None:
            return False
        xa, ya, xb, yb = segment
        self.plt.plot(np.linspace(xa, xb, 40), np.linspace(ya, yb, 40), color=color,
                      marker="braille")
        return True


def _where(w: float, b: float, box) -> str:
    """Which way a line out of the frame went: ↑, ↓, or not a number."""
    middle = w * (box[0] + box[1]) / 2 + b
    if not math.isfinite(middle):
        return "not a number"
    return "↑" if middle > box[3] else "↓"


def fit_title(w: float, b: float, where: str | None, width: int) -> str:
    """w and b always; where the line went if it left the frame; as much as `width` allows."""
    if not (math.isfinite(w) and math.isfinite(b)):
        for text in (f"no line: w={w:.3g} b={b:.3g} overflowed", f"w={w:.3g}  b={b:.3g}"):
            if len(text) <= width:
                return text
    for digits in (3, 2, 1):
        for gap in ("  ", " "):
            weights = f"w={w:.{digits}g}{gap}b={b:.{digits}g}"
            for text in ((weights,) if where is None else
                         (f"fit line {'above' if where == '↑' else 'below'} {where}  {weights}",
                          f"{where} {weights}")):
                if len(text) <= width:
                    return text
    last = f"w={w:.1g} b={b:.1g}" if where is None else f"{where}w={w:.1g} b={b:.1g}"
    return last[:max(width, 1)]


def _title(w: float, b: float) -> str:
    return f"w={w:.3g}  b={b:.3g}"
