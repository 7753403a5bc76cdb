"""`lrtui watch`: list, follow and steer Keras trainings that run `LrtuiCallback`.

- `lrtui watch` lists the trainings of this user on this machine.
- `lrtui watch NAME` opens the viewer when stdout is a terminal; otherwise, or
  with `--format table|jsonl`, it prints every published row until the
  training ends, then a summary (`{"summary": …}` in JSON lines). Rows are
  `step, epoch, batch, lr` and the logs' keys; events (epochs with their
  validation logs, acknowledged commands) are lines of their own, `{"event": …}`.
- `--set-lr X`, `--scale-lr F`, `--pause`, `--resume`, `--stop`,
  `--save-weights PATH` send one command, wait for the training process to
  acknowledge it and print the step from which it applies.

Exit status: 0 done; 1 the training is gone, ended, or did not answer in
time; 2 bad input (one line on stderr, nothing sent). This module imports
neither Textual nor TensorFlow unless the viewer opens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from lrtui.commands.output import FORMATS, Printer
from lrtui.engine.jsonable import finite_or_none, jsonable
from lrtui.integrations.keras.channel import (
    Channel,
    ChannelError,
    JsonLines,
    RowTail,
    clean_stale,
    list_trainings,
    lr_value,
    weights_path,
)
from lrtui.integrations.keras.rows import ROW_KEYS, decode_row

POLL = 0.05
STEERING = ("set_lr", "scale_lr", "pause", "resume", "stop", "save_weights")


def _argument(parse: Callable[[str], object]) -> Callable[[str], object]:
    def typed(text: str):
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    typed.__name__ = parse.__name__
    return typed


_positive, _weights_path = _argument(lr_value), _argument(weights_path)


def add_watch_parser(subparsers) -> argparse.ArgumentParser:
    watch = subparsers.add_parser(
        "watch", help="watch and steer a Keras training that uses LrtuiCallback",
        description="Without NAME, list the trainings on this machine. With NAME, show the "
        "training live (a terminal), or print its rows (--format, or when not a terminal), "
        "or send it one steering command and wait for its acknowledgement.")
    watch.add_argument("name", nargs="?", metavar="NAME", help="the name given to LrtuiCallback")
    watch.add_argument("--format", choices=FORMATS,
                       help="print rows (or the list) instead of opening the viewer")
    steer = watch.add_mutually_exclusive_group()
    steer.add_argument("--set-lr", type=_positive, metavar="X", help="set the lr to X")
    steer.add_argument("--scale-lr", type=_positive, metavar="F", help="multiply the lr by F")
    steer.add_argument("--pause", action="store_true", help="hold training between two batches")
    steer.add_argument("--resume", action="store_true", help="go on after --pause")
    steer.add_argument("--stop", action="store_true", help="end the fit after the next batch")
    steer.add_argument("--save-weights", type=_weights_path, metavar="PATH",
                       help="save the weights now, to a file named *.weights.h5")
    watch.add_argument("--timeout", type=_positive, default=10.0, metavar="SECONDS",
                       help="how long to wait for the acknowledgement (default %(default)s)")
    watch.add_argument("--fps", type=float, default=15.0,
                       help="(viewer) plot redraws per second at most (default %(default)s)")
    watch.add_argument("--no-mouse", action="store_true", help="(viewer) ignore the mouse")
    return watch


def steering_of(args: argparse.Namespace) -> tuple[str, dict] | None:
    if args.set_lr is not None:
        return "set_lr", {"value": args.set_lr}
    if args.scale_lr is not None:
        return "scale_lr", {"value": args.scale_lr}
    if args.save_weights is not None:
        return "save_weights", {"path": args.save_weights}
    for flag in ("pause", "resume", "stop"):
        if getattr(args, flag):
            return flag, {}
    return None


def _error(message: str, status: int = 2) -> int:
    print(f"lrtui watch: {message}", file=sys.stderr)
    return status


def run_watch(args: argparse.Namespace, out: TextIO | None = None,
              open_viewer: Callable[[Channel, argparse.Namespace], int] | None = None) -> int:
    """Run `lrtui watch`; `open_viewer` opens the TUI (given by the caller, so that this
    module stays free of Textual)."""
    out = out or sys.stdout
    steering = steering_of(args)
    try:
        if args.name is None:
            if steering:
                return _error("which training? give its NAME (lrtui watch lists them)")
            return print_list(args.format or "table", out)
        channel = Channel.attach(args.name)
        if steering:
            return steer(channel, *steering, timeout=args.timeout, format=args.format, out=out)
        if args.format or not out.isatty():
            return follow(channel, args.format or "table", out)
    except ChannelError as error:
        return _error(str(error))
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    if args.fps <= 0 or args.fps > 120:
        return _error("--fps: use a number from 0.5 to 120")
    if open_viewer is None:
        return _error("no viewer here: use --format table or jsonl")
    return open_viewer(channel, args)


def _quiet_stdout() -> None:
    """The reader went away (`| head`): stop writing without a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def age_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def _short(value) -> str:
    value = finite_or_none(value)
    return f"{value:.4g}" if isinstance(value, (int, float)) else "-"


