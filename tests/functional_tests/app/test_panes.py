"""Panes under the conditions that once broke them, in a real headless Textual app.

No TensorFlow needed: the panes take plain arrays and rows.
- Loss pane: a run that converges all the way to the least-squares loss (< 1)
  put the reference line inside the curve's range; on the log axis plotext
  was handed log10 of it, logged it again and raised, and the app ended.
- Step log: at full speed one frame brought thousands of rows and writing
  them all froze the UI.
"""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from lrtui.app.textual_internals import app_exception
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.step_log import MAX_BATCH, StepLog
from lrtui.engine.history import CurveView, LogRow


class LossOnly(App):
    def compose(self) -> ComposeResult:
        yield LossPlot(id="loss")


def curve(losses) -> CurveView:
    losses = np.asarray(losses, np.float64)
    steps = np.arange(len(losses), dtype=np.int64)
    return CurveView(steps, losses, losses, losses, np.zeros(len(losses)), np.zeros(len(losses)), 1)


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("ols_loss", [0.0085, 2.5, 1e-9])
async def test_converged_curve_with_the_reference_line_inside_draws(log, ols_loss):
    app = LossOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(LossPlot)
        plot.log_scale = log
        losses = np.geomspace(10 * ols_loss + 1, ols_loss, 500)
        losses[-50:] = ols_loss * (1 - 1e-7)  # float32 lands a hair below the float64 optimum
        plot.set_curve(curve(losses), 499, 500, ols_loss)
        await pilot.pause()
        rendered = plot.render()
        assert "loss" in str(rendered)
    assert app_exception(app) is None


class LogOnly(App):
    def compose(self) -> ComposeResult:
        yield StepLog(id="steplog")


async def test_a_flood_of_rows_shows_the_newest_and_says_how_many_were_left_out():
    app = LogOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(StepLog)
        rows = tuple(LogRow(step, 1.0, 0.5, 0.5, 0.0, 0.0, 0.1) for step in range(0, 100_000, 20))
        log.add(rows, ())
        log.flush()  # rows wait for the next batch; the test does not wait for its timer
        await pilot.pause()
        text = [strip.text for strip in log.lines]
        assert len(text) == 1 + 1 + MAX_BATCH, len(text)  # header, gap line, rows
        assert f"{len(rows) - MAX_BATCH:,} lines not shown" in text[1]
        assert text[-1].split()[0] == "99980"


async def test_a_log_that_had_mini_batch_rows_takes_full_batch_rows_too():
    # A run switched from a mini-batch to the full batch: the batch column stays, its
    # cells say "-" (the monkey found the crash this was).
    app = LogOnly()
    async with app.run_test(size=(120, 24)) as pilot:
        log = app.query_one(StepLog)
        log.add((LogRow(0, 2.4, 0.0, -1.0, -1.7, -3.1, 0.1, batch_loss=2.46),), ())
        log.add((LogRow(0, 2.4, 0.0, -1.0, -1.7, -3.1, 0.1),), ())
        log.flush()
        await pilot.resize_terminal(100, 24)  # lays the columns out again, every row with them
        await pilot.pause()
        text = [strip.text for strip in log.lines]
        assert text[0].split()[:3] == ["step", "loss", "batch"]
        assert text[-1].split()[2] == "-"
        assert app_exception(app) is None
