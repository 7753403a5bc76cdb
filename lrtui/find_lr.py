"""`lrtui find-lr`: the LR range test without the UI, as a table, CSV or JSON lines.

Each recorded step prints as (step, lr, loss, smoothed); then, in the table
and in JSON lines, a summary with each suggestion and the theory's lr_max
and lr_opt for comparison.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import TextIO

from lrtui.config import Settings
from lrtui.engine.lr_find import MEANINGS, RangeTest, range_test
from lrtui.engine.method import describe_optimizer
from lrtui.engine.run import fmt, make_dataset
from lrtui.tfload import quiet_stderr

COLUMNS = ("step", "lr", "loss", "smoothed")


def _number(value: float):
    """JSON has no NaN or Infinity: such a value is null."""
    return value if math.isfinite(value) else None


def summary_of(test: RangeTest, settings: Settings) -> dict:
    theory = test.theory
    summary = {"points": len(test.lrs), "stopped_early": test.stopped_early,
               "optimizer": describe_optimizer(settings),
               "batch_size": settings.batch_size or None}
    for name, suggestion in test.suggestions.items():
        summary[f"suggestion_{name}"] = suggestion.learning_rate
    summary.update(lr_max=theory.lr_max, lr_opt=theory.lr_opt, lr_zigzag=theory.lr_zigzag)
    return summary


def print_range_test(test: RangeTest, settings: Settings, format: str, out: TextIO) -> None:
    rows = list(zip(range(len(test.lrs)), test.lrs, test.losses, test.smoothed))
    summary = summary_of(test, settings)
    if format == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for step, lr, loss, smoothed in rows:
            writer.writerow([step, repr(float(lr)), repr(float(loss)), repr(float(smoothed))])
    elif format == "jsonl":
        for step, lr, loss, smoothed in rows:
            out.write(json.dumps({"step": step, "lr": _number(float(lr)), "loss": _number(float(loss)),
                                  "smoothed": _number(float(smoothed))}) + "\n")
        clean = {k: _number(v) if isinstance(v, float) else v for k, v in summary.items()}
        out.write(json.dumps({"summary": clean}) + "\n")
    else:
        out.write("".join(f"{c:>12}" for c in COLUMNS).rstrip() + "\n")
        for step, lr, loss, smoothed in rows:
            out.write(f"{step:>12}" + "".join(f"{fmt(float(v)):>12}" for v in (lr, loss, smoothed))
                      + "\n")
        if test.stopped_early:
            out.write(f"# stopped at step {len(rows) - 1}: the smoothed loss passed 4 × its best\n")
        for name, suggestion in test.suggestions.items():
            out.write(f"# {name:<8} lr {fmt(suggestion.learning_rate):>10}   ({MEANINGS[name]})\n")
        if not test.suggestions:
            out.write("# too few points for a suggestion: widen --start/--end or raise --num\n")
        theory = test.theory
        out.write(f"# lr_max   lr {fmt(theory.lr_max):>10}   (plain GD diverges above)\n")
        out.write(f"# lr_opt   lr {fmt(theory.lr_opt):>10}   (best constant lr for plain GD)\n")
    out.flush()


def run_find_lr(settings: Settings, start: float, end: float, num: int, format: str = "table",
                out: TextIO | None = None) -> int:
    out = out or sys.stdout
    dataset = make_dataset(settings)  # a bad file is reported before TensorFlow loads
    from lrtui.engine.device import choose_device
    from lrtui.tfload import import_tensorflow

    with quiet_stderr():
        tf = import_tensorflow()
        device = choose_device(tf, settings.device)
        test = range_test(settings, dataset, device.name, start, end, num)
    print_range_test(test, settings, format, out)
    return 0
