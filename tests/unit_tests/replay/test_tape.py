"""Tests for lrtui.replay.tape, the VHS .tape parser."""

from __future__ import annotations

import asyncio
import re
import string

import pytest

from lrtui.replay.tape import (
    Command,
    LoopOffset,
    Tape,
    TapeError,
    char_key,
    command_keys,
    load_tape,
    parse_duration,
    parse_tape,
)

EVERY_COMMAND = """\
# A tape touching every VHS command and setting.
Output demo.gif
Output "frames/"
Require git

Set Shell "bash"
Set FontFamily "JetBrains Mono"
Set FontSize 22
Set Framerate 30
Set PlaybackSpeed 0.5
Set Height 600
Set Width 1200
Set LetterSpacing 1.5
Set LineHeight 1.2
Set TypingSpeed 75ms
Set Theme "Catppuccin Mocha"
Set Padding 10
Set Margin 20
Set MarginFill "#6B50FF"
Set BorderRadius 8
Set WindowBar Colorful
Set WindowBarSize 40
Set CursorBlink false
Set LoopOffset 20%
Set WaitTimeout 1m
Set WaitPattern /\\$ $/

Env GREETING "hello world"
Source setup.tape
Hide
Type "clear"
Show
Type@50ms 'echo "hi"'
Sleep 500ms
Enter
Backspace@100ms 5
Delete 2
Insert
Up 3
Down
Left@1s
Right 2
PageUp
PageDown 4
Tab@200ms 2
Escape
Space 3
ScrollUp 2
ScrollDown
Ctrl+C
Ctrl+Shift+A
Alt+Enter
Shift+Tab
Wait
Wait+Screen@10s /ready/
Wait+Line /\\d+ files/
Screenshot shot.png
Copy "https://example.com"
Paste
"""


@pytest.fixture(scope="module")
def tape() -> Tape:
    return parse_tape(EVERY_COMMAND, "every.tape")


def by_line(tape: Tape) -> dict[int, Command]:
    return {c.line: c for c in tape}


def test_every_command_parses(tape: Tape) -> None:
    names = [c.name for c in tape]
    assert names == [
        "Output", "Output", "Require",
        *["Set"] * 21,
        "Env", "Source", "Hide", "Type", "Show", "Type", "Sleep", "Enter",
        "Backspace", "Delete", "Insert", "Up", "Down", "Left", "Right",
        "PageUp", "PageDown", "Tab", "Escape", "Space", "ScrollUp",
        "ScrollDown", "Ctrl", "Ctrl", "Alt", "Shift", "Wait", "Wait", "Wait",
        "Screenshot", "Copy", "Paste",
    ]
    assert tape.source == "every.tape"
    assert len(tape) == len(names)


def test_line_numbers_are_one_based_and_skip_comments(tape: Tape) -> None:
    lines = by_line(tape)
    assert lines[2] == Command("Output", 2, path="demo.gif")
    assert lines[4] == Command("Require", 4, program="git")
    assert lines[len(EVERY_COMMAND.splitlines())].name == "Paste"
    assert 1 not in lines  # the comment line
    assert 5 not in lines  # the blank line


def test_settings_are_typed(tape: Tape) -> None:
    settings = tape.settings
    pattern = settings.pop("WaitPattern")
    assert pattern.pattern == r"\$ $"
    assert settings == {
        "Shell": "bash",
        "FontFamily": "JetBrains Mono",
        "FontSize": 22,
        "Framerate": 30,
        "PlaybackSpeed": 0.5,
        "Height": 600,
        "Width": 1200,
        "LetterSpacing": 1.5,
        "LineHeight": 1.2,
        "TypingSpeed": pytest.approx(0.075),
        "Theme": "Catppuccin Mocha",
        "Padding": 10,
        "Margin": 20,
        "MarginFill": "#6B50FF",
        "BorderRadius": 8,
        "WindowBar": "Colorful",
        "WindowBarSize": 40,
        "CursorBlink": False,
        "LoopOffset": LoopOffset(20.0, percent=True),
        "WaitTimeout": 60.0,
    }
    assert isinstance(settings["FontSize"], int)


