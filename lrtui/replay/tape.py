"""Parser for charmbracelet VHS ``.tape`` files.

A tape is a script of terminal actions: type this, press Enter, sleep, wait
for a prompt.  lrtui replays tapes against a Textual app, so this module turns
tape text into typed :class:`Command` objects, and maps key commands to the
key names that Textual's ``Pilot.press`` accepts (:meth:`Command.keys`).

The syntax follows VHS's documentation:

* one command per line, or several (``Type "ls" Sleep 500ms Enter``);
* ``#`` starts a comment where a word would start (not inside a word/string);
* ``Name@<time>`` overrides the typing speed (or the timeout, for ``Wait``);
* key commands take an optional repeat count (``Backspace@100ms 5``);
* strings are quoted with ``"``, ``'`` or a backtick and have no escapes;
* regexes are written ``/like this/``; ``Set Theme`` also takes a JSON object.

Everything is pure Python: no Textual import, so it is usable on its own.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "Command",
    "LoopOffset",
    "Tape",
    "TapeError",
    "char_key",
    "command_keys",
    "load_tape",
    "parse_duration",
    "parse_tape",
]


class TapeError(ValueError):
    """A malformed tape; the message reads ``source:line: problem``."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}:{line}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class LoopOffset:
    """``Set LoopOffset``: where a GIF loops back to, in frames or percent."""

    amount: float
    percent: bool = False


@dataclass(frozen=True)
class Command:
    """One tape command.  Only the fields that apply to ``name`` are set.

    name:      "Type", "Enter", "Set", ... ; for combos the first modifier
               ("Ctrl" for ``Ctrl+Shift+A``).
    line:      1-based line number in the tape.
    speed:     ``@<time>`` override in seconds (Type and key commands).
    repeat:    repeat count of a key command (``Enter 3``).
    text:      Type's string, Copy's text, Env's value.
    seconds:   Sleep's duration.
    setting, value: Set's setting name and typed value.
    path:      Output, Screenshot and Source target.
    program:   Require's program.
    variable:  Env's variable name.
    modifiers, key: a combo such as ``Ctrl+Shift+A`` is
               ``("Ctrl", "Shift")`` and ``"A"``; keys are spelled as in VHS.
    scope, timeout, pattern: Wait's ``"Line"``/``"Screen"``, ``@timeout``
               in seconds and compiled ``/regex/`` (None: use WaitPattern).
    """

    name: str
    line: int
    speed: float | None = None
    repeat: int = 1
    text: str | None = None
    seconds: float | None = None
    setting: str | None = None
    value: Any = None
    path: str | None = None
    program: str | None = None
    variable: str | None = None
    modifiers: tuple[str, ...] = ()
    key: str | None = None
    scope: str | None = None
    timeout: float | None = None
    pattern: re.Pattern[str] | None = None

    def keys(self) -> list[str]:
        """Textual key names a Pilot would press for this command."""
        return command_keys(self)

    def __repr__(self) -> str:
        # Show only the fields that are set; most are unused per command.
        shown = [f"{self.name!r}", f"line={self.line}"]
        for f in fields(self)[2:]:
            value = getattr(self, f.name)
            if value != f.default:
                shown.append(f"{f.name}={value!r}")
        return f"Command({', '.join(shown)})"


@dataclass
class Tape:
    """A parsed tape: its commands in order, and where it came from."""

    commands: list[Command] = field(default_factory=list)
    source: str = "<tape>"

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    def __len__(self) -> int:
        return len(self.commands)

    @property
    def settings(self) -> dict[str, Any]:
        """Every ``Set`` in the tape, name to value; a later Set wins."""
        return {c.setting: c.value for c in self.commands if c.name == "Set"}


# --------------------------------------------------------------------------
# Key names
# --------------------------------------------------------------------------

# VHS key commands and the Textual key each presses.  ScrollUp/ScrollDown
# are mouse-wheel events, not keystrokes, hence None.
_NAMED_KEYS: dict[str, str | None] = {
    "Backspace": "backspace",
    "Delete": "delete",
    "Insert": "insert",
    "Enter": "enter",
    "Escape": "escape",
    "Space": "space",
    "Tab": "tab",
    "Up": "up",
    "Down": "down",
    "Left": "left",
    "Right": "right",
    "PageUp": "pageup",
    "PageDown": "pagedown",
    "ScrollUp": None,
    "ScrollDown": None,
}

_MODIFIERS = ("Ctrl", "Alt", "Shift")

