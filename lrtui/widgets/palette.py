"""Textual's command palette, safe against keys faster than its search.

Textual's palette searches in a worker. Closed (escape) while that search is
still running, the worker goes on to update the palette's list after the list
has been removed, and the error ends the whole app. Hammered keys (ctrl+p,
a letter, escape) on a busy machine are enough. Here the palette's reactions
do nothing once its widgets are gone.
"""

from __future__ import annotations

from textual.command import CommandList, CommandPalette


class SafeCommandPalette(CommandPalette):
    def _widgets_gone(self) -> bool:
        return not self.is_attached or not self.query(CommandList)

    def _watch__list_visible(self) -> None:
        if not self._widgets_gone():
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        if not self._widgets_gone():
            await super()._watch__show_busy()
