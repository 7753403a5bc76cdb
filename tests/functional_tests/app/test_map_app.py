"""The map (m) and blackboard (b) screens: real TensorFlow, real Textual, driven by the Pilot."""

from __future__ import annotations

import math

import numpy as np
from support import describe, ready_app, state_is, wait_for

from lrtui.app.screens.map_screen import MapFrame, MapScreen
from lrtui.app.widgets.lr_map_plot import CURSOR, MapPlot, shades
from lrtui.engine.run import State
from lrtui.settings.fields import Settings
from lrtui.workers.map_worker import MapProgress


def map_progress(app) -> MapProgress | None:
    screen = app.screen
    return screen.progress if isinstance(screen, MapScreen) else None


def map_done(app) -> bool:
    progress = map_progress(app)
    return progress is not None and progress.finished


async def open_map(app, pilot) -> MapScreen:
    await pilot.press("m")
    await wait_for(pilot, lambda: map_done(app), timeout=60, what="m to compute the map")
    return app.screen


async def test_m_draws_the_map_reads_the_cursor_and_enter_sets_the_lr():
    async with ready_app() as (app, pilot):
        screen = await open_map(app, pilot)
        view = screen.progress.view
        theory = app.snapshot.theory
        assert len(view.learning_rates) == 128 and view.steps == 200 and view.complete
        assert math.isclose(view.learning_rates[0], theory.lr_max / 1000)
        readout = str(screen.query_one("#map-readout").render())
        assert "map done" in readout and "lr_max" in readout
        # The cursor starts on the run's lr at the last step, and reads out that lane.
        assert math.isclose(view.learning_rates[screen.cursor.lane], 0.1, rel_tol=0.06)
        plot = screen.query_one(MapPlot)
        assert CURSOR in str(plot.render())
        # Move right 8 lanes and up: the readout follows, then enter applies that lr.
        for key in ("shift+right", "up", "up"):
            await pilot.press(key)
        lane = screen.cursor.lane
        assert screen.cursor.step < 199
        chosen = float(view.learning_rates[lane])
        assert f"lr {chosen:.4g}" in str(screen.query_one("#map-readout").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, MapScreen), what="enter to close")
        await wait_for(pilot, lambda: math.isclose(app.snapshot.learning_rate, chosen, rel_tol=1e-9),
                       what="the chosen lr to reach the run")


async def test_the_lanes_are_compiled_ahead_of_the_key_and_again_for_a_new_optimizer():
    from lrtui.engine.lr_map import DEFAULT_LANES
    from lrtui.workers.map_worker import TRAINERS

    async with ready_app() as (app, pilot):
        device = app.controller.run.device.name

        def prepared(settings):
            return TRAINERS.holds(TRAINERS.key(settings, DEFAULT_LANES, device, 1))

        await wait_for(pilot, lambda: prepared(app.settings), timeout=60,
                       what="the map's lanes compiled once the run is ready")
        app.controller.send("apply", app.settings.with_(optimizer="adam"))
        await wait_for(pilot, lambda: app.settings.optimizer == "adam" and prepared(app.settings),
                       timeout=60, what="the lanes compiled again for adam")


async def test_the_map_shows_the_cliff_at_lr_max_in_the_picture():
    async with ready_app() as (app, pilot):
        screen = await open_map(app, pilot)
        view = screen.progress.view
        plot = screen.query_one(MapPlot)
        width, height = plot.plot_size()
        _, code = shades(view, width, 2 * height)
        bottom = code[-1]
        # At the last step: the columns past the cliff are diverged, those before it are not.
        diverged_columns = np.flatnonzero(bottom == 1)
        assert len(diverged_columns) and np.all(np.diff(diverged_columns) == 1)
        cliff = diverged_columns[0] / (width - 1)
        where_lr_max = math.log(view.theory.lr_max / view.learning_rates[0]) / \
            math.log(view.learning_rates[-1] / view.learning_rates[0])
        assert abs(cliff - where_lr_max) <= 2 / width


