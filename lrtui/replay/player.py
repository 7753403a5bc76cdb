"""`lrtui replay`: play a VHS tape against the app, headless, through Textual's Pilot.

The tape is the same file VHS renders into a GIF, so a demo that no longer
works fails here, in a test, instead of in front of a class.

How a tape maps onto the app:

* The launch line (`Type "lrtui --lr 0.001 ..."` then `Enter`, usually
  inside `Hide`) is not typed: its arguments are parsed by the command line's
  own parser into Settings, and the app starts with them. Shell lines before
  it (`clear`, `cd ...`) are skipped.
* `Type` and key commands are pressed one key at a time; typing speed is
  ignored.
* `Sleep` lets the app work for that long, capped (default 2 s): a replay
  needs the states, not the real-time pacing.
* `Wait[+Screen|+Line][@timeout] /regex/` polls the screen's text until the
  regex matches, bounded by the timeout (`Set WaitTimeout`, VHS's 15 s by
  default). The app has no prompt line, so `+Line` matches any single line.
* `Screenshot PATH.png` writes PATH.svg (in --svg-dir if given); with
  --svg-dir, a frame is also written after every Sleep outside `Hide`.
* The terminal size comes from `Set Width/Height/FontSize/Padding/LineHeight`
  (see `terminal_size`), unless given.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.app.textual_internals import screen_text
from lrtui.replay.tape import Command, Tape, TapeError, load_tape
from lrtui.settings.fields import SettingError, Settings
from lrtui.settings.options import OneLineParser, add_app_options, add_options, settings_from

# VHS's defaults, for a tape that does not set them.
VHS_DEFAULTS = {"Width": 1200, "Height": 600, "FontSize": 22, "Padding": 60,
                "LineHeight": 1.0, "WaitTimeout": 15.0}
VHS_WAIT_PATTERN = re.compile(r">$")
# A monospace cell is about 0.6 em wide; a terminal row about 1.2 em high.
CELL_WIDTH_EM = 0.6
CELL_HEIGHT_EM = 1.2
MIN_SIZE = (40, 12)
SLEEP_CAP = 2.0
POLL = 0.05


class ReplayError(Exception):
    """The tape cannot be played, or the app never reached a state the tape waits for."""


@dataclass(frozen=True)
class Scene:
    """What the app showed at one point of the tape (after a Wait, Sleep or Screenshot)."""

    line: int
    command: str
    state: str  # the run's state, e.g. "running", "diverged"
    step: int
    learning_rate: float
    loss: float
    text: str  # the screen as plain text
    svg: Path | None = None


@dataclass
class Replay:
    """The outcome of a replay: the settings it launched with and the scenes it saw."""

    settings: Settings
    size: tuple[int, int]
    scenes: list[Scene] = field(default_factory=list)

    @property
    def svgs(self) -> list[Path]:
        return [scene.svg for scene in self.scenes if scene.svg is not None]


def terminal_size(tape_settings: dict) -> tuple[int, int]:
    """Columns and rows for the tape's pixel size.

    columns = (Width − 2·Padding) / (0.6·FontSize)
    rows    = (Height − 2·Padding) / (1.2·FontSize·LineHeight)
    e.g. Width 1200, Height 760, FontSize 14, Padding 60 → 128×38.
    """
    s = {**VHS_DEFAULTS, **tape_settings}
    font = float(s["FontSize"])
    width = float(s["Width"]) - 2 * float(s["Padding"])
    height = float(s["Height"]) - 2 * float(s["Padding"])
    columns = int(width / (CELL_WIDTH_EM * font))
    rows = int(height / (CELL_HEIGHT_EM * font * float(s["LineHeight"])))
    return max(MIN_SIZE[0], columns), max(MIN_SIZE[1], rows)


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not match:
        raise ValueError(f"size '{text}': use COLUMNSxROWS, e.g. 120x40")
    columns, rows = int(match.group(1)), int(match.group(2))
    if columns < MIN_SIZE[0] or rows < MIN_SIZE[1] or columns > 1000 or rows > 500:
        raise ValueError(f"size '{text}': use {MIN_SIZE[0]}x{MIN_SIZE[1]} to 1000x500")
    return columns, rows


@dataclass(frozen=True)
class Launch:
    """Where the app starts in the tape, and with what settings."""

    index: int  # the first command played against the app
    settings: Settings
    fps: float
    load: str | None = None  # a run file to open, if the launch line names one


def find_launch(tape: Tape, default: Settings | None = None) -> Launch:
    """The `lrtui ...` line typed and entered; without one the app starts at the top."""
    typed = ""
    for index, command in enumerate(tape.commands):
        if command.name == "Type":
            typed += command.text or ""
        elif command.name == "Enter" and not command.modifiers:
            words = _split(typed, command)
            if words and Path(words[0]).name == "lrtui":
                return _launch_from(words[1:], index + 1, command)
            typed = ""
        elif command.keys():  # another key: the shell line is not what it seemed
            typed = ""
    return Launch(0, default or Settings(), 15.0)


def _split(line: str, command: Command) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise ReplayError(f"line {command.line}: cannot read the typed line {line!r}: {error}") from None


def _launch_parser() -> argparse.ArgumentParser:
    """The app's own options; a subcommand word is caught to say replay cannot play it."""
    parser = OneLineParser(prog="lrtui")
    add_options(parser)
    add_app_options(parser)
    parser.add_argument("command", nargs="?")
    return parser


