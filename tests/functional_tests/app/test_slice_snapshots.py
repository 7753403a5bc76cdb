"""A network's landscape plane and blackboard slice as drawn, at 120×40 and 80×24.

The edge-of-stability network (a 1-16-1 tanh MLP on 64 points of sin(2x)) at
lr 0.2, above 1/λ of its steep direction, so the steps jump across it;
stepped 60 steps with S and paused: the pictures depend only on those steps
(the slices are float64, cut from the frame at step 60). `pytest
--snapshot-update` rewrites them after an intended change; look at the SVGs
in __snapshots__ before committing.
"""

from __future__ import annotations

import pytest
from support import LOAD_TIMEOUT, state_is, wait_for

from lrtui.app.app import LrApp
from lrtui.app.screens.blackboard_screen import BlackboardScreen
from lrtui.app.screens.landscape_screen import LandscapeScreen
from lrtui.app.widgets.landscape_plot import LandscapePlot
from lrtui.engine.run import State
from lrtui.settings.fields import Settings
from lrtui.settings.presets import preset_values

SIZES = [(120, 40), (80, 24)]
EDGE = Settings().with_(**preset_values("edge-of-stability")).with_(learning_rate=0.2)
STEPS = 60


async def _stepped(pilot, key: str) -> None:
    """Open the screen of `key`, then take STEPS steps ten at a time (S)."""
    app = pilot.app
    await wait_for(pilot, lambda: state_is(app, State.READY), LOAD_TIMEOUT, "the run to load")
    await pilot.press(key)
    for count in range(10, STEPS + 1, 10):
        await pilot.press("S")
        await wait_for(pilot, lambda: app.snapshot.step == count, 30, f"step {count}")


async def settled(pilot) -> None:
    """The picture has arrived: let its animations end and every pending message be handled."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_plane_of_a_network_as_drawn(snap_compare, size):
    async def open_landscape(pilot):
        await _stepped(pilot, "g")
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen)
                       and app.screen.query_one(LandscapePlot).plane is not None
                       and app.screen.query_one(LandscapePlot).plane.step == STEPS,
                       60, f"the plane at step {STEPS}")
        await settled(pilot)

    assert snap_compare(LrApp(EDGE), terminal_size=size, run_before=open_landscape)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_blackboard_of_a_network_as_drawn(snap_compare, size):
    async def open_blackboard(pilot):
        await _stepped(pilot, "b")
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, BlackboardScreen)
                       and app.screen.picture is not None
                       and app.screen.picture.request.snapshot.step == STEPS,
                       60, f"the steep slice at step {STEPS}")
        await settled(pilot)

    assert snap_compare(LrApp(EDGE), terminal_size=size, run_before=open_blackboard)
