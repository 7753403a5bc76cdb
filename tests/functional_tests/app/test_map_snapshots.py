"""The lr map and the blackboard as drawn, at 120×40 and 80×24 (pytest-textual-snapshot).

The pictures depend only on the lesson's data and the keys pressed: the map
says "map done" without a timing, the blackboard is taken paused after a
fixed number of single steps. `pytest --snapshot-update` rewrites them after
an intended change; look at the SVGs in __snapshots__ before committing.
"""

from __future__ import annotations

import pytest
from support import LOAD_TIMEOUT, state_is, wait_for

from lrtui.app.app import LrApp
from lrtui.app.screens.blackboard_screen import BlackboardScreen
from lrtui.app.screens.map_screen import MapScreen
from lrtui.app.widgets.blackboard_plot import BlackboardPlot
from lrtui.engine.run import State
from lrtui.settings.fields import Settings

SIZES = [(120, 40), (80, 24)]


async def _ready(pilot) -> None:
    await wait_for(pilot, lambda: state_is(pilot.app, State.READY), LOAD_TIMEOUT, "the run to load")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_map_as_drawn(snap_compare, size):
    async def open_map(pilot):
        await _ready(pilot)
        await pilot.press("m")
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.progress is not None
                       and app.screen.progress.finished, 60, "the map to finish")
        await pilot.press("shift+left", "up", "up")  # the cursor moved off its start
        await pilot.pause()  # every message handled: the moves are drawn

    assert snap_compare(LrApp(Settings()), terminal_size=size, run_before=open_map)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_blackboard_as_drawn(snap_compare, size):
    async def open_blackboard(pilot):
        await _ready(pilot)
        app = pilot.app
        await pilot.press("b")
        for count in range(1, 7):
            await pilot.press("s")
            await wait_for(pilot, lambda: app.snapshot.step == count, 30, f"step {count}")
        await pilot.press("d", "d")  # the steep eigen-direction: the jumps of a 1-D GD
        await wait_for(pilot, lambda: isinstance(app.screen, BlackboardScreen)
                       and app.screen.query_one(BlackboardPlot).cut.direction == "steep"
                       and len(app.screen.query_one(BlackboardPlot).cut.steps_offset) == 7,
                       30, "the steep slice with six jumps")
        await pilot.pause()  # every message handled: the moves are drawn

    assert snap_compare(LrApp(Settings(learning_rate=0.6)), terminal_size=size,
                        run_before=open_blackboard)
