"""Key `c`: compare mode. 2 to 6 runs from the same start, in lock-step, side by side.

The screen owns its own worker (a CompareController in a thread), so the
batched computation never runs on the UI loop. Keys act on every run, or on
the one selected with 1..6 (0 selects all again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, is_shown
from lrtui.app.widgets.compare_plots import (
    CompareFitPlot,
    CompareLossPlot,
    CompareModelFitPlot,
    lane_label,
    run_color,
    summary_rows,
)
from lrtui.app.widgets.landscape_plot import LandscapePlot, Path
from lrtui.engine.compare import CompareSnapshot, RunStatus
from lrtui.engine.run import State, fmt
from lrtui.settings.fields import LR_RANGE, Settings
from lrtui.workers.compare_worker import CompareController

COLUMNS = ("run", "optimizer", "lr", "status", "step", "loss", "1% at", "diverged")


FINISH_LINE = "1% at: first step within 1% of the OLS loss"
NO_FINISH_LINE = "1% at: only where the minimum is known (line, poly)"


@dataclass
class CompareFrame(Message):
    snapshot: CompareSnapshot


def default_learning_rates(learning_rate: float) -> list[float]:
    """The lesson's story around the current lr: 100× smaller, as is, 9× larger (0.001, 0.1, 0.9)."""
    low, high = LR_RANGE
    return [max(low, learning_rate / 100), learning_rate, min(high, learning_rate * 9)]


