"""The `lrtui watch` viewer as drawn (pytest-textual-snapshot): at 120×40 and 80×24, its
help (?) and its too-small message.

The history is fixed: tests/support.py's `keras_training` writes 800 batches into a real
channel folder under a temporary XDG_RUNTIME_DIR with the real Publisher; the test stands
in for the Keras callback (no TensorFlow: these pictures are about the viewer). The
publisher is closed with the state "training" before the viewer starts: the training
process (this one) is alive and nothing moves any more, so the status line says
"training" without a batches/s figure that would change from run to run.
`pytest --snapshot-update` rewrites them after an intended change; look at the SVGs in
__snapshots__ before committing.
"""

from __future__ import annotations

import pytest
from support import keras_training, wait_for

from lrtui.app.screens.help_screen import HelpScreen
from lrtui.app.watch_app import MIN_HEIGHT, MIN_WIDTH, KerasStepLog, WatchApp
from lrtui.integrations.keras.channel import Channel

SIZES = [(120, 40), (80, 24)]


@pytest.fixture
def viewer(tmp_path, monkeypatch) -> WatchApp:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    _, publisher = keras_training("exp")
    publisher.close("training")
    return WatchApp(Channel.attach("exp"))


async def everything_read(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.frame is not None and app.frame.step == 799
                   and len(app.frame.validation) == 8, 20, "the whole history")
    app.query_one(KerasStepLog).flush()  # rows wait up to a second to be written
    await settled(pilot)


async def settled(pilot) -> None:
    """Let animations end and every pending message be handled before the picture is taken."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_viewer_as_drawn(snap_compare, viewer, size):
    assert snap_compare(viewer, terminal_size=size, run_before=everything_read)


def test_the_help_as_drawn(snap_compare, viewer):
    async def open_help(pilot):
        await everything_read(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), 10, "the help")
        await settled(pilot)

    assert snap_compare(viewer, terminal_size=(80, 24), run_before=open_help)


def test_too_small_as_drawn(snap_compare, viewer):
    assert snap_compare(viewer, terminal_size=(MIN_WIDTH - 1, MIN_HEIGHT), run_before=everything_read)
