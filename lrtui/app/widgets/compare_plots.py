"""Compare mode's plots: every run's loss curve overlaid, and every run's fit line.

A diverging run must not flatten the others: the loss axis is framed by the
runs that did not diverge, and a diverged curve is drawn up to the frame's top
edge, where it left.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from lrtui.app.plotdata import downsample, limit_value, limits, positive_pairs
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine.compare import Lane, RunStatus
from lrtui.engine.run import fmt

# One colour per run, told apart on dark and light themes alike.
RUN_COLORS = ((95, 175, 255), (255, 175, 95), (95, 215, 95), (255, 95, 95), (175, 135, 255),
              (95, 215, 215))


def run_color(index: int) -> tuple[int, int, int]:
    return RUN_COLORS[index % len(RUN_COLORS)]


def legend(lanes) -> str:
    """A legend for a border: each run's label in its colour (plotext's own covers the curves)."""
    parts = []
    for lane in lanes:
        r, g, b = run_color(lane.index)
        parts.append(f"[#{r:02x}{g:02x}{b:02x}]━ {lane_label(lane)}[/]")
    return "  ".join(parts)


def lane_label(lane: Lane) -> str:
    label = lane.label
    if lane.status == RunStatus.DIVERGED:
        label += f" ✗ diverged @{lane.diverged_at}"
    return label


class CompareLossPlot(PlotPane):
    BORDER_TITLE = "Loss, every run (log)"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lanes: tuple[Lane, ...] = ()
        self._ols_loss: float | None = None
        self.y_range: tuple[float, float] | None = None  # the loss range the last frame showed

    def set_lanes(self, lanes: tuple[Lane, ...], ols_loss: float | None) -> None:
        self._lanes, self._ols_loss = lanes, ols_loss
        self.border_subtitle = legend(lanes)
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
        plt.ylim(limit_value(low, True), limit_value(high, True))
        for lane, steps, losses in curves:
            if lane.status == RunStatus.DIVERGED:
                losses = np.minimum(losses, high)  # up to the top edge: it left upwards
            plt.plot(steps, losses, marker="braille", color=run_color(lane.index))
        if self._ols_loss and low <= self._ols_loss <= high:
            plt.plot([0.0, last], [self._ols_loss] * 2, marker="dot", color="gray")
        plt.title("loss against step; the grey line is the OLS loss")


class CompareFitPlot(FitPlot):
    """The data and the true line, with one fit line per run in its colour."""

    BORDER_TITLE = "Fit, every run"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lanes: tuple[Lane, ...] = ()

    def set_lanes(self, lanes: tuple[Lane, ...]) -> None:
        self._lanes = lanes
        self.border_subtitle = legend(lanes)
        self.redraw()

    def draw(self) -> None:
        self._drawn = None  # no single fit line here: one per run below
        super().draw()
        if self._box is None:
            return
        out_of_view = []
        for lane in self._lanes:
            shown = self._line(lane.w, lane.b, self._box, run_color(lane.index), None)
            if not shown:
                out_of_view.append(str(lane.index + 1))
        title = "each run's line y = w·x + b"
        if out_of_view:
            title += f"; out of view: run {', '.join(out_of_view)}"
        self.plt.title(title)


def summary_rows(lanes: tuple[Lane, ...], selected: int | None) -> list[tuple]:
    """The summary table's rows: one per run in its colour (the legend), the selected one marked."""
    rows = []
    for lane in lanes:
        mark = "▶" if selected == lane.index else " "
        r, g, b = run_color(lane.index)
        run = Text(f"{mark}{lane.index + 1} ━━", style=f"bold #{r:02x}{g:02x}{b:02x}")
        rows.append((run, lane.optimizer, fmt(lane.learning_rate), lane.status,
                     f"{lane.step:,}", fmt(lane.loss),
                     _reached(lane),
                     "-" if lane.diverged_at is None else f"{lane.diverged_at:,}"))
    return rows


def _reached(lane: Lane) -> str:
    if lane.reached_at is not None:
        return f"{lane.reached_at:,}"
    return "never" if lane.status in (RunStatus.FINISHED, RunStatus.DIVERGED) else "not yet"