def test_command_arguments(tape: Tape) -> None:
    c = {(cmd.name, cmd.line): cmd for cmd in tape}
    assert c["Output", 3].path == "frames/"
    assert c["Env", 28] == Command("Env", 28, variable="GREETING", text="hello world")
    assert c["Source", 29].path == "setup.tape"
    assert c["Type", 31] == Command("Type", 31, text="clear")
    assert c["Type", 33] == Command("Type", 33, speed=0.05, text='echo "hi"')
    assert c["Sleep", 34].seconds == 0.5
    assert c["Enter", 35] == Command("Enter", 35)
    assert c["Backspace", 36] == Command("Backspace", 36, speed=0.1, repeat=5)
    assert c["Left", 41] == Command("Left", 41, speed=1.0)
    assert c["Tab", 45] == Command("Tab", 45, speed=0.2, repeat=2)
    assert c["ScrollUp", 48].repeat == 2
    assert c["Ctrl", 50] == Command("Ctrl", 50, modifiers=("Ctrl",), key="C")
    assert c["Ctrl", 51].modifiers == ("Ctrl", "Shift") and c["Ctrl", 51].key == "A"
    assert c["Alt", 52].key == "Enter"
    assert c["Shift", 53].key == "Tab"
    assert c["Screenshot", 57].path == "shot.png"
    assert c["Copy", 58].text == "https://example.com"
    assert c["Paste", 59] == Command("Paste", 59)


def test_wait_forms(tape: Tape) -> None:
    bare, screen, line = [c for c in tape if c.name == "Wait"]
    assert (bare.scope, bare.timeout, bare.pattern) == ("Line", None, None)
    assert (screen.scope, screen.timeout) == ("Screen", 10.0)
    assert screen.pattern.search("all ready")
    assert line.scope == "Line" and line.pattern.search("12 files")


def test_theme_json_object_may_span_lines() -> None:
    tape = parse_tape(
        'Set Theme { "name": "Whimsy", "black": "#535178",\n'
        '  "background": "#29283b" }\n'
        "Enter\n"
    )
    assert tape.settings["Theme"] == {
        "name": "Whimsy", "black": "#535178", "background": "#29283b"
    }
    assert tape.commands[1] == Command("Enter", 3)


def test_several_commands_on_one_line() -> None:
    tape = parse_tape('Type "echo hello" Sleep 300ms Enter 2 Ctrl+L # done\n')
    assert [(c.name, c.line) for c in tape] == [
        ("Type", 1), ("Sleep", 1), ("Enter", 1), ("Ctrl", 1)
    ]
    assert tape.commands[2].repeat == 2


def test_comments_and_blank_lines_are_ignored() -> None:
    tape = parse_tape("\n# comment\n   \n\t# indented comment\nHide  # trailing\n\n")
    assert tape.commands == [Command("Hide", 5)]
    assert parse_tape("").commands == []
    assert parse_tape("# only a comment").commands == []


def test_crlf_line_endings() -> None:
    tape = parse_tape('Type "a"\r\nEnter 2\r\n')
    assert tape.commands == [Command("Type", 1, text="a"), Command("Enter", 2, repeat=2)]


# --- durations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("2s", 2.0),
        ("2", 2.0),
        (".5", 0.5),
        ("0.5", 0.5),
        ("1.5s", 1.5),
        ("100ms", 0.1),
        ("1m", 60.0),
        ("0", 0.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert parse_tape(f"Sleep {text}").commands[0].seconds == pytest.approx(seconds)
    assert parse_tape(f"Enter@{text}").commands[0].speed == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5 s", "-1s", "1h", "ms", "1.2.3", "2sec"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# --- strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ('Type "double \'quoted\' `x`"', "double 'quoted' `x`"),
        ("Type 'single \"quoted\" `x`'", 'single "quoted" `x`'),
        ("Type `back \"ticked\" 'x'`", "back \"ticked\" 'x'"),
        ('Type ""', ""),
        ('Type "# not a comment"', "# not a comment"),
        ('Type "  spaced  "', "  spaced  "),
        ('Type "a" \'b\' `c`', "abc"),  # consecutive strings join
        ('Type@10ms "x"', "x"),
    ],
)
def test_quoted_strings(source: str, text: str) -> None:
    assert parse_tape(source).commands[0].text == text


def test_quoted_arguments_elsewhere() -> None:
    tape = parse_tape(
        "Output 'out dir/demo.gif'\n"
        "Require `my tool`\n"
        "Env X 'a b'\n"
        "Copy `c`\n"
        "Set Shell 'zsh'\n"
    )
    assert [tape.commands[0].path, tape.commands[1].program] == ["out dir/demo.gif", "my tool"]
    assert tape.commands[2].text == "a b"
    assert tape.commands[3].text == "c"
    assert tape.settings["Shell"] == "zsh"


def test_output_path_starting_with_slash_is_not_a_regex() -> None:
    assert parse_tape("Output /tmp/demo.gif").commands[0].path == "/tmp/demo.gif"


# --- errors ----------------------------------------------------------------

