"""The loss pane drawn by real plotext in a real (headless) Textual app, no TensorFlow needed.

Regression: a run that converges all the way to the least-squares loss (< 1)
put the reference line inside the curve's range, and on the log axis plotext
was handed log10 of it, logged it again and raised: the app ended.
"""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from lrtui.engine.history import CurveView
from lrtui.widgets.loss_plot import LossPlot


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
        plot.set_curve(curve(losses), 499, ols_loss)
        await pilot.pause()
        rendered = plot.render()
        assert "loss" in str(rendered)
    assert app._exception is None