def _launch_from(argv: list[str], index: int, command: Command) -> Launch:
    # argparse reports a bad option by printing it and exiting: keep the message instead.
    printed = io.StringIO()
    try:
        with contextlib.redirect_stderr(printed), contextlib.redirect_stdout(printed):
            args = _launch_parser().parse_args(argv)
    except SystemExit:
        raise ReplayError(f"line {command.line}: the launch line 'lrtui {' '.join(argv)}': "
                          f"{printed.getvalue().strip() or 'exits'}") from None
    if args.command is not None:
        raise ReplayError(f"line {command.line}: replay drives the app, not 'lrtui {args.command}'")
    try:
        settings = settings_from(args)
    except SettingError as error:
        raise ReplayError(f"line {command.line}: {error}") from None
    return Launch(index, settings, args.fps, getattr(args, "load", None))


class _Player:
    def __init__(self, app, pilot, tape: Tape, replay: Replay, svg_dir: Path | None,
                 sleep_cap: float, say):
        self.app, self.pilot, self.tape, self.replay = app, pilot, tape, replay
        self.svg_dir = svg_dir
        self.sleep_cap = sleep_cap
        self.say = say
        self.settings = dict(tape.settings)  # updated as Set commands go by
        self.hidden = False
        self.clipboard = ""
        self.frames = 0

    async def play(self, commands: list[Command]) -> None:
        for command in commands:
            if self.app.return_code is not None:  # the tape quit the app
                return
            await self.do(command)

    async def do(self, command: Command) -> None:
        name = command.name
        if name == "Set":
            self.settings[command.setting] = command.value
        elif name in ("Hide", "Show"):
            self.hidden = name == "Hide"
        elif name == "Sleep":
            await self.pilot.pause(min(command.seconds or 0.0, self.sleep_cap))
            if self.svg_dir is not None and not self.hidden:
                await self._scene(command, self._frame_name(command))
        elif name == "Wait":
            await self._wait(command)
        elif name == "Screenshot":
            await self._scene(command, Path(command.path).with_suffix(".svg"))
        elif name == "Copy":
            self.clipboard = command.text or ""
        elif name == "Paste":
            await self._press([k for c in self.clipboard for k in Command("Type", 0, text=c).keys()])
        else:
            await self._press(command.keys())  # Type, keys, combos; Output/Env/Require: nothing

    async def _press(self, keys: list[str]) -> None:
        for key in keys:
            if self.app.return_code is not None:
                return
            await self.pilot.press(key)

    def _frame_name(self, command: Command) -> Path:
        self.frames += 1
        return Path(f"{self.frames:03d}-line{command.line}.svg")

    async def _wait(self, command: Command) -> None:
        pattern = command.pattern or self.settings.get("WaitPattern") or VHS_WAIT_PATTERN
        timeout = command.timeout or float(self.settings.get("WaitTimeout",
                                                             VHS_DEFAULTS["WaitTimeout"]))
        started = time.monotonic()
        while True:
            text = screen_text(self.app)
            lines = text.splitlines() if command.scope == "Line" else [text]
            if any(pattern.search(line) for line in lines):
                break
            if time.monotonic() - started > timeout:
                raise ReplayError(f"line {command.line}: /{pattern.pattern}/ not on the screen "
                                  f"after {timeout:g} s; the app is {self._state()}")
            await self.pilot.pause(POLL)
        self.say(f"line {command.line}: /{pattern.pattern}/ after {time.monotonic() - started:.1f} s")
        await self._scene(command, None)

    def _state(self) -> str:
        snap = self.app.snapshot
        return "starting" if snap is None else snap.state.value

    async def _scene(self, command: Command, svg: Path | None) -> None:
        await self.pilot.pause()  # let the last frame reach the screen
        path = None
        if svg is not None:
            folder = self.svg_dir if self.svg_dir is not None else Path(".")
            path = folder / svg
            path.parent.mkdir(parents=True, exist_ok=True)
            self.app.save_screenshot(filename=path.name, path=str(path.parent))
            self.say(f"line {command.line}: wrote {path}")
        snap = self.app.snapshot
        self.replay.scenes.append(Scene(
            command.line, command.name, self._state(),
            snap.step if snap else 0, snap.learning_rate if snap else float("nan"),
            snap.loss if snap else float("nan"), screen_text(self.app), path))


