"""Key `m`: the lr × steps map of the current run's data, model, optimizer and start.

One picture for the lesson's "Learning Rate vs Steps": where runs converge,
where they crawl, and the cliff at lr_max, with the theory drawn on it. The
map is computed by a `MapWorker` in a thread (one compiled call per chunk,
all lrs at once); the screen only draws. Arrows move a cursor that reads out
lr, step and loss; enter makes the lr under it the run's lr; escape stops
the computation and closes.

Frames come from the worker's thread and may arrive while the screen is
being dismissed or before it is composed: the handler looks at nothing that
is not mounted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, is_shown
from lrtui.app.widgets.lr_map_plot import LINES, PREDICTED, Cursor, MapPlot, bucket_of_step
from lrtui.engine.data import Dataset
from lrtui.engine.lr_map import LrMapView, default_learning_rates, map_theory
from lrtui.engine.method import describe_optimizer
from lrtui.engine.run import fmt
from lrtui.settings.fields import Settings
from lrtui.workers.map_worker import MapProgress, MapWorker


@dataclass
class MapFrame(Message):
    """Progress from the map worker, posted from its thread."""

    progress: MapProgress


class MapScreen(LeavesOnlyFromTheTop, ModalScreen[float | None]):
    DEFAULT_CSS = """
    MapScreen { align: center middle; }
    MapScreen #map { width: 100%; height: 1fr; border: round $panel-lighten-2;
        border-title-color: $primary; background: $surface; }
    MapScreen #map-legend { height: auto; padding: 0 1; }
    MapScreen #map-readout { height: auto; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("left", "move(-1, 0)", "lr ←", show=False),
        Binding("right", "move(1, 0)", "lr →", show=False),
        Binding("up", "move(0, -1)", "step ↑", show=False),
        Binding("down", "move(0, 1)", "step ↓", show=False),
        Binding("shift+left", "move(-8, 0)", show=False),
        Binding("shift+right", "move(8, 0)", show=False),
        Binding("shift+up,pageup", "move(0, -8)", show=False),
        Binding("shift+down,pagedown", "move(0, 8)", show=False),
        Binding("enter", "apply", "use this lr"),
        Binding("escape,m,q", "close", "close"),
    ]

    def __init__(self, settings: Settings, dataset: Dataset, device: str, learning_rates=None,
                 steps: int | None = None):
        super().__init__()
        self.settings = settings
        self.dataset = dataset
        theory = map_theory(settings, dataset)
        self.exact = theory is not None  # line, poly: exact theory; others: measured sharpness
        if learning_rates is None:
            learning_rates = default_learning_rates(theory, settings.learning_rate)
        self.learning_rates = np.asarray(learning_rates, np.float64)
        self.steps = steps or settings.steps
        self.worker = MapWorker(settings, dataset, device, self.learning_rates, self.steps,
                                lambda progress: self.post_message(MapFrame(progress)))
        self.progress: MapProgress | None = None
        self._started = False
        lane = int(np.argmin(np.abs(np.log(self.learning_rates) - math.log(settings.learning_rate))))
        self.cursor = Cursor(lane, self.steps - 1)

    def compose(self) -> ComposeResult:
        with Vertical(id="map"):
            yield MapPlot(self.settings.learning_rate, id="map-plot")
        yield Static(self._legend(), id="map-legend")
        yield Static("computing the map …", id="map-readout")
        yield Footer()

    def on_mount(self) -> None:
        if not is_live(self):  # escape right after m: nothing to start
            return
        s = self.settings
        self.query_one("#map", Vertical).border_title = (
            f"lr × steps: {len(self.learning_rates)} lrs × {self.steps:,} steps, "
            f"{describe_optimizer(s)} from w={fmt(s.init_w)} b={fmt(s.init_b)}")
        # The lanes compile only once the screen is on show: m then escape at once costs nothing.
        self.call_after_refresh(self._start)

    def on_screen_resume(self) -> None:
        self._start()  # a screen pushed over this one before it started

    def _start(self) -> None:
        if self._started or not is_shown(self) or self.app.screen is not self:
            return
        self._started = True
        self.run_worker(self.worker, name="lr map", thread=True, exit_on_error=False)

    def on_unmount(self) -> None:
        self.worker.cancel()  # the thread stops before its next chunk

    # -- frames -------------------------------------------------------------------------
    def on_map_frame(self, message: MapFrame) -> None:
        if not is_shown(self):
            return  # dismissed meanwhile, or not composed yet (lrtui.app.shown)
        progress = message.progress
        self.progress = progress
        if progress.view is not None:
            plot = self.query_one(MapPlot)
            plot.cursor = self.cursor
            plot.view = progress.view
        self._show_readout()

    def _legend(self) -> str:
        run_lr = f"[b]▲[/] run's lr {fmt(self.settings.learning_rate)}"
        if not self.exact:
            names = {"1/λmax": "1/λ", "lr_max": "2/λ"}
            marks = "  ".join(f"[rgb{colour}]{glyph}[/] {names[name]}"
                              for name, glyph, colour in LINES if name in names)
            return (f"{marks} of the sharpness λ at the start (measured)  {run_lr}  ·  "
                    "log loss: dark the start, bright the lowest reached, [$error]red[/] diverged")
        marks = "  ".join(f"[rgb{colour}]{glyph}[/] {name}" for name, glyph, colour in LINES)
        return (f"{marks}  {run_lr}  "
                f"[b]{PREDICTED}[/] predicted 1% (GD)  ·  log loss: dark the start, "
                "bright the OLS loss, [$error]red[/] diverged")

    def _show_readout(self) -> None:
        if not self.query("#map-readout"):
            return
        readout = self.query_one("#map-readout", Static)
        progress = self.progress
        if progress is None:
            return
        if progress.error:
            readout.update(f"[b $error]no map:[/] {escape(progress.error)}")
            return
        view = progress.view
        if view is None:
            return
        theory = view.theory
        lines = []
        if progress.stopped:
            lines.append(f"stopped at step {view.steps_done:,} of {view.steps:,}")
        elif not view.complete:
            share = view.steps_done / view.steps
            lines.append(f"computing: step {view.steps_done:,} of {view.steps:,} ({share:.0%}) "
                         f"{'█' * int(share * 20)}{'░' * (20 - int(share * 20))}  escape stops")
        elif theory is None:
            s = view.start_sharpness
            lines.append(f"map done: sharpness at the start {fmt(s)} (measured): 1/λ {fmt(1 / s)}  "
                         f"2/λ {fmt(2 / s)}; it moves as a run trains  ·  lowest loss "
                         f"{fmt(view.floor_loss)}" if s > 0 else
                         f"map done: lowest loss {fmt(view.floor_loss)}")
        else:
            lr_opt = "none (every x the same)" if theory.lr_opt is None else fmt(theory.lr_opt)
            lines.append(f"map done: lr_opt {lr_opt}  "
                         f"1/λmax {fmt(theory.lr_zigzag)}  lr_max {fmt(theory.lr_max)}  "
                         f"OLS loss {fmt(theory.ols_loss)}")
        lines.append(self._cursor_text(view))
        readout.update("\n".join(lines))

    def _cursor_text(self, view: LrMapView) -> str:
        lane, step = self.cursor.lane, self.cursor.step
        lr = view.learning_rates[lane]
        row = bucket_of_step(step, view)
        if step >= view.steps_done or row >= len(view.step):
            where, loss = f"step {step:,}", "not computed yet"
        else:
            value = view.loss[row, lane]
            loss = "diverged" if not math.isfinite(value) else fmt(float(value))
            first = int(view.step[row])
            last = min(first + view.span, view.steps) - 1
            where = f"step {first:,}" if last == first else f"steps {first:,}–{last:,}"
        reached = view.steps_to_1pct[lane]
        parts = [f"[b]cursor[/] lr {fmt(float(lr))}  {where}  loss {loss}",
                 f"1% at {'never' if reached < 0 else f'{reached:,}'}" if view.exact else
                 f"lowest {fmt(float(view.min_loss[lane]))}"]
        if view.predicted is not None:
            predicted = view.predicted[lane]
            parts.append(f"(predicted {'never' if not math.isfinite(predicted) else f'{int(predicted):,}'})")
        if view.diverged_at[lane] >= 0:
            parts.append(f"diverged at {view.diverged_at[lane]:,}")
        return "  ".join(parts)

    # -- keys -----------------------------------------------------------------------------
    def action_move(self, lanes: int, rows: int) -> None:
        plot = self.query(MapPlot)
        per_row = plot.first().steps_per_row() if plot else 1
        lane = min(max(self.cursor.lane + lanes, 0), len(self.learning_rates) - 1)
        step = min(max(self.cursor.step + rows * per_row, 0), self.steps - 1)
        self.cursor = Cursor(lane, step)
        if plot:
            plot.first().cursor = self.cursor
        self._show_readout()

    def action_apply(self) -> None:
        self.worker.cancel()
        self.dismiss(float(self.learning_rates[self.cursor.lane]))

    def action_close(self) -> None:
        self.worker.cancel()
        self.dismiss(None)
