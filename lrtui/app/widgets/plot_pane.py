"""A plotext plot that redraws only the lines that changed.

plotext rebuilds a whole figure as text. Handing that text to Textual on
every frame would convert every line to segments again and repaint every cell
of the pane (about 15 KiB a frame for a large plot): too slow for the UI
thread and too much for an SSH link. So `PlotPane` keeps one strip per line,
converts only the lines whose text changed, and marks only those as dirty.
Subclasses describe the figure in `draw()` and call `redraw()` when their data
changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual_plotext import PlotextPlot

from lrtui import stats
from lrtui.app.plotext_internals import set_size, theme_name
from lrtui.app.shown import is_shown


class PlotPane(PlotextPlot):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lines: list[str] = []
        self._strips: list[Strip] = []
        self._built_for: tuple[Size, str] | None = None
        self._y_label_width = 8  # plotext's own tick labels, until a subclass sets them

    def draw(self) -> None:
        """Describe the figure on self.plt (data, limits, colours)."""
        raise NotImplementedError

    def set_yticks(self, values, labels) -> None:
        """The y ticks, remembered: their labels' width decides how wide a title can be."""
        self.plt.yticks(values, labels)
        self._y_label_width = max((len(label) for label in labels), default=1)

    def title_room(self) -> int:
        """The widest title plotext will draw: it centres it on the canvas, right of the y labels,
        and drops it whole (with a blank either side) if it does not fit."""
        return max(1, self.size.width - self._y_label_width - 4)

    def fitted_title(self, *parts: str) -> str:
        """As many of the parts as fit the pane, in order: plotext drops a title that is too wide.
        If the first part alone is too wide, as many of its words as fit."""
        room = self.title_room()
        title = ""
        for part in parts:
            joined = f"{title}; {part}" if title else part
            if len(joined) > room:
                break
            title = joined
        if title:
            return title
        # Not even the first part: whole words of it, never a number cut short ("loss 0.0").
        words = parts[0].split(" ")
        while words and len(" ".join(words)) > room:
            words.pop()
        return " ".join(words)

    def redraw(self) -> None:
        """Rebuild the figure now and repaint the lines that differ."""
        if not is_shown(self) or not self.size.area:
            return
        changed = self._build()
        if changed:
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def _build(self) -> list[int]:
        """Build the figure's text; convert and return the lines that changed."""
        stats.count(f"build.{self.id}")
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        width, height = self.size.width, self.size.height
        set_size(plt, width, height)
        plt.theme(theme_name(self, self.app.theme))
        self._y_label_width = 8
        self.draw()
        lines = plt.build().split("\n")[:height]
        built_for = (self.size, self.app.theme)
        if built_for != self._built_for or len(lines) != len(self._lines):
            self._strips = [Strip.blank(width)] * len(lines)
            self._lines = [""] * len(lines)  # every line counts as changed
            self._built_for = built_for
        changed = [y for y, (old, new) in enumerate(zip(self._lines, lines)) if old != new]
        console = self.app.console
        for y in changed:
            segments = list(Text.from_ansi(lines[y], no_wrap=True, end="").render(console))
            self._strips[y] = Strip(segments).crop_extend(0, width, None)
        self._lines = lines
        return changed

    def render(self) -> Text:
        """The figure as it stands, as text (the screen itself draws through render_line).

        It builds, but never asks for a refresh: a render that refreshes renders again,
        and a figure whose text differs from one build to the next (a size that flips, as
        in a browser tab) would repaint the whole screen for as long as the app runs."""
        if self._built_for != (self.size, self.app.theme) or not self._lines:
            self._build()
        return Text.from_ansi("\n".join(self._lines), no_wrap=True)

    def render_line(self, y: int) -> Strip:
        # A resize or a theme change arrives here first: build for the new size.
        if self._built_for != (self.size, self.app.theme):
            self._build()
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
