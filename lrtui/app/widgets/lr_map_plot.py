"""The lr × steps heat map: lr on a log axis across, steps down, colour = log loss.

Each terminal cell is two map cells (an upper half block with a foreground
and a background colour), so a 100×30 plot shows 100×60 cells. A column
shows the lane nearest its lr; a half-row shows the kept bucket holding the
last step of its share of the budget. The colour runs along the theme's map
scale from the loss at the initial weights (map-high) down to the OLS loss
(map-low; for a model with no known minimum, the lowest loss reached); a loss
above the start is drawn as the start, and a lane that diverged is one clear
colour (map-diverged) from that step on.

On it: the theory's lines (lr_opt, 1/λmax, lr_max; for the logistic loss and
a network 1/λ and 2/λ of the sharpness at the start) as columns of glyphs, the
predicted steps to 1% for plain GD as dots, the current lr marked under the
axis, and a cursor.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from lrtui.app.themes import plot_color
from lrtui.engine.lr_map import LrMapView
from lrtui.engine.run import fmt

LEFT = 7  # columns for the step labels
BELOW = 2  # rows for the lr axis and its title
# (name, glyph, colour) of the theory's lines, as the legend shows them.
LINES = (
    ("lr_opt", "│", (80, 200, 120)),
    ("1/λmax", "┆", (240, 170, 50)),
    ("lr_max", "│", (230, 80, 220)),
)
LINE_STYLE = {name: (glyph, colour) for name, glyph, colour in LINES}
PREDICTED = "•"
CURSOR = "┼"
NOT_YET = (40, 40, 40)  # cells the computation has not reached


@dataclass(frozen=True)
class Cursor:
    lane: int
    step: int


def lane_of_column(column: int, columns: int, lanes: int) -> int:
    """The lane a plot column shows: lanes are log-spaced, so nearest in index is nearest in log lr."""
    if columns <= 1 or lanes <= 1:
        return 0
    return int(round(column * (lanes - 1) / (columns - 1)))


def column_of_lane(lane: int, columns: int, lanes: int) -> int:
    if columns <= 1 or lanes <= 1:
        return 0
    return int(round(lane * (columns - 1) / (lanes - 1)))


def column_of_lr(lr: float, learning_rates: np.ndarray, columns: int) -> int | None:
    """The column of an lr on the log axis, None if it lies outside the map."""
    low, high = math.log(learning_rates[0]), math.log(learning_rates[-1])
    if not (lr > 0 and math.isfinite(lr)) or high <= low:
        return None
    where = (math.log(lr) - low) / (high - low)
    if not 0.0 <= where <= 1.0:
        return None
    return int(round(where * (columns - 1)))


def bucket_of_step(step: int, view: LrMapView) -> int:
    return min(int(step) // view.span, max(len(view.step) - 1, 0))


def half_row_step(half_row: int, half_rows: int, steps: int) -> int:
    """The last step of a half-row's share of the budget (steps go down)."""
    return min(steps - 1, max(0, int((half_row + 1) * steps / half_rows) - 1))


