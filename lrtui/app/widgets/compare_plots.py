"""Compare mode's plots: every run's loss curve overlaid, and every run's fit line
(for the other models: every run's curve, or its decision boundary).

A diverging run must not flatten the others: the loss axis is framed by the
runs that did not diverge, and a diverged curve is drawn up to the frame's top
edge, where it left.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from lrtui.app.plotdata import (
    downsample,
    limit_value,
    limits,
    positive_pairs,
    step_ticks,
    ticks,
)
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.model_fit_plot import ModelFitPlot
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.compare import Lane, RunStatus
from lrtui.engine.run import fmt

# One colour per run, told apart on dark and light themes alike.
RUN_COLORS = ((95, 175, 255), (255, 175, 95), (95, 215, 95), (255, 95, 95), (175, 135, 255),
              (95, 215, 215))


def run_color(index: int) -> tuple[int, int, int]:
    return RUN_COLORS[index % len(RUN_COLORS)]


def legend(lanes, width: int = 1000) -> str:
    """A legend for a border: each run's label in its colour (plotext's own covers the curves),
    as long as fits in `width` cells: the run's number and lr always, the rest if there is room."""
    lanes = tuple(lanes)
    same_optimizer = len({lane.optimizer for lane in lanes}) <= 1
    for form in ("full", "short", "tight"):
        labels = [lane_label(lane, form, same_optimizer) for lane in lanes]
        gap = "  " if form != "tight" else " "
        if sum(len(label) + 2 for label in labels) + len(gap) * (len(labels) - 1) <= width:
            break
    parts = []
    for lane, label in zip(lanes, labels):
        r, g, b = run_color(lane.index)
        parts.append(f"[#{r:02x}{g:02x}{b:02x}]━ {label}[/]")
    return gap.join(parts)


def lane_label(lane: Lane, form: str = "full", same_optimizer: bool = False) -> str:
    """A run's name: "3: gd lr 0.9 ✗ diverged @43", or shorter ("3 lr 0.9 ✗@43", "3 0.9✗43")."""
    end = ""
    if lane.status == RunStatus.DIVERGED:
        at = lane.diverged_at if lane.diverged_at is not None else lane.non_finite_at
        end = {"full": f" ✗ diverged @{at}", "short": f" ✗@{at}", "tight": f"✗{at}"}[form]
    elif lane.status == RunStatus.DIVERGING:
        end = {"full": " ↗ diverging", "short": " ↗", "tight": "↗"}[form]
    if form == "full":
        return lane.label + end
    optimizer = "" if same_optimizer else f" {lane.optimizer}"
    if form == "short":
        return f"{lane.index + 1}{optimizer} lr {fmt(lane.learning_rate)}{end}"
    return f"{lane.index + 1}{optimizer} {fmt(lane.learning_rate)}{end}"


