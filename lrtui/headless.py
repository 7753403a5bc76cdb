"""`lrtui run`: the lesson's printout without the UI, as a table, CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import TextIO

from lrtui.config import Settings
from lrtui.engine.history import LogRow
from lrtui.engine.method import describe_optimizer, describe_schedule
from lrtui.engine.run import Event, Run, State, fmt, make_dataset
from lrtui.tfload import quiet_stderr

COLUMNS = ("step", "loss", "w", "b", "dw", "db", "lr")
CHUNK = 16384


def _finite_or_none(value: float):
    """JSON has no NaN or Infinity: a value that is not a number is null."""
    return value if math.isfinite(value) else None


def write_event(format: str, out: TextIO, err: TextIO, event: Event) -> None:
    """Every format carries the run's events (warnings, divergence, the end).

    The table: a `# text` line. JSON lines: an {"event": {step, kind, text}} record.
    CSV keeps stdout one table of numbers under its header, so its events go to
    stderr, one `lrtui: kind: text` line each.
    """
    if format == "table":
        out.write(f"# {event.text}\n")
    elif format == "jsonl":
        out.write(json.dumps({"event": {"step": event.step, "kind": event.kind,
                                        "text": event.text}}) + "\n")
    else:
        err.write(f"lrtui: {event.kind}: {event.text}\n")
        err.flush()


def in_step_order(rows, events):
    """Rows and events of a chunk interleaved by step; an event follows its step's row."""
    tagged = [(step, 0, item) for step, item in rows] + [(e.step, 1, e) for e in events]
    return [item for _, _, item in sorted(tagged, key=lambda t: (t[0], t[1]))]


class _Printer:
    def __init__(self, out: TextIO, format: str, err: TextIO | None = None):
        self.out = out
        self.err = err or sys.stderr
        self.format = format
        self.csv = csv.writer(out) if format == "csv" else None

    def header(self) -> None:
        if self.format == "table":
            self.out.write("".join(f"{c:>12}" for c in COLUMNS).rstrip() + "\n")
        elif self.csv:
            self.csv.writerow(COLUMNS)

    def row(self, row: LogRow) -> None:
        if self.format == "table":
            cells = [f"{row.step:>12}"] + [f"{fmt(v):>12}" for v in
                                            (row.loss, row.w, row.b, row.dw, row.db, row.lr)]
            self.out.write("".join(cells) + "\n")
        elif self.csv:
            self.csv.writerow([row.step] + [repr(v) for v in
                                            (row.loss, row.w, row.b, row.dw, row.db, row.lr)])
        else:
            data = {k: (_finite_or_none(v) if isinstance(v, float) else v)
                    for k, v in row.as_dict().items()}
            self.out.write(json.dumps(data) + "\n")

    def event(self, event: Event) -> None:
        write_event(self.format, self.out, self.err, event)

    def summary(self, summary: dict) -> None:
        if self.format == "jsonl":
            clean = {k: (_finite_or_none(v) if isinstance(v, float) else v) for k, v in summary.items()}
            self.out.write(json.dumps({"summary": clean}) + "\n")
        elif self.format == "table":
            self.out.write("# " + ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}"
                                            for k, v in summary.items()) + "\n")


def summarize(run: Run, diverged_at: int | None) -> dict:
    w, b = run.weights()
    theory = run.theory
    status, stable = run.ending()
    return {
        "status": status,
        "stable": stable,
        "steps": run.step,
        "loss": run.current_loss(),
        "w": w,
        "b": b,
        "lr": run.learning_rate,
        "lr_max": theory.lr_max,
        "lr_opt": theory.lr_opt,
        "lr_zigzag": theory.lr_zigzag,
        "condition_number": theory.condition_number,
        "ols_w": theory.ols_w,
        "ols_b": theory.ols_b,
        "ols_loss": theory.ols_loss,
        "diverged_at": diverged_at,
        "first_non_finite_step": run.non_finite_at,
        "no_stop": run.settings.no_stop,
        "optimizer": describe_optimizer(run.settings),
        "schedule": describe_schedule(run.settings),
        "batch_size": run.settings.batch_size or run.dataset.n,
        "last_lr_used": run.latest.lr if run.latest else None,
        "n": run.dataset.n,
        "data": run.dataset.source,
        "device": run.device.label,
    }


def run_headless(settings: Settings, format: str = "table", out: TextIO | None = None,
                 save: str | None = None) -> int:
    """Train to the step budget (or divergence), printing every log-every steps."""
    out = out or sys.stdout
    dataset = make_dataset(settings)  # DataError goes to the caller before TensorFlow loads
    from lrtui.controller import load_run

    with quiet_stderr() as err:
        printer = _Printer(out, format, err)
        run = load_run(settings, dataset)
        printer.header()
        for event in run.drain()[1]:  # warnings about the lr, before any step
            printer.event(event)
        diverged_at = None
        while run.state not in (State.FINISHED, State.DIVERGED):
            batch = run.advance(CHUNK)
            if batch.diverged:
                diverged_at = int(batch.step[-1])
            rows, events = run.drain()
            for item in in_step_order([(row.step, row) for row in rows], events):
                if isinstance(item, Event):
                    printer.event(item)
                else:
                    printer.row(item)
        printer.summary(summarize(run, diverged_at))
        if save:
            from lrtui.engine.runfile import save_run

            save_run(run, save)
            printer.event(Event(run.step, f"run saved to {save}"))
        out.flush()
    return 0
