"""Key `g`: the loss landscape with the live run's trajectory, and its error per eigen-direction.

The app's keys (space, s, +, -, r) keep working here: the screen adds only
its own way out. Frames reach it through `show_snapshot`, which the app calls
for whichever screen is on top; a frame that comes before the screen is
composed, or while it is being dismissed, is dropped (lrtui.app.shown).
"""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, while_shown
from lrtui.app.themes import plot_color
from lrtui.app.widgets.eigen_error_plot import EigenErrorPlot
from lrtui.app.widgets.landscape_plot import LandscapePlot, Path
from lrtui.app.widgets.status_line import StatusLine
from lrtui.engine.landscape import moments_from_theory
from lrtui.engine.run import Snapshot, State
from lrtui.engine.stability import marker


def zigzag_note(snap: Snapshot) -> str:
    """What the path shows between 1/λmax and lr_max, where a learner might expect a rising loss."""
    theory = snap.theory
    if theory is None or marker(snap.settings, theory).regime != "zigzags":
        return ""
    return "lr > 1/λmax: the path zig-zags across the steep axis"


class LandscapeScreen(LeavesOnlyFromTheTop, Screen):
    BINDINGS = [
        Binding("escape,g", "back", "back"),
        Binding("e", "toggle_eigen", "eigen axes"),
    ]

    def compose(self) -> ComposeResult:
        yield LandscapePlot(id="landscape")
        yield EigenErrorPlot(id="eigen-errors")
        yield StatusLine(id="landscape-status")
        yield Footer()

    def on_mount(self) -> None:
        # Escape right after g may be removing the screen already: then draw nothing.
        if is_live(self) and self.app.snapshot is not None:
            self._draw(self.app.snapshot)

    @while_shown
    def show_snapshot(self, snap: Snapshot) -> None:
        self._draw(snap)

    def _draw(self, snap: Snapshot) -> None:
        plot = self.query_one(LandscapePlot)
        s = snap.settings
        model = snap.model.name if snap.model is not None else "line"
        moments = moments_from_theory(snap.theory) if snap.theory and model == "line" else None
        plot.set_surface(snap.theory, moments, (s.init_w, s.init_b), model)
        self.query_one(StatusLine).show(snap)
        if snap.state in (State.LOADING, State.ERROR) or snap.curve is None or model != "line":
            return
        curve = snap.curve
        # The history holds the weights each bucket's last step started from: add where the run is now.
        w = np.r_[s.init_w, curve.w, snap.w]
        b = np.r_[s.init_b, curve.b, snap.b]
        plot.note = zigzag_note(snap)
        color = plot_color(self.app.current_theme, "fit-line", "error")
        plot.set_paths([Path(w, b, color, f"lr {snap.learning_rate:.4g}",
                             diverged=snap.state == State.DIVERGED)])
        self.query_one(EigenErrorPlot).set_curve(snap.theory, curve)

    @while_shown
    def action_toggle_eigen(self) -> None:
        plot = self.query_one(LandscapePlot)
        plot.show_eigen = not plot.show_eigen
        plot.refresh()