def print_list(format: str, out: TextIO) -> int:
    clean_stale()
    trainings = list_trainings()
    now = time.time()
    if format != "table":  # (a list has no CSV form: JSON lines serve programs)
        for t in trainings:
            item = {"name": t.name, "pid": t.pid, "status": t.status, "step": t.state.get("step"),
                    "loss": t.state.get("loss"), "lr": t.state.get("lr"),
                    "age": round(now - t.updated, 1) if t.updated else None}
            if t.problem:
                item["problem"] = t.problem
            out.write(json.dumps(jsonable(item)) + "\n")
        return 0
    if not trainings:
        out.write("no trainings yet: add LrtuiCallback(name=...) to model.fit's callbacks\n")
        return 0
    out.write(f"{'name':<20} {'pid':>7} {'status':<11} {'step':>9} {'loss':>10} {'lr':>10}  "
              "last heard\n")
    for t in trainings:
        if t.problem:
            out.write(f"{t.name:<20} {'':>7} refused     {t.problem}\n")
            continue
        step = t.state.get("step")
        out.write(f"{t.name:<20} {t.pid or '-':>7} {t.status:<11} "
                  f"{step if step is not None else '-':>9} {_short(t.state.get('loss')):>10} "
                  f"{_short(t.state.get('lr')):>10}  "
                  f"{age_text(now - t.updated) if t.updated else '-'}\n")
    return 0


# -- steering ----------------------------------------------------------------------------
def steer(channel: Channel, command: str, arguments: dict, timeout: float,
          format: str | None, out: TextIO) -> int:
    training = channel.training()
    if training.ended:
        return _error(f"training {channel.name} is {training.status}: there is nothing to steer",
                      1)
    events = JsonLines(channel.events)
    events.offset = _size(channel.events)  # only what comes after the command counts
    ident = channel.send(command, **arguments)
    deadline = time.monotonic() + timeout
    next_check = 0.0
    while time.monotonic() < deadline:
        for event in events.read():
            if event.get("id") != ident:
                continue
            if format == "jsonl":
                out.write(json.dumps(jsonable(event)) + "\n")
            if event.get("kind") == "refused":
                return _error(event.get("text", "refused"), 1)
            if format != "jsonl":
                out.write(f"{event.get('text')}\n")
            out.flush()
            return 0
        if time.monotonic() >= next_check:
            training = channel.training()
            if training.ended:
                return _error(f"training {channel.name} is {training.status}: the command was "
                              "not applied", 1)
            next_check = time.monotonic() + 0.5
        time.sleep(POLL)
    step = channel.training().state.get("step")
    return _error(f"no acknowledgement within {timeout:g} s (the training is at step {step}); "
                  "the command stays queued and applies at its next batch boundary", 1)


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


# -- following -------------------------------------------------------------------------
class RowPrinter:
    """Rows through the one printer, its columns taken from the first row; events too."""

    def __init__(self, format: str, out: TextIO):
        self.format, self.out = format, out
        self.printer: Printer | None = None
        self.rows = 0

    def row(self, flat: dict) -> None:
        self.rows += 1
        if self.printer is None:
            self.printer = Printer(self.out, self.format, tuple(flat))
            self.printer.header()
        if self.format == "jsonl":
            self.printer.row(flat)  # every key, even one that appeared later
        else:
            self.printer.row({c: flat.get(c) for c in self.printer.columns})

    def event(self, event: dict) -> None:
        if self.format == "jsonl":
            # Epochs carry the validation logs: JSON lines keep them, as {"event": …}.
            self.out.write(json.dumps({"event": jsonable(event)}) + "\n")
        elif self.format == "table":
            self.out.write(f"# step {event.get('step')}: {event.get('text')}\n")

    def summary(self, summary: dict) -> None:
        (self.printer or Printer(self.out, self.format, ())).summary(summary)


def follow(channel: Channel, format: str, out: TextIO) -> int:
    printer = RowPrinter(format, out)
    rows, events = RowTail(channel), JsonLines(channel.events)
    last: dict = {}
    epochs = 0
    while True:
        # Ended is read before the last drain: whatever it wrote before ending is printed.
        training = channel.training()
        got_rows, got_events = rows.read(), events.read()
        for item in got_rows:
            row = decode_row(item)
            if row is not None:
                last = row.flat()
                printer.row(last)
        for event in got_events:
            epochs += event.get("kind") == "epoch"
            printer.event(event)
        if got_rows or got_events:
            out.flush()
            continue
        if training.ended:
            break
        time.sleep(POLL)
    state = training.state
    summary = {"name": channel.name, "status": training.status, "rows": printer.rows,
               "dropped": state.get("dropped", 0), "epochs": epochs,
               "steps": (last.get("step", -1) + 1) if last else 0,
               **{k: v for k, v in last.items() if k not in ROW_KEYS}, "lr": last.get("lr")}
    printer.summary(summary)
    out.flush()
    return 0 if training.status in ("finished", "stopped") else 1
