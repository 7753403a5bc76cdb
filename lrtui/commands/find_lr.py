"""`lrtui find-lr`: the LR range test without the UI, as a table, CSV or JSON lines.

Each recorded step prints as (step, lr, loss, smoothed); then, in the table
and in JSON lines, a summary with each suggestion and the theory's lr_max
and lr_opt for comparison.
"""

from __future__ import annotations

import sys
from typing import TextIO

from lrtui.commands.output import Printer
from lrtui.engine.lr_find import MEANINGS, RangeTest, range_test
from lrtui.engine.method import describe_optimizer
from lrtui.engine.run import fmt, make_dataset
from lrtui.engine.startup import quiet_stderr, start_device
from lrtui.settings.fields import Settings

COLUMNS = ("step", "lr", "loss", "smoothed")


def summary_of(test: RangeTest, settings: Settings) -> dict:
    theory = test.theory
    summary = {"points": len(test.lrs), "stopped_early": test.stopped_early,
               "optimizer": describe_optimizer(settings),
               "batch_size": settings.batch_size or None}
    for name, suggestion in test.suggestions.items():
        summary[f"suggestion_{name}"] = suggestion.learning_rate
    valley = test.suggestions.get("valley")
    summary["valley_window"] = list(valley.window) if valley else None
    summary["valley_is_middle"] = test.valley_is_middle
    summary.update(lr_max=theory.lr_max, lr_opt=theory.lr_opt, lr_zigzag=theory.lr_zigzag)
    return summary


def print_range_test(test: RangeTest, settings: Settings, format: str, out: TextIO) -> None:
    printer = Printer(out, format, COLUMNS)
    printer.header()
    for step, values in enumerate(zip(test.lrs, test.losses, test.smoothed)):
        printer.row({"step": step, **dict(zip(COLUMNS[1:], map(float, values)))})
    if format == "jsonl":
        printer.summary(summary_of(test, settings))
    elif format == "table":
        if test.stopped_early:
            printer.comment(f"stopped at step {len(test.lrs) - 1}: the smoothed loss passed 4 × its best")
        for name, suggestion in test.suggestions.items():
            printer.comment(f"{name:<8} lr {fmt(suggestion.learning_rate):>10}   ({MEANINGS[name]})")
        if test.valley_is_middle:
            printer.comment(test.valley_note())
        if not test.suggestions:
            printer.comment("too few points for a suggestion: widen --start/--end or raise --num")
        theory = test.theory
        printer.comment(f"lr_max   lr {fmt(theory.lr_max):>10}   (plain GD diverges above)")
        if theory.lr_opt is None:
            printer.comment("lr_opt   none: every x is the same, the minimum is not unique")
        else:
            printer.comment(f"lr_opt   lr {fmt(theory.lr_opt):>10}   (plain GD's fastest worst-case "
                            "asymptotic rate)")
    out.flush()


def run_find_lr(settings: Settings, start: float, end: float, num: int, format: str = "table",
                out: TextIO | None = None) -> int:
    out = out or sys.stdout
    dataset = make_dataset(settings)  # a bad file is reported before TensorFlow loads
    with quiet_stderr():
        device = start_device(settings.device)
        test = range_test(settings, dataset, device.name, start, end, num)
    print_range_test(test, settings, format, out)
    return 0
