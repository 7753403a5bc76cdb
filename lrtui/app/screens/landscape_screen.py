"""Key `g`: the loss landscape with the live run's trajectory, and its error per eigen-direction.

For the line: the exact surface over (w, b) with the path, and under it the
error along each eigen-direction. For every other model: a plane through the
current θ along the Hessian's top two eigenvectors, with the path projected
onto it (lrtui.engine.plane), cut by a `SliceWorker` in a thread as the run
moves, and under it what the axes are: their eigenvalues and 2/λ.

The app's keys (space, s, +, -, r) keep working here: the screen adds only
its own way out. Frames reach it through `show_snapshot`, which the app calls
for whichever screen is on top; a frame that comes before the screen is
composed, or while it is being dismissed, is dropped (lrtui.app.shown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, while_shown
from lrtui.app.themes import plot_color
from lrtui.app.widgets.eigen_error_plot import EigenErrorPlot
from lrtui.app.widgets.landscape_plot import LandscapePlot, Path
from lrtui.app.widgets.status_line import StatusLine
from lrtui.engine.blackboard import regime
from lrtui.engine.landscape import moments_from_theory
from lrtui.engine.plane import PlaneSlice
from lrtui.engine.run import Snapshot, State, fmt
from lrtui.engine.stability import marker
from lrtui.workers.slice_worker import SlicePicture, SliceRequest, SliceWorker


def zigzag_note(snap: Snapshot) -> str:
    """What the path shows between 1/λmax and lr_max, where a learner might expect a rising loss."""
    theory = snap.theory
    if theory is None or marker(snap.settings, theory).regime != "zigzags":
        return ""
    return "lr > 1/λmax: the path zig-zags across the steep axis"


def plane_words(plane: PlaneSlice, learning_rate: float, optimizer: str) -> str:
    """What the plane's axes are, their curvatures and what this lr does along each."""
    (l1, l2) = plane.curvatures
    lines = [f"[b]Plane through θ[/] along the Hessian's top two eigenvectors ({plane.how}, "
             f"{plane.parameters:,} parameters, step {plane.step:,})"]
    for name, value in (("u1 →", l1), ("u2 ↑", l2)):
        bound = f"2/λ {fmt(2 / value)}" if value > 0 else "no 2/λ (curves down)"
        lines.append(f" [b]{name}[/] λ {fmt(value)}, {bound}: lr {fmt(learning_rate)} "
                     f"{regime(learning_rate, value)}")
    if optimizer != "gd":
        lines[-1] += f" (for plain GD; the run uses {optimizer})"
    return "\n".join(lines)


@dataclass
class PlaneFrame(Message):
    """A plane from the slice worker, posted from its thread."""

    picture: SlicePicture


class LandscapeScreen(LeavesOnlyFromTheTop, Screen):
    DEFAULT_CSS = """
    LandscapeScreen #landscape-text { height: auto; padding: 0 1; display: none; }
    LandscapeScreen.-plane #landscape-text { display: block; }
    LandscapeScreen.-plane EigenErrorPlot { display: none; }
    """
    BINDINGS = [
        Binding("escape,g", "back", "back"),
        Binding("e", "toggle_eigen", "eigen axes"),
    ]

    def __init__(self):
        super().__init__()
        self.worker_started = False
        self.worker = SliceWorker(lambda picture: self.post_message(PlaneFrame(picture)))
        self.picture: SlicePicture | None = None  # the last plane (models other than the line)

    def compose(self) -> ComposeResult:
        yield LandscapePlot(id="landscape")
        yield EigenErrorPlot(id="eigen-errors")
        yield Static("", id="landscape-text")
        yield StatusLine(id="landscape-status")
        yield Footer()

    def on_mount(self) -> None:
        # Escape right after g may be removing the screen already: then draw nothing.
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
            self.run_worker(self.worker, name="landscape slices", thread=True, exit_on_error=False)
        self.worker.offer(request)

    @while_shown
    def show_snapshot(self, snap: Snapshot) -> None:
        self._draw(snap)

    def _draw(self, snap: Snapshot) -> None:
        plot = self.query_one(LandscapePlot)
        s = snap.settings
        model = snap.model.name if snap.model is not None else s.model
        if self.has_class("-plane") != (model != "line"):
            self.set_class(model != "line", "-plane")
            self.refresh_bindings()  # e (eigen axes) is the line's only
        self.query_one(StatusLine).show(snap)
        if model != "line":
            drawn = self.picture.request.snapshot.model if self.picture else None
            if plot.model_name != model or (snap.model is not None and drawn is not snap.model):
                plot.note = ""
                plot.set_surface(None, None, (s.init_w, s.init_b), model)
                plot.set_plane(None, "cutting the slice through θ …")
            if snap.state not in (State.LOADING, State.ERROR) and snap.model is not None:
                self._slice(SliceRequest(snap, "plane"))
            return
        moments = moments_from_theory(snap.theory) if snap.theory else None
        plot.set_surface(snap.theory, moments, (s.init_w, s.init_b), model)
        if snap.state in (State.LOADING, State.ERROR) or snap.curve is None:
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
    def on_plane_frame(self, message: PlaneFrame) -> None:
        picture = message.picture
        snap = picture.request.snapshot
        current = self.app.snapshot
        if current is not None and current.model is not snap.model:
            return  # cut for a model the run has left already
        self.picture = picture
        plot = self.query_one(LandscapePlot)
        plot.set_plane(picture.plane, picture.error)
        if picture.plane is not None:
            self.query_one("#landscape-text", Static).update(
                plane_words(picture.plane, snap.learning_rate, snap.settings.optimizer))
        elif picture.error:
            self.query_one("#landscape-text", Static).update(picture.error)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # The plane's axes are the eigenvectors themselves: no eigen axes to toggle there.
        if action == "toggle_eigen" and self.has_class("-plane"):
            return False
        return True

    @while_shown
    def action_toggle_eigen(self) -> None:
        plot = self.query_one(LandscapePlot)
        plot.show_eigen = not plot.show_eigen
        plot.refresh()
