"""The `lrtui compare` subcommand: its options and how it starts."""

from __future__ import annotations

import argparse

from lrtui.config import Settings
from lrtui.engine.update_rules import OPTIMIZERS, parse_optimizer
from lrtui.headless_exit import headless_command


def add_compare_parser(commands, add_options, typed) -> argparse.ArgumentParser:
    """`lrtui compare --lr 0.001 0.1 0.9 [--optimizer gd adam ...]` plus the run's options."""
    compare = commands.add_parser(
        "compare", help="run 2 to 6 learning rates or optimizers side by side, headless",
        description="Run 2 to 6 runs on the same data from the same initial weights, in "
                    "lock-step, and print each run's log and a summary.")
    add_options(compare, defaults=False, skip=("learning_rate", "optimizer"))
    compare.add_argument("--lr", dest="learning_rates", nargs="+", metavar="LR",
                         type=typed("learning_rate"), default=[0.001, 0.1, 0.9],
                         help="one learning rate per run (default: 0.001 0.1 0.9)")
    compare.add_argument("--optimizer", dest="optimizers", nargs="+", metavar="NAME",
                         type=_optimizer, default=["gd"],
                         help=f"one per run, or one for all: {', '.join(OPTIMIZERS)} (default gd)")
    compare.add_argument("--format", choices=("table", "csv", "jsonl"), default="table",
                         help="how to print the log (default %(default)s)")
    return compare


def _optimizer(text: str) -> str:
    try:
        return parse_optimizer(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_compare_command(args: argparse.Namespace, settings: Settings, parser) -> int:
    from lrtui.compare_headless import run_compare
    from lrtui.engine.compare import check_runs

    try:
        check_runs(args.learning_rates, args.optimizers)
    except ValueError as error:
        parser.error(str(error))
    return headless_command(
        lambda: run_compare(settings, args.learning_rates, args.optimizers, args.format))
