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

from textual.await_complete import AwaitComplete

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


__all__ = ["LeavesOnlyFromTheTop", "is_live", "is_shown", "while_shown"]


class LeavesOnlyFromTheTop:
    """A screen mixin: escape (and every other way out) closes this screen only while it is on top.

    Textual's dismiss pops whatever screen is on top. A key that reaches a screen
    after it has already been closed (keys typed faster than the screens change)
    would close the screen under it, or fail on the last screen and end the app.
    """

    def dismiss(self, result=None):
        if not (is_live(self) and self.app.screen_stack and self.app.screen is self):
            return AwaitComplete.nothing()  # not the one on top any more: nothing to close
        return super().dismiss(result)

    def action_back(self) -> None:
        self.dismiss()
