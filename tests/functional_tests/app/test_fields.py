"""Fields tell the truth: what a field shows once left is the value in use, and a change is one change.

Every way of leaving a field (enter, tab, escape, a click elsewhere) is
driven through the Pilot against the real app and its real run.
"""

from __future__ import annotations

import pytest
from support import log_text, ready_app, text_of, type_text, wait_for
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from lrtui.app.screens.help_screen import AT_THE_END, MORE_BELOW, HelpScreen
from lrtui.app.screens.method_screen import MethodScreen
from lrtui.app.widgets.step_log import StepLog


def lr_field(app) -> Input:
    return app.query_one("#learning_rate", Input)


def lr_note(app) -> str:
    return text_of(app.query_one("#learning_rate-note", Static))


async def test_a_refused_value_stays_with_its_reason_only_while_the_field_has_focus():
    async with ready_app() as (app, pilot):
        await pilot.press("l")
        await type_text(pilot, "abc")
        await pilot.press("enter")
        assert lr_field(app).has_focus and lr_field(app).value == "abc"
        assert "'abc' is not a number" in lr_note(app)
        await pilot.press("tab")  # leave it: the field shows the lr in use
        assert not lr_field(app).has_focus
        assert lr_field(app).value == "0.1" and lr_note(app) == ""
        assert app.snapshot.learning_rate == 0.1


@pytest.mark.parametrize("leave", ["escape", "tab", "click on a plot", "click on a field"])
async def test_leaving_a_refused_field_shows_the_value_in_use(leave):
    async with ready_app() as (app, pilot):
        await pilot.press("l")
        await type_text(pilot, "1e999")
        if leave.startswith("click"):
            await pilot.click("#fit" if leave.endswith("plot") else "#steps")
        else:
            await pilot.press(leave)
        assert not lr_field(app).has_focus
        assert lr_field(app).value == "0.1" and lr_note(app) == ""


async def test_a_typed_lr_is_one_change_and_one_log_line():
    async with ready_app() as (app, pilot):
        await pilot.press("l")
        await type_text(pilot, "0.9")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.snapshot.learning_rate == 0.9, what="lr 0.9 in use")
        await wait_for(pilot, lambda: "lr typed: 0.1 -> 0.9" in log_text(app), what="the log line")
        await pilot.press("l", "enter", "tab")  # enter and leave again without a change
        # A barrier: one step goes through the same queue a second change would have; its
        # log row is written after anything that change would have logged.
        step = app.snapshot.step
        app.set_focus(None)  # the key goes to the app, not into a field
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == step + 1, what="one step")
        app.query_one(StepLog).flush()
        log = log_text(app)
        assert log.count("lr typed") == 1, log
        assert "0.9 -> 0.9" not in log
        assert log.count("expect it to diverge") == 1, log
        assert lr_field(app).value == "0.9"


async def test_the_optimizer_screen_takes_typing_at_once():
    async with ready_app() as (app, pilot):
        await pilot.press("o")
        assert isinstance(app.screen, MethodScreen)
        assert app.screen.focused is app.screen.query_one("#optimizer", Input)
        await type_text(pilot, "adam")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.snapshot.settings.optimizer == "adam", what="adam in use")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MethodScreen), what="escape to close")


async def test_the_help_scrolls_and_says_when_there_is_more():
    async with ready_app() as (app, pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help", VerticalScroll)
        await wait_for(pilot, lambda: scroll.max_scroll_y > 0, what="the help laid out")
        assert scroll.border_subtitle == MORE_BELOW  # 120×40 does not hold it all
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: scroll.scroll_y > 0, what="down to scroll")
        await pilot.press("pagedown")
        await pilot.press("end")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y, what="end to the bottom")
        assert scroll.border_subtitle == AT_THE_END
        await pilot.press("home")
        await wait_for(pilot, lambda: scroll.scroll_y == 0, what="home to the top")
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: scroll.scroll_y > 0, what="pagedown to scroll")
