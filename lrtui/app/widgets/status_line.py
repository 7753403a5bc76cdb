"""One line at the bottom: state, step, steps/s, device, lr against lr_max."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from lrtui.engine.run import Snapshot, State, fmt
from lrtui.engine.stability import PLAIN_GD_NOTE, marker

STATE_STYLE = {
    State.LOADING: "$warning",
    State.READY: "$primary",
    State.RUNNING: "$success",
    State.PAUSED: "$accent",
    State.FINISHED: "$primary",
    State.DIVERGED: "$error",
    State.ERROR: "$error",
}


class StatusLine(Static):
    # One line on every screen: what does not fit is cut, never wrapped over the footer.
    DEFAULT_CSS = """
    StatusLine { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, snap: Snapshot) -> None:
        state = f"[b {STATE_STYLE[snap.state]}]{snap.state.value}[/]"
        if snap.state in (State.LOADING, State.ERROR):
            # A message can quote a file name: escaped, so a [ in it is not markup.
            self.update(f"{state}  {escape(snap.message)}" if snap.message else f"{state} …")
            return
        parts = [state, f"step {snap.step:,}/{snap.budget_end:,}", f"loss {fmt(snap.loss)}"]
        if snap.settings.no_stop:
            parts.append("[$warning]no-stop[/]")
        if snap.state == State.RUNNING:
            parts.append(f"{snap.steps_per_second:,.0f} steps/s")
        # A fallback (e.g. --device gpu on a box without one) stays in view, not just in the log.
        note = f" [$warning]({snap.device_note.split(':')[0]})[/]" if snap.device_note else ""
        if self.size.width >= 100 or note:  # on a narrow terminal the lr comes first
            parts.append(f"device {snap.device}{note}")
        lr = f"lr {fmt(snap.learning_rate)}"
        curve = snap.curve
        if snap.settings.schedule != "constant" and curve is not None and curve.lr is not None \
                and len(curve.lr):
            lr += f" (used {fmt(float(curve.lr[-1]))})"
        model = snap.model
        if snap.theory is not None:
            ratio = snap.learning_rate / snap.theory.lr_max
            style = "$error" if ratio >= 1 else "$warning" if ratio > 0.5 else ""
            lr += f" = [{style or 'b'}]{ratio:.2f}×[/] lr_max"
            if model is not None and model.name != "line":
                lr += f" {fmt(snap.theory.lr_max)} (exact)"
            mark = marker(snap.settings, snap.theory)
            if mark.regime != "converges":
                lr += f" [{'$error' if mark.regime == 'diverges' else '$warning'}]{mark.words}[/]"
        elif model is not None:
            lr += " " + live_bound(snap)
        parts.append(lr)
        if snap.scaling is not None:
            raw, scaled = snap.scaling
            parts.append(f"κ {fmt(raw.condition_number)} raw, {fmt(scaled.condition_number)} "
                         "standardized")
        self.update("  ".join(parts))


def live_bound(snap: Snapshot) -> str:
    """lr_max where the weights stand, from the measured sharpness (a live estimate)."""
    if snap.lr_max_now is None:
        return "lr_max now = 2/sharpness: not measured yet"
    bound = f"lr_max now = 2/sharpness = {fmt(snap.lr_max_now)}"
    if snap.settings.optimizer != "gd":
        # Adam & co. rescale each step: 2/sharpness bounds plain GD only, not this lr.
        return f"{bound} ({PLAIN_GD_NOTE}, live)"
    ratio = snap.learning_rate / snap.lr_max_now
    style = "$error" if ratio >= 1.05 else "$warning" if ratio > 0.5 else "b"
    return f"{bound} ([{style}]{ratio:.2f}×[/] live)"
