"""Command line: `lrtui` starts the app, `lrtui run` trains headless; same options for both."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from lrtui import __version__
from lrtui.commands.compare import add_compare_parser, run_compare_command
from lrtui.commands.headless import entry, exit_now, headless_command
from lrtui.commands.map import add_map_parser, run_map
from lrtui.commands.watch import add_watch_parser, run_watch
from lrtui.settings.fields import SettingError, Settings
from lrtui.settings.options import OneLineParser, add_app_options, add_options, settings_from, typed
from lrtui.settings.presets import preset_values


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="lrtui", description="Watch the learning rate at work: gradient descent "
                     "fitting y = w·x + b, live in the terminal.")
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    add_options(parser)
    add_app_options(parser)
    commands = parser.add_subparsers(dest="command",
                                     metavar="{run,find-lr,compare,map,replay,serve,watch,recover}")
    run = commands.add_parser("run", help="train without the UI and print the step log",
                              description="Train without the UI and print the step log.")
    add_options(run, defaults=False, headless=True)
    run.add_argument("--format", choices=("table", "csv", "jsonl"), default="table",
                     help="how to print the log (default %(default)s)")
    run.add_argument("--save", metavar="RUN.json",
                     help="save the run at the end; `lrtui --load RUN.json` reopens it")
    run.error = parser.error  # type: ignore[method-assign]
    compare = add_compare_parser(commands)
    compare.error = parser.error  # type: ignore[method-assign]
    lane_map = add_map_parser(commands)
    lane_map.error = parser.error  # type: ignore[method-assign]
    _add_replay(commands)
    serve = commands.add_parser(
        "serve", help="serve the app to a web browser on 127.0.0.1 (no authentication)",
        description="Serve the app through textual-serve on 127.0.0.1 only. It has no "
        "authentication: from another machine, tunnel it with ssh -L PORT:127.0.0.1:PORT.")
    add_options(serve, defaults=False)
    serve.add_argument("--port", type=_port, default=8000, help="default %(default)s")
    serve.error = parser.error  # type: ignore[method-assign]
    _add_find_lr(commands, parser)
    add_watch_parser(commands).error = parser.error  # type: ignore[method-assign]
    commands.add_parser("recover", help="list the runs saved on a hang-up or a kill, newest first",
                        description="List the recovery runs (saved on SIGHUP or SIGTERM), newest "
                        "first, each with the command that reopens it.")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (1 to 65535)")
    return int(text)


def _add_replay(commands) -> None:
    replay = commands.add_parser(
        "replay", help="play a VHS tape against the app headless, writing SVG frames",
        description="Play a VHS .tape against the app headless (Textual's Pilot); "
        "exit 1 if the screen never shows what a Wait expects.")
    replay.add_argument("tape", metavar="FILE.tape")
    replay.add_argument("--svg-dir", metavar="DIR", help="write an SVG after every Sleep here "
                        "(Screenshot commands write theirs here too)")
    replay.add_argument("--size", metavar="COLSxROWS",
                        help="terminal size; default: from the tape's Set Width/Height/FontSize")
    replay.add_argument("--sleep-cap", type=float, default=2.0, metavar="SECONDS",
                        help="longest Sleep honoured (default %(default)s)")


def _add_find_lr(commands, parser: argparse.ArgumentParser) -> None:
    """`lrtui find-lr`: the LR range test, with the run's options plus the sweep's."""
    find = commands.add_parser(
        "find-lr", help="the LR range test: loss against an lr raised every step",
        description="Raise the lr exponentially from --start to --end over --num steps from "
        "the initial weights, print (lr, loss, smoothed loss) and fastai's suggestions.")
    add_options(find, defaults=False, skip=("no_stop",), headless=True)  # the sweep has its own stop
    find.add_argument("--start", type=typed("learning_rate"), default=1e-7,
                      help="first lr of the sweep (default %(default)s)")
    find.add_argument("--end", type=typed("learning_rate"), default=10.0,
                      help="the lr the sweep heads for (default %(default)s)")
    find.add_argument("--num", type=typed("sweep_steps"), default=100,
                      help="steps of the sweep (default %(default)s)")
    find.add_argument("--format", choices=("table", "csv", "jsonl"), default="table",
                      help="how to print the sweep (default %(default)s)")
    find.error = parser.error  # type: ignore[method-assign]


# Flags people bring from Keras and other tools, and lrtui's own word for each.
NAMES_ELSEWHERE = {"--learning-rate": "--lr", "--learning_rate": "--lr", "--epochs": "--steps",
                   "--batch": "--batch-size", "--batch_size": "--batch-size"}


def refuse_unknown_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """An unknown option before any command: say so, with the nearest real one.

    Without this, argparse takes the unknown flag's value for the command and answers
    "invalid choice: '0.01'" to `lrtui --learning-rate 0.01`.
    """
    known = {flag for action in parser._actions for flag in action.option_strings}
    commands = next((set(action.choices) for action in parser._actions
                     if isinstance(action, argparse._SubParsersAction)), set())
    for token in argv:
        if token in commands or token == "--":
            return  # the command's own parser judges what follows it
        flag = token.split("=", 1)[0]
        # A prefix of a real flag is argparse's to judge (--step for --steps).
        if flag.startswith("--") and not any(k.startswith(flag) for k in known):
            near = NAMES_ELSEWHERE.get(flag) or next(
                iter(difflib.get_close_matches(flag, sorted(known), n=1, cutoff=0.5)), None)
            hint = f" (did you mean {near}?)" if near else ""
            parser.error(f"unrecognized option {flag}{hint}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    refuse_unknown_options(parser, argv)
    args = parser.parse_args(argv)
    if args.command == "watch":  # a Keras training: none of the line's options apply
        return run_watch(args, open_viewer=_open_watch_viewer)
    defaults: dict[str, object] = {}
    if args.config:
        from lrtui.settings.config_file import read_config

        try:
            defaults = read_config(args.config)
        except SettingError as error:
            parser.error(str(error))
    # A preset (from a flag or the file) comes first, the file's values over it, flags over both.
    defaults = {**preset_values(args.preset or defaults.get("preset")), **defaults}
    if defaults:
        parser.set_defaults(**defaults)
        args = parser.parse_args(argv)  # the file's and the preset's values are defaults: flags win
    try:
        settings = settings_from(args)
    except SettingError as error:
        parser.error(str(error))
    if args.command == "recover" or args.load == "":
        from lrtui.commands.recover import list_recoveries

        return list_recoveries()
    if args.command == "compare":
        return run_compare_command(args, settings, parser)
    if args.command == "map":
        return run_map(args)
    if args.command == "serve":
        from lrtui.commands.serve import serve

        return serve(settings, args.port, fps=args.fps, load=args.load)
    if args.command == "replay":
        from lrtui.replay.player import run_replay

        return run_replay(args.tape, args.svg_dir, args.size, args.sleep_cap)
    if args.command == "find-lr":
        if args.start >= args.end:
            parser.error(f"--start {args.start:g} must be below --end {args.end:g}")
        return headless_command(lambda: _find_lr(settings, args))
    if args.command == "run":
        save = getattr(args, "save", None)
        if save and not Path(save).resolve().parent.is_dir():
            parser.error(f"--save: no folder {Path(save).parent} to save {Path(save).name} in")
        return headless_command(lambda: _run(settings, args.format, save))
    if args.fps <= 0 or args.fps > 120:
        parser.error("--fps: use a number from 0.5 to 120")
    run_file = None
    if args.load:
        from lrtui.engine.runfile import RunFileError, read_run_file

        try:
            run_file = read_run_file(args.load)
            run_file.dataset()  # a changed or missing data set is refused here, before the UI
        except (RunFileError, ValueError) as error:
            print(f"lrtui: error: {error}", file=sys.stderr)
            return 2
    from lrtui.app.runner import run_app

    exit_now(run_app(settings, fps=args.fps, mouse=not args.no_mouse, run_file=run_file))


def _open_watch_viewer(channel, args: argparse.Namespace) -> int:
    from lrtui.app.watch_app import run_watch_app

    return run_watch_app(channel, fps=args.fps, mouse=not args.no_mouse)


def program() -> None:
    """The `lrtui` program: main() through the one way a command ends (lrtui.commands.headless)."""
    entry(main)


def _find_lr(settings: Settings, args: argparse.Namespace) -> int:
    from lrtui.commands.find_lr import run_find_lr

    return run_find_lr(settings, args.start, args.end, args.num, args.format)


def _run(settings: Settings, format: str, save: str | None) -> int:
    from lrtui.commands.run import run_headless

    try:
        return run_headless(settings, format, save=save)
    except BrokenPipeError:
        raise  # the reader left (`lrtui run | head`): not a save that failed
    except OSError as error:
        print(f"lrtui: error: cannot save the run to {save}: {error.strerror or error}",
              file=sys.stderr)
        return 2
