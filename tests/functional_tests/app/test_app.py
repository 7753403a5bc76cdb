"""End-to-end tests of the Textual app: real TensorFlow, real Textual, driven by the Pilot.

No test sleeps for a result: `wait_for` polls a condition between short
pilot pauses and fails with the app's state if the condition never holds.
Where a test checks that something does *not* happen (a paused run stays
put), it looks a bounded number of times over a fixed span.
"""

from __future__ import annotations

import math

from support import (
    LOAD_TIMEOUT,
    SIZE,
    describe,
    log_text,
    pause,
    ready_app,
    start,
    state_is,
    text_of,
    type_text,
    unchanged_for,
    wait_for,
)
from textual.widgets import Footer, Input, Static

from lrtui.app.app import LrApp
from lrtui.app.screens.help_screen import HelpScreen
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.hyperparams import HyperParams
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.step_log import StepLog
from lrtui.engine.run import State
from lrtui.settings.fields import Settings


def assert_shown(app: LrApp, widget, name: str) -> None:
    region = widget.region
    assert widget.display, f"{name} is not displayed"
    assert region.width > 0 and region.height > 0, f"{name} has no size: {region}"
    assert app.screen.region.contains_region(region), \
        f"{name} ({region}) lies outside the screen ({app.screen.region})"


def panes(app: LrApp) -> dict:
    return {
        "hyperparameter pane": app.query_one(HyperParams),
        "fit plot": app.query_one(FitPlot),
        "loss plot": app.query_one(LossPlot),
        "step log": app.query_one(StepLog),
        "status line": app.query_one(StatusLine),
        "footer": app.query_one(Footer),
    }


# -- 1. layout -------------------------------------------------------------------

async def test_all_panes_render_and_status_says_ready():
    async with ready_app() as (app, pilot):
        await pilot.pause()
        for name, widget in panes(app).items():
            assert_shown(app, widget, name)
        status = text_of(app.query_one(StatusLine))
        device = app.snapshot.device
        assert device and device != "-", f"no device in the snapshot: {device!r}"
        assert "ready" in status, f"status line does not say ready: {status!r}"
        assert f"device {device}" in status, f"status line does not name {device}: {status!r}"
        assert "step 0/200" in status, status


# -- 2. keys ---------------------------------------------------------------------

async def test_keys_drive_the_run():
    settings = Settings(steps=100_000, init_w=0.25, init_b=-0.5)
    async with ready_app(settings) as (app, pilot):
        run = app.controller.run

        await start(app, pilot)
        await pause(app, pilot)
        await unchanged_for(pilot, app)
        paused_at = app.snapshot.step

        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == paused_at + 1,
                       what=f"s to do one step ({paused_at} -> {paused_at + 1})")
        assert app.snapshot.state == State.PAUSED
        await unchanged_for(pilot, app, polls=2, gap=0.2)

        await pilot.press("S")
        await wait_for(pilot, lambda: app.snapshot.step == paused_at + 11,
                       what=f"S to do ten steps ({paused_at + 1} -> {paused_at + 11})")
        assert app.snapshot.state == State.PAUSED
        await unchanged_for(pilot, app, polls=2, gap=0.2)

        # lr changes on a running run: it keeps running, no reset.
        await start(app, pilot)
        lr0 = app.snapshot.learning_rate
        for key, factor in (("plus", 2.0), ("minus", 0.5), ("minus", 0.5)):
            before = app.snapshot.learning_rate
            step_before = run.step
            await pilot.press(key)
            await wait_for(pilot, lambda: app.snapshot.learning_rate == before * factor,
                           what=f"{key} to scale the lr {before} by {factor}")
            assert run.learning_rate == before * factor
            await wait_for(pilot, lambda: app.snapshot.step > step_before + 10,
                           what=f"the run to keep stepping after {key}")
            assert app.snapshot.state == State.RUNNING, f"{key} stopped the run: {describe(app)}"
        assert app.snapshot.learning_rate == lr0 / 2

        log = log_text(app)
        assert "lr doubled: 0.1 -> 0.2" in log, f"no log line for +:\n{log}"
        assert "lr halved: 0.2 -> 0.1" in log, f"no log line for -:\n{log}"
        assert "lr halved: 0.1 -> 0.05" in log, f"no log line for the second -:\n{log}"

        # r resets mid-run: step 0, the initial weights.
        await pilot.press("r")
        await wait_for(pilot, lambda: app.snapshot.step == 0, what="r to reset to step 0")
        snap = app.snapshot
        assert (snap.w, snap.b) == (0.25, -0.5), f"r did not restore the initial weights: {describe(app)}"
        assert snap.state == State.READY
        assert run.step == 0
        assert "reset to the initial weights" in log_text(app)


# -- 3. typing an lr ---------------------------------------------------------------

