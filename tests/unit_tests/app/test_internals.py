"""The private Textual and plotext names lrtui relies on still exist.

They live in lrtui/app/textual_internals.py and plotext_internals.py; an
upgrade that renames one fails here, by name, before a user meets it.
"""

from __future__ import annotations

import inspect

import plotext
import pytest
import textual.keys
from textual.app import App
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.driver import Driver
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual_plotext import PlotextPlot


@pytest.mark.parametrize("owner, name", [
    (Screen, "_compositor"),
    (App, "_background_screens"),
    (App, "_exception"),
    (App, "_exit"),
    (App, "_notifications"),
    (App, "_driver"),
    (Driver, "_size"),
    (CommandPalette, "_watch__list_visible"),
    (CommandPalette, "_watch__show_busy"),
    (DOMNode, "_pruning"),
    (MessagePump, "_closing"),
    (MessagePump, "_message_queue"),
    (MessagePump, "_closed"),
    (textual.keys, "REPLACED_KEYS"),
    (textual.keys, "_character_to_key"),
    (textual.keys, "_get_unicode_name_from_key"),
    (PlotextPlot, "_get_plotext_theme_name"),
])
def test_private_textual_name_exists(owner, name):
    found = hasattr(owner, name) or name in _instance_attributes(owner)
    assert found, f"{owner.__name__}.{name} is gone: update lrtui/app/*_internals.py"


def test_plotext_figure_still_has_set_size():
    figure = plotext._core._figure._active  # the figure plt.* draws on
    assert callable(getattr(figure, "_set_size", None)), "plotext's figure lost _set_size"


def _instance_attributes(owner) -> str:
    """Names assigned in __init__ (instance attributes are not on the class)."""
    try:
        return inspect.getsource(owner.__init__)
    except (TypeError, OSError):
        return ""
