"""The LR range test screen (key f): loss against lr on a log axis, with the suggestions.

The sweep runs in a thread worker on its own copy of the model, so the UI
stays live and the run is untouched. The suggestions (fastai's minimum/10,
steep and valley) are drawn as vertical lines together with the theory's
lr_max and lr_opt, so each can be judged against the exact answer; keys 1-4
make one of them the run's lr.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from lrtui.app.plotdata import limit_value, limits, line_value, positive_pairs, ticks
from lrtui.app.shown import LeavesOnlyFromTheTop, is_live, is_shown, while_shown
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.data import Dataset
from lrtui.engine.lr_find import MEANINGS, RangeTest
from lrtui.engine.run import fmt
from lrtui.settings.fields import Settings

# (key, what, colour): the suggestions first, then the theory's two lines.
MARKS = (
    ("1", "minimum", (230, 80, 80)),
    ("2", "steep", (240, 170, 50)),
    ("3", "valley", (90, 170, 250)),
    ("4", "lr_opt", (80, 200, 120)),
)
LR_MAX_COLOUR = (200, 120, 220)


@dataclass(frozen=True)
class Choice:
    name: str
    learning_rate: float


class RangePlot(PlotPane):
    """Smoothed loss against lr (both log), a vertical line per suggestion."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.test: RangeTest | None = None
        self.note = "running the sweep …"

    def draw(self) -> None:
        plt = self.plt
        test = self.test
        if test is None:
            plt.title(self.note)
            return
        lrs, losses = positive_pairs(test.lrs, test.smoothed)  # the sweep's lrs are all > 0
        if len(lrs) < 2:
            plt.title("the sweep recorded too few finite losses to plot")
            return
        plt.xscale("log")
        plt.yscale("log")
        theory = test.theory
        x_low, x_high = limits(float(lrs.min()), float(lrs.max()), log=True)
        # The frame holds the useful part, up to the loss the sweep started from; the
        # blow-up that ends it would squeeze that into a few rows, so it is clipped and marked.
        top = test.useful_top()
        y_low, y_high = limits(float(losses.min()) / 1.15, top * 1.5, log=True)
        plt.xlim(limit_value(x_low, True), limit_value(x_high, True))
        plt.ylim(limit_value(y_low, True), limit_value(y_high, True))
        plt.xticks(*ticks(x_low, x_high, True, max(3, self.size.width // 12)))
        self.set_yticks(*ticks(y_low, y_high, True, max(2, self.size.height // 5)))
        colour = plot_color(self.app.current_theme, "loss-line", "accent")
        over = losses > y_high
        plt.scatter(lrs, np.minimum(losses, y_high), marker="braille", color=colour)
        def row(share: float) -> float:  # a height in the frame, 0 bottom to 1 top
            return y_low * (y_high / y_low) ** share

        # Text rows of the frame (title, tick labels and x label take 5): labels go a row apart.
        one_row = 1.0 / max(2, self.size.height - 6)

        if over.any():
            peak = int(np.argmax(losses))
            plt.text(f"↑ blow-up to {fmt(float(losses[peak]))} ", float(lrs[over][0]),
                     y_high, color=colour, alignment="right")
        valley = test.suggestions.get("valley")
        if valley is not None and valley.window is not None:
            # fastai's window for the valley: the longest descent of the smoothed loss.
            bar = np.geomspace(*valley.window, max(8, self.size.width * 2))
            plt.scatter(bar, np.full(len(bar), row(0.04)), marker="braille", color=MARKS[2][2])
            plt.text("valley window", valley.window[0], row(0.04 + one_row), color=MARKS[2][2],
                     alignment="left")
        for _key, name, mark_colour in MARKS[:3]:
            suggestion = test.suggestions.get(name)
            if suggestion and x_low <= suggestion.learning_rate <= x_high:
                plt.vline(line_value(suggestion.learning_rate, True), mark_colour)
        # lr_opt and lr_max sit a column or two apart: each gets its name, on its own side.
        # A Keras model's sweep has no theory to draw.
        if theory is not None and theory.lr_opt is not None and x_low <= theory.lr_opt <= x_high:
            plt.vline(line_value(theory.lr_opt, True), MARKS[3][2])
            plt.text("lr_opt ", theory.lr_opt, row(1 - one_row), color=MARKS[3][2],
                     alignment="right")
        if theory is not None and x_low <= theory.lr_max <= x_high:
            plt.vline(line_value(theory.lr_max, True), LR_MAX_COLOUR)
            plt.text(" lr_max", theory.lr_max, row(1 - 2 * one_row), color=LR_MAX_COLOUR,
                     alignment="left")
        plt.xlabel("learning rate (log)")
        plt.title("smoothed loss against lr (log-log)")


class LrFindScreen(LeavesOnlyFromTheTop, ModalScreen[Choice | None]):
    BINDINGS = [
        Binding("1", "apply('minimum')", "minimum/10"),
        Binding("2", "apply('steep')", "steep"),
        Binding("3", "apply('valley')", "valley"),
        Binding("4", "apply('lr_opt')", "lr_opt"),
        Binding("escape,f,q", "dismiss(None)", "close"),
    ]

    def __init__(self, settings: Settings | None, dataset: Dataset | None, device: str | None,
                 test: RangeTest | None = None):
        """Run the sweep on the line's run; or, given `test`, show a sweep made elsewhere
        (a Keras training's `find_lr_first`), whose keys 1-3 set that training's lr."""
        super().__init__()
        self.settings, self.dataset, self.device = settings, dataset, device
        self.test: RangeTest | None = None
        self._given = test
        self._started = False

    def compose(self) -> ComposeResult:
        with Vertical(id="lrfind"):
            yield RangePlot(id="lrfind-plot")
            yield Static("", id="lrfind-text")
        yield Footer()

    def on_mount(self) -> None:
        if not is_live(self):  # escape right after f: the screen is already going
            return
        self.query_one("#lrfind", Vertical).border_title = "LR range test"
        if self._given is not None:
            # The keys work from now on; the drawing waits until the screen is on show.
            self.test = self._given
            self.call_after_refresh(self.show, self._given)
            return
        if self.dataset is None or self.device is None:
            self._say("TensorFlow is still loading: close (escape) and press f again in a moment")
            return
        self._say(f"sweeping the lr from 1e-7 to 10 over 100 steps with "
                  f"{self.settings.optimizer}, from w={fmt(self.settings.init_w)} "
                  f"b={fmt(self.settings.init_b)} …")
        # The sweep starts once the screen is on show: f then escape at once costs nothing.
        self.call_after_refresh(self._start)

    def on_screen_resume(self) -> None:
        self._start()  # a screen pushed over this one before the sweep began

    def _start(self) -> None:
        if self._started or self.dataset is None or not is_shown(self) or self.app.screen is not self:
            return
        self._started = True
        self.sweep()

    @while_shown
    def _say(self, text: str) -> None:
        self.query_one("#lrfind-text", Static).update(text)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def sweep(self) -> RangeTest:
        from lrtui.engine.lr_find import range_test  # TensorFlow is loaded by now

        return range_test(self.settings, self.dataset, self.device)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._say(f"[b $error]the sweep failed:[/] {event.worker.error}")

    @while_shown
    def show(self, test: RangeTest) -> None:
        self.test = test
        plot = self.query_one(RangePlot)
        plot.test = test
        plot.redraw()
        self._say("\n".join(self.legend(test, compact=self.app.size.height < 34)))

    @staticmethod
    def legend(test: RangeTest, compact: bool) -> list[str]:
        """What each line on the plot is; on a short terminal, two lines instead of five."""
        theory = test.theory
        entries = []  # (colour, key, name, value, meaning)
        for key, name, colour in MARKS[:3]:
            suggestion = test.suggestions.get(name)
            value = fmt(suggestion.learning_rate) if suggestion else "-"
            entries.append((colour, key, name, value, MEANINGS[name]))
        if theory is not None:  # a Keras model's sweep has no exact answer beside it
            if theory.lr_opt is None:
                entries.append((MARKS[3][2], " ", "lr_opt", "none",
                                "every x is the same: the minimum is not unique"))
            else:
                entries.append((MARKS[3][2], "4", "lr_opt", fmt(theory.lr_opt),
                                "plain GD's fastest worst-case rate (theory)"))
            entries.append((LR_MAX_COLOUR, " ", "lr_max", fmt(theory.lr_max),
                            "plain GD diverges above (theory)"))
        if compact:
            cells = [f"[rgb{c}]│[/][b]{k}[/] {n} {v}" for c, k, n, v, _ in entries]
            lines = ["  ".join(cells[:3]), "  ".join(cells[3:])]
        else:
            lines = [f"[rgb{c}]│[/] [b]{k}[/]  {n:<8} {v:>10}  {m}" for c, k, n, v, m in entries]
        if test.valley_is_middle:
            lines.append(f"[rgb{MARKS[2][2]}]{escape(test.valley_note())}[/]")
        stop = "stopped when the smoothed loss passed 4 × its best" if test.stopped_early else \
            "ran all steps"
        keys = "Keys 1-4 set the run's lr" if theory is not None else "Keys 1-3 set the training's lr"
        lines.append(f"{len(test.lrs)} steps, {stop}. {keys}; escape closes.")
        return lines

    def learning_rate_of(self, name: str) -> float | None:
        if self.test is None:
            return None
        if name == "lr_opt":
            return self.test.theory.lr_opt if self.test.theory is not None else None
        suggestion = self.test.suggestions.get(name)
        return suggestion.learning_rate if suggestion else None

    def action_apply(self, name: str) -> None:
        learning_rate = self.learning_rate_of(name)
        if learning_rate is None:
            if self.test is not None and name == "lr_opt" and self.test.theory is not None:
                self.notify("no lr_opt: every x is the same, the minimum is not unique",
                            severity="warning")
                return
            self.notify("no result yet: wait for the sweep" if self.test is None else
                        f"no {name} for this sweep", severity="warning")
            return
        self.dismiss(Choice(name, learning_rate))
