"""`lrtui compare`: several learning rates (or optimizers) side by side, without the UI.

Per logged step, one record per run (with its run index, lr and optimizer);
at the end, a summary per run: final loss, steps to get within 1% of the OLS
loss (or never), and the step it diverged at.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from lrtui.commands.headless import headless_command
from lrtui.commands.output import FORMATS, Printer, in_step_order
from lrtui.engine.run import Event, fmt, make_dataset
from lrtui.engine.update_rules import OPTIMIZERS, parse_optimizer
from lrtui.settings.fields import Settings
from lrtui.settings.options import add_options, typed

COLUMNS = ("run", "optimizer", "step", "loss", "w", "b", "dw", "db", "lr")  # the line's
MODEL_COLUMNS = ("run", "optimizer", "step", "loss", "lr", "grad_norm")  # every other model's
WIDTHS = {"run": 4, "optimizer": 10}
SUMMARY = ("run", "optimizer", "lr", "status", "steps", "final_loss", "steps_to_1pct", "diverged_at",
           "stable", "first_non_finite_step")
CHUNK = 16384


def add_compare_parser(commands) -> argparse.ArgumentParser:
    """`lrtui compare --lr 0.001 0.1 0.9 [--optimizer gd adam ...]` plus the run's options."""
    compare = commands.add_parser(
        "compare", help="run 2 to 6 learning rates or optimizers side by side, headless",
        description="Run 2 to 6 runs on the same data from the same initial weights, in "
                    "lock-step, and print each run's log and a summary.")
    add_options(compare, defaults=False, skip=("learning_rate", "optimizer"), headless=True)
    compare.add_argument("--lr", dest="learning_rates", nargs="+", metavar="LR",
                         type=typed("learning_rate"), default=[0.001, 0.1, 0.9],
                         help="one learning rate per run (default: 0.001 0.1 0.9)")
    compare.add_argument("--optimizer", dest="optimizers", nargs="+", metavar="NAME",
                         type=_optimizer, default=["gd"],
                         help=f"one per run, or one for all: {', '.join(OPTIMIZERS)} (default gd)")
    compare.add_argument("--format", choices=FORMATS, default="table",
                         help="how to print the log (default %(default)s)")
    return compare


def _optimizer(text: str) -> str:
    try:
        return parse_optimizer(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_compare_command(args: argparse.Namespace, settings: Settings, parser) -> int:
    from lrtui.engine.compare import check_runs

    try:
        check_runs(args.learning_rates, args.optimizers)
    except ValueError as error:
        parser.error(str(error))
    return headless_command(
        lambda: run_compare(settings, args.learning_rates, args.optimizers, args.format))


def _print_summaries(printer: Printer, summaries: list[dict], ols_loss: float | None) -> None:
    if printer.format == "jsonl":
        for summary in summaries:
            printer.summary({**summary, "ols_loss": ols_loss})
    elif printer.csv:
        # The same file stays one table: summary rows say so in the first column.
        printer.csv.writerow(("record",) + SUMMARY)
        for summary in summaries:
            printer.csv.writerow(["summary"] + ["" if summary[k] is None else summary[k]
                                               for k in SUMMARY])
    else:
        if ols_loss is None:
            printer.comment("summary (no least-squares answer to reach for this model: 1% at is never)")
        else:
            printer.comment(f"summary (OLS loss {fmt(ols_loss)}; 1% = steps to get within 1% of it)")
        widths = (4, 10, 10, 10, 8, 12, 10, 12)
        titles = ("run", "optimizer", "lr", "status", "steps", "final loss", "1% at", "diverged at")
        printer.out.write("".join(f"{t:>{w}}" for t, w in zip(titles, widths)) + "\n")
        for s in summaries:
            cells = (s["run"], s["optimizer"], fmt(s["lr"]), s["status"], s["steps"],
                     fmt(s["final_loss"]),
                     "never" if s["steps_to_1pct"] is None else s["steps_to_1pct"],
                     "-" if s["diverged_at"] is None else s["diverged_at"])
            printer.out.write("".join(f"{str(c):>{w}}" for c, w in zip(cells, widths)) + "\n")


def run_compare(settings: Settings, learning_rates, optimizers, format: str = "table",
                out: TextIO | None = None) -> int:
    """Run every run to its step budget (or divergence), printing as it goes."""
    from lrtui.engine.compare import check_runs

    out = out or sys.stdout
    learning_rates, optimizers = check_runs(learning_rates, optimizers)  # ValueError: caller's
    dataset = make_dataset(settings)  # a bad --data file fails before TensorFlow loads
    from lrtui.engine.startup import load_compare, quiet_stderr

    columns = COLUMNS if settings.model == "line" else MODEL_COLUMNS
    with quiet_stderr() as err:
        printer = Printer(out, format, columns, WIDTHS, record_column=True, err=err)
        compare = load_compare(settings, learning_rates, optimizers, dataset, warm_up=False)
        device = compare.device
        printer.header()
        if device.note:
            printer.event(Event(0, device.note, "warning"))
        for k, lr in enumerate(learning_rates):
            if compare.theory and optimizers[k] == "gd" and compare.theory.regime(lr) == "diverges":
                printer.event(Event(0, f"run {k + 1}: lr {fmt(lr)} is above lr_max "
                                    f"{fmt(compare.theory.lr_max)}: expect it to diverge", "warning"))
        while not compare.done:
            compare.advance(CHUNK)
            rows, events = compare.drain()
            # Rows in step order, runs in index order within a step, events among them.
            rows = sorted(rows, key=lambda item: (item[1].step, item[0]))
            for item in in_step_order([(row.step, (run, row)) for run, row in rows], events):
                if isinstance(item, Event):
                    printer.event(item)
                    continue
                run, row = item
                # Runs are numbered from 1, as the app's keys 1..6 select them.
                printer.row({"run": run + 1, "optimizer": optimizers[run], **row.as_dict()})
        _print_summaries(printer, [lane.summary() for lane in compare.lanes(with_curves=False)],
                         compare.theory.ols_loss if compare.theory else None)
        out.flush()
    return 0
