"""Key `b`: the lesson's blackboard picture, live for the current run.

The loss as a parabola in one parameter through where the run is now, the
last few steps as jumps across it, and the stability numbers for that
direction: above 1/curvature a step jumps across the bottom, above
2/curvature it climbs out. `d` turns the direction: along b, along w, along
the steep eigenvector (where the jumps are exactly a 1-D gradient descent)
and along the shallow one. The app's run keys (space, s, +, -, r) keep
working here, and every frame of the run reaches `show_snapshot`.

For the line the slice is exact from the data's five means, drawn on every
frame. For every other model it is the model's own loss through its θ, along
the steep or the shallow eigenvector of the Hessian there, or along one
parameter that is a single number; a `SliceWorker` cuts it in a thread as
the run moves (lrtui.engine.slices), and `d` turns through those.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, while_shown
from lrtui.app.widgets.blackboard_plot import BlackboardPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.engine.blackboard import Slice, loss_slice, meaning_of, model_directions
from lrtui.engine.run import Snapshot, State, fmt
from lrtui.workers.slice_worker import SlicePicture, SliceRequest, SliceWorker


@dataclass
class SliceFrame(Message):
    """A slice from the slice worker, posted from its thread."""

    picture: SlicePicture


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

    def __init__(self, direction: str | None = None):
        """`direction`: where to start; by default along b for the line, the steep
        eigenvector for other models."""
        super().__init__()
        self.direction = direction
        self.snapshot: Snapshot | None = None
        self.picture: SlicePicture | None = None  # the last slice cut (models other than the line)
        self.worker_started = False
        self.worker = SliceWorker(lambda picture: self.post_message(SliceFrame(picture)))

    def compose(self) -> ComposeResult:
        yield BlackboardPlot(id="blackboard")
        yield Static("", id="blackboard-text")
        yield StatusLine(id="blackboard-status")
        yield Footer()

    def on_mount(self) -> None:
        # Escape right after b may be removing the screen already: then draw nothing.
        if not is_live(self):
            return
        if self.app.snapshot is not None:
            self._draw(self.app.snapshot)

    def on_unmount(self) -> None:
        self.worker.cancel()  # the thread ends after the slice it is cutting, if any

    def _slice(self, request: SliceRequest) -> None:
        """Hand the frame to the slice worker, started with the first (the line needs none)."""
        if not self.worker_started:
            self.worker_started = True
            self.run_worker(self.worker, name="blackboard slices", thread=True, exit_on_error=False)
        self.worker.offer(request)

    @property
    def directions(self) -> tuple[str, ...]:
        """What `d` turns through: the line's b, w, steep, shallow; another model's
        eigenvectors and its parameters that are single numbers."""
        return model_directions(self.snapshot.model if self.snapshot is not None else None)

    @while_shown
    def show_snapshot(self, snap: Snapshot) -> None:
        """A frame of the run; dropped unless the screen is shown (lrtui.app.shown)."""
        self._draw(snap)

    def _draw(self, snap: Snapshot) -> None:
        model_changed = self.snapshot is None or self.snapshot.model is not snap.model
        self.snapshot = snap
        if self.direction not in self.directions:
            self.direction = self.directions[0]
        self.query_one(StatusLine).show(snap)
        if snap.state in (State.LOADING, State.ERROR):
            return
        line = snap.model is None or snap.model.name == "line"
        if not line:
            if model_changed:
                self.query_one(BlackboardPlot).set_slice(None)
                self.query_one("#blackboard-text", Static).update("cutting the slice through θ …")
            self._slice(SliceRequest(snap, "line", self.direction))
            return
        if snap.theory is None:
            return
        recent_w = snap.recent_w if snap.recent_w is not None else [snap.w]
        recent_b = snap.recent_b if snap.recent_b is not None else [snap.b]
        cut = loss_slice(snap.theory, snap.w, snap.b, self.direction, recent_w, recent_b)
        self._show(snap, cut)

    @while_shown
    def on_slice_frame(self, message: SliceFrame) -> None:
        picture = message.picture
        snap = picture.request.snapshot
        if self.snapshot is not None and self.snapshot.model is not snap.model:
            return  # cut for a model the run has left already
        if picture.line is None:
            self.query_one("#blackboard-text", Static).update(picture.error)
            return
        if picture.line.direction != self.direction:
            return  # d turned meanwhile: the next one is on its way
        self.picture = picture
        self._show(snap, picture.line)

    def _show(self, snap: Snapshot, cut: Slice) -> None:
        self.query_one(BlackboardPlot).set_slice(cut)
        self.query_one("#blackboard-text", Static).update(self._words(snap, cut))

    def _words(self, snap: Snapshot, cut: Slice) -> str:
        lr = snap.learning_rate
        line = snap.model is None or snap.model.name == "line"
        if cut.curvature > 0:
            numbers = (f"jumps across above lr {fmt(cut.lr_jump)} (1/c), climbs out above "
                       f"{fmt(cut.lr_max)} (2/c)")
        else:
            numbers = "no 1/c or 2/c: the slice curves down here"
        curvature = f"curvature {fmt(cut.curvature)} (H's entry)" if line else \
            f"curvature uᵀHu {fmt(cut.curvature)}"
        lines = [f"[b]{cut.meaning}[/]: {curvature}  {numbers}"]
        words = f"lr {fmt(lr)} [b]{cut.regime(lr)}[/]"
        if cut.direction in ("steep", "shallow"):
            words += f": each step × (1 − lr·λ) = {fmt(1 - lr * cut.curvature)}"
            if not line and not snap.model.exact_hessian:
                words += " near θ"  # the loss is not a parabola: its quadratic part
        if snap.settings.optimizer != "gd":
            words += f" (for plain GD; the run uses {snap.settings.optimizer})"
        if line:
            turns = f"d turns the direction ({', '.join(self.directions)})"
        else:  # a model may have many: name the next one
            directions = self.directions
            following = directions[(directions.index(cut.direction) + 1) % len(directions)]
            turns = f"d: {meaning_of(following, line=False)}"
        lines.append(f"{words}  ·  {turns}")
        return "\n".join(lines)

    def action_turn(self) -> None:
        directions = self.directions
        here = directions.index(self.direction) if self.direction in directions else -1
        self.direction = directions[(here + 1) % len(directions)]
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)
