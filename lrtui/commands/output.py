"""The one printer of the headless commands: a table for people, CSV or JSON lines for programs.

A table right-aligns every column (numbers the way the step log prints
them) and carries events and summaries as `#` lines. CSV keeps every digit
(`repr`) and, where a command mixes kinds of record, says the kind in its
first column. JSON lines are one object a line, NaN and infinity as null.

Every format carries the run's events (warnings, divergence, the end): a
`# text` line in the table, an {"event": {step, kind, text}} record in JSON
lines. CSV keeps stdout one table of numbers under its header, so its events
go to stderr, one `lrtui: kind: text` line each.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import TextIO

from lrtui.engine.jsonable import jsonable
from lrtui.engine.run import Event, fmt

FORMATS = ("table", "csv", "jsonl")
WIDTH = 12


class Printer:
    def __init__(self, out: TextIO, format: str, columns: tuple[str, ...],
                 widths: dict[str, int] | None = None, record_column: bool = False,
                 err: TextIO | None = None):
        self.out = out
        self.err = err or sys.stderr
        self.format = format
        self.columns = columns
        self.widths = widths or {}
        self.record_column = record_column  # CSV: the first column says "step" or "summary"
        self.csv = csv.writer(out) if format == "csv" else None

    def _width(self, column: str) -> int:
        return self.widths.get(column, WIDTH)

    def header(self) -> None:
        if self.format == "table":
            self.out.write("".join(f"{c:>{self._width(c)}}" for c in self.columns).rstrip() + "\n")
        elif self.csv:
            self.csv.writerow((("record",) if self.record_column else ()) + self.columns)

    def row(self, values: dict) -> None:
        """One record: its columns in a table or CSV, every key in JSON lines."""
        if self.format == "table":
            self.out.write("".join(f"{_cell(values[c]):>{self._width(c)}}" for c in self.columns)
                           + "\n")
        elif self.csv:
            cells = [repr(v) if isinstance(v, float) else v for v in (values[c] for c in self.columns)]
            self.csv.writerow((["step"] if self.record_column else []) + cells)
        else:
            self.out.write(json.dumps(jsonable(values)) + "\n")

    def event(self, event: Event) -> None:
        if self.format == "table":
            self.comment(event.text)
        elif self.format == "jsonl":
            record = {"step": event.step, "kind": event.kind, "text": event.text}
            self.out.write(json.dumps({"event": record}) + "\n")
        else:
            self.err.write(f"lrtui: {event.kind}: {event.text}\n")
            self.err.flush()

    def comment(self, text: str) -> None:
        self.out.write(f"# {text}\n")

    def summary(self, summary: dict) -> None:
        """The end of a run: one JSON object, or one `#` line in a table."""
        if self.format == "jsonl":
            self.out.write(json.dumps({"summary": jsonable(summary)}) + "\n")
        elif self.format == "table":
            self.comment(", ".join(f"{k}={_cell(v)}" for k, v in summary.items()))


def in_step_order(rows, events) -> list:
    """(step, row) pairs and events interleaved by step; an event follows its step's row."""
    tagged = [(step, 0, row) for step, row in rows] + [(e.step, 1, e) for e in events]
    return [item for _, _, item in sorted(tagged, key=lambda t: (t[0], t[1]))]


def _cell(value) -> str:
    return fmt(value) if isinstance(value, float) else str(value)
