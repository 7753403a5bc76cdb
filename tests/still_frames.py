"""Still frames of the app for snapshot tests: fixed data, a run advanced a fixed number of
steps and paused, nothing that blinks or counts time on screen.

Each scene is (settings, steps to advance before the first frame, what to do before the
picture). Used by test_snapshots.py, and by hand to look at the screens as PNGs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual.pilot import Pilot
from textual.widgets import Input

from lrtui.app.app import LrApp
from lrtui.app.widgets.step_log import StepLog
from lrtui.engine.run import State
from lrtui.engine.startup import load_run
from lrtui.settings.fields import Settings

SIZES = {"120x40": (120, 40), "80x24": (80, 24)}
THEMES = ("lesson", "paper")
LOAD_TIMEOUT = 180  # the first app of a process imports TensorFlow


@dataclass(frozen=True)
class Scene:
    settings: Settings
    steps: int  # steps the run takes before the app shows it, paused
    screen: str = "main"  # main | landscape | compare | range


SCENES = {
    "main": Scene(Settings(), 120),
    "main-diverged": Scene(Settings(learning_rate=0.9), 200),
    "landscape": Scene(Settings(learning_rate=0.5), 60, "landscape"),
    "compare": Scene(Settings(), 0, "compare"),
    "range": Scene(Settings(), 0, "range"),
}
COMPARE_STEPS = 60  # compare mode's runs step this far (S = 10 steps) before the picture


def advanced(steps: int):
    """A load_engine that builds the run, then trains `steps` steps and pauses it."""
    def load(settings: Settings, dataset):
        run = load_run(settings, dataset)
        if steps:
            run.advance(steps)
            if run.state == State.READY:
                run.state = State.PAUSED
        return run
    return load


def still_app(name: str, theme: str) -> LrApp:
    scene = SCENES[name]
    return LrApp(scene.settings.with_(theme=theme), load_engine=advanced(scene.steps))


async def until(pilot: Pilot, condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def loaded(pilot: Pilot, name: str) -> None:
    """Wait for the scene's run: built, and paused after its steps (or ready, with none)."""
    app, steps = pilot.app, SCENES[name].steps
    waiting = (State.LOADING, State.READY) if steps else (State.LOADING,)
    await until(pilot, lambda: app.snapshot is not None and app.snapshot.state not in waiting,
                "the run to load", LOAD_TIMEOUT)


def ready(name: str):
    """What to do before the picture: wait for the paused run, open the scene's screen."""
    scene = SCENES[name]

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await loaded(pilot, name)
        log = app.query_one(StepLog)
        log.flush()
        if scene.screen == "landscape":
            await pilot.press("g")
            await until(pilot, lambda: type(app.screen).__name__ == "LandscapeScreen",
                        "the landscape screen")
        elif scene.screen == "compare":
            await pilot.press("c")
            await until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None
                        and app.screen.snapshot.state == State.READY, "compare mode to load")
            for _ in range(COMPARE_STEPS // 10):
                await pilot.press("S")
            await until(pilot, lambda: max(lane.step for lane in app.screen.snapshot.lanes)
                        >= COMPARE_STEPS, "compare mode to step")
        elif scene.screen == "range":
            await pilot.press("f")
            await until(pilot, lambda: getattr(app.screen, "test", None) is not None,
                        "the range test to finish")
        for field in app.screen.query(Input):
            field.cursor_blink = False
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()  # every message handled before the picture
    return run_before
