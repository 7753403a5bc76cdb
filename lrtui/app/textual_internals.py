"""Every use of a private Textual name, in one place, each with the reason.

Textual has no public API for these; a test (tests/unit_tests/test_internals.py)
fails loudly if one of them disappears, and pyproject.toml bounds textual to
the versions tested (8.2 up to, not including, 9).
"""

from __future__ import annotations

import io
import unicodedata

from textual import events
from textual.command import CommandList, CommandPalette
from textual.geometry import Size


def screen_text(app) -> str:
    """The screen as plain text, rendered the way `App.export_screenshot` renders it.

    Textual exports a screen as SVG only; the replay player and the tests need
    its text, so this makes the same compositor call export_screenshot makes.
    """
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True,
                                                       screen_stack=app._background_screens))
    return console.export_text()


class SafeCommandPalette(CommandPalette):
    """Textual's command palette, safe against keys faster than its search.

    The palette searches in a worker. Closed (escape) while that search is
    still running, the worker goes on to update the palette's list after the
    list has been removed, and the error ends the whole app. Hammered keys
    (ctrl+p, a letter, escape) on a busy machine are enough. Its private
    watchers are the only place to step in: here they do nothing once the
    palette's widgets are gone.
    """

    def _widgets_gone(self) -> bool:
        return not self.is_attached or not self.query(CommandList)

    def dismiss(self, result=None):
        # A pick that lands after escape already closed the palette would pop the screen
        # under it, or fail on the last one (ScreenStackError): close only while on top.
        if not (is_live(self) and self.app.screen_stack and self.app.screen is self):
            from textual.await_complete import AwaitComplete

            return AwaitComplete.nothing()
        return super().dismiss(result)

    def _watch__list_visible(self) -> None:
        if not self._widgets_gone():
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        if not self._widgets_gone():
            await super()._watch__show_busy()


def send_keys(app, *keys: str) -> None:
    """Keys the way a terminal delivers them, without Pilot's wait after each one.

    Pilot.press waits for the app to settle between keys; a user does not.
    The driver's own door is the only way to queue keys as a terminal does;
    the events are built as Pilot builds them (a character such as "." becomes
    its key name).
    """
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def resize(app, width: int, height: int) -> None:
    """What a terminal's SIGWINCH does (Pilot.resize_terminal without its wait)."""
    size = Size(width, height)
    app._driver._size = size
    app.post_message(events.Resize(size, size))


def is_live(node) -> bool:
    """True while `node` is attached to the running app and is not being removed.

    Textual marks a node it is removing (a dismissed screen and all its
    children) with private flags only; `is_attached` alone stays True until
    the removal has finished, and the app's own exit shows in `is_attached`.
    """
    return node.is_attached and not (node._pruning or node._closing or node._closed)


def waiting_messages(node) -> int:
    """How many messages wait in a screen's or widget's queue (Textual keeps the queue privately).

    The app hands each key on to the screen (or the focused widget) at once, so after a
    burst the keys wait there, not in the app's own queue.
    """
    return node._message_queue.qsize()


def exiting(app) -> bool:
    """True once `app.exit()` was called (Textual keeps the flag privately)."""
    return app._exit


def app_exception(app) -> BaseException | None:
    """The exception that ended the app, if any (Textual keeps it privately)."""
    return app._exception


def notifications(app) -> list:
    """The notices on screen now (Textual keeps them privately)."""
    return list(app._notifications)
