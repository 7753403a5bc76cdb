"""The hyperparameter pane: every setting as an editable field, checked before use.

A field tells the truth: while it has focus it holds what is being typed,
and a refused value stays there with its reason so it can be corrected.
Leaving the field (enter, tab, escape, a click elsewhere) shows the value in
use again, and a change is posted once, however the field was left.
"""

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
    ("model", "model"),
    ("dataset", "data set"),
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


THEORY_AFTER = 4  # lr, optimizer, schedule, batch: then what the theory says about them


def _text(field: str, value) -> str:
    return as_text(field, value)


def bounds_text(settings: Settings, theory: Theory, predicted: float | None) -> str:
    """The theory under the fields: the bounds, what this lr does, how soon it gets there."""
    mark = marker(settings, theory)
    style = {"diverges": "bold $error", "zigzags": "$warning",
             "reference": "$text-muted"}.get(mark.regime, "$success")
    lines = [f"lr_max [b]{fmt(theory.lr_max)}[/] diverges above"]
    if theory.lr_opt is None:
        lines.append("lr_opt [b]none[/]: every x is the same, the minimum is a whole line")
    else:
        lines.append(f"lr_opt [b]{fmt(theory.lr_opt)}[/] fastest worst-case rate")
    lines.append(f"lr {fmt(settings.learning_rate)} [{style}]{mark.words}[/]")
    if predicted is not None:
        lines.append("never within 1% of the min" if predicted == float("inf") else
                     f"1% of the min in [b]{predicted:,.0f}[/] steps")
    if settings.no_stop:
        lines.append("[$warning]no-stop[/]: trains through divergence (x)")
    return "\n".join(lines)


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
        self._posted: dict[str, object] = {}  # the last value posted per field, until a frame shows it

    def compose(self) -> ComposeResult:
        for index, (field, label) in enumerate(self.FIELDS):
            if index == THEORY_AFTER:
                # The theory sits under the lesson's knobs, in view on a short terminal too.
                yield Static("", id="bounds")
            with Horizontal(classes="field"):
                yield Label(label, classes="label")
                yield Input(_text(field, getattr(self._settings, field)), id=field, compact=True,
                            select_on_focus=True)
            # The note quotes what was typed: shown as is, never read as markup.
            yield Static("", id=f"{field}-note", classes="note", markup=False)
        if len(self.FIELDS) <= THEORY_AFTER:
            yield Static("", id="bounds")

    @while_shown
    def show(self, settings: Settings, theory: Theory | None,
             predicted: float | None = None, live_lr_max: float | None = None,
             scaling=None) -> None:
        """Show the run's values, except in the field the user is typing in."""
        for field, _ in self.FIELDS:
            new, old = getattr(settings, field), getattr(self._settings, field)
            field_input = self.query_one(f"#{field}", Input)
            if new != old and not field_input.has_focus:
                field_input.value = _text(field, new)
        self._settings = settings
        self._posted = {f: v for f, v in self._posted.items() if getattr(settings, f) != v}
        if theory is None and settings.model not in ("line", "poly"):
            # No theory in advance: the lr_max where the weights stand, from the sharpness.
            text = ("lr_max now …" if live_lr_max is None else
                    f"lr_max now {fmt(live_lr_max)}") + "\n  = 2/sharpness (live)" + (
                "" if settings.optimizer == "gd" else "\n  (the plain-GD bound)")
        elif theory is None:
            text = "lr_max …\nlr_opt …"
        else:
            text = bounds_text(settings, theory, predicted)
        if scaling is not None:  # poly: what z-scoring x does to the curvature
            raw, scaled = scaling
            text += (f"\nκ [b]{fmt(raw.condition_number)}[/] on raw x, "
                     f"[b]{fmt(scaled.condition_number)}[/] standardized"
                     f"\nlr_max [b]{fmt(raw.lr_max)}[/] raw, [b]{fmt(scaled.lr_max)}[/] standardized")
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
            focused.value = self._in_use(focused.id)
            self.note(focused.id, "")
        self.screen.set_focus(None)

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        # Leaving a field with a changed value applies it too, as enter would; a value
        # that cannot be used gives way to the one in use, and its reason goes with it.
        field_input = event.input
        if field_input.value.strip() != self._in_use(field_input.id) and not self._take(field_input):
            field_input.value = self._in_use(field_input.id)
            self.note(field_input.id, "")

    def _in_use(self, field: str) -> str:
        """The field's value as the run has it (or as just posted, until a frame shows it)."""
        return _text(field, self._posted.get(field, getattr(self._settings, field)))

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
        # Enter, then the blur that follows it, must not post the same change twice.
        if value != getattr(self._settings, field) and self._posted.get(field, None) != value:
            self._posted[field] = value
            self.post_message(self.Changed(field, value))
        return True