# Textual names a character key after its Unicode name, but renames a few
# obscure ones (textual.keys.KEY_NAME_REPLACEMENTS); we must match it.
_FRIENDLY_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}

# Control characters have no Unicode name; Textual knows only tab.
_CONTROL_KEYS = {"\t": "tab"}


def char_key(char: str) -> str:
    """Textual key name for typing one character: ``"."`` -> ``"full_stop"``.

    Letters and digits are themselves (``"A"`` stays upper case), the rest
    follow Textual's naming, so ``Pilot.press`` delivers the same character.
    """
    if char.isalnum():
        return char
    if char in _CONTROL_KEYS:
        return _CONTROL_KEYS[char]
    try:
        name = unicodedata.name(char)
    except ValueError:
        return char
    name = name.lower().replace("-", "_").replace(" ", "_")
    return _FRIENDLY_NAMES.get(name, name)


def _combo_key(modifiers: tuple[str, ...], key: str) -> str:
    """Textual name for a combo such as Ctrl+Shift+A -> ``"ctrl+shift+a"``."""
    mods = {m.lower() for m in modifiers}
    if key in _NAMED_KEYS:
        base = _NAMED_KEYS[key] or key.lower()
    elif key.isalpha():
        # Ctrl ignores case (Ctrl+C == Ctrl+c); elsewhere an upper-case
        # letter arrives as shift+letter, as Textual reports Alt+A.
        if key.isupper() and "ctrl" not in mods:
            mods.add("shift")
        base = key.lower()
        if mods == {"shift"}:
            return base.upper()  # a terminal just sends "A"
    else:
        base = char_key(key)
    # Textual orders modifiers alphabetically: alt, ctrl, shift.
    return "+".join([*sorted(mods), base])


