"""A plot's title in a narrow pane: whole parts, then whole words, never a number cut short."""

from __future__ import annotations

import pytest

from lrtui.app.widgets.plot_pane import PlotPane


class NarrowPane(PlotPane):
    """A pane of a given title room: the width stands in for a mounted pane's size (this test
    is about choosing the words, not about layout)."""

    def __init__(self, room: int):
        super().__init__()
        self.room = room

    def title_room(self) -> int:
        return self.room


@pytest.mark.parametrize("room, title", [
    (40, "loss 0.01466; log y"),
    (14, "loss 0.01466"),
    (10, "loss"),  # not "loss 0.01", a different number
    (3, ""),
])
def test_the_title_keeps_whole_parts_then_whole_words(room, title):
    assert NarrowPane(room).fitted_title("loss 0.01466", "log y") == title
