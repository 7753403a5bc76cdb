"""The landscape (g) and the blackboard (b) for models other than the line, through the Pilot.

Real TensorFlow and real Textual: the slices are cut by the screens' worker
threads while the run trains, and each test waits (bounded) for the pictures
to follow it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import ready_app, start, text_of, wait_for

from lrtui.app.screens.blackboard_screen import BlackboardScreen
from lrtui.app.screens.landscape_screen import LandscapeScreen
from lrtui.app.widgets.blackboard_plot import BlackboardPlot
from lrtui.app.widgets.eigen_error_plot import EigenErrorPlot
from lrtui.app.widgets.landscape_plot import LandscapePlot
from lrtui.engine.run import State
from lrtui.settings.fields import Settings

MODELS = {
    "mlp-sine": Settings(model="mlp", dataset="sine", hidden=16, n=64, noise=0.0, learning_rate=0.1,
                         steps=1_000_000),
    "logistic-moons": Settings(model="logistic", dataset="moons", learning_rate=0.5,
                               steps=1_000_000),
}


@pytest.mark.parametrize("case", MODELS)
async def test_g_draws_the_plane_through_theta_and_follows_the_run(case):
    async with ready_app(MODELS[case]) as (app, pilot):
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), what="g to open")
        screen = app.screen
        plot = screen.query_one(LandscapePlot)
        await wait_for(pilot, lambda: plot.plane is not None, 60, "the first plane")
        assert plot.plane.step == 0 and plot.plane.how == "exact Hessian"
        assert plot.plane.parameters == app.snapshot.model.size
        assert not screen.query_one(EigenErrorPlot).display  # the line's pane stays away
        words = text_of(screen.query_one("#landscape-text"))
        l1, l2 = plot.plane.curvatures
        assert "top two eigenvectors" in words and f"2/λ {2 / l1:.4g}" in words \
            and f"2/λ {2 / l2:.4g}" in words
        assert "the steep eigenvector" in "".join(plot._lines)
        await start(app, pilot)
        # The picture follows the run: a later θ, the path behind it, the centre's loss the run's.
        await wait_for(pilot, lambda: plot.plane.step >= 50, 60, "a plane cut later in the run")
        plane = plot.plane
        assert len(plane.path_a) >= 3 and (plane.path_a[-1], plane.path_c[-1]) == (0.0, 0.0)
        assert app.snapshot.state == State.RUNNING and screen.worker.pictures >= 2
        assert math.isfinite(plane.loss_here) and plane.loss_here < plane.grid.loss.max()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LandscapeScreen), what="escape")
        await wait_for(pilot, lambda: screen.worker.finished.is_set(), 30, "the slice thread to end")


@pytest.mark.parametrize("case, parameter", [("mlp-sine", "b2"), ("logistic-moons", "w1")])
async def test_b_draws_the_slice_through_theta_and_d_turns_it(case, parameter):
    async with ready_app(MODELS[case]) as (app, pilot):
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BlackboardScreen), what="b to open")
        screen = app.screen
        plot = screen.query_one(BlackboardPlot)
        await wait_for(pilot, lambda: plot.cut is not None, 60, "the first slice")
        assert plot.cut.direction == "steep" and plot.cut.base is None
        words = text_of(screen.query_one("#blackboard-text"))
        assert "curvature uᵀHu" in words and "(2/c)" in words and "d: along the shallow" in words
        await start(app, pilot)
        first = screen.picture
        await wait_for(pilot, lambda: screen.picture is not first
                       and len(plot.cut.steps_offset) >= 13, 60, "the slice to follow the run")
        # The steep slice bends as the sharpness says where the run stands (a few steps apart).
        assert plot.cut.curvature > 0
        await pilot.press("d")
        await wait_for(pilot, lambda: plot.cut.direction == "shallow", 30, "d: the shallow direction")
        await pilot.press("d")
        await wait_for(pilot, lambda: plot.cut.direction == parameter, 30, f"d again: {parameter}")
        assert plot.cut.base is not None and np.isfinite(plot.cut.base)
        assert f"along {parameter}, the others held" in text_of(screen.query_one("#blackboard-text"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BlackboardScreen), what="escape")
        await wait_for(pilot, lambda: screen.worker.finished.is_set(), 30, "the slice thread to end")
        screen.show_snapshot(app.snapshot)  # a frame after it left: ignored, no error


async def test_the_line_keeps_its_exact_surface_and_starts_no_slice_thread():
    async with ready_app(Settings()) as (app, pilot):
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), what="g to open")
        screen = app.screen
        plot = screen.query_one(LandscapePlot)
        await wait_for(pilot, lambda: plot.box is not None, 30, "the (w, b) surface")
        assert plot.plane is None and not screen.worker_started
        assert screen.query_one(EigenErrorPlot).display
        assert plot.box[0] < app.snapshot.theory.ols_w < plot.box[1]
