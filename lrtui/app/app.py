"""The Textual app: lays out the panes and wires keys to the controller."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from textual import events, messages, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from lrtui import stats
from lrtui.app.key_backlog import BEHIND_KEYS, QUIT_KEYS, KeyBacklog
from lrtui.app.screens.blackboard_screen import BlackboardScreen
from lrtui.app.screens.compare_screen import CompareScreen, default_learning_rates
from lrtui.app.screens.help_screen import HelpScreen
from lrtui.app.screens.landscape_screen import LandscapeScreen
from lrtui.app.screens.lr_find_screen import Choice, LrFindScreen
from lrtui.app.screens.map_screen import MapScreen
from lrtui.app.screens.method_screen import MethodScreen
from lrtui.app.screenshot import SCREENSHOT, Screenshots
from lrtui.app.served import exit_for_sure, served
from lrtui.app.shown import is_shown
from lrtui.app.textual_internals import SafeCommandPalette, exiting, waiting_messages
from lrtui.app.themes import register_themes
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.hyperparams import HyperParams
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.lr_plot import LrPlot
from lrtui.app.widgets.model_fit_plot import ModelFitPlot
from lrtui.app.widgets.sharpness_plot import SharpnessPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.step_log import StepLog
from lrtui.app.widgets.too_small import TOO_LOW, TOO_NARROW, TooSmall
from lrtui.engine.lr_map import DEFAULT_LANES
from lrtui.engine.run import Snapshot, State, fmt
from lrtui.settings.fields import SettingError, Settings, check
from lrtui.settings.model_fields import DATASETS, MODEL_INPUTS, inputs_of_dataset
from lrtui.settings.presets import PRESETS, preset_values
from lrtui.workers.map_worker import TRAINERS, prepare
from lrtui.workers.run_worker import Controller, reopen_run

# The smallest terminal the simulator is laid out for; its narrow layout (`-narrow`,
# `-short` in lrtui.tcss) starts here.
MIN_WIDTH, MIN_HEIGHT = 60, 18
# How long the run must stand still (ready, paused, finished) before the map's lanes compile.
IDLE_BEFORE_MAP = 1.0

MODEL_WORDS = {
    "line": "the lesson: y = w·x + b",
    "poly": "a polynomial in x (feature scaling matters)",
    "logistic": "two inputs, two classes: the logistic loss",
    "mlp": "a small network: its sharpness moves",
}


def fit_title(snap: Snapshot) -> str:
    """The fit pane's title for a model other than the line: what it is, and its loss."""
    model = snap.model
    kind = "p = 0.5 boundary" if model.classifies else "curve"
    return f"{model.describe()}; {kind}; loss {fmt(snap.loss)}"


@dataclass
class Frame(Message):
    """A snapshot from the training worker, posted from its thread."""

    snapshot: Snapshot


