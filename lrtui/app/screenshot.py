"""f8: what the terminal shows, saved as an SVG in the current folder (both apps).

For recorded demos and bug reports from an SSH session, where a screenshot
of the local window would not show the remote colours.
"""

from __future__ import annotations

from textual.binding import Binding

# Priority: the modal screens (map, help, range test, ...) are what is worth a picture too.
SCREENSHOT = Binding("f8", "screenshot", "SVG screenshot", show=False, priority=True)


class Screenshots:
    """Mixed into an App: `action_screenshot` for the f8 binding above."""

    def action_screenshot(self) -> None:
        """Save what the terminal shows as an SVG in the current folder."""
        path = self.save_screenshot(path=".")
        self.notify(f"saved {path}", markup=False, title="screenshot")
