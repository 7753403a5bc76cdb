"""`lrtui watch NAME`: a Keras training, live, with keys to steer it.

The panes are the simulator's own: the loss against step (here each batch's
own loss, with the validation losses as points and the epoch ends as lines;
log or linear with y; the loss cursor with [ ] { }), the lr each batch used,
the step log (Keras's logs every tenth of an epoch, and every event), and the
status line. Keys send commands into the training's channel; the
training process applies each one between two batches, and its
acknowledgement, with the step it applies from, lands in the step log.
q only detaches: the training goes on, and attaching again shows it all.
? lists the keys and what each one does to the training (lrtui.app.screens.help_screen);
below its minimum size the viewer shows the simulator's too-small message instead
of its panes (lrtui.app.widgets.too_small), and keeps reading the training.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from lrtui.app.screens.ask_screen import AskScreen, ConfirmScreen
from lrtui.app.screens.help_screen import Help, HelpScreen
from lrtui.app.screens.lr_find_screen import Choice, LrFindScreen
from lrtui.app.screenshot import SCREENSHOT, Screenshots
from lrtui.app.themes import DEFAULT_THEME, register_themes
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.lr_plot import LrPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.step_log import StepLog
from lrtui.app.widgets.too_small import TOO_LOW, TOO_NARROW, TooSmall
from lrtui.engine.run import fmt
from lrtui.integrations.keras.channel import Channel, lr_value, weights_path
from lrtui.integrations.keras.rows import ROW_KEYS
from lrtui.workers.watch_worker import WatchFrame, WatchWorker

# The smallest terminal the viewer's panes stay readable in; below it, the too-small message.
# 70 columns: the status line's essentials ("training  step 12,345/20,000  epoch 12/100
# lr 0.005  loss 0.09765", 66 cells and its padding) stay whole; a step log row of Keras's
# loss and one metric (53 cells, with border and scrollbar 56) needs no sideways scroll;
# the lr pane, a third of the width, keeps about a dozen columns of curve beside its
# 7-character ticks. 20 rows: of the 18 left by the status line and the footer, the step
# log's third (6) shows its last four lines (the latest rows and event), and the loss
# pane's 12 leave a plot 6 rows high: a fall, a plateau or a spike still shows, with two
# decades labelled.
MIN_WIDTH, MIN_HEIGHT = 70, 20
STATUS_STYLE = {"training": "$success", "paused": "$accent", "range test": "$warning",
                "starting": "$warning", "finished": "$primary", "stopped": "$primary",
                "gone": "$error", "interrupted": "$error"}
CSS = """
#panes { height: 1fr; }
#plots { height: 2fr; }
#loss { width: 2fr; height: 1fr; }
#lr-curve { width: 1fr; height: 1fr; border: round $panel-lighten-2;
            border-title-color: $primary; border-title-style: bold; }
#steplog { height: 1fr; }
AskScreen, ConfirmScreen { align: center middle; }
.ask { width: 72; max-width: 100%; height: auto; border: round $primary; background: $surface;
       padding: 0 1; }
#problem { color: $error; }
"""


@dataclass
class Frame(Message):
    """A frame from the watch worker, posted from its thread."""

    frame: WatchFrame


class KerasStepLog(StepLog):
    """Keras's logs as they came, a column each; the columns are those of the first row."""

    hint = "lrtui watch NAME --format jsonl prints every batch"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.names: list[str] | None = None

    def add(self, rows, events, skipped: int = 0) -> None:
        if self.names is None and rows:
            self.names = list(rows[0].logs)
        super().add(rows, events, skipped)

    def _layout(self) -> None:
        """The header once the first row has said which logs there are, and again (with
        everything, events wrapped anew) when the pane's width changes."""
        width = self.text_width()
        if self.names is None or width <= 0 or (self._columns and width == self._width):
            return
        self._width = width
        self._columns = ("step", "epoch", "batch", "lr", *self.names)
        self.border_subtitle = "step epoch batch lr " + " ".join(self.names)
        self.clear()
        names = " ".join(f"{c[:10]:>10}" for c in self.names)
        self.write(Text(f"{'step':>8} {'epoch':>5} {'batch':>6} {'lr':>9} {names}", style="bold"))
        if self._items:
            self.write(Text("\n").join(self._line(item) for item in self._items))

    def row_text(self, row) -> Text:
        values = " ".join(f"{_number(row.logs.get(c)):>10}" for c in self.names)
        return Text(f"{row.step:>8} {row.epoch + 1:>5} {row.batch:>6} {fmt(row.lr):>9} {values}")


def _number(value) -> str:
    return fmt(float(value)) if isinstance(value, (int, float)) else "-"


