"""The LR range test screen (key f): loss against lr on a log axis, with the suggestions.

The sweep runs in a thread worker on its own copy of the model, so the UI
stays live and the run is untouched. The suggestions (fastai's minimum/10,
steep and valley) are drawn as vertical lines together with the theory's
lr_max and lr_opt, so each can be judged against the exact answer; keys 1-4
make one of them the run's lr.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState
from textual_plotext import PlotextPlot

from lrtui.app.plotdata import limit_value, limits, line_value, positive_pairs, ticks
from lrtui.app.shown import is_live, is_shown, while_shown
from lrtui.app.themes import plot_color
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


class RangePlot(PlotextPlot):
    """Smoothed loss against lr (both log), a vertical line per suggestion."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.test: RangeTest | None = None
        self.note = "running the sweep …"

    def render(self):
        self._draw()
        return super().render()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
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
        marks = [(s.learning_rate, colour) for key, name, colour in MARKS
                 if (s := test.suggestions.get(name))]
        marks += [(theory.lr_opt, MARKS[3][2]), (theory.lr_max, LR_MAX_COLOUR)]
        x_low, x_high = limits(float(lrs.min()), float(lrs.max()), log=True)
        y_low, y_high = limits(float(losses.min()), float(losses.max()), log=True)
        plt.xlim(limit_value(x_low, True), limit_value(x_high, True))
        plt.ylim(limit_value(y_low, True), limit_value(y_high, True))
        plt.xticks(*ticks(x_low, x_high, True, 9))
        plt.yticks(*ticks(y_low, y_high, True))
        plt.scatter(lrs, losses, marker="braille",
                 color=plot_color(self.app.current_theme, "loss-line", "accent"))
        for lr, colour in marks:
            if x_low <= lr <= x_high:
                plt.vline(line_value(lr, True), colour)
        plt.xlabel("learning rate (log)")
        plt.title("smoothed loss against lr")


class LrFindScreen(ModalScreen[Choice | None]):
    BINDINGS = [
        Binding("1", "apply('minimum')", "minimum/10"),
        Binding("2", "apply('steep')", "steep"),
        Binding("3", "apply('valley')", "valley"),
        Binding("4", "apply('lr_opt')", "lr_opt"),
        Binding("escape,f,q", "dismiss(None)", "close"),
    ]

    def __init__(self, settings: Settings, dataset: Dataset | None, device: str | None):
        super().__init__()
        self.settings, self.dataset, self.device = settings, dataset, device
        self.test: RangeTest | None = None
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
        plot.refresh()
        lines = []
        for key, name, colour in MARKS[:3]:
            suggestion = test.suggestions.get(name)
            value = fmt(suggestion.learning_rate) if suggestion else "-"
            lines.append(f"[rgb{colour}]│[/] [b]{key}[/]  {name:<8} {value:>10}  {MEANINGS[name]}")
        theory = test.theory
        lines.append(f"[rgb{MARKS[3][2]}]│[/] [b]4[/]  lr_opt   {fmt(theory.lr_opt):>10}  "
                     "best constant lr for plain GD (theory)")
        lines.append(f"[rgb{LR_MAX_COLOUR}]│[/]    lr_max   {fmt(theory.lr_max):>10}  "
                     "plain GD diverges above (theory)")
        stop = "stopped when the smoothed loss passed 4 × its best" if test.stopped_early else \
            "ran all steps"
        lines.append(f"{len(test.lrs)} steps, {stop}.  Keys 1-4 set the run's lr; escape closes.")
        self._say("\n".join(lines))

    def learning_rate_of(self, name: str) -> float | None:
        if self.test is None:
            return None
        if name == "lr_opt":
            return self.test.theory.lr_opt
        suggestion = self.test.suggestions.get(name)
        return suggestion.learning_rate if suggestion else None

    def action_apply(self, name: str) -> None:
        learning_rate = self.learning_rate_of(name)
        if learning_rate is None:
            self.notify("no result yet: wait for the sweep", severity="warning")
            return
        self.dismiss(Choice(name, learning_rate))
