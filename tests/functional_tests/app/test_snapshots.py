"""Snapshot tests: the main screen, a diverged run, the landscape, compare mode and the range
test, at 120×40 and 80×24, in the lesson and paper themes. A layout that changes fails here;
`pytest tests/test_snapshots.py --snapshot-update` takes new pictures once they are looked at.

The frames are still (tests/still_frames.py): fixed data, the run trained a fixed number of
steps and paused before the first frame, no cursor blink, no steps per second on screen.
"""

from __future__ import annotations

import pytest
from still_frames import SCENES, SIZES, THEMES, ready, still_app


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_screen(snap_compare, scene, size, theme):
    assert snap_compare(still_app(scene, theme), terminal_size=SIZES[size], run_before=ready(scene))
