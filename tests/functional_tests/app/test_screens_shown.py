"""Frames, timers and results that reach a screen before it is composed or after it was dismissed.

In a real terminal a key is followed by the next one at once: `g` then escape
pushes the landscape and starts removing it before it has drawn, while the
training worker keeps posting frames. Each test builds one of those moments
on purpose, deterministically, and checks that the handler drops the call
instead of ending the app with NoMatches (lrtui.app.shown).
"""

from __future__ import annotations

from support import ready_app, wait_for

from lrtui.app.app import Frame
from lrtui.app.screens.compare_screen import CompareFrame, CompareScreen
from lrtui.app.screens.help_screen import HelpScreen
from lrtui.app.screens.landscape_screen import LandscapeScreen
from lrtui.app.screens.lr_find_screen import LrFindScreen
from lrtui.app.screens.method_screen import MethodScreen
from lrtui.app.textual_internals import app_exception
from lrtui.app.widgets.landscape_plot import LandscapePlot


async def test_a_frame_right_after_g_reaches_a_landscape_not_yet_composed():
    async with ready_app() as (app, pilot):
        screen = LandscapeScreen()
        app.push_screen(screen)
        # The frame the worker posted is handled before the screen has composed.
        assert not screen.query(LandscapePlot)
        app.on_frame(Frame(app.snapshot))
        await wait_for(pilot, lambda: screen.is_mounted, what="the landscape to mount")
        # It then draws the latest frame from its own on_mount.
        assert screen.query_one(LandscapePlot)._theory is not None
        assert app_exception(app) is None


async def test_frames_to_dismissed_screens_are_dropped():
    async with ready_app() as (app, pilot):
        snapshot = app.snapshot
        landscape, method = LandscapeScreen(), MethodScreen(app.settings)
        for screen in (landscape, method):
            await app.push_screen(screen)
            await app.pop_screen()
        await wait_for(pilot, lambda: not landscape.is_attached and not method.is_attached,
                       what="both screens to be removed")
        landscape.show_snapshot(snapshot)
        method.show(app.settings.with_(learning_rate=0.5))
        assert method.settings.learning_rate == 0.5  # kept for if it is composed again
        # An on_mount that runs once the removal has begun (escape right after g).
        landscape.on_mount()
        assert app_exception(app) is None and app.is_running


async def test_a_compare_frame_after_escape_is_dropped_and_acknowledged():
    async with ready_app() as (app, pilot):
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_for(pilot, lambda: screen.snapshot is not None, 120, "a compare frame")
        frame = CompareFrame(screen.snapshot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.is_attached, what="compare mode to close")
        screen.on_compare_frame(frame)
        await wait_for(pilot, lambda: screen.controller.finished.is_set(), 60,
                       "the compare worker to stop")
        assert app_exception(app) is None and app.is_running


async def test_a_range_test_result_after_escape_is_dropped():
    async with ready_app() as (app, pilot):
        await pilot.press("f")
        screen = app.screen
        assert isinstance(screen, LrFindScreen)
        await wait_for(pilot, lambda: screen.test is not None, 120, "the sweep's result")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.is_attached, what="the range test to close")
        screen.show(screen.test)  # what the sweep's worker does when it ends late
        screen._say("late")
        screen.on_mount()
        assert app_exception(app) is None and app.is_running


async def test_a_late_escape_closes_nothing_but_its_own_screen():
    """An escape that reaches a screen after it was closed must not close the one under it."""
    async with ready_app() as (app, pilot):
        help_screen = HelpScreen()
        landscape = LandscapeScreen()
        await app.push_screen(landscape)
        await app.push_screen(help_screen)
        await app.pop_screen()  # the help is gone; its escape comes late
        help_screen.dismiss()
        await pilot.pause()
        assert app.screen is landscape
        await app.pop_screen()
        landscape.action_back()  # the last screen: nothing to pop
        await pilot.pause()
        assert len(app.screen_stack) == 1 and app.is_running and app_exception(app) is None