async def test_typed_lr_is_applied():
    async with ready_app() as (app, pilot):
        field = app.query_one("#learning_rate", Input)
        await pilot.press("l")
        assert app.focused is field, f"l focused {app.focused!r}, not the lr field"
        assert field.selected_text == field.value == "0.1", \
            f"the lr field's text is not all selected on focus: {field.value!r} / {field.selected_text!r}"
        await type_text(pilot, "0.05")
        assert field.value == "0.05", f"typing did not replace the selection: {field.value!r}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.snapshot.learning_rate == 0.05,
                       what="the typed lr 0.05 to reach the run")
        assert app.controller.run.learning_rate == 0.05
        assert text_of(app.query_one("#learning_rate-note", Static)) == ""
        # Enter hands the keys back to the app: space runs at once.
        assert app.focused is None, f"focus stayed on {app.focused!r} after enter"
        await start(app, pilot)
        assert "lr typed: 0.1 -> 0.05" in log_text(app), log_text(app)


# -- 4. bad values -------------------------------------------------------------------

BAD_LRS = ["abc", "-1", "0", "nan", "inf", "1e-400", "1e999", "1_0", ""]


async def submit_bad(app: LrApp, pilot, field_id: str, text: str) -> str:
    """Type `text` into a field (replacing its text), press enter; return the note's text."""
    field = app.query_one(f"#{field_id}", Input)
    if field_id == "learning_rate":
        await pilot.press("l")
    else:
        field.focus()
        await pilot.pause()
    assert app.focused is field, f"could not focus #{field_id}: focus is on {app.focused!r}"
    await pilot.press("backspace")  # deletes the text selected on focus
    await type_text(pilot, text)
    assert field.value == text, f"typed {text!r} but #{field_id} holds {field.value!r}"
    await pilot.press("enter")
    note = app.query_one(f"#{field_id}-note", Static)
    await wait_for(pilot, lambda: note.region.height > 0,
                   what=f"the note under #{field_id} to show for {text!r}")
    return text_of(note)


async def test_bad_lr_values_are_refused_and_change_nothing():
    async with ready_app(Settings(steps=100_000)) as (app, pilot):
        run = app.controller.run
        await pilot.press("S")
        await wait_for(pilot, lambda: app.snapshot.step == 10, what="S to do ten steps")
        note = app.query_one("#learning_rate-note", Static)
        field = app.query_one("#learning_rate", Input)
        for text in BAD_LRS:
            step = app.snapshot.step
            message = await submit_bad(app, pilot, "learning_rate", text)
            assert message.strip(), f"no message for lr {text!r}"
            # Escape puts the run's value back and clears the note.
            await pilot.press("escape")
            assert app.focused is None
            assert field.value == "0.1", f"escape left {field.value!r} in the field"
            assert text_of(note) == "" and note.region.height == 0, \
                f"escape left the note: {text_of(note)!r}"
            # A barrier: one step goes through the same command queue a wrong change would have.
            await pilot.press("s")
            await wait_for(pilot, lambda: app.snapshot.step == step + 1,
                           what=f"one step after the refused lr {text!r}")
            assert (app.snapshot.learning_rate, app.snapshot.state) == (0.1, State.PAUSED), \
                f"lr {text!r} changed the run: {describe(app)}"
            assert (run.learning_rate, run.step, run.state) == (0.1, step + 1, State.PAUSED), \
                f"lr {text!r} changed the run itself"
            assert app.snapshot.data_version == 1, f"typing {text!r} drew new data"

        # On a running run: refused, and it keeps running at its lr.
        await start(app, pilot)
        message = await submit_bad(app, pilot, "learning_rate", "abc")
        assert "not a number" in message, message
        step = app.snapshot.step
        await wait_for(pilot, lambda: app.snapshot.step > step + 10,
                       what="the run to keep running after a refused lr")
        assert app.snapshot.state == State.RUNNING and app.snapshot.learning_rate == 0.1, \
            describe(app)
        await pilot.press("escape")

        # Another field: steps.
        await pause(app, pilot)
        step = app.snapshot.step
        budget = app.snapshot.budget_end
        message = await submit_bad(app, pilot, "steps", "-5")
        assert message.strip(), "no message for steps -5"
        # A barrier: one step goes through the same command queue a wrong change would have.
        await pilot.press("escape", "s")
        await wait_for(pilot, lambda: app.snapshot.step == step + 1, what="one step after the refusal")
        assert run.settings.steps == 100_000 and app.snapshot.settings.steps == 100_000
        assert (app.snapshot.budget_end, app.snapshot.state) == (budget, State.PAUSED), describe(app)


# -- 5. resizing -----------------------------------------------------------------------

async def test_resize_while_running():
    async with ready_app(Settings(steps=100_000)) as (app, pilot):
        await start(app, pilot)
        for size, layout in (((60, 20), "-narrow"), ((200, 60), "-wide")):
            await pilot.resize_terminal(*size)
            await wait_for(pilot, lambda: tuple(app.size) == size and app.screen.has_class(layout),
                           what=f"the app to take the size {size} ({layout})")
            step = app.snapshot.step
            await wait_for(pilot, lambda: app.snapshot.step > step + 5,
                           what=f"the run to keep going at {size}")
            await pilot.pause()
            for name, widget in panes(app).items():
                assert_shown(app, widget, f"{name} at {size}")
        await pause(app, pilot)