def command_keys(command: Command) -> list[str]:
    """Textual key names for a command, repeated by its count.

    Type gives one key per character; key commands and combos their key;
    everything else (Sleep, Set, Wait, ScrollUp ...) presses nothing: [].
    """
    if command.name == "Type":
        return [char_key(c) for c in command.text or ""]
    if command.modifiers and command.key is not None:
        return [_combo_key(command.modifiers, command.key)]
    key = _NAMED_KEYS.get(command.name)
    return [key] * command.repeat if key else []


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m)?")
_INT = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_duration(text: str) -> float:
    """Seconds in a VHS time: ``500ms``, ``2s``, ``1m``, or bare ``2``/``.5``."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    amount, unit = float(match.group(1)), match.group(2)
    if unit == "ms":
        return amount / 1000
    if unit == "m":
        return amount * 60
    return amount  # "s" or no unit: VHS counts plain numbers as seconds


# --------------------------------------------------------------------------
# Scanner: reads arguments from the text, one command's line at a time
# --------------------------------------------------------------------------

_QUOTES = frozenset("\"'`")
_INLINE_SPACE = " \t\r\f\v"
# A /regex/ ends at the first unescaped slash on the same line.
_REGEX = re.compile(r"/((?:\\.|[^/\\\n])*)/")


class _Scanner:
    """A cursor over the tape text.

    Arguments are read on demand because their kind depends on the command:
    ``/tmp/x.gif`` is a path after Output but a regex after Wait.  Arguments
    stay on their command's line (only a Theme's JSON may span lines).
    """

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1  # line of the command being parsed, for errors
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def error(self, problem: str) -> TapeError:
        return TapeError(self.source, self.line, problem)

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _INLINE_SPACE:
            self.pos += 1

    def _skip_comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end == -1 else end

    def next_command(self) -> bool:
        """Skip blank lines and comments; True if a command starts here."""
        while True:
            self._skip_space()
            if self.pos >= len(self.text):
                return False
            char = self.text[self.pos]
            if char == "\n":
                self.pos += 1
            elif char == "#":
                self._skip_comment()
            else:
                self.line = bisect.bisect_right(self._line_starts, self.pos)
                return True

    def at_line_end(self) -> bool:
        self._skip_space()
        return self.pos >= len(self.text) or self.text[self.pos] in "\n#"

    def peek(self) -> str:
        """The next character on this line, or "" at its end."""
        return "" if self.at_line_end() else self.text[self.pos]

    def word(self) -> str:
        """The next whitespace-delimited word on this line, or ""."""
        if self.at_line_end():
            return ""
        start = self.pos
        while self.pos < len(self.text) and not self.text[self.pos].isspace():
            self.pos += 1
        return self.text[start : self.pos]

    def peek_word(self) -> str:
        start = self.pos
        word = self.word()
        self.pos = start
        return word

    def quoted(self) -> str:
        """A string in matching quotes; VHS strings have no escapes."""
        quote = self.text[self.pos]
        end = self.text.find(quote, self.pos + 1)
        newline = self.text.find("\n", self.pos + 1)
        if end == -1 or -1 < newline < end:
            raise self.error(f"unterminated string: missing closing {quote}")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def word_or_string(self) -> str | None:
        """A quoted string or a bare word; None when the line has ended."""
        char = self.peek()
        if not char:
            return None
        return self.quoted() if char in _QUOTES else self.word()

    def regex(self) -> re.Pattern[str]:
        match = _REGEX.match(self.text, self.pos)
        if match is None:
            raise self.error("unterminated regex: missing closing /")
        self.pos = match.end()
        try:
            return re.compile(match.group(1))
        except re.error as exc:
            raise self.error(f"invalid regex /{match.group(1)}/: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        try:
            value, self.pos = json.JSONDecoder().raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            raise self.error(f"invalid Theme JSON: {exc.msg}") from None
        return value


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """A command word split up: ``Wait+Screen@5s`` -> Wait, Screen, 5s."""

    name: str
    line: int
    plus: str | None
    at: str | None


_HEAD = re.compile(r"(?P<name>[A-Za-z]+)(?:\+(?P<plus>[A-Za-z]*))?(?:@(?P<at>\S*))?")
_COMBO = re.compile(r"(Ctrl|Alt|Shift)\+(.+)")


def _check_suffix(sc: _Scanner, head: _Head, *, at: bool = False) -> None:
    """Reject ``+Scope`` and (unless allowed) ``@time`` on a command word."""
    if head.plus is not None:
        raise sc.error(f"{head.name} does not take '+{head.plus}'")
    if head.at is not None and not at:
        raise sc.error(f"{head.name} does not take an @time")


def _at_time(sc: _Scanner, head: _Head) -> float | None:
    if head.at is None:
        return None
    try:
        return parse_duration(head.at)
    except ValueError:
        raise sc.error(
            f"bad time {head.at!r} after {head.name}@ (use e.g. 100ms or 2s)"
        ) from None


def _parse_key(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head, at=True)
    speed = _at_time(sc, head)
    repeat = 1
    count = sc.peek_word()
    if _INT.fullmatch(count):
        sc.word()
        repeat = int(count)
        if repeat < 1:
            raise sc.error(f"{head.name} repeat count must be at least 1")
    elif count[:1] in set("0123456789.-+"):
        raise sc.error(f"{head.name} repeat count must be a whole number, got {count!r}")
    return Command(head.name, head.line, speed=speed, repeat=repeat)


def _parse_type(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head, at=True)
    speed = _at_time(sc, head)
    parts = []
    while sc.peek() in _QUOTES:  # VHS joins consecutive strings
        parts.append(sc.quoted())
    if not parts:
        got = sc.peek_word()
        hint = f", got {got!r}" if got else ""
        raise sc.error(f'Type needs a quoted string, e.g. Type "ls"{hint}')
    return Command("Type", head.line, speed=speed, text="".join(parts))


def _parse_sleep(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head)
    raw = sc.word()
    try:
        seconds = parse_duration(raw)
    except ValueError:
        got = f", got {raw!r}" if raw else ""
        raise sc.error(f"Sleep needs a duration like 500ms or 2s{got}") from None
    return Command("Sleep", head.line, seconds=seconds)


def _parse_wait(sc: _Scanner, head: _Head) -> Command:
    # Bare Wait watches the cursor's line, as in VHS.
    scope = "Line" if head.plus is None else head.plus
    if scope not in ("Line", "Screen"):
        raise sc.error(f"Wait scope must be +Line or +Screen, got '+{scope}'")
    timeout = _at_time(sc, head)
    pattern = sc.regex() if sc.peek() == "/" else None
    return Command("Wait", head.line, scope=scope, timeout=timeout, pattern=pattern)


def _parse_bare(sc: _Scanner, head: _Head) -> Command:
    """Hide, Show, Paste: no arguments."""
    _check_suffix(sc, head)
    return Command(head.name, head.line)


def _path_parser(
    accepts: Callable[[str], bool], needs: str
) -> Callable[[_Scanner, _Head], Command]:
    """Parser for Output/Screenshot/Source: one path that ``accepts`` likes."""

    def parse(sc: _Scanner, head: _Head) -> Command:
        _check_suffix(sc, head)
        path = sc.word_or_string()
        if not path:
            raise sc.error(f"{head.name} needs {needs}")
        if not accepts(path):
            raise sc.error(f"{head.name} needs {needs}, got {path!r}")
        return Command(head.name, head.line, path=path)

    return parse


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _output_ok(path: str) -> bool:
    # A path without an extension (or ending in /) is a directory of frames.
    return path.endswith("/") or _extension(path) in ("", ".gif", ".mp4", ".webm", ".txt", ".ascii")


def _parse_require(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head)
    program = sc.word_or_string()
    if not program:
        raise sc.error("Require needs a program name")
    return Command("Require", head.line, program=program)


def _parse_env(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head)
    variable = sc.word_or_string()
    value = sc.word_or_string()
    if not variable or value is None:
        raise sc.error('Env needs a name and a value, e.g. Env GREETING "hi"')
    if not _ENV_NAME.fullmatch(variable):
        raise sc.error(f"Env name must be letters, digits or _, got {variable!r}")
    return Command("Env", head.line, variable=variable, text=value)


def _parse_copy(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head)
    text = sc.word_or_string()
    if text is None:
        raise sc.error('Copy needs a string, e.g. Copy "hello"')
    return Command("Copy", head.line, text=text)


def _parse_combo(sc: _Scanner, word: str) -> Command:
    """``Ctrl+C``, ``Ctrl+Shift+A``, ``Alt+Enter``, ``Shift+Tab``, ``Alt++``."""
    modifiers: list[str] = []
    rest = word
    while (match := _COMBO.fullmatch(rest)) is not None:
        modifier, rest = match.groups()
        if modifier in modifiers:
            raise sc.error(f"{modifier} appears twice in {word}")
        modifiers.append(modifier)
    if not modifiers:
        raise sc.error(f"{word} needs a key, e.g. Ctrl+C or Alt+Enter")
    single_char = len(rest) == 1 and rest.isprintable() and not rest.isspace()
    if not single_char and _NAMED_KEYS.get(rest) is None:
        raise sc.error(f"unknown key {rest!r} in {word}")
    return Command(modifiers[0], sc.line, modifiers=tuple(modifiers), key=rest)


# --------------------------------------------------------------------------
# Settings: each reader takes the scanner and the setting name
# --------------------------------------------------------------------------

_Reader = Callable[[_Scanner, str], Any]


def _required(sc: _Scanner, name: str, what: str) -> str:
    raw = sc.word_or_string()
    if not raw:
        raise sc.error(f"{name} needs {what}")
    return raw


def _text_setting(sc: _Scanner, name: str) -> str:
    # Colours must be quoted: a bare #6B50FF would start a comment.
    return _required(sc, name, 'a value (quote colours: "#6B50FF")')


def _int_setting(minimum: int) -> _Reader:
    def read(sc: _Scanner, name: str) -> int:
        raw = _required(sc, name, "a whole number")
        if not _INT.fullmatch(raw):
            raise sc.error(f"{name} needs a whole number, got {raw!r}")
        if int(raw) < minimum:
            raise sc.error(f"{name} must be at least {minimum}, got {raw}")
        return int(raw)

    return read


def _float_setting(positive: bool) -> _Reader:
    def read(sc: _Scanner, name: str) -> float:
        raw = _required(sc, name, "a number")
        if not _FLOAT.fullmatch(raw):
            raise sc.error(f"{name} needs a number, got {raw!r}")
        value = float(raw)
        if positive and value <= 0:
            raise sc.error(f"{name} must be greater than 0, got {raw}")
        return value

    return read


def _duration_setting(sc: _Scanner, name: str) -> float:
    raw = _required(sc, name, "a duration like 100ms or 2s")
    try:
        return parse_duration(raw)
    except ValueError:
        raise sc.error(f"{name} needs a duration like 100ms or 2s, got {raw!r}") from None


def _bool_setting(sc: _Scanner, name: str) -> bool:
    raw = _required(sc, name, "true or false")
    if raw not in ("true", "false"):
        raise sc.error(f"{name} needs true or false, got {raw!r}")
    return raw == "true"


def _theme_setting(sc: _Scanner, name: str) -> str | dict[str, Any]:
    # A theme is either a named theme or a JSON object of colours.
    if sc.peek() == "{":
        return sc.json_object()
    return _required(sc, name, 'a theme name or a JSON object, e.g. Set Theme "Dracula"')


def _regex_setting(sc: _Scanner, name: str) -> re.Pattern[str]:
    if sc.peek() != "/":
        raise sc.error(f"{name} needs a /regex/")
    return sc.regex()


def _loop_offset_setting(sc: _Scanner, name: str) -> LoopOffset:
    raw = _required(sc, name, "a frame count or a percentage like 20%")
    number = raw[:-1] if raw.endswith("%") else raw
    if not _FLOAT.fullmatch(number) or float(number) < 0:
        raise sc.error(f"{name} needs a frame count or a percentage like 20%, got {raw!r}")
    return LoopOffset(float(number), percent=raw.endswith("%"))


_SETTINGS: dict[str, _Reader] = {
    "Shell": _text_setting,
    "FontFamily": _text_setting,
    "FontSize": _int_setting(1),
    "Framerate": _int_setting(1),
    "PlaybackSpeed": _float_setting(positive=True),
    "Height": _int_setting(1),
    "Width": _int_setting(1),
    "LetterSpacing": _float_setting(positive=False),
    "LineHeight": _float_setting(positive=True),
    "TypingSpeed": _duration_setting,
    "Theme": _theme_setting,
    "Padding": _int_setting(0),
    "Margin": _int_setting(0),
    "MarginFill": _text_setting,
    "BorderRadius": _int_setting(0),
    "WindowBar": _text_setting,
    "WindowBarSize": _int_setting(0),
    "CursorBlink": _bool_setting,
    "LoopOffset": _loop_offset_setting,
    "WaitTimeout": _duration_setting,
    "WaitPattern": _regex_setting,
}


def _parse_set(sc: _Scanner, head: _Head) -> Command:
    _check_suffix(sc, head)
    name = sc.word()
    if not name:
        raise sc.error("Set needs a setting and a value, e.g. Set FontSize 14")
    reader = _SETTINGS.get(name)
    if reader is None:
        raise sc.error(f"unknown setting {name!r}")
    return Command("Set", head.line, setting=name, value=reader(sc, name))


_COMMANDS: dict[str, Callable[[_Scanner, _Head], Command]] = {
    "Type": _parse_type,
    "Sleep": _parse_sleep,
    "Set": _parse_set,
    "Wait": _parse_wait,
    "Output": _path_parser(_output_ok, "a .gif, .mp4, .webm, .txt or .ascii path or a directory"),
    "Screenshot": _path_parser(lambda p: _extension(p) == ".png", "a .png path"),
    "Source": _path_parser(lambda p: _extension(p) == ".tape", "a .tape path"),
    "Require": _parse_require,
    "Env": _parse_env,
    "Copy": _parse_copy,
    "Paste": _parse_bare,
    "Hide": _parse_bare,
    "Show": _parse_bare,
    **{name: _parse_key for name in _NAMED_KEYS},
}


def _leading_name(word: str) -> str:
    return re.match(r"[A-Za-z]*", word).group()  # type: ignore[union-attr]


def _parse_command(sc: _Scanner) -> Command:
    word = sc.word()
    name = _leading_name(word)
    if name in _MODIFIERS:
        return _parse_combo(sc, word)
    parser = _COMMANDS.get(name)
    match = _HEAD.fullmatch(word)
    if parser is None or match is None:
        raise sc.error(f"unknown command {word!r}")
    head = _Head(name, sc.line, match.group("plus"), match.group("at"))
    return parser(sc, head)


def _starts_command(word: str) -> bool:
    name = _leading_name(word)
    return name in _COMMANDS or name in _MODIFIERS


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def parse_tape(text: str, source: str = "<tape>") -> Tape:
    """Parse tape text; raise :class:`TapeError` on the first bad line.

    ``source`` names the tape in error messages (``demo.tape:7: ...``).
    """
    sc = _Scanner(text, source)
    commands: list[Command] = []
    while sc.next_command():
        command = _parse_command(sc)
        commands.append(command)
        # Another command may follow on the same line; anything else is junk.
        if not sc.at_line_end() and not _starts_command(sc.peek_word()):
            raise sc.error(f"unexpected {sc.peek_word()!r} after {command.name}")
    return Tape(commands, source)


def load_tape(path: str | os.PathLike[str]) -> Tape:
    """Read and parse a tape file (UTF-8); errors name the file as given."""
    with open(path, encoding="utf-8") as handle:
        return parse_tape(handle.read(), source=os.fspath(path))