class WatchApp(Screenshots, App):
    CSS_PATH = "lrtui.tcss"
    CSS = CSS
    TITLE = "lrtui watch"
    AUTO_FOCUS = None
    HORIZONTAL_BREAKPOINTS = [(0, TOO_NARROW), (MIN_WIDTH, "-wide-enough")]
    VERTICAL_BREAKPOINTS = [(0, TOO_LOW), (MIN_HEIGHT, "-high-enough")]
    # The footer's words are short, so that ? and q show at 120 columns; ? says it all.
    BINDINGS = [
        Binding("space", "pause_or_resume", "pause"),
        Binding("plus,equals_sign", "scale_lr(2.0)", "lr×2", key_display="+"),
        Binding("minus", "scale_lr(0.5)", "lr÷2", key_display="-"),
        Binding("l", "type_lr", "type lr"),
        Binding("x", "stop_training", "stop"),
        Binding("w", "save_weights", "save weights"),
        Binding("f", "range_test", "range test"),
        Binding("y", "toggle_log", "log/lin"),
        Binding("left_square_bracket", "loss_cursor(-1)", "loss cursor ←", show=False),
        Binding("right_square_bracket", "loss_cursor(1)", "loss cursor →", show=False),
        Binding("left_curly_bracket", "loss_cursor(0, -1)", "loss cursor ←←", show=False),
        Binding("right_curly_bracket", "loss_cursor(0, 1)", "loss cursor →→", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        SCREENSHOT,
        Binding("q", "detach", "detach"),
        Binding("ctrl+c", "detach", "detach", show=False, priority=True),
    ]

    def __init__(self, channel: Channel, fps: float = 15.0):
        super().__init__()
        self.channel = channel
        self.frame: WatchFrame | None = None
        self.watcher = WatchWorker(channel, lambda frame: self.post_message(Frame(frame)), fps)
        self.sub_title = channel.name
        self._theme_problems = register_themes(self, DEFAULT_THEME)

    def compose(self) -> ComposeResult:
        with Vertical(id="panes"):
            with Horizontal(id="plots"):
                loss = LossPlot(id="loss")
                loss.label = "batch loss"
                loss.border_title = f"Loss: {self.channel.name}"
                yield loss
                yield LrPlot(id="lr-curve", classes="-shown")
            yield KerasStepLog(id="steplog")
        yield StatusLine(f"attaching to {escape(self.channel.name)} …", id="status")
        yield Footer()
        yield TooSmall("lrtui watch", MIN_WIDTH, MIN_HEIGHT, "detach (the training goes on)",
                       id="too-small")

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(problem, markup=False, title="theme not loaded", severity="warning")
        self.run_worker(self.watcher, name="watch", thread=True, exit_on_error=False)

    def on_unmount(self) -> None:
        self.watcher.shutdown()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"the viewer stopped reading: {event.worker.error}", markup=False,
                        severity="error", timeout=30)

    # -- frames ----------------------------------------------------------------------------
    def on_frame(self, message: Frame) -> None:
        if not self.is_running or not self.query(LossPlot):
            return  # shutting down, or not composed yet: the panes may not be there
        frame = self.frame = message.frame
        loss = self.query_one(LossPlot)
        loss.set_marks(frame.validation, frame.epoch_ends)
        loss.set_curve(frame.curve, max(frame.step, 0), frame.total_steps, None)
        self.query_one(LrPlot).set_curve(frame.curve, max(frame.step, 0), None, loss.x_end)
        if frame.rows or frame.events or frame.rows_skipped:
            self.query_one(KerasStepLog).add(frame.rows, frame.events, frame.rows_skipped)
        # One line of fixed height: no layout pass (it would repaint the scrollbars too).
        self.query_one(StatusLine).update(status_text(frame), layout=False)
        self.call_after_refresh(self.watcher.frame_shown)

    # -- keys ------------------------------------------------------------------------------
    def _send(self, command: str, said: str, **arguments) -> None:
        if self.watcher.send(command, **arguments) is not None:
            self.notify(f"sent: {said}; it applies at the next batch", timeout=3)

    def action_pause_or_resume(self) -> None:
        if self.frame is not None and self.frame.status == "paused":
            self._send("resume", "resume")
        else:
            self._send("pause", "pause")

    def action_scale_lr(self, factor: float) -> None:
        self._send("scale_lr", f"lr ×{factor:g}", value=factor)

    def action_type_lr(self) -> None:
        current = fmt(self.frame.last.get("lr", 0.0)) if self.frame and self.frame.last else ""
        self.push_screen(AskScreen("set the lr to (enter sends, escape cancels)", current,
                                   lr_value), self._lr_typed)

    def _lr_typed(self, value: float | None) -> None:
        if value is not None:
            self._send("set_lr", f"lr {fmt(value)}", value=value)

    def action_stop_training(self) -> None:
        self.push_screen(ConfirmScreen(f"stop training {self.channel.name} after its next batch?"),
                         self._stop_confirmed)

    def _stop_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._send("stop", "stop")

    def action_save_weights(self) -> None:
        step = self.frame.step if self.frame else 0
        default = Path.cwd() / f"{self.channel.name}-step{max(step, 0) + 1}.weights.h5"
        self.push_screen(AskScreen("save the weights to (a *.weights.h5 file)", str(default),
                                   weights_path), self._path_typed)

    def _path_typed(self, path: str | None) -> None:
        if path is not None:
            self._send("save_weights", f"save the weights to {path}", path=path)

    def action_range_test(self) -> None:
        if isinstance(self.screen, LrFindScreen):
            return
        test = self.frame.range_test if self.frame else None
        if test is None:
            self.notify("this training ran no range test: LrtuiCallback(find_lr_first=True, "
                        "find_lr_data=(x, y)) runs one before training", markup=False, timeout=6)
            return
        self.push_screen(LrFindScreen(None, None, None, test=test), self._suggestion_chosen)

    def _suggestion_chosen(self, choice: Choice | None) -> None:
        if choice is not None:
            self._send("set_lr", f"lr {fmt(choice.learning_rate)} ({choice.name})",
                       value=choice.learning_rate)

    def action_toggle_log(self) -> None:
        plot = self.query_one(LossPlot)
        plot.log_scale = not plot.log_scale

    def action_loss_cursor(self, buckets: int, tenths: int = 0) -> None:
        self.query_one(LossPlot).move_cursor(buckets, tenths)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(WATCH_HELP))

    def action_detach(self) -> None:
        self.watcher.shutdown()
        self.exit(0)