# -- 6. divergence and recovery --------------------------------------------------------

async def test_divergence_then_recovery():
    async with ready_app(Settings(learning_rate=0.9)) as (app, pilot):
        start_loss = app.snapshot.loss
        lr_max = app.snapshot.theory.lr_max
        assert 0.9 > lr_max, f"the test needs lr 0.9 above lr_max {lr_max}"
        await pilot.press("space")
        await wait_for(pilot, lambda: state_is(app, State.DIVERGED), what="the run to diverge")
        diverged = app.snapshot
        status = text_of(app.query_one(StatusLine))
        assert "diverged" in status, f"status line: {status!r}"
        assert "diverged at step" in log_text(app), log_text(app)
        assert diverged.loss > start_loss

        presses = 0
        while app.snapshot.learning_rate >= lr_max:
            presses += 1
            assert presses <= 5, f"minus did not bring the lr under lr_max: {describe(app)}"
            before = app.snapshot.learning_rate
            await pilot.press("minus")
            await wait_for(pilot, lambda: app.snapshot.learning_rate == before / 2,
                           what="minus to halve the lr")
        assert app.snapshot.state == State.DIVERGED

        await pilot.press("space")
        target = diverged.step + 50
        await wait_for(pilot, lambda: app.snapshot.step >= target or
                       state_is(app, State.DIVERGED, State.FINISHED) and app.snapshot.step > diverged.step,
                       what="the run to continue after the lr was lowered")
        snap = app.snapshot
        assert snap.state != State.DIVERGED, f"diverged again under lr_max: {describe(app)}"
        assert snap.step > diverged.step
        assert math.isfinite(snap.loss) and snap.loss < diverged.loss / 1e6, \
            f"the loss did not recover: {diverged.loss} at step {diverged.step}, now {describe(app)}"


# -- 7. quitting -------------------------------------------------------------------------

async def test_quit_mid_run_stops_the_training():
    """q at max speed ends the app and tells the training thread to stop. How fast is a
    timing target: benchmarks/quit_latency.py measures it in a real terminal."""
    app = LrApp(Settings(steps=10_000_000, speed="max"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: state_is(app, State.READY), LOAD_TIMEOUT, "state READY")
        await start(app, pilot)
        step = app.snapshot.step
        await wait_for(pilot, lambda: app.snapshot.step > step + 1000, what="max speed to get going")
        await pilot.press("q")
    assert app.return_code in (0, None), f"return code {app.return_code}"
    assert app.controller.stop.is_set(), "the training thread was not told to stop"


# -- 8. the step budget ------------------------------------------------------------------

async def test_budget_finishes_and_continues():
    async with ready_app(Settings(steps=30, speed="max")) as (app, pilot):
        await pilot.press("space")
        await wait_for(pilot, lambda: state_is(app, State.FINISHED), what="the 30-step budget to finish")
        assert (app.snapshot.step, app.snapshot.budget_end) == (30, 30), describe(app)
        assert "budget reached: 30 steps" in log_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: state_is(app, State.FINISHED) and app.snapshot.step > 30,
                       what="space to run another budget")
        assert (app.snapshot.step, app.snapshot.budget_end) == (60, 60), describe(app)
        assert "continuing for another 30 steps" in log_text(app)


# -- 9. help screen ----------------------------------------------------------------------

async def test_help_screen_opens_and_closes():
    async with ready_app() as (app, pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen), f"? opened {app.screen!r}"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen), "escape did not close the help"
        # q on the help screen closes the help, not the app.
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert not isinstance(app.screen, HelpScreen), "q did not close the help"
        assert app.is_running and app.return_code is None, "q on the help screen quit the app"
        await start(app, pilot)


# -- 10. command palette -----------------------------------------------------------------

async def test_command_palette_lists_lrtui_actions():
    async with ready_app() as (app, pilot):
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        titles = list(commands)
        assert "lrtui: run/pause" in titles, titles
        assert "lrtui: reset" in titles, titles
        assert "lrtui: lr×2" in titles, titles
        # Each command runs its own action (as the palette does: call_later(callback)).
        app.call_later(commands["lrtui: run/pause"].callback)
        await wait_for(pilot, lambda: state_is(app, State.RUNNING) and app.snapshot.step > 0,
                       what="the palette's run/pause to start the run")
        app.call_later(commands["lrtui: lr×2"].callback)
        await wait_for(pilot, lambda: app.snapshot.learning_rate == 0.2,
                       what="the palette's lr×2 to double the lr")
        app.call_later(commands["lrtui: reset"].callback)
        await wait_for(pilot, lambda: state_is(app, State.READY) and app.snapshot.step == 0,
                       what="the palette's reset to reset the run")
