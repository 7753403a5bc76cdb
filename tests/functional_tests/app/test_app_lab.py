"""The learning-rate laboratory in the app: range test, optimizer and schedule switches, lr curve.

Real TensorFlow, real Textual, driven by the Pilot; every wait is a bounded
poll on the app's state, never a sleep.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import log_text, ready_app, wait_for
from textual.widgets import Input

from lrtui.app.screens.lr_find_screen import LrFindScreen, RangePlot
from lrtui.app.screens.method_screen import MethodParams, MethodScreen
from lrtui.app.widgets.lr_plot import LrPlot
from lrtui.engine.run import State
from lrtui.settings.fields import Settings


async def submit(pilot, field: Input, text: str) -> None:
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text, "enter")


async def test_f_runs_the_range_test_and_a_key_applies_a_suggestion():
    async with ready_app(Settings(steps=100_000)) as (app, pilot):
        run = app.controller.run
        await pilot.press("s", "s", "s")
        await wait_for(pilot, lambda: app.snapshot.step == 3, what="three steps")
        weights = run.weights()

        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, LrFindScreen), what="the f screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.test is not None, what="the sweep to finish")
        plot = screen.query_one(RangePlot)
        assert plot.test is screen.test
        assert plot.region.width > 40 and plot.region.height > 10
        text = str(screen.query_one("#lrfind-text").render())
        for word in ("minimum", "steep", "valley", "lr_opt", "lr_max"):
            assert word in text, f"{word} missing from the suggestions:\n{text}"
        # The sweep trained a copy: the run's weights and step did not move.
        assert run.weights() == weights and run.step == 3

        suggestion = screen.test.suggestions["minimum"].learning_rate
        await pilot.press("1")
        await wait_for(pilot, lambda: app.snapshot.learning_rate == suggestion,
                       what=f"key 1 to set the lr to {suggestion}")
        assert not isinstance(app.screen, LrFindScreen)
        assert "from the range test" in log_text(app)
        # The run goes on from where it was, with the new lr.
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == 4, what="one more step")
        assert app.snapshot.curve.lr[-1] == pytest.approx(suggestion, rel=1e-6)


async def test_switching_optimizer_while_paused_and_schedule_while_running():
    async with ready_app(Settings(steps=100_000, speed="300")) as (app, pilot):
        run = app.controller.run
        # Paused: type adam in the pane's optimizer field.
        await pilot.press("s", "s")
        await wait_for(pilot, lambda: app.snapshot.step == 2, what="two steps")
        await submit(pilot, app.query_one("#optimizer", Input), "adam")
        await wait_for(pilot, lambda: app.snapshot.settings.optimizer == "adam",
                       what="the optimizer to become adam")
        snap = app.snapshot
        assert snap.step == 0 and (snap.w, snap.b) == (0.0, -1.0), "no restart from the initial weights"
        assert type(run.trainer.optimizer).__name__ == "Adam"
        assert "adam" in log_text(app)

        # Running: open the method screen, pick a cosine schedule.
        await pilot.press("space")
        await wait_for(pilot, lambda: app.snapshot.state == State.RUNNING and app.snapshot.step > 20,
                       what="the adam run to run")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, MethodScreen), what="the o screen")
        params = app.screen.query_one(MethodParams)
        await submit(pilot, params.query_one("#decay_steps", Input), "50")
        await wait_for(pilot, lambda: app.snapshot.settings.decay_steps == 50, what="decay steps 50")
        await submit(pilot, params.query_one("#schedule", Input), "cosine")
        await wait_for(pilot, lambda: app.snapshot.settings.schedule == "cosine",
                       what="the schedule to become cosine")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MethodScreen), what="o to close")
        # Still running, on the new schedule: the lr used falls along the cosine.
        await wait_for(pilot, lambda: app.snapshot.state == State.RUNNING and app.snapshot.step > 60,
                       what="the cosine run to pass its decay")
        lrs = app.snapshot.curve.lr
        assert lrs[0] == pytest.approx(0.1) and lrs[60] == pytest.approx(0.0, abs=1e-9), lrs[:70]
        assert np.all(np.diff(lrs[:51]) <= 0)
        assert app.snapshot.settings.optimizer == "adam"


async def test_lr_curve_toggles_and_bad_choices_are_refused():
    async with ready_app() as (app, pilot):
        plot = app.query_one(LrPlot)
        assert not plot.display
        await pilot.press("v")
        await wait_for(pilot, lambda: plot.display and plot.region.width > 0, what="v to show the lr curve")
        await pilot.press("v")
        await wait_for(pilot, lambda: not plot.display, what="v to hide it")
        await submit(pilot, app.query_one("#optimizer", Input), "lion")
        note = app.query_one("#optimizer-note")
        await wait_for(pilot, lambda: note.region.height > 0, what="a note for a bad optimizer")
        assert "not one of" in str(note.render())
        assert app.snapshot.settings.optimizer == "gd"


async def test_starting_above_lr_max_warns_and_runs_and_markers_name_the_plain_gd_bound():
    async with ready_app(Settings(learning_rate=0.5, steps=1000)) as (app, pilot):
        # 0.5 is between 1/λmax and lr_max on the default data: the weights zig-zag.
        status = str(app.query_one("#status").render())
        assert "w,b zig-zag, loss falls" in status, status
        await submit(pilot, app.query_one("#learning_rate", Input), "0.9")
        await wait_for(pilot, lambda: app.snapshot.learning_rate == 0.9, what="lr 0.9")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.snapshot.state == State.DIVERGED, what="the run to diverge")
        assert "starting anyway" in log_text(app)
        await submit(pilot, app.query_one("#optimizer", Input), "adam")
        await wait_for(pilot, lambda: app.snapshot.settings.optimizer == "adam", what="adam")
        await wait_for(pilot, lambda: "plain-GD bound" in str(app.query_one("#status").render()),
                       what="the status to call lr_max the plain-GD bound")


async def test_method_screen_fits_80x24():
    async with ready_app(size=(80, 24)) as (app, pilot):
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, MethodScreen), what="the o screen")
        await pilot.pause()
        screen_region = app.screen.region
        params = app.screen.query_one(MethodParams)
        assert screen_region.contains_region(params.region)
        last = params.query_one("#batch_size", Input)
        last.focus()
        await pilot.pause()
        params.scroll_to_widget(last, animate=False)
        await pilot.pause()
        assert screen_region.contains_region(last.region) and last.region.height == 1
