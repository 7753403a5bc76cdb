"""Key `b`: the lesson's blackboard picture, live for the current run.

The loss as a parabola in one parameter through where the run is now, the
last few steps as jumps across it, and the stability numbers for that
direction: above 1/curvature a step jumps across the bottom, above
2/curvature it climbs out. `d` turns the direction: along b, along w, along
the steep eigenvector (where the jumps are exactly a 1-D gradient descent)
and along the shallow one. The app's run keys (space, s, +, -, r) keep
working here, and every frame of the run reaches `show_snapshot`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, while_shown
from lrtui.app.widgets.blackboard_plot import BlackboardPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.engine.blackboard import DIRECTIONS, MEANING, loss_slice
from lrtui.engine.run import Snapshot, State, fmt


class BlackboardScreen(LeavesOnlyFromTheTop, Screen):
    DEFAULT_CSS = """
    BlackboardScreen BlackboardPlot { height: 1fr; border: round $panel-lighten-2;
        border-title-color: $primary; }
    BlackboardScreen #blackboard-text { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("d", "turn", "direction"),
        Binding("escape,b", "back", "back"),
    ]

    def __init__(self, direction: str = "b"):
        super().__init__()
        self.direction = direction
        self.snapshot: Snapshot | None = None

    def compose(self) -> ComposeResult:
        yield BlackboardPlot(id="blackboard")
        yield Static("", id="blackboard-text")
        yield StatusLine(id="blackboard-status")
        yield Footer()

    def on_mount(self) -> None:
        # Escape right after b may be removing the screen already: then draw nothing.
        if is_live(self) and self.app.snapshot is not None:
            self._draw(self.app.snapshot)

    @while_shown
    def show_snapshot(self, snap: Snapshot) -> None:
        """A frame of the run; dropped unless the screen is shown (lrtui.app.shown)."""
        self._draw(snap)

    def _draw(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.query_one(StatusLine).show(snap)
        if snap.theory is None or snap.state in (State.LOADING, State.ERROR):
            return
        recent_w = snap.recent_w if snap.recent_w is not None else [snap.w]
        recent_b = snap.recent_b if snap.recent_b is not None else [snap.b]
        cut = loss_slice(snap.theory, snap.w, snap.b, self.direction, recent_w, recent_b)
        self.query_one(BlackboardPlot).set_slice(cut)
        self.query_one("#blackboard-text", Static).update(self._words(snap, cut))

    def _words(self, snap: Snapshot, cut) -> str:
        lr = snap.learning_rate
        lines = [f"[b]{MEANING[cut.direction]}[/]: curvature {fmt(cut.curvature)} (H's entry)  "
                 f"jumps across above lr {fmt(cut.lr_jump)} (1/c), climbs out above "
                 f"{fmt(cut.lr_max)} (2/c)"]
        words = f"lr {fmt(lr)} [b]{cut.regime(lr)}[/]"
        if cut.direction in ("steep", "shallow"):
            words += f": each step × (1 − lr·λ) = {fmt(1 - lr * cut.curvature)}"
        elif snap.settings.optimizer != "gd":
            words += f" (for plain GD; the run uses {snap.settings.optimizer})"
        lines.append(f"{words}  ·  d turns the direction (b, w, steep, shallow)")
        return "\n".join(lines)

    def action_turn(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)
