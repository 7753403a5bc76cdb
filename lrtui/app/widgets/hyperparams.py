"""The hyperparameter pane: every setting as an editable field, checked before use."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from lrtui.app.shown import while_shown
from lrtui.engine.run import fmt
from lrtui.engine.stability import marker
from lrtui.engine.theory import Theory
from lrtui.settings.fields import PARSERS, SettingError, Settings, as_text

# (setting, label) in the order they appear; the lesson's knobs first, the data last.
FIELDS = (
    ("learning_rate", "lr"),
    ("optimizer", "optimizer"),
    ("schedule", "schedule"),
    ("batch_size", "batch"),
    ("steps", "steps"),
    ("init_w", "init w"),
    ("init_b", "init b"),
    ("speed", "speed"),
    ("log_every", "log every"),
    ("n", "n"),
    ("noise", "noise"),
    ("seed", "seed"),
    ("true_w", "true w"),
    ("true_b", "true b"),
)


def _text(field: str, value) -> str:
    return as_text(field, value)


class HyperParams(VerticalScroll):
    """Typing a value and pressing enter applies it; a bad value is refused beside its field."""

    BORDER_TITLE = "Hyperparameters"
    FIELDS = FIELDS  # a subclass can show another set of settings
    BINDINGS = [Binding("escape", "leave", "leave field", show=False)]

    @dataclass
    class Changed(Message):
        """A field holds a new, valid value."""

        field: str
        value: object

    def __init__(self, settings: Settings, **kwargs):
        super().__init__(**kwargs)
        self._settings = settings
        self._bounds_text = ""

    def compose(self) -> ComposeResult:
        for field, label in self.FIELDS:
            with Horizontal(classes="field"):
                yield Label(label, classes="label")
                yield Input(_text(field, getattr(self._settings, field)), id=field, compact=True,
                            select_on_focus=True)
            # The note quotes what was typed: shown as is, never read as markup.
            yield Static("", id=f"{field}-note", classes="note", markup=False)
        yield Static("", id="bounds")

    @while_shown
    def show(self, settings: Settings, theory: Theory | None) -> None:
        """Show the run's values, except in the field the user is typing in."""
        for field, _ in self.FIELDS:
            new, old = getattr(settings, field), getattr(self._settings, field)
            field_input = self.query_one(f"#{field}", Input)
            if new != old and not field_input.has_focus:
                field_input.value = _text(field, new)
        self._settings = settings
        if theory is None:
            text = "lr_max …\nlr_opt …"
        else:
            mark = marker(settings, theory)
            style = {"diverges": "bold $error", "oscillates": "$warning",
                     "reference": "$text-muted"}.get(mark.regime, "$success")
            text = (f"lr_max [b]{fmt(theory.lr_max)}[/]\nlr_opt [b]{fmt(theory.lr_opt)}[/]\n"
                    f"lr {fmt(settings.learning_rate)} [{style}]{mark.words}[/]")
        if text != self._bounds_text:  # most frames change nothing here
            self._bounds_text = text
            self.query_one("#bounds", Static).update(text)

    def note(self, field: str, text: str) -> None:
        note = self.query_one(f"#{field}-note", Static)
        note.update(text)
        note.set_class(bool(text), "-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._take(event.input):
            # Back to the app's keys, so space and + work again at once.
            self.screen.set_focus(None)

    def action_leave(self) -> None:
        """Escape: put the run's value back and hand the keys back to the app."""
        focused = self.screen.focused
        if isinstance(focused, Input):
            focused.value = _text(focused.id, getattr(self._settings, focused.id))
            self.note(focused.id, "")
        self.screen.set_focus(None)

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        # Leaving a field with a changed value applies it too, as enter would.
        if event.input.value.strip() != _text(event.input.id, getattr(self._settings, event.input.id)):
            self._take(event.input)

    def _take(self, field_input: Input) -> bool:
        """Check the field's text; post it if it is new. False if it was refused."""
        field = field_input.id
        try:
            value = PARSERS[field](field_input.value)
        except SettingError as error:
            self.note(field, str(error))
            return False
        self.note(field, "")
        field_input.value = _text(field, value)
        if value != getattr(self._settings, field):
            self.post_message(self.Changed(field, value))
        return True
