"""Two small dialogs: type a value (checked before it is accepted), or answer yes or no.

`AskScreen` returns the checked value, or None on escape; a value its check
refuses is said under the field and nothing is returned. `ConfirmScreen`
returns True for y, False for n or escape. Plain keys, no Esc sequences
needed to answer: tmux adds a delay to escape.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lrtui.app.shown import LeavesOnlyFromTheTop


class AskScreen(LeavesOnlyFromTheTop, ModalScreen):
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def __init__(self, question: str, value: str = "", check: Callable[[str], object] = str):
        super().__init__()
        self.question, self.value, self.check = question, value, check

    def compose(self) -> ComposeResult:
        with Vertical(classes="ask"):
            yield Static(self.question, markup=False)
            yield Input(self.value, id="answer")
            yield Static("", id="problem", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            value = self.check(event.value.strip())
        except ValueError as error:
            self.query_one("#problem", Static).update(str(error))
            return
        self.dismiss(value)


class ConfirmScreen(LeavesOnlyFromTheTop, ModalScreen[bool]):
    BINDINGS = [Binding("y", "dismiss(True)", "yes"),
                Binding("n,escape", "dismiss(False)", "no")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="ask"):
            yield Static(f"{self.question}  (y / n)", markup=False)
