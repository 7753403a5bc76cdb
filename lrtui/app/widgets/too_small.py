"""What a terminal below the minimum size shows instead of squeezed, broken panes.

The app's breakpoints put `-tiny` (too narrow) or `-tiny-height` (too low) on the
screen; the stylesheet then hides the panes and shows this message. Keys keep
working, so q still quits and a run keeps going until the window grows back.
"""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 60
MIN_HEIGHT = 18


class TooSmall(Static):
    def __init__(self, **kwargs):
        super().__init__(f"The terminal is too small for lrtui: it needs at least "
                         f"{MIN_WIDTH}×{MIN_HEIGHT}.\nEnlarge the window, or press q to quit.",
                         **kwargs)