class CompareScreen(LeavesOnlyFromTheTop, Screen):
    DEFAULT_CSS = """
    CompareScreen #compare-top, CompareScreen #compare-bottom { height: 1fr; }
    CompareScreen #compare-loss, CompareScreen #compare-fit, CompareScreen #compare-landscape {
        width: 1fr; height: 1fr; border: round $foreground 30%; border-title-color: $primary;
        border-subtitle-color: $foreground 60%;
    }
    CompareScreen #compare-summary { width: 78; height: 1fr; border: round $foreground 30%;
        border-title-color: $primary; border-subtitle-color: $foreground 60%; }
    CompareScreen.-narrow #compare-summary { width: 1fr; }
    /* On a narrow terminal the summary needs the whole row; the landscape is key g away. */
    CompareScreen.-narrow #compare-landscape { display: none; }
    CompareScreen #compare-status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("space", "toggle", "run/pause"),
        Binding("s", "step(1)", "step"),
        Binding("S", "step(10)", "10 steps", show=False),
        Binding("plus,equals_sign", "scale_lr(2.0)", "lr×2", key_display="+"),
        Binding("minus", "scale_lr(0.5)", "lr÷2", key_display="-"),
        Binding("o", "next_optimizer", "optimizer"),
        Binding("r", "reset", "reset all"),
        Binding("1", "select(0)", "select run", key_display="1-6"),
        *(Binding(str(k + 1), f"select({k})", show=False) for k in range(1, 6)),
        Binding("0,a", "select(None)", "all runs", key_display="0"),
        Binding("escape,c", "back", "back"),
        # The main screen's keys that mean nothing here are caught, not passed on.
        Binding("l,n,y,g,m,b", "not_here", show=False),
    ]

    def __init__(self, settings: Settings, learning_rates, optimizers, fps: float = 15.0):
        super().__init__()
        self.settings = settings
        self.selected: int | None = None
        self._last_event = ""
        self.snapshot: CompareSnapshot | None = None
        self._started = False
        self.controller = CompareController(settings, learning_rates, optimizers,
                                            lambda snap: self.post_message(CompareFrame(snap)), fps,
                                            acknowledge=True)

    def compose(self) -> ComposeResult:
        with Horizontal(id="compare-top"):
            yield CompareLossPlot(id="compare-loss")
            if self.settings.model == "line":
                yield CompareFitPlot(id="compare-fit")
            else:
                yield CompareModelFitPlot(id="compare-fit")
        with Horizontal(id="compare-bottom"):
            yield LandscapePlot(show_eigen=False, legend=False, id="compare-landscape")
            table = DataTable(id="compare-summary", cursor_type="none", zebra_stripes=True)
            table.border_title = "Summary"
            table.border_subtitle = FINISH_LINE
            yield table
        yield Static(id="compare-status")
        yield Footer()

    def on_mount(self) -> None:
        if not is_live(self):  # escape right after c: nothing to start
            return
        self.query_one(DataTable).add_columns(*COLUMNS)
        # The runs compile only once the screen is on show: c then escape at once costs nothing.
        self.call_after_refresh(self._start)

    def on_screen_resume(self) -> None:
        self._start()  # a screen pushed over this one before it started: start now
        # A frame acknowledged on a screen that was pushed over this one and is gone.
        self.controller.frame_shown()

    def _start(self) -> None:
        if self._started or not is_shown(self) or self.app.screen is not self:
            return
        self._started = True
        self.run_worker(self.controller, name="compare", thread=True, exit_on_error=False)

    def on_unmount(self) -> None:
        self.controller.shutdown()

    # -- frames ---------------------------------------------------------------------
    def on_compare_frame(self, message: CompareFrame) -> None:
        snap = message.snapshot
        self.snapshot = snap
        if not is_shown(self):  # being dismissed: let the worker go on to its stop
            self.controller.frame_shown()
            return
        s = snap.settings
        fit = self.query_one("#compare-fit")
        if snap.x is not None and isinstance(fit, CompareFitPlot):
            true_line = None if s.data or s.dataset != "line" else (s.true_w, s.true_b)
            fit.set_data(snap.x, snap.y, true_line, (s.init_w, s.init_b))
        elif snap.x is not None:
            fit.set_data(snap.x, snap.y)
        landscape = self.query_one(LandscapePlot)
        landscape.set_surface(snap.theory, snap.moments, (s.init_w, s.init_b), s.model)
        self.query_one(CompareLossPlot).set_lanes(snap.lanes, snap.theory.ols_loss if snap.theory else None)
        fit.set_lanes(snap.lanes)
        landscape.set_paths(self._paths(snap))
        self._show_summary(snap)
        for event in snap.events:
            if event.kind in ("error", "warning"):
                self.notify(event.text, markup=False, severity=event.kind, timeout=6)
        if snap.events:
            # The latest event (lr changed, run paused...) stays in the status line.
            self._last_event = snap.events[-1].text
        self._show_status(snap)
        if snap.state == State.ERROR:
            self.notify(snap.message, markup=False, title="cannot compare", severity="error",
                        timeout=30)
        # The worker sends the next frame once this one is on screen.
        self.call_after_refresh(self.controller.frame_shown)

    @staticmethod
    def _paths(snap: CompareSnapshot) -> list[Path]:
        s = snap.settings
        paths = []
        for lane in snap.lanes:
            if lane.curve is None:
                continue
            w = np.r_[s.init_w, lane.curve.w, lane.w]
            b = np.r_[s.init_b, lane.curve.b, lane.b]
            paths.append(Path(w, b, run_color(lane.index), lane_label(lane),
                              diverged=lane.status == RunStatus.DIVERGED))
        return paths

    def _show_summary(self, snap: CompareSnapshot) -> None:
        table = self.query_one(DataTable)
        table.clear()
        # The logistic loss and a network have no known minimum to come within 1% of.
        table.border_subtitle = FINISH_LINE if snap.theory is not None else NO_FINISH_LINE
        for row in summary_rows(snap.lanes, self.selected, finish_line=snap.theory is not None):
            table.add_row(*row)

    def _show_status(self, snap: CompareSnapshot) -> None:
        which = "all runs" if self.selected is None else f"run {self.selected + 1}"
        parts = [f"[b]compare: {snap.state.value}[/]", f"keys act on [b]{which}[/]"]
        if snap.state == State.RUNNING:
            parts.append(f"{snap.steps_per_second:,.0f} steps/s per run")
        if snap.theory is not None:
            opt = "none" if snap.theory.lr_opt is None else fmt(snap.theory.lr_opt)
            parts.append(f"lr_max {fmt(snap.theory.lr_max)}  lr_opt {opt}")
        if self.app.size.width >= 110:
            parts.append(f"device {snap.device}")
        if snap.message or self._last_event:
            parts.append(escape(snap.message or self._last_event))
        self.query_one("#compare-status", Static).update("  ".join(parts))

    # -- keys -------------------------------------------------------------------------
    def action_toggle(self) -> None:
        self.controller.send("toggle", self.selected)

    def action_step(self, count: int) -> None:
        self.controller.send("step", count, self.selected)

    def action_scale_lr(self, factor: float) -> None:
        self.controller.send("scale_lr", factor, self.selected)

    def action_next_optimizer(self) -> None:
        self.controller.send("next_optimizer", self.selected)

    def action_reset(self) -> None:
        self.controller.send("reset")

    def action_select(self, index: int | None) -> None:
        if not is_shown(self):
            return
        lanes = self.snapshot.lanes if self.snapshot else ()
        if index is not None and index >= len(lanes):
            self.notify(f"there is no run {index + 1}", severity="warning", timeout=3)
            return
        self.selected = index
        if self.snapshot is not None:
            self._show_summary(self.snapshot)
            self._show_status(self.snapshot)

    def action_not_here(self) -> None:
        self.notify("not in compare mode: press c or escape to go back", timeout=3)
