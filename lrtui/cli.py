"""Command line: `lrtui` starts the app, `lrtui run` trains headless; same options for both."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lrtui import __version__
from lrtui.compare_cli import add_compare_parser, run_compare_command
from lrtui.config import (OPTIMIZERS, PARSERS, SCHEDULES, SPEEDS, Settings, SettingError, as_text,
                          check)
from lrtui.headless_exit import headless_command

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
    ("--optimizer", "optimizer", f"{', '.join(OPTIMIZERS)} (default %(default)s)"),
    ("--momentum", "momentum", "μ of momentum and nesterov (default %(default)s)"),
    ("--beta-1", "beta_1", "β1 of adam (default %(default)s)"),
    ("--beta-2", "beta_2", "β2 of adam (default %(default)s)"),
    ("--rho", "rho", "ρ of rmsprop (default %(default)s)"),
    ("--epsilon", "epsilon", "ε of rmsprop, adagrad, adam (default %(default)s)"),
    ("--schedule", "schedule", f"lr schedule: {', '.join(SCHEDULES)} (default %(default)s)"),
    ("--decay-steps", "decay_steps", "exponential, inverse_time, cosine: steps of one decay "
     "(default %(default)s)"),
    ("--decay-rate", "decay_rate", "step, plateau: factor per drop; exponential, inverse_time: "
     "rate per decay-steps (default %(default)s)"),
    ("--staircase", "staircase", "exponential, inverse_time: decay in whole steps, yes/no "
     "(default no)"),
    ("--boundaries", "boundaries", "step: the steps where the lr drops, e.g. 100,150 "
     "(default 100,150)"),
    ("--warmup-steps", "warmup_steps", "cosine: steps of linear warmup from 0 (default %(default)s)"),
    ("--alpha", "alpha", "cosine: the final lr as a fraction of lr (default %(default)s)"),
    ("--cycle-steps", "cycle_steps", "cyclic: steps from low to high (default %(default)s)"),
    ("--cycle-ratio", "cycle_ratio", "cyclic: the high lr as a multiple of lr (default %(default)s)"),
    ("--patience", "patience", "plateau: steps without improvement before a drop "
     "(default %(default)s)"),
    ("--min-delta", "min_delta", "plateau: relative improvement that counts (default %(default)s)"),
    ("--batch-size", "batch_size", "points per step, or full (default full)"),
    ("--no-stop", "no_stop", "train through divergence for the whole budget, as the lesson's "
     "loop does: the loss and weights overflow to inf, then NaN (default: stop at a loss "
     "1e12× its start)"),
)
# Options that are switches: the flag alone turns them on.
SWITCHES = ("no_stop",)


def option_words(flag: str, field: str, value) -> list[str]:
    """The command-line words that set `field` to `value` (for child processes and hints)."""
    if field in SWITCHES:
        return [flag] if value else []
    return [flag, repr(value) if isinstance(value, float) else str(value)]


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
        if field in SWITCHES:
            parser.add_argument(flag, dest=field, action="store_true", default=default(field),
                                help=help)
            continue
        # A suppressed default has no %(default)s to show: write the value in.
        help = help.replace("%(default)s", as_text(field, getattr(DEFAULTS, field)))
        parser.add_argument(flag, dest=field, type=_typed(field), default=default(field), help=help)
    parser.add_argument("--data", metavar="FILE.csv", default=default("data"),
                        help="fit the x,y columns of a CSV file instead of generated points")
    parser.add_argument("--theme", default=default("theme"),
                        help=f"a theme name (see themes/) or a theme file (default {DEFAULTS.theme})")
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
    commands = parser.add_subparsers(dest="command", metavar="{run,find-lr,compare,replay,serve}")
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
    _add_find_lr(commands, parser)
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
    _add_options(find, defaults=False, skip=("no_stop",))  # the sweep has its own stop
    find.add_argument("--start", type=_typed("learning_rate"), default=1e-7,
                      help="first lr of the sweep (default %(default)s)")
    find.add_argument("--end", type=_typed("learning_rate"), default=10.0,
                      help="the lr the sweep heads for (default %(default)s)")
    find.add_argument("--num", type=_typed("sweep_steps"), default=100,
                      help="steps of the sweep (default %(default)s)")
    find.add_argument("--format", choices=("table", "csv", "jsonl"), default="table",
                      help="how to print the sweep (default %(default)s)")
    find.error = parser.error  # type: ignore[method-assign]


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
    from lrtui.screen import exit_now, run_app

    exit_now(run_app(settings, fps=args.fps, mouse=not args.no_mouse, run_file=run_file))


def _find_lr(settings: Settings, args: argparse.Namespace) -> int:
    from lrtui.find_lr import run_find_lr

    return run_find_lr(settings, args.start, args.end, args.num, args.format)


def _run(settings: Settings, format: str, save: str | None) -> int:
    from lrtui.headless import run_headless

    try:
        return run_headless(settings, format, save=save)
    except OSError as error:
        print(f"lrtui: error: cannot save the run to {save}: {error.strerror or error}",
              file=sys.stderr)
        return 2
