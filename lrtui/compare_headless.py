"""`lrtui compare`: several learning rates (or optimizers) side by side, without the UI.

Per logged step, one record per run (with its run index, lr and optimizer);
at the end, a summary per run: final loss, steps to get within 1% of the OLS
loss (or never), and the step it diverged at.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import TextIO

from lrtui.config import Settings
from lrtui.engine.history import LogRow
from lrtui.engine.run import Event, fmt, make_dataset
from lrtui.headless import in_step_order, write_event

COLUMNS = ("run", "optimizer", "step", "loss", "w", "b", "dw", "db", "lr")
SUMMARY = ("run", "optimizer", "lr", "status", "steps", "final_loss", "steps_to_1pct", "diverged_at",
           "stable", "first_non_finite_step")
CHUNK = 16384


def _clean(value):
    """JSON has no NaN or Infinity: a value that is not a number is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


class _Printer:
    def __init__(self, out: TextIO, format: str, optimizers: list[str], err: TextIO):
        self.out = out
        self.err = err
        self.format = format
        self.optimizers = optimizers
        self.csv = csv.writer(out) if format == "csv" else None

    def header(self) -> None:
        if self.format == "table":
            self.out.write(f"{'run':>4}{'optimizer':>10}" + "".join(f"{c:>12}" for c in COLUMNS[2:]) + "\n")
        elif self.csv:
            self.csv.writerow(("record",) + COLUMNS)

    def row(self, run: int, row: LogRow) -> None:
        values = (row.loss, row.w, row.b, row.dw, row.db, row.lr)
        optimizer = self.optimizers[run]
        run += 1  # runs are numbered from 1, as the app's keys 1..6 select them
        if self.format == "table":
            self.out.write(f"{run:>4}{optimizer:>10}{row.step:>12}"
                           + "".join(f"{fmt(v):>12}" for v in values) + "\n")
        elif self.csv:
            self.csv.writerow(["step", run, optimizer, row.step] + [repr(v) for v in values])
        else:
            data = {"run": run, "optimizer": optimizer, **row.as_dict()}
            self.out.write(json.dumps({k: _clean(v) for k, v in data.items()}) + "\n")

    def event(self, event: Event) -> None:
        write_event(self.format, self.out, self.err, event)

    def summaries(self, summaries: list[dict], ols_loss: float) -> None:
        if self.format == "jsonl":
            for summary in summaries:
                clean = {k: _clean(v) for k, v in summary.items()}
                self.out.write(json.dumps({"summary": {**clean, "ols_loss": ols_loss}}) + "\n")
        elif self.csv:
            # The same file stays one table: summary rows say so in the first column.
            self.csv.writerow(("record",) + SUMMARY)
            for summary in summaries:
                self.csv.writerow(["summary"] + ["" if summary[k] is None else summary[k]
                                                 for k in SUMMARY])
        else:
            self.out.write(f"# summary (OLS loss {fmt(ols_loss)}; 1% = steps to get within 1% of it)\n")
            widths = (4, 10, 10, 10, 8, 12, 10, 12)
            titles = ("run", "optimizer", "lr", "status", "steps", "final loss", "1% at", "diverged at")
            self.out.write("".join(f"{t:>{w}}" for t, w in zip(titles, widths)) + "\n")
            for s in summaries:
                cells = (s["run"], s["optimizer"], fmt(s["lr"]), s["status"], s["steps"],
                         fmt(s["final_loss"]),
                         "never" if s["steps_to_1pct"] is None else s["steps_to_1pct"],
                         "-" if s["diverged_at"] is None else s["diverged_at"])
                self.out.write("".join(f"{str(c):>{w}}" for c, w in zip(cells, widths)) + "\n")


def run_compare(settings: Settings, learning_rates, optimizers, format: str = "table",
                out: TextIO | None = None) -> int:
    """Run every run to its step budget (or divergence), printing as it goes."""
    from lrtui.engine.compare import CompareRun, check_runs

    out = out or sys.stdout
    learning_rates, optimizers = check_runs(learning_rates, optimizers)  # ValueError: caller's
    dataset = make_dataset(settings)  # a bad --data file fails before TensorFlow loads
    from lrtui.engine.device import choose_device
    from lrtui.tfload import import_tensorflow, quiet_stderr

    with quiet_stderr() as err:
        printer = _Printer(out, format, optimizers, err)
        tf = import_tensorflow()
        device = choose_device(tf, settings.device)
        compare = CompareRun(settings, device, learning_rates, optimizers, dataset)
        printer.header()
        if device.note:
            printer.event(Event(0, device.note, "warning"))
        for k, lr in enumerate(learning_rates):
            if optimizers[k] == "gd" and compare.theory.regime(lr) == "diverges":
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
                else:
                    printer.row(*item)
        printer.summaries([lane.summary() for lane in compare.lanes(with_curves=False)],
                          compare.theory.ols_loss)
        out.flush()
    return 0