BAD_LINES = [
    # (line that goes wrong, expected bit of the message)
    ("Tpye 'x'", "unknown command 'Tpye'"),
    ("enter", "unknown command 'enter'"),
    ("Sleep", "Sleep needs a duration like 500ms or 2s"),
    ("Sleep soon", "Sleep needs a duration like 500ms or 2s, got 'soon'"),
    ("Sleep@1s 2", "Sleep does not take an @time"),
    ("Set", "Set needs a setting"),
    ("Set Fontsize 12", "unknown setting 'Fontsize'"),
    ("Set FontSize", "FontSize needs a whole number"),
    ("Set FontSize big", "FontSize needs a whole number, got 'big'"),
    ("Set FontSize 12.5", "FontSize needs a whole number"),
    ("Set Width 0", "Width must be at least 1"),
    ("Set LineHeight tall", "LineHeight needs a number, got 'tall'"),
    ("Set PlaybackSpeed 0", "PlaybackSpeed must be greater than 0"),
    ("Set TypingSpeed fast", "TypingSpeed needs a duration"),
    ("Set WaitTimeout", "WaitTimeout needs a duration"),
    ("Set CursorBlink yes", "CursorBlink needs true or false"),
    ("Set LoopOffset lots", "LoopOffset needs a frame count or a percentage"),
    ("Set WaitPattern ready", "WaitPattern needs a /regex/"),
    ("Set Theme { name: 1 }", "invalid Theme JSON"),
    ("Set MarginFill #6B50FF", "MarginFill needs a value"),
    ('Type "no end', 'unterminated string: missing closing "'),
    ("Type 'no end", "unterminated string: missing closing '"),
    ("Type `no end", "unterminated string: missing closing `"),
    ("Type hello", "Type needs a quoted string"),
    ("Type", "Type needs a quoted string"),
    ("Type@fast 'x'", "bad time 'fast' after Type@"),
    ("Enter@ 2", "bad time '' after Enter@"),
    ("Enter 2.5", "repeat count must be a whole number, got '2.5'"),
    ("Enter -1", "repeat count must be a whole number"),
    ("Enter 0", "repeat count must be at least 1"),
    ("Enter+Screen", "Enter does not take '+Screen'"),
    ("Enter please", "unexpected 'please' after Enter"),
    ("Hide now", "unexpected 'now' after Hide"),
    ("Wait /(unclosed/", "invalid regex /(unclosed/"),
    ("Wait /no end", "unterminated regex"),
    ("Wait+Page", "Wait scope must be +Line or +Screen"),
    ("Wait@soon /x/", "bad time 'soon' after Wait@"),
    ("Wait ready", "unexpected 'ready' after Wait"),
    ("Ctrl", "Ctrl needs a key"),
    ("Ctrl+", "Ctrl+ needs a key"),
    ("Ctrl+Foo", "unknown key 'Foo' in Ctrl+Foo"),
    ("Alt+Shift", "unknown key 'Shift' in Alt+Shift"),
    ("Ctrl+Ctrl+C", "Ctrl appears twice"),
    ("Ctrl+C 3", "unexpected '3' after Ctrl"),
    ("Output", "Output needs a .gif"),
    ("Output demo.png", "Output needs a .gif, .mp4, .webm, .txt or .ascii path"),
    ("Screenshot shot.jpg", "Screenshot needs a .png path, got 'shot.jpg'"),
    ("Source other.txt", "Source needs a .tape path"),
    ("Require", "Require needs a program name"),
    ("Env GREETING", "Env needs a name and a value"),
    ("Env 1BAD 'x'", "Env name must be letters"),
    ("Copy", "Copy needs a string"),
    ('Sleep 1 Type "x" Bogus', "unexpected 'Bogus' after Type"),
]


@pytest.mark.parametrize(("bad", "problem"), BAD_LINES)
def test_bad_line_reports_source_line_and_problem(bad: str, problem: str) -> None:
    # Put the bad line at line 4, after good lines, a comment and a blank.
    text = f"Output demo.gif\n# comment\n\n{bad}\nEnter\n"
    with pytest.raises(TapeError) as info:
        parse_tape(text, "demo.tape")
    error = info.value
    assert str(error).startswith("demo.tape:4: ")
    assert problem in str(error)
    assert (error.source, error.line) == ("demo.tape", 4)
    assert isinstance(error, ValueError)


def test_unknown_command_message_is_exact() -> None:
    text = "\n".join(["Hide"] * 6 + ["Tpye 'x'"])
    with pytest.raises(TapeError, match=r"^demo\.tape:7: unknown command 'Tpye'$"):
        parse_tape(text, "demo.tape")


