"""What a terminal below an app's minimum size shows instead of squeezed, broken panes.

The simulator and the `lrtui watch` viewer each name their own minimum (the
size their panes stay readable in) and put `TOO_NARROW` or `TOO_LOW` on the
screen below it with Textual's breakpoints; the one stylesheet (lrtui.tcss)
then hides `#panes`, `#status` and the footer and shows this message. Keys
keep working, so q still leaves, and a run or a watched training goes on until
the window grows back.
"""

from __future__ import annotations

from textual.widgets import Static

# The screen classes the stylesheet keys on, each app's breakpoints set them below its minimum.
TOO_NARROW, TOO_LOW = "-tiny", "-tiny-height"


class TooSmall(Static):
    def __init__(self, program: str, width: int, height: int, leaving: str = "quit", **kwargs):
        self.minimum = (width, height)
        super().__init__(f"The terminal is too small for {program}: it needs at least "
                         f"{width}×{height}.\nEnlarge the window, or press q to {leaving}.",
                         **kwargs)
