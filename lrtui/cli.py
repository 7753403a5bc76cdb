"""Command line: `lrtui` starts the app, `lrtui run` trains headless; same options for both."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lrtui import __version__
from lrtui.compare_cli import add_compare_parser, run_compare_command
from lrtui.config import PARSERS, SPEEDS, Settings, SettingError, check

DEFAULTS = Settings()

# (flag, field, help); every one is parsed by the same parser as the pane's field.
OPTIONS = (
    ("--lr", "learning_rate", "learning rate (default %(default)s)"),
    ("--steps", "steps", "step budget; space continues for another (default %(default)s)"),
    ("--init-w", "init_w", "initial w (default %(default)s)"),
    ("--init-b", "init_b", "initial b (default %(default)s)"),
    ("--n", "n", "number of points (default %(default)s)"),
    ("--noise", "noise", "std of the Gaussian noise (default %(default)s)"),
    ("--seed", "seed", "seed of the data (default %(default)s)"),
    ("--true-w", "true_w", "w of the line the points come from (default %(default)s)"),
    ("--true-b", "true_b", "b of the line the points come from (default %(default)s)"),
    ("--x-min", "x_min", "smallest x (default %(default)s)"),
    ("--x-max", "x_max", "largest x (default %(default)s)"),
    ("--log-every", "log_every", "log a step every this many (default %(default)s)"),
    ("--speed", "speed", f"steps per second: {', '.join(SPEEDS)} (default %(default)s)"),
    ("--device", "device", "auto, cpu, gpu or a name like /GPU:1 (default %(default)s)"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2: scripts read it easily
        self.exit(2, f"{self.prog}: error: {message}\n")


def _typed(field: str):
    def parse(text: str):
        try:
            return PARSERS[field](text)
        except SettingError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    parse.__name__ = field
    return parse


def _add_options(parser: argparse.ArgumentParser, defaults: bool = True, skip=()) -> None:
    """The run's options; a subcommand's copy has no defaults, so `lrtui --lr 1 run` keeps 1."""
    def default(field):
        return getattr(DEFAULTS, field) if defaults else argparse.SUPPRESS

    def shown(help, field):  # a suppressed default cannot fill %(default)s: --help would fail
        return help if defaults else help.replace("%(default)s", str(getattr(DEFAULTS, field)))

    for flag, field, help in OPTIONS:
        if field in skip:
            continue
        parser.add_argument(flag, dest=field, type=_typed(field), default=default(field),
                            help=shown(help, field))
    parser.add_argument("--data", metavar="FILE.csv", default=default("data"),
                        help="fit the x,y columns of a CSV file instead of generated points")
    parser.add_argument("--theme", default=default("theme"),
                        help=shown("a theme name (see themes/) or a theme file (default %(default)s)",
                                   "theme"))
    parser.add_argument("--config", metavar="FILE.toml", default=None if defaults else argparse.SUPPRESS,
                        help="take the options from a TOML file; flags given here override it")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lrtui", description="Watch the learning rate at work: gradient descent "
                     "fitting y = w·x + b, live in the terminal.")
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    _add_options(parser)
    parser.add_argument("--fps", type=float, default=15.0, help="plot redraws per second at most "
                        "(lower it on slow links; default %(default)s)")
    parser.add_argument("--no-mouse", action="store_true",
                        help="ignore the mouse (saves traffic on slow links)")
    parser.add_argument("--load", metavar="RUN.json", help="reopen a saved run (key e saves one), "
                        "paused at its last step; its settings replace the options")
    commands = parser.add_subparsers(dest="command", metavar="{run,compare,replay,serve}")
    run = commands.add_parser("run", help="train without the UI and print the step log",
                              description="Train without the UI and print the step log.")
    _add_options(run, defaults=False)
    run.add_argument("--format", choices=("table", "csv", "jsonl"), default="table",
                     help="how to print the log (default %(default)s)")
    run.add_argument("--save", metavar="RUN.json",
                     help="save the run at the end; `lrtui --load RUN.json` reopens it")
    run.error = parser.error  # type: ignore[method-assign]
    compare = add_compare_parser(commands, _add_options, _typed)
    compare.error = parser.error  # type: ignore[method-assign]
    _add_replay(commands)
    serve = commands.add_parser(
        "serve", help="serve the app to a web browser on 127.0.0.1 (no authentication)",
        description="Serve the app through textual-serve on 127.0.0.1 only. It has no "
        "authentication: from another machine, tunnel it with ssh -L PORT:127.0.0.1:PORT.")
    _add_options(serve, defaults=False)
    serve.add_argument("--port", type=_port, default=8000, help="default %(default)s")
    serve.error = parser.error  # type: ignore[method-assign]
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


def settings_from(args: argparse.Namespace) -> Settings:
    names = [field for _, field, _ in OPTIONS] + ["data", "theme"]
    return check(Settings(**{name: getattr(args, name) for name in names}))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config:
        from lrtui.config_file import read_config

        try:
            parser.set_defaults(**read_config(args.config))
        except SettingError as error:
            parser.error(str(error))
        args = parser.parse_args(argv)  # the file's values are now defaults: flags win
    try:
        settings = settings_from(args)
    except SettingError as error:
        parser.error(str(error))
    if args.command == "compare":
        return run_compare_command(args, settings, parser)
    if args.command == "serve":
        from lrtui.serve import serve

        return serve(settings, args.port, fps=args.fps, load=args.load)
    if args.command == "replay":
        from lrtui.replay import run_replay

        return run_replay(args.tape, args.svg_dir, args.size, args.sleep_cap)
    if args.command == "run":
        from lrtui.engine.data import DataError
        from lrtui.headless import run_headless
        from lrtui.tfload import TensorFlowMissing

        save = getattr(args, "save", None)
        if save and not Path(save).resolve().parent.is_dir():
            parser.error(f"--save: no folder {Path(save).parent} to save {Path(save).name} in")
        try:
            return run_headless(settings, args.format, save=save)
        except OSError as error:
            print(f"lrtui: error: cannot save the run to {save}: {error.strerror or error}",
                  file=sys.stderr)
            return 2
        except (DataError, TensorFlowMissing) as error:
            print(f"lrtui: error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
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
    from lrtui.screen import exit_now, run_app

    exit_now(run_app(settings, fps=args.fps, mouse=not args.no_mouse, run_file=run_file))