def test_sleep_message_is_exact() -> None:
    with pytest.raises(TapeError, match=r"^demo\.tape:3: Sleep needs a duration like 500ms or 2s$"):
        parse_tape("Hide\nShow\nSleep\n", "demo.tape")


def test_default_source_name() -> None:
    with pytest.raises(TapeError, match=r"^<tape>:1: "):
        parse_tape("Nope")


def test_load_tape(tmp_path) -> None:
    path = tmp_path / "demo.tape"
    path.write_text('Type "hi"\nEnter\n', encoding="utf-8")
    tape = load_tape(path)
    assert tape.commands == [Command("Type", 1, text="hi"), Command("Enter", 2)]
    assert tape.source == str(path)

    path.write_text("Enter\nSleep\n", encoding="utf-8")
    with pytest.raises(TapeError, match=rf"^{re.escape(str(path))}:2: Sleep needs"):
        load_tape(str(path))


# --- key names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "keys"),
    [
        ("Enter", ["enter"]),
        ("Enter 3", ["enter"] * 3),
        ("Space", ["space"]),
        ("Backspace@100ms 2", ["backspace", "backspace"]),
        ("Delete", ["delete"]),
        ("Insert", ["insert"]),
        ("Tab", ["tab"]),
        ("Escape", ["escape"]),
        ("Up", ["up"]),
        ("Down", ["down"]),
        ("Left", ["left"]),
        ("Right", ["right"]),
        ("PageUp", ["pageup"]),
        ("PageDown 2", ["pagedown", "pagedown"]),
        ("Ctrl+C", ["ctrl+c"]),
        ("Ctrl+c", ["ctrl+c"]),
        ("Ctrl+Shift+A", ["ctrl+shift+a"]),
        ("Ctrl+Alt+X", ["alt+ctrl+x"]),  # Textual sorts modifiers
        ("Ctrl+Shift+Right", ["ctrl+shift+right"]),
        ("Ctrl+\\", ["ctrl+backslash"]),
        ("Ctrl+]", ["ctrl+right_square_bracket"]),
        ("Alt+Enter", ["alt+enter"]),
        ("Alt+b", ["alt+b"]),
        ("Alt+B", ["alt+shift+b"]),
        ("Alt+.", ["alt+full_stop"]),
        ("Alt++", ["alt+plus"]),
        ("Shift+Tab", ["shift+tab"]),
        ("Shift+a", ["A"]),
        ("Shift+A", ["A"]),
        ("Shift+Enter", ["shift+enter"]),
        ("Type 'a B1'", ["a", "space", "B", "1"]),
        ("Sleep 1", []),
        ("ScrollUp 2", []),
        ("Wait", []),
        ("Set FontSize 10", []),
        ("Paste", []),
    ],
)
def test_keys(line: str, keys: list[str]) -> None:
    command = parse_tape(line).commands[0]
    assert command.keys() == keys
    assert command_keys(command) == keys


@pytest.mark.parametrize(
    ("char", "key"),
    [
        ("a", "a"), ("Z", "Z"), ("7", "7"), (" ", "space"), ("\t", "tab"),
        (".", "full_stop"), ("+", "plus"), ("-", "minus"), ("?", "question_mark"),
        ("/", "slash"), ("\\", "backslash"), ("_", "underscore"), (":", "colon"),
        (",", "comma"), ("=", "equals_sign"), ("*", "asterisk"), ("@", "at"),
        ('"', "quotation_mark"), ("'", "apostrophe"), ("(", "left_parenthesis"),
        (")", "right_parenthesis"), ("[", "left_square_bracket"),
        ("]", "right_square_bracket"), ("{", "left_curly_bracket"),
        ("$", "dollar_sign"), ("~", "tilde"), ("|", "vertical_line"),
        ("é", "é"),
    ],
)
def test_char_key(char: str, key: str) -> None:
    assert char_key(char) == key


def test_char_key_matches_textual_for_printable_ascii() -> None:
    keys = pytest.importorskip("textual.keys")
    for char in string.printable:
        if char in "\n\r\x0b\x0c":  # not typeable in a one-line Type string
            continue
        assert char_key(char) == keys._character_to_key(char), repr(char)


def test_pilot_types_a_tape_string_into_an_input() -> None:
    """The names from keys() really type the characters through a Pilot."""
    pytest.importorskip("textual")
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    typed = """echo "a+b=c" | grep -E '^[x_y]*' {1,2} ~/path.txt; ok? #!@$%^&()"""
    command = parse_tape(f"Type `{typed}`").commands[0]

    class Typer(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    async def run() -> str:
        app = Typer()
        async with app.run_test() as pilot:
            await pilot.press(*command.keys())
            return app.query_one(Input).value

    assert asyncio.run(run()) == typed