async def replay_tape(tape: Tape, *, size: tuple[int, int] | None = None,
                      svg_dir: str | Path | None = None, sleep_cap: float = SLEEP_CAP,
                      settings: Settings | None = None, say=lambda text: None) -> Replay:
    """Play `tape` against a headless LrApp and return the scenes it showed."""
    from lrtui.app.app import LrApp

    tape = _with_sources(tape)
    launch = find_launch(tape, settings)
    size = size or terminal_size(tape.settings)
    replay = Replay(launch.settings, size)
    run_file = None
    if launch.load:
        from lrtui.engine.runfile import RunFileError, read_run_file

        try:
            run_file = read_run_file(launch.load)
        except RunFileError as error:
            raise ReplayError(f"the launch line's --load: {error}") from None
    app = LrApp(launch.settings, fps=launch.fps, run_file=run_file)
    folder = Path(svg_dir) if svg_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    say(f"{tape.source}: {size[0]}x{size[1]}, lr {launch.settings.learning_rate:g}")
    async with app.run_test(size=size) as pilot:
        player = _Player(app, pilot, tape, replay, folder, sleep_cap, say)
        for command in tape.commands[:launch.index]:  # the shell part: only Set/Hide matter
            if command.name in ("Set", "Hide", "Show"):
                await player.do(command)
        await player.play(tape.commands[launch.index:])
        if app.return_code is None:
            await app.action_quit()
    return replay


def _with_sources(tape: Tape, depth: int = 0) -> Tape:
    """Inline `Source other.tape` commands (paths relative to the tape's folder)."""
    if not any(c.name == "Source" for c in tape.commands):
        return tape
    if depth > 8:
        raise ReplayError(f"{tape.source}: Source nested more than 8 deep")
    base = Path(tape.source).parent
    commands: list[Command] = []
    for command in tape.commands:
        if command.name != "Source":
            commands.append(command)
            continue
        try:
            inner = load_tape(base / command.path)
        except OSError as error:
            raise ReplayError(f"line {command.line}: Source {command.path}: {error.strerror}") from None
        commands.extend(_with_sources(inner, depth + 1).commands)
    return Tape(commands, tape.source)


def run_replay(path: str, svg_dir: str | None, size: str | None, sleep_cap: float) -> int:
    """The `lrtui replay` command: 0 if the whole tape played, 1 if not, 2 for a bad tape."""
    import asyncio
    import sys

    from lrtui.engine.startup import quiet_stderr

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        tape = load_tape(path)
        chosen = parse_size(size) if size else None
    except (OSError, TapeError, ValueError) as error:
        print(f"lrtui replay: error: {getattr(error, 'strerror', None) or error}"
              + (f": {path}" if isinstance(error, OSError) else ""), file=sys.stderr)
        return 2
    try:
        with quiet_stderr():
            replay = asyncio.run(replay_tape(tape, size=chosen, svg_dir=svg_dir,
                                             sleep_cap=sleep_cap, say=say))
    except (ReplayError, TapeError) as error:
        print(f"lrtui replay: {path}: {error}", file=sys.stderr)
        return 1
    say(f"played {len(tape)} commands: {len(replay.scenes)} scenes, {len(replay.svgs)} SVGs")
    return 0
