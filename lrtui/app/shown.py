"""Frames, timers and worker results arrive when they like; a screen or widget takes them only while shown.

A frame from a worker thread can reach a screen that was pushed a moment ago
and is not composed yet, or one that is being dismissed because escape came
right after its key. Querying its children then raises NoMatches, and an
uncaught NoMatches ends the whole app. So every handler that a frame, a timer
or a worker calls is wrapped in `while_shown`: it does nothing unless its
screen or widget has finished mounting and is not being removed. A screen's
`on_mount` asks `is_live` first: it runs before Textual counts the screen as
mounted, and it can run after a fast escape has already started removing it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from lrtui.app.textual_internals import is_live

Handler = TypeVar("Handler", bound=Callable[..., object])


def is_shown(node) -> bool:
    """Mounted (its on_mount has run), attached to the running app, and not being removed."""
    return node.is_mounted and is_live(node)


def while_shown(handler: Handler) -> Handler:
    """The handler runs only while its node `is_shown`; otherwise the call is dropped."""
    @functools.wraps(handler)
    def guarded(self, *args, **kwargs):
        if is_shown(self):
            return handler(self, *args, **kwargs)
        return None
    return guarded  # type: ignore[return-value]


__all__ = ["is_live", "is_shown", "while_shown"]