class CompareLossPlot(PlotPane):
    BORDER_TITLE = "Loss, every run (log)"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lanes: tuple[Lane, ...] = ()
        self._ols_loss: float | None = None
        self.y_range: tuple[float, float] | None = None  # the loss range the last frame showed

    def set_lanes(self, lanes: tuple[Lane, ...], ols_loss: float | None) -> None:
        self._lanes, self._ols_loss = lanes, ols_loss
        self.redraw()

    def curves(self) -> list[tuple[Lane, np.ndarray, np.ndarray]]:
        """Each run's (step, loss) as drawn: min and max per bucket, positive, downsampled."""
        out = []
        width = max(8, self.size.width * 2)
        for lane in self._lanes:
            curve = lane.curve
            if curve is None or len(curve.step) == 0:
                continue
            steps = np.repeat(curve.step.astype(np.float64), 2)
            losses = np.column_stack([curve.low, curve.high]).ravel()
            steps, losses = positive_pairs(steps, losses)
            steps, losses = downsample(steps, losses, width)
            if len(steps):
                out.append((lane, steps, losses))
        return out

    def draw(self) -> None:
        plt = self.plt
        # The legend is laid out for the pane's width, so a resize lays it out again.
        subtitle = legend(self._lanes, self.size.width - 4)
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
        curves = self.curves()
        if not curves:
            plt.title("no steps yet: space runs all, s steps")
            return
        calm = [c for c in curves if c[0].status != RunStatus.DIVERGED] or curves
        low = min(float(y.min()) for _, _, y in calm)
        high = max(float(y.max()) for _, _, y in calm)
        if self._ols_loss and self._ols_loss > 0:
            low = min(low, self._ols_loss)  # the line every run aims for stays in view
        low, high = limits(low, high, log=True)
        self.y_range = (low, high)
        last = max(float(x[-1]) for _, x, _ in curves)
        plt.yscale("log")
        plt.xlim(*limits(0.0, last))
        plt.xticks(*step_ticks(last, max(2, self.size.width // 10)))
        plt.ylim(limit_value(low, True), limit_value(high, True))
        self.set_yticks(*ticks(low, high, True, count=max(2, self.size.height // 4)))
        shows_ols = bool(self._ols_loss and low <= self._ols_loss <= high)
        if shows_ols:
            # The same kind of line as the curves: they land on the same dot rows. Its label
            # goes in the title: on the line it would cover the runs that reach it.
            plt.plot([0.0, last], [self._ols_loss] * 2, marker="braille", color="gray")
        for lane, steps, losses in curves:
            if lane.status == RunStatus.DIVERGED:
                losses = np.minimum(losses, high)  # up to the top edge: it left upwards
            plt.plot(steps, losses, marker="braille", color=run_color(lane.index))
        parts = ["loss against step"]
        if shows_ols:
            parts.append(f"grey: OLS min {fmt(self._ols_loss)}")
        plt.title(self.fitted_title(*parts))


class EveryRun:
    """Mixed into a fit pane of compare mode: it draws every run, in the run's colour, with
    the legend under it."""

    _lanes: tuple[Lane, ...] = ()

    def set_lanes(self, lanes: tuple[Lane, ...]) -> None:
        self._lanes = lanes
        self.redraw()

    def legend_markup(self) -> str:
        return legend(self._lanes, self.size.width - 4)


class CompareFitPlot(EveryRun, FitPlot):
    """The data and the true line, with one fit line per run in its colour."""

    BORDER_TITLE = "Fit, every run"

    def draw(self) -> None:
        self._drawn = None  # no single fit line here: one per run below
        super().draw()
        if self._box is None:
            return
        out_of_view = []
        for lane in self._lanes:
            shown = self._line(lane.w, lane.b, self._box, run_color(lane.index))
            if not shown:
                out_of_view.append(str(lane.index + 1))
        parts = ["each run's line y = w·x + b"]
        if out_of_view:
            parts.insert(0, f"out of view: run {', '.join(out_of_view)}")
        self.plt.title(self.fitted_title(*parts))


class CompareModelFitPlot(EveryRun, ModelFitPlot):
    """The data, with every run's curve (one input) or decision boundary (two) in its colour."""

    BORDER_TITLE = "Fit, every run"

    def draw(self) -> None:
        if self._box is None or self._x is None:
            self.plt.title("waiting for data")
            return
        self.draw_points()
        for lane in self._lanes:
            if lane.fit is not None:
                self.draw_view(lane.fit, run_color(lane.index))
        two_inputs = self._x.ndim == 2
        self.plt.title(self.fitted_title(
            "each run's p = 0.5 boundary" if two_inputs else "each run's curve"))


def summary_rows(lanes: tuple[Lane, ...], selected: int | None,
                 finish_line: bool = True) -> list[tuple]:
    """The summary table's rows: one per run in its colour (the legend), the selected one marked;
    without a `finish_line` (no known minimum) the "1% at" column is empty."""
    rows = []
    for lane in lanes:
        mark = "▶" if selected == lane.index else " "
        r, g, b = run_color(lane.index)
        run = Text(f"{mark}{lane.index + 1} ━━", style=f"bold #{r:02x}{g:02x}{b:02x}")
        rows.append((run, lane.optimizer, fmt(lane.learning_rate), lane.status,
                     f"{lane.step:,}", fmt(lane.loss),
                     _reached(lane) if finish_line else "-", _diverged(lane)))
    return rows


def _diverged(lane: Lane) -> str:
    """The step it stopped at; with no-stop, the step its loss stopped being a number."""
    if lane.diverged_at is not None:
        return f"{lane.diverged_at:,}"
    if lane.non_finite_at is not None:
        return f"{lane.non_finite_at:,} (inf)"
    return "-"


def _reached(lane: Lane) -> str:
    if lane.reached_at is not None:
        return f"{lane.reached_at:,}"
    return "never" if lane.status in RunStatus.ENDED else "not yet"