WATCH_HELP = Help(
    "lrtui watch keys",
    (
        ("`space`", "pause / resume the training at its next batch boundary"),
        ("`+` / `-`", "the training's lr ×2 / ÷2 from its next batch"),
        ("`l`", "type the lr to set; it applies from the next batch"),
        ("`x`", "stop the training after its next batch (asks first)"),
        ("`w`", "save the weights between two batches (asks where)"),
        ("`f`", "the range test run first; `1`-`3` make a suggestion the lr"),
        ("`y`", "loss axis log / linear (this viewer only)"),
        ("`[` `]` / `{` `}`", "loss cursor: a bucket / a tenth (this viewer only)"),
        ("`?`", "this help"),
        ("`f8`", "an SVG screenshot in the current folder (on any screen)"),
        ("`q`", "detach: the viewer closes, the training goes on"),
    ),
    """\
**What reaches the training.** `space`, `+`, `-`, `l`, `x`, `w` and a range-test
suggestion are commands in the training's channel. The training process applies
each one at its next batch boundary, and its acknowledgement, with the step from
which the change applies, lands in the step log. An lr change sets
`model.optimizer.learning_rate`; a `LearningRateSchedule` is rescaled as a whole
and keeps its shape. Pause holds the training between two batches until resumed;
stop sets `model.stop_training`, so Keras ends the fit after that batch; `w` calls
`model.save_weights` with the `*.weights.h5` path you give. A bad number sends
nothing. A training that has finished or is gone takes no commands: the step log
says "not sent".

**Detaching.** `q` closes this viewer only. `lrtui watch NAME` again shows the
whole history so far; several viewers may watch one training at once.
""",
)


def log_text_of(app: WatchApp) -> str:
    """What the step log shows, as plain text."""
    return "\n".join(strip.text for strip in app.query_one(KerasStepLog).lines)


def status_text(frame: WatchFrame) -> str:
    state = frame.state
    parts = [f"[b {STATUS_STYLE.get(frame.status, '$warning')}]{escape(frame.status)}[/]"]
    if frame.status == "gone":
        parts.append(f"the training process (pid {state.get('pid')}) is no longer running")
    if frame.step >= 0:
        total = f"/{frame.total_steps:,}" if frame.total_steps else ""
        parts.append(f"step {frame.step:,}{total}")
        last = frame.last
        if state.get("epochs"):
            parts.append(f"epoch {last.get('epoch', 0) + 1}/{state['epochs']}")
        # The lr before Keras's logs: a narrow terminal cuts the line's end, not the lr.
        lr = f"lr {_number(last.get('lr'))}"
        if state.get("schedule"):
            lr += f" ({escape(state['schedule'])})"
        parts.append(lr)
        logs = [f"{k} {_number(v)}" for k, v in last.items() if k not in ROW_KEYS][:3]
        parts.extend(escape(text) for text in logs)
    if frame.status == "training" and frame.rows_per_second:
        parts.append(f"{frame.rows_per_second:,.0f} batches/s")
    if state.get("dropped"):
        parts.append(f"[$warning]{state['dropped']:,} old rows dropped[/]")
    return "  ".join(parts)


def run_watch_app(channel: Channel, fps: float = 15.0, mouse: bool = True) -> int:
    """Run the viewer until q; a hangup or SIGTERM detaches the same way (the training goes on)."""
    app = WatchApp(channel, fps=fps)
    loop = asyncio.new_event_loop()
    for signum in (signal.SIGHUP, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: app.exit(0))
    try:
        app.run(mouse=mouse, loop=loop)
    finally:
        loop.close()
    return app.return_code or 0
