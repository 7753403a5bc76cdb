"""A plotext plot that sends the terminal only the lines that changed.

plotext rebuilds a whole figure as text; a plain refresh would repaint every
cell of the pane on every frame (about 15 KiB for a 120×40 screen's plot),
too much for an SSH link. `PlotPane.redraw()` builds the figure at once, keeps
the text, and marks only the lines that differ from the last frame as dirty.
Subclasses describe the figure in `draw()`; they call `redraw()` when their
data changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
from textual_plotext import PlotextPlot

from lrtui import stats


class PlotPane(PlotextPlot):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lines: list[str] = []
        self._text: Text | None = None
        self._built_size = None
        self._built_theme = None

    def draw(self) -> None:
        """Describe the figure on self.plt (data, limits, colours)."""
        raise NotImplementedError

    def redraw(self) -> None:
        if not self.is_mounted or not self.size.area:
            return
        old = self._lines
        if not self._build():
            return
        if len(old) != len(self._lines):
            self.refresh()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (a, b) in enumerate(zip(old, self._lines)) if a != b]
        if changed:
            self.refresh(*changed)

    def _build(self) -> bool:
        """Build the figure's text; False if it came out the same as last time."""
        stats.count(f"build.{self.id}")
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        width, height = self.size.width, self.size.height
        plt.plotsize(width, height)
        plt._set_size(width, height)  # plotsize alone does not always take
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        self.draw()
        text = plt.build()
        lines = text.split("\n")
        same = lines == self._lines and self._built_size == self.size and \
            self._built_theme == self.app.theme
        self._lines, self._built_size, self._built_theme = lines, self.size, self.app.theme
        if not same or self._text is None:
            self._text = Text.from_ansi(text, no_wrap=True)
        return not same

    def render(self):
        # A resize or a theme change lands here with a stale text: rebuild it.
        if self._text is None or self._built_size != self.size or self._built_theme != self.app.theme:
            self._build()
        return self._text