class LrApp(Screenshots, App):
    CSS_PATH = "lrtui.tcss"
    TITLE = "lrtui"
    # Nothing starts focused: space, s, + and - must reach the app, not a field.
    AUTO_FOCUS = None
    # Narrow terminals get a narrower settings pane, short ones a shorter log;
    # below the minimum size a message replaces the panes (see widgets/too_small.py).
    HORIZONTAL_BREAKPOINTS = [(0, TOO_NARROW), (MIN_WIDTH, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, TOO_LOW), (MIN_HEIGHT, "-short"), (34, "-tall")]
    BINDINGS = [
        Binding("space", "toggle", "run/pause"),
        Binding("s", "step(1)", "step"),
        Binding("S", "step(10)", "10 steps", show=False),
        Binding("plus,equals_sign", "scale_lr(2.0)", "lr×2", key_display="+"),
        Binding("minus", "scale_lr(0.5)", "lr÷2", key_display="-"),
        Binding("l", "focus_lr", "type lr"),
        Binding("r", "reset", "reset"),
        Binding("n", "new_data", "new data"),
        Binding("y", "toggle_log", "log/lin", show=False),
        Binding("g", "landscape", "landscape"),
        Binding("c", "compare", "compare"),
        Binding("f", "find_lr", "find lr"),
        Binding("m", "lr_map", "lr map"),
        Binding("b", "blackboard", "blackboard"),
        Binding("o", "method", "optimizer"),
        Binding("v", "toggle_lr_curve", "lr curve"),
        Binding("x", "toggle_no_stop", "no-stop on/off", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        SCREENSHOT,
        Binding("e", "save_run", "save run", show=False),
        Binding("E", "export_csv", "steps to CSV", show=False),
        Binding("left_square_bracket", "loss_cursor(-1)", "loss cursor ←", show=False),
        Binding("right_square_bracket", "loss_cursor(1)", "loss cursor →", show=False),
        Binding("left_curly_bracket", "loss_cursor(0, -1)", "loss cursor ←←", show=False),
        Binding("right_curly_bracket", "loss_cursor(0, 1)", "loss cursor →→", show=False),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]

    def __init__(self, settings: Settings, fps: float = 15.0, load_engine=None, run_file=None):
        super().__init__()
        dataset = None
        if run_file is not None:  # a saved run (engine.runfile.RunFile), reopened where it stopped
            settings, dataset = run_file.settings, run_file.dataset()
            load_engine = reopen_run(run_file)
        self.settings = settings
        self.snapshot: Snapshot | None = None
        self.controller = Controller(settings, self.post_message_from_worker, fps=fps,
                                     load_engine=load_engine, dataset=dataset,
                                     acknowledge=True)
        self._worker: Worker | None = None
        self._keys = KeyBacklog()
        self._map_timer = None  # pending: the map's lanes compile once the run stands still
        self._map_prepared_for: tuple | None = None  # the lane layout the map's lanes were compiled for
        self._register_themes(settings.theme)

    def post_message_from_worker(self, snapshot: Snapshot) -> None:
        self.post_message(Frame(snapshot))

    # -- keys: never behind them (lrtui.app.key_backlog) -------------------------
    def post_message(self, message: Message) -> bool:
        if isinstance(message, messages.ExitApp) and served():
            # Behind lrtui serve: the tab closed or the app was told to stop (lrtui.app.served).
            self.controller.shutdown()
            exit_for_sure()
        # A key from the terminal; the same key coming back up from a screen is forwarded.
        typed = isinstance(message, events.Key) and not message.is_forwarded
        if typed and message.key in QUIT_KEYS and self._behind_the_keys():
            self.quit_now()  # not after the hundreds of keys still waiting
            return True
        posted = super().post_message(message)
        if posted and typed:
            self._keys.arrived()
        return posted

    def _behind_the_keys(self) -> bool:
        if self._keys.behind():
            return True
        # Keys handed on to the screen (or the field in focus) wait in its own queue.
        if not self.screen_stack:
            return False
        targets = [self.screen] + ([self.screen.focused] if self.screen.focused else [])
        return any(waiting_messages(target) >= BEHIND_KEYS for target in targets)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                self._keys.handled()
            if exiting(self):  # keys typed before the quit: nothing to do any more
                return
        await super().on_event(event)

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield HyperParams(self.settings, id="hyperparams")
            with Vertical(id="right"):
                with Horizontal(id="plots"):
                    yield FitPlot(id="fit")
                    yield ModelFitPlot(id="model-fit")
                    yield LossPlot(id="loss")
                    yield LrPlot(id="lr-curve")
                    yield SharpnessPlot(id="sharpness")
                yield StepLog(id="steplog")
        yield StatusLine(id="status")
        yield Footer()
        yield TooSmall("lrtui", MIN_WIDTH, MIN_HEIGHT, id="too-small")

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, markup=False, title="theme not loaded", severity="warning",
                        timeout=8)
        # TensorFlow's import holds the interpreter for seconds: start it only
        # once the first frame is on screen, so the UI shows at once.
        self.call_after_refresh(self._start_training)
        # A frame's "shown" waits for the top screen's next refresh; a screen pushed or
        # popped meanwhile may never refresh, and the worker would wait for good.
        self.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen: Screen) -> None:
        self.controller.frame_shown()

    def _start_training(self) -> None:
        stats.mark("first_frame")
        self._worker = self.run_worker(self.controller, name="training", thread=True,
                                       exit_on_error=False)

    def on_unmount(self) -> None:
        self.controller.shutdown()
        stats.dump()

    # -- frames from the worker ---------------------------------------------------
    def on_frame(self, message: Frame) -> None:
        snap = message.snapshot
        self.snapshot = snap
        self.settings = snap.settings
        if not self.is_running or not self.screen_stack or not is_shown(self.screen_stack[0]):
            # Shutting down: the panes may already be removed, and a frame the
            # worker posted meanwhile must not crash the exit with NoMatches.
            return
        stats.count("frames")
        self.query_one(HyperParams).show(snap.settings, snap.theory, snap.predicted_steps,
                                         snap.lr_max_now, snap.scaling)
        self.query_one(StatusLine).show(snap)
        line = snap.model is None or snap.model.name == "line"
        self._show_model_panes(line)
        if snap.x is not None:
            s = snap.settings
            if line and np.ndim(snap.x) == 1:
                true_line = None if s.data or s.dataset != "line" else (s.true_w, s.true_b)
                self.query_one(FitPlot).set_data(snap.x, snap.y, true_line, (s.init_w, s.init_b))
            else:
                self.query_one(ModelFitPlot).set_data(snap.x, snap.y)
        if snap.state != State.LOADING and snap.state != State.ERROR:
            if line:
                self.query_one(FitPlot).set_fit(snap.w, snap.b)
            else:
                self.query_one(ModelFitPlot).set_view(snap.fit, fit_title(snap))
                exact = snap.theory.lambda_max if snap.theory else None
                self.query_one(SharpnessPlot).set_curve(snap.curve, snap.step, exact,
                                                        float(snap.budget_end))
            self.query_one(LossPlot).set_curve(snap.curve, snap.step, snap.budget_end,
                                               snap.theory.ols_loss if snap.theory else None,
                                               snap.loss, snap.mini_batch, snap.non_finite_at)
            self.query_one(LrPlot).set_curve(snap.curve, snap.step,
                                             snap.theory.lr_max if snap.theory else None)
        if isinstance(self.screen, MethodScreen):
            self.screen.show(snap.settings)
        if snap.rows or snap.events:
            self.query_one(StepLog).add(snap.rows, snap.events, snap.rows_skipped)
        for event in snap.events:
            if event.kind == "error":
                self.notify(event.text, markup=False, severity="error", timeout=6)
        if snap.state == State.ERROR:
            self.notify(snap.message, markup=False, title="cannot train", severity="error",
                        timeout=30)
        if snap.state not in (State.LOADING, State.ERROR, State.RUNNING) and self._map_timer is None:
            self._map_timer = self.set_timer(IDLE_BEFORE_MAP, self._prepare_map_if_idle)
        # A screen on top that shows the run (the landscape) gets every frame too.
        show = getattr(self.screen, "show_snapshot", None)
        if show is not None:
            show(snap)
        # Let the worker send the next frame once this one is on screen.
        self.call_after_refresh(self.controller.frame_shown)

    def _show_model_panes(self, line: bool) -> None:
        """The line's fit pane for the lesson; for other models their own, and the sharpness."""
        fit, model_fit = self.query_one(FitPlot), self.query_one(ModelFitPlot)
        if fit.display != line:
            fit.display = line
            model_fit.display = not line
            self.query_one(SharpnessPlot).set_class(not line, "-shown")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"the {event.worker.name} worker stopped: {event.worker.error}", markup=False, severity="error",
                        timeout=30)

    def on_click(self, event: events.Click) -> None:
        # A click outside the field being typed in leaves it, as tab would (the field then
        # applies its value or shows the one in use); clicks on plots do not take focus.
        focused = self.screen.focused
        if isinstance(focused, Input) and event.widget is not focused:
            self.screen.set_focus(None)

    # -- keys ----------------------------------------------------------------------
    def action_toggle(self) -> None:
        self.controller.send("toggle")

    def action_step(self, count: int) -> None:
        self.controller.send("step", count)

    def action_scale_lr(self, factor: float) -> None:
        self.controller.send("scale_lr", factor)

    def action_focus_lr(self) -> None:
        self.query_one("#learning_rate").focus()

    def action_reset(self) -> None:
        self.controller.send("reset")

    def action_new_data(self) -> None:
        self.controller.send("new_data")

    def action_toggle_log(self) -> None:
        plot = self.query_one(LossPlot)
        plot.log_scale = not plot.log_scale

    def action_landscape(self) -> None:
        if not isinstance(self.screen, LandscapeScreen):
            self.push_screen(LandscapeScreen())

    def action_blackboard(self) -> None:
        if not isinstance(self.screen, BlackboardScreen):
            self.push_screen(BlackboardScreen())

    def action_compare(self) -> None:
        """Compare mode starts from the main run's settings; the main run pauses meanwhile."""
        if isinstance(self.screen, CompareScreen):
            return
        if self.snapshot is None or self.snapshot.state in (State.LOADING, State.ERROR):
            self.notify("compare mode needs TensorFlow loaded: wait for the run to be ready",
                        severity="warning", timeout=4)
            return
        if self.controller.running:
            self.controller.send("toggle")
        rates = default_learning_rates(self.settings.learning_rate)
        self.push_screen(CompareScreen(self.settings, rates, ["gd"] * len(rates),
                                       fps=1.0 / self.controller.frame_interval))

    def action_loss_cursor(self, buckets: int, tenths: int = 0) -> None:
        self.query_one(LossPlot).move_cursor(buckets, tenths)

    def action_find_lr(self) -> None:
        """The LR range test on a copy of the model; a chosen suggestion becomes the lr."""
        if isinstance(self.screen, LrFindScreen):
            return
        run = self.controller.run
        self.push_screen(LrFindScreen(self.settings, run.dataset if run else None,
                                      run.device.name if run else None), self._lr_chosen)

    def _lr_chosen(self, choice: Choice | None) -> None:
        if choice is not None:
            self.controller.send("set_lr", choice.learning_rate, f"set to {choice.name} "
                                 "from the range test")

    def action_lr_map(self) -> None:
        """The lr × steps map from the run's settings; enter there makes the chosen lr the run's."""
        if isinstance(self.screen, MapScreen):
            return
        run = self.controller.run
        if run is None or self.snapshot is None or self.snapshot.state in (State.LOADING, State.ERROR):
            self.notify("the map needs TensorFlow loaded: wait for the run to be ready",
                        severity="warning", timeout=4)
            return
        if self.controller.running:
            self.controller.send("toggle")  # the map has the cores to itself meanwhile
        self.push_screen(MapScreen(self.settings, run.dataset, run.device.name), self._lr_from_map)

    def _prepare_map_if_idle(self) -> None:
        self._map_timer = None
        snap = self.snapshot
        if snap is not None and snap.state not in (State.LOADING, State.ERROR, State.RUNNING):
            self._prepare_map(snap.settings)

    def _prepare_map(self, settings: Settings) -> None:
        """Compile the lr map's lanes in the background once the run has stood still for a
        moment, and again for a new model, optimizer or schedule: m then answers at once.
        Not while it runs, nor the instant it is ready: on two cores that compile would slow
        the first steps a user asks for (m compiles for itself if pressed first)."""
        run = self.controller.run
        if run is None:
            return
        dataset, device = run.dataset, run.device.name
        # One build per lane layout: the rule and the model (TRAINERS.key says which).
        method = TRAINERS.key(settings, DEFAULT_LANES, device, dataset.inputs)
        if method == self._map_prepared_for:
            return
        self._map_prepared_for = method
        self.run_worker(lambda: prepare(settings, dataset, device), name="lr map warm-up",
                        thread=True, exit_on_error=False)

    def _lr_from_map(self, learning_rate: float | None) -> None:
        if learning_rate is not None:
            self.controller.send("set_lr", learning_rate, "set from the lr map")

    def action_method(self) -> None:
        if not isinstance(self.screen, MethodScreen):
            self.push_screen(MethodScreen(self.settings))

    def action_toggle_no_stop(self) -> None:
        """Train through divergence (as the lesson's loop does), or stop at it again."""
        self.controller.send("apply", self.settings.with_(no_stop=not self.settings.no_stop))

    def action_toggle_lr_curve(self) -> None:
        plot = self.query_one(LrPlot)
        plot.set_class(not plot.has_class("-shown"), "-shown")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_save_run(self) -> None:
        """Save the run to a file in the current folder; `lrtui --load FILE` reopens it."""
        path = Path.cwd() / time.strftime("lrtui-run-%Y%m%d-%H%M%S.json")
        # A save still waiting for the worker takes this press too: one file, one notice.
        if self.controller.send("save", str(path), coalesce=True):
            self.notify(f"saving the run to {path.name}", markup=False, title="run file")

    def action_export_csv(self) -> None:
        path = Path.cwd() / time.strftime("lrtui-steps-%Y%m%d-%H%M%S.csv")
        if self.controller.send("export_csv", str(path), coalesce=True):
            self.notify(f"saving the step history to {path.name}", markup=False, title="CSV")

    def action_command_palette(self) -> None:
        if self.use_command_palette and not SafeCommandPalette.is_open(self):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    async def action_quit(self) -> None:
        self.quit_now()

    def quit_now(self) -> None:
        self.controller.shutdown()
        self.exit()

    @on(HyperParams.Changed)
    def _setting_changed(self, event: HyperParams.Changed) -> None:
        if event.field == "learning_rate":
            self.controller.send("set_lr", event.value)
        elif event.field == "model":  # a data set it cannot take gives way, as in the palette
            self.use_model(event.value)
        elif event.field == "dataset":
            self.use_dataset(event.value)
        else:
            self.controller.send("apply", self.settings.with_(**{event.field: event.value}))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action not in ("quit",) and binding.description:
                yield SystemCommand(f"lrtui: {binding.description}", f"key {binding.key_display or binding.key}",
                                    lambda action=binding.action: self.run_action(action))
        for name, what in MODEL_WORDS.items():
            yield SystemCommand(f"lrtui: model {name}", what, lambda name=name: self.use_model(name))
        for name in DATASETS:
            yield SystemCommand(f"lrtui: data set {name}", "generated, seeded points",
                                lambda name=name: self.use_dataset(name))
        yield SystemCommand("lrtui: standardize the inputs (on/off)",
                            "feature scaling: see κ and lr_max change",
                            lambda: self.apply_settings(self.settings.with_(
                                standardize=not self.settings.standardize)))
        for name in PRESETS:
            yield SystemCommand(f"lrtui: preset {name}", "an mlp whose sharpness rises to 2/lr",
                                lambda name=name: self.apply_settings(
                                    self.settings.with_(**preset_values(name))))

    def apply_settings(self, settings: Settings) -> None:
        """New settings for the run, refused in one line (nothing changes) if they clash."""
        try:
            check(settings)
        except SettingError as error:
            self.notify(str(error), markup=False, severity="error", timeout=6)
            return
        self.controller.send("apply", settings)

    def use_model(self, name: str) -> None:
        """Switch the model; a data set it cannot take gives way to one it can."""
        settings = self.settings.with_(model=name)
        if not settings.data and MODEL_INPUTS[name] not in (0, inputs_of_dataset(settings.dataset)):
            settings = settings.with_(dataset="moons" if MODEL_INPUTS[name] == 2 else "line")
        self.apply_settings(settings)

    def use_dataset(self, name: str) -> None:
        """Switch the data set; a model that cannot take it gives way to the mlp."""
        settings = self.settings.with_(dataset=name, data=None)
        if MODEL_INPUTS[settings.model] not in (0, inputs_of_dataset(name)):
            settings = settings.with_(model="mlp")
        self.apply_settings(settings)

    # -- themes ----------------------------------------------------------------------
    def _register_themes(self, wanted: str) -> None:
        self._theme_problems = register_themes(self, wanted)

    def loading_thread_alive(self) -> bool:
        """True if the worker is still inside TensorFlow's import (it cannot be interrupted)."""
        # Not the worker's state: quitting marks it cancelled while the thread still imports.
        return self.controller.loading