async def test_escape_stops_a_long_map_and_frames_after_dismissal_are_ignored():
    async with ready_app(Settings(steps=5_000_000)) as (app, pilot):
        await pilot.press("m")
        await wait_for(pilot, lambda: map_progress(app) is not None, timeout=60,
                       what="the first progress frame")
        screen = app.screen
        assert not screen.progress.finished
        readout = str(screen.query_one("#map-readout").render())
        assert "computing" in readout and "step 4,999,999  loss not computed yet" in readout
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MapScreen), what="escape to close")
        await wait_for(pilot, lambda: screen.worker.finished.is_set(), timeout=10,
                       what="the map's thread to stop within a chunk")
        # A frame arriving now, after the screen left, changes nothing and raises nothing.
        screen.post_message(MapFrame(screen.progress))
        screen.on_map_frame(MapFrame(screen.progress))
        # A barrier: one step goes through the app after the posted frame; the app still works.
        step = app.snapshot.step
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == step + 1, what="one step after the frame")
        assert state_is(app, State.PAUSED) and not isinstance(app.screen, MapScreen), describe(app)


async def test_a_frame_before_the_screen_is_composed_is_ignored():
    async with ready_app() as (app, pilot):
        run = app.controller.run
        screen = MapScreen(app.settings, run.dataset, run.device.name)
        screen.on_map_frame(MapFrame(MapProgress(None, error="not yet")))  # not mounted: nothing
        assert screen.progress is None


# -- the blackboard ----------------------------------------------------------------------

async def test_b_draws_the_slice_live_and_d_turns_the_direction():
    from lrtui.app.screens.blackboard_screen import BlackboardScreen
    from lrtui.app.widgets.blackboard_plot import BlackboardPlot

    async with ready_app(Settings(learning_rate=0.6)) as (app, pilot):
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BlackboardScreen), what="b to open")
        screen = app.screen
        plot = screen.query_one(BlackboardPlot)
        await wait_for(pilot, lambda: plot.cut is not None, what="the first slice")
        assert plot.cut.direction == "b" and math.isclose(plot.cut.curvature, 2.0, rel_tol=1e-12)
        # s steps the run from here; the slice follows it, one more jump each step.
        for count in range(1, 4):
            await pilot.press("s")
            await wait_for(pilot, lambda: len(plot.cut.steps_offset) == count + 1,
                           what=f"{count} jumps on the blackboard")
        await pilot.press("d", "d")
        await wait_for(pilot, lambda: plot.cut.direction == "steep", what="d twice: the steep direction")
        theory = app.snapshot.theory
        assert math.isclose(plot.cut.curvature, theory.lambda_max, rel_tol=1e-9)
        words = str(screen.query_one("#blackboard-text").render())
        assert "jumps across and back" in words and "0.7558" in words
        # Every jump along the steep direction flips the side of the bottom.
        around = plot.cut.steps_offset - plot.cut.bottom
        assert np.all(np.sign(around[1:]) == -np.sign(around[:-1]))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BlackboardScreen), what="escape")
        screen.show_snapshot(app.snapshot)  # a frame after it left: ignored, no error


async def test_a_network_s_map_is_drawn_against_its_sharpness_at_the_start():
    """m with the edge-of-stability preset: lanes of the mlp, the lines of its start's sharpness."""
    settings = Settings().with_(model="mlp", dataset="sine", hidden=8, steps=300)
    async with ready_app(settings) as (app, pilot):
        screen = await open_map(app, pilot)
        view = screen.progress.view
        assert view.complete and not view.exact and view.settings.model == "mlp"
        # Around the run's lr (no lr_max known in advance), 100× either side.
        assert math.isclose(view.learning_rates[0], 0.001) and math.isclose(view.learning_rates[-1], 10)
        lines = dict(view.theory_lines())
        assert math.isclose(lines["lr_max"], 2 / view.start_sharpness)
        readout = str(screen.query_one("#map-readout").render())
        assert "sharpness at the start" in readout and "lowest" in readout
        legend = str(screen.query_one("#map-legend").render())
        assert "2/λ" in legend and "OLS" not in legend
        # The picture: lanes far past 2/sharpness at the start blow up in their first steps.
        plot = screen.query_one(MapPlot)
        width, height = plot.plot_size()
        _, code = shades(view, width, 2 * height)
        assert code[-1][-1] == 1 and code[-1][0] == 0
