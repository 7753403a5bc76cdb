"""The landscape (g) and compare (c) screens: real TensorFlow, real Textual, driven by the Pilot.

As in test_app: no sleeps for results, bounded polls on the state; where a
test checks that something does not happen, it looks a few times over a
fixed span.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import pause, ready_app, settled_at, start, state_is, unchanged_for, wait_for
from textual.widgets import DataTable

from lrtui.app.screens.compare_screen import CompareScreen
from lrtui.app.screens.landscape_screen import LandscapeScreen
from lrtui.app.widgets.compare_plots import CompareFitPlot, CompareLossPlot, lane_label
from lrtui.app.widgets.eigen_error_plot import EigenErrorPlot
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.landscape_plot import LandscapePlot
from lrtui.engine.compare import RunStatus
from lrtui.engine.landscape import frame
from lrtui.engine.run import State
from lrtui.settings.fields import Settings


def plot_text(widget) -> str:
    return str(widget.render())


def compare_snap(app):
    screen = app.screen
    return screen.snapshot if isinstance(screen, CompareScreen) else None


def lane_steps(app) -> list[int]:
    snap = compare_snap(app)
    return [lane.step for lane in snap.lanes] if snap and snap.lanes else []


async def open_compare(app, pilot) -> CompareScreen:
    await pilot.press("c")
    await wait_for(pilot, lambda: compare_snap(app) is not None and len(compare_snap(app).lanes) == 3,
                   timeout=60, what="c to open compare mode with three runs")
    return app.screen


async def compare_unchanged(pilot, app, polls: int = 3, gap: float = 0.3) -> None:
    before = lane_steps(app)
    for _ in range(polls):
        await pilot.pause(gap)
        assert lane_steps(app) == before, f"paused, yet the runs moved {before} -> {lane_steps(app)}"


def row_cells(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


# -- landscape -------------------------------------------------------------------

async def test_g_opens_the_landscape_and_the_run_keys_work_there():
    async with ready_app(Settings(steps=100_000)) as (app, pilot):
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), what="g to open the landscape")
        plot = app.screen.query_one(LandscapePlot)
        await wait_for(pilot, lambda: plot.box is not None, what="the landscape to draw")
        theory = app.snapshot.theory
        box = plot.box
        assert box[0] < theory.ols_w < box[1] and box[2] < theory.ols_b < box[3]
        assert box[0] < 0.0 < box[1] and box[2] < -1.0 < box[3], "the start is in the frame"
        assert "OLS minimum" in plot_text(plot)

        # space, s and + reach the run from this screen, and the path follows it.
        await start(app, pilot)
        await wait_for(pilot, lambda: app.snapshot.step > 50, what="the run to pass step 50")
        await pause(app, pilot)
        await unchanged_for(pilot, app, polls=2, gap=0.3)
        paused_at = app.snapshot.step
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == paused_at + 1, what="s to step once")
        assert isinstance(app.screen, LandscapeScreen)
        path = plot._paths[0]
        assert path.w[-1] == pytest.approx(app.snapshot.w) and path.b[-1] == pytest.approx(app.snapshot.b)
        assert len(path.w) > 10
        eigen = app.screen.query_one(EigenErrorPlot)
        assert "slow (λmin)" in plot_text(eigen)

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LandscapeScreen), what="escape to close")
        # The main panes kept up while the landscape was on top.
        assert app.query_one(FitPlot)._fit == (app.snapshot.w, app.snapshot.b)


async def test_a_diverging_run_leaves_the_landscape_through_its_edge():
    async with ready_app(Settings(learning_rate=0.9, speed="max")) as (app, pilot):
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), what="g to open")
        await pilot.press("space")
        await wait_for(pilot, lambda: state_is(app, State.DIVERGED), what="lr 0.9 to diverge")
        plot = app.screen.query_one(LandscapePlot)
        await wait_for(pilot, lambda: bool(plot.exits), what="the path's exit to be marked")
        # The frame is the calm one (start and minimum), not stretched to 1e6.
        assert plot.box == pytest.approx(frame(app.snapshot.theory, (0.0, -1.0)))
        exit_w, exit_b = next(iter(plot.exits.values()))
        box = plot.box
        on_edge = [abs(exit_w - box[0]), abs(exit_w - box[1]), abs(exit_b - box[2]), abs(exit_b - box[3])]
        assert min(on_edge) < 1e-9, f"the exit {exit_w, exit_b} is not on the frame {box}"
        text = plot_text(plot)
        assert "↗" in text and "left the frame" in text


# -- compare ------------------------------------------------------------------------

async def test_c_opens_compare_and_pause_step_and_select_work():
    async with ready_app(Settings(steps=100_000)) as (app, pilot):
        await start(app, pilot)
        screen = await open_compare(app, pilot)
        # The main run pauses while compare mode has the machine.
        await wait_for(pilot, lambda: app.controller.run.state == State.PAUSED,
                       what="the main run to pause")
        snap = compare_snap(app)
        assert [lane.learning_rate for lane in snap.lanes] == pytest.approx([0.001, 0.1, 0.9])
        assert lane_steps(app) == [0, 0, 0]

        await pilot.press("s")
        await wait_for(pilot, lambda: lane_steps(app) == [1, 1, 1], what="s to step every run")
        await pilot.press("2", "s")
        await wait_for(pilot, lambda: lane_steps(app) == [1, 2, 1], what="2 then s to step run 2 only")
        assert screen.selected == 1 and row_cells(app)[1][0].startswith("▶")
        await pilot.press("3", "plus")
        await wait_for(pilot, lambda: compare_snap(app).lanes[2].learning_rate == pytest.approx(1.8),
                       what="+ to double run 3's lr only")
        assert [lane.learning_rate for lane in compare_snap(app).lanes][:2] == pytest.approx([0.001, 0.1])

        await pilot.press("1", "o")
        await wait_for(pilot, lambda: compare_snap(app).lanes[0].optimizer == "momentum",
                       what="1 then o to move run 1 to the next optimizer")
        assert [lane.optimizer for lane in compare_snap(app).lanes][1:] == ["gd", "gd"]
        assert row_cells(app)[0][1] == "momentum"

        await pilot.press("0", "space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.RUNNING and
                       lane_steps(app)[0] > 20, what="space to run all")
        await pilot.press("space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.PAUSED, what="space to pause all")
        await compare_unchanged(pilot, app)

        # Run 1 on hold: the others go on without it.
        await pilot.press("1", "space", "0", "space")
        await wait_for(pilot, lambda: compare_snap(app).lanes[0].status == RunStatus.HELD,
                       what="1 then space to hold run 1")
        held_at = lane_steps(app)[0]
        await wait_for(pilot, lambda: lane_steps(app)[1] > held_at + 30, what="the others to go on")
        assert lane_steps(app)[0] == held_at
        await pilot.press("space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.PAUSED, what="pause")

        await pilot.press("r")
        await wait_for(pilot, lambda: lane_steps(app) == [0, 0, 0], what="r to reset every run")

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen), what="escape to close")
        await wait_for(pilot, lambda: screen.controller.finished.is_set(), what="the compare worker to stop")


async def test_a_diverging_run_is_marked_and_leaves_the_others_plots_alone():
    async with ready_app(Settings(speed="max", steps=300)) as (app, pilot):
        await open_compare(app, pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.FINISHED, timeout=60,
                       what="all three runs to finish or diverge")
        await wait_for(pilot, lambda: len(row_cells(app)) == 3 and row_cells(app)[2][3] == "diverged",
                       what="the summary to mark run 3 diverged")
        lanes = compare_snap(app).lanes
        assert [lane.status for lane in lanes] == [RunStatus.FINISHED, RunStatus.FINISHED,
                                                  RunStatus.DIVERGED]
        assert all(math.isfinite(v) for lane in lanes for v in (lane.w, lane.b))
        rows = row_cells(app)
        assert rows[2][3] == "diverged" and rows[2][7] == str(lanes[2].diverged_at)
        assert rows[1][6] not in ("never", "not yet"), "lr 0.1 gets within 1% in 300 steps"
        assert rows[0][6] == "never"

        loss_plot = app.screen.query_one(CompareLossPlot)
        loss_plot.render()
        # The legend says it, in as many words as the border has room for.
        assert "✗@43" in str(loss_plot.border_subtitle) or "✗ diverged @43" in \
            str(loss_plot.border_subtitle)
        calm = [y for lane, _, y in loss_plot.curves() if lane.status != RunStatus.DIVERGED]
        top = max(float(y.max()) for y in calm)
        assert loss_plot.y_range[1] == pytest.approx(top, rel=1e-6), \
            "the loss axis is framed by the runs that did not diverge"

        landscape = app.screen.query_one(LandscapePlot)
        landscape.render()
        calm_paths = [p for p in landscape._paths if not p.diverged]
        expected = frame(compare_snap(app).theory, (0.0, -1.0),
                         np.concatenate([p.w for p in calm_paths]),
                         np.concatenate([p.b for p in calm_paths]))
        assert landscape.box == pytest.approx(expected)
        assert lane_label(lanes[2]) in landscape.exits

        fit = app.screen.query_one(CompareFitPlot)
        assert "out of view: run 3" in plot_text(fit)


async def test_resize_keeps_both_views_working():
    async with ready_app(Settings(speed="max", steps=300)) as (app, pilot):
        await open_compare(app, pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.FINISHED, timeout=60,
                       what="the runs to finish")
        for size in ((80, 24), (200, 60), (120, 40)):
            await pilot.resize_terminal(*size)
            await settled_at(pilot, size)
            for widget in app.screen.query("PlotextPlot, DataTable"):
                if widget.id == "compare-landscape" and size[0] < 110:
                    # Narrow: the summary takes the whole row (the landscape is key g away).
                    assert not widget.display or widget.region.width == 0
                    continue
                region = widget.region
                assert region.width > 0 and region.height > 0, f"{widget.id} vanished at {size}"
                assert app.screen.region.contains_region(region), f"{widget.id} outside at {size}"
                if hasattr(widget, "plt"):
                    assert plot_text(widget).strip(), f"{widget.id} drew nothing at {size}"
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), what="g")
        await pilot.resize_terminal(70, 20)
        await settled_at(pilot, (70, 20))
        assert plot_text(app.screen.query_one(LandscapePlot)).strip()


async def test_quit_from_a_running_comparison_stops_its_worker():
    async with ready_app(Settings(steps=1_000_000)) as (app, pilot):
        screen = await open_compare(app, pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: compare_snap(app).state == State.RUNNING and
                       lane_steps(app)[0] > 0, what="the comparison to run")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=10, what="q to quit the app")
    assert screen.controller.stop.is_set()
    assert screen.controller.finished.wait(timeout=10), "the compare thread still runs after quit"