def shades(view: LrMapView, columns: int, half_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(where, code) per map cell: a colour position 0 (low loss) .. 1 (start loss), and a code:
    0 a loss, 1 diverged, 2 not computed yet."""
    lanes = len(view.learning_rates)
    start = view.start_loss
    low, high = math.log10(max(view.floor_loss, 1e-300)), math.log10(max(start, 1e-300))
    if high - low < 1e-9:
        high = low + 1.0
    lane = np.array([lane_of_column(c, columns, lanes) for c in range(columns)])
    step = np.array([half_row_step(r, half_rows, view.steps) for r in range(half_rows)])
    where = np.zeros((half_rows, columns))
    code = np.full((half_rows, columns), 2, np.int8)
    if len(view.step):
        # Past the kept rows only if every lane diverged early: the last row says so.
        rows = np.minimum(step // view.span, len(view.step) - 1)
        loss = view.loss[np.ix_(rows, lane)]
        bad = ~np.isfinite(loss)
        with np.errstate(divide="ignore", invalid="ignore"):
            where = np.clip((np.log10(np.where(bad, start, np.maximum(loss, 1e-300))) - low)
                            / (high - low), 0.0, 1.0)
        reached = (step < view.steps_done)[:, None]
        code = np.where(reached, np.where(bad, 1, 0), 2).astype(np.int8)
    return where, code


class MapPlot(Widget):
    """Draws an `LrMapView`; the screen sets `view` and `cursor`.

    The picture is built once per view, size and theme as one strip per line
    (about 3,800 cells at 120×40); moving the cursor repaints only the two
    lines it leaves and enters.
    """

    DEFAULT_CSS = "MapPlot { height: 1fr; width: 1fr; }"
    view: reactive[LrMapView | None] = reactive(None, always_update=True)
    cursor: reactive[Cursor | None] = reactive(None, always_update=True)

    def __init__(self, current_lr: float, **kwargs):
        super().__init__(**kwargs)
        self.current_lr = current_lr
        self._strips: list[Strip] = []
        self._built_for: tuple | None = None
        self._cursor_cell: tuple[int, int] | None = None  # (row, column) of the plot

    # -- geometry the screen's cursor keys need ----------------------------------------
    def plot_size(self) -> tuple[int, int]:
        return max(1, self.size.width - LEFT), max(1, self.size.height - BELOW)

    def steps_per_row(self) -> int:
        if self.view is None:
            return 1
        return max(1, math.ceil(self.view.steps / self.plot_size()[1]))

    def cursor_cell(self) -> tuple[int, int] | None:
        view, cursor = self.view, self.cursor
        if view is None or cursor is None:
            return None
        width, height = self.plot_size()
        return (min(height - 1, int(cursor.step * height / view.steps)),
                column_of_lane(cursor.lane, width, len(view.learning_rates)))

    # -- changes ---------------------------------------------------------------------------
    def watch_view(self) -> None:
        self._built_for = None
        self.refresh()

    def watch_cursor(self) -> None:
        old, new = self._cursor_cell, self.cursor_cell()
        self._cursor_cell = new
        for cell in {old, new} - {None}:
            self.refresh(Region(0, cell[0], self.size.width, 1))

    # -- drawing ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        key = (id(self.view), self.size, self.app.theme, self.current_lr)
        if key != self._built_for:
            self._strips = self._build()
            self._built_for = key
            self._cursor_cell = self.cursor_cell()
        if y >= len(self._strips):
            return Strip.blank(self.size.width)
        cell = self._cursor_cell
        if cell is None or cell[0] != y:
            return self._strips[y]
        # The cursor's line: the built line with one cell replaced.
        column = LEFT + cell[1]
        strip = self._strips[y]
        under = strip.crop(column, column + 1)
        background = next((s.style.bgcolor for s in under if s.style), None)
        mark = Strip([Segment(CURSOR, Style(color=_colour(0xFFFFFF), bgcolor=background, bold=True))], 1)
        return Strip.join([strip.crop(0, column), mark, strip.crop(column + 1, self.size.width)])

    def render(self) -> Text:
        """The picture as text (the screen itself draws through render_line)."""
        lines = [self.render_line(y) for y in range(self.size.height)]
        return Text("\n".join("".join(segment.text for segment in line) for line in lines))

    def _build(self) -> list[Strip]:
        view = self.view
        width, height = self.plot_size()
        full = self.size.width
        if view is None or full <= LEFT + 2 or self.size.height <= BELOW + 1:
            note = "starting the map …" if view is None else "too small for the map"
            return [Strip([Segment(note, Style(dim=True))]).crop_extend(0, full, None)]
        theme = self.app.current_theme
        scale = [np.array(plot_color(theme, f"map-{name}", fallback)) for name, fallback in
                 (("low", "success"), ("mid", "primary"), ("high", "panel"))]
        diverged = np.array(plot_color(theme, "map-diverged", "error"))
        where, code = shades(view, width, 2 * height)
        rgb = _ramp(where, scale)
        rgb[code == 1] = diverged
        rgb[code == 2] = NOT_YET
        # One int per colour (0xRRGGBB): a gradient repeats its colour pairs, so each
        # pair's Style is built once.
        packed = ((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]).tolist()
        overlay = self._overlay(view, width, height)
        styles: dict[tuple, Style] = {}

        def style(top: int, bottom: int, bold: bool = False) -> Style:
            key = (top, bottom, bold)
            found = styles.get(key)
            if found is None:
                found = styles[key] = Style(color=_colour(top), bgcolor=_colour(bottom), bold=bold)
            return found

        dim = Style(dim=True)
        # The steps at the top edge, the middle and the bottom edge (the budget).
        labels = {0: 0, height // 2: height // 2 * view.steps // height, height - 1: view.steps}
        strips = []
        for row in range(height):
            label = _step_label(labels[row]) if row in labels else ""
            segments = [Segment(f"{label:>{LEFT - 1}} ", dim)]
            top, bottom = packed[2 * row], packed[2 * row + 1]
            for column in range(width):
                mark = overlay.get((row, column))
                if mark is None:
                    segments.append(Segment("▀", style(top[column], bottom[column])))
                else:
                    glyph, colour, bold = mark
                    segments.append(Segment(glyph, style(_pack(colour), bottom[column], bold)))
            strips.append(Strip(segments, LEFT + width).crop_extend(0, full, None))
        console = self.app.console
        for line in self._axis(view, width).split("\n"):
            strips.append(Strip(list(line.render(console)), line.cell_len).crop_extend(0, full, None))
        return strips

    def _overlay(self, view: LrMapView, width: int, height: int) -> dict:
        """Glyphs over the cells: the theory's lines and the predicted steps to 1%."""
        marks: dict[tuple[int, int], tuple[str, tuple[int, int, int], bool]] = {}
        for name, lr in view.theory_lines():
            glyph, colour = LINE_STYLE[name]
            column = column_of_lr(lr, view.learning_rates, width)
            if column is not None:
                for row in range(height):
                    marks[(row, column)] = (glyph, colour, False)
        if view.predicted is not None:
            lanes = len(view.learning_rates)
            for column in range(width):
                steps = view.predicted[lane_of_column(column, width, lanes)]
                if math.isfinite(steps) and steps < view.steps:
                    marks[(min(height - 1, int(steps * height / view.steps)), column)] = (
                        PREDICTED, (255, 255, 255), True)
        return marks

    def _axis(self, view: LrMapView, width: int) -> Text:
        """Two lines: decade ticks of the lr with the current lr marked, and their labels."""
        ticks = [" "] * width
        labels = [" "] * width
        low, high = view.learning_rates[0], view.learning_rates[-1]
        for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
            column = column_of_lr(10.0 ** exponent, view.learning_rates, width)
            if column is None:
                continue
            ticks[column] = "┴"
            label = fmt(10.0 ** exponent)
            start = min(max(0, column - len(label) // 2), width - len(label))
            if all(c == " " for c in labels[max(0, start - 1):start + len(label) + 1]):
                labels[start:start + len(label)] = label
        current = column_of_lr(self.current_lr, view.learning_rates, width)
        line = Text(" " * LEFT, no_wrap=True)
        for column, glyph in enumerate(ticks):
            if column == current:
                line.append("▲", "bold")
            else:
                line.append(glyph, "dim")
        line.append("\n" + " " * LEFT)
        line.append("".join(labels), "dim")
        return line


def _pack(rgb: tuple[int, int, int]) -> int:
    return (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]


@functools.lru_cache(maxsize=4096)
def _colour(packed: int) -> Color:
    return Color.from_rgb(packed >> 16, (packed >> 8) & 255, packed & 255)


def _ramp(where: np.ndarray, scale: list[np.ndarray]) -> np.ndarray:
    """Colours along low → mid → high for positions 0..1."""
    low, mid, high = scale
    first = where[..., None] * 2.0
    second = (where[..., None] - 0.5) * 2.0
    out = np.where(where[..., None] < 0.5, low + (mid - low) * first, mid + (high - mid) * second)
    return np.clip(np.round(out), 0, 255).astype(int)


def _step_label(step: int) -> str:
    return f"{step:,}" if step < 100_000 else f"{step:.0e}"
