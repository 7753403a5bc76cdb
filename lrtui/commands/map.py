"""`lrtui map`: the loss of many learning rates over the same steps, without the UI.

Prints one row per lr (lr, final_loss, steps_to_1pct, diverged_at, min_loss)
through the headless printer, with the theory's lr_max, lr_opt and 1/λmax
beside them; or, with `--format npz --output FILE.npz`, writes the whole
bucketed loss matrix (rows are steps, columns are lrs) with both axes for a
notebook: `np.load(FILE)["loss"]`.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from lrtui.atomic import write_atomic
from lrtui.commands.headless import headless_command
from lrtui.commands.output import FORMATS, Printer
from lrtui.engine.lr_map import (
    DEFAULT_LANES,
    LrMapView,
    MapError,
    check_grid,
    check_method,
    default_learning_rates,
    map_theory,
)
from lrtui.engine.method import describe_optimizer, describe_schedule
from lrtui.engine.run import fmt, make_dataset
from lrtui.settings.options import add_options, settings_from, typed

COLUMNS = ("lr", "final_loss", "steps_to_1pct", "diverged_at", "min_loss")
WIDTHS = {"steps_to_1pct": 14}


def add_map_parser(commands) -> argparse.ArgumentParser:
    """`lrtui map --lr-min A --lr-max B --num N --steps S` plus the run's options."""
    lane_map = commands.add_parser(
        "map", help="the loss of many learning rates over the same steps (the lr × steps map)",
        description="Run --num learning rates, log-spaced from --lr-min to --lr-max, from the "
        "same initial weights for --steps steps as one compiled computation; print one row per "
        "lr, or write the whole loss matrix with --format npz.")
    add_options(lane_map, defaults=False, headless=True)
    lane_map.add_argument("--lr-min", type=typed("learning_rate"), default=None,
                          help="smallest lr (default: lr_max/1000)")
    lane_map.add_argument("--lr-max", type=typed("learning_rate"), default=None,
                          help="largest lr (default: 3 × lr_max)")
    lane_map.add_argument("--num", type=int, default=DEFAULT_LANES,
                          help="how many learning rates (default %(default)s)")
    lane_map.add_argument("--format", choices=FORMATS + ("npz",), default="table",
                          help="table, csv, jsonl: one row per lr; npz: the loss matrix to "
                          "--output (default %(default)s)")
    lane_map.add_argument("--output", metavar="FILE.npz",
                          help="where --format npz writes the matrix")
    return lane_map


def run_map(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Check the grid, run the map, print or write it; bad input is one line and exit 2."""
    out = out or sys.stdout
    settings = settings_from(args)
    try:
        output = _output_path(args)
        check_method(settings)
    except MapError as error:
        return _refuse(error)
    return headless_command(lambda: _run(settings, args, output, out))


def _output_path(args: argparse.Namespace) -> Path | None:
    if args.format != "npz":
        if args.output:
            raise MapError("--output is where --format npz writes; the other formats print")
        return None
    if not args.output:
        raise MapError("--format npz needs --output FILE.npz")
    path = Path(args.output)
    if not path.resolve().parent.is_dir():
        raise MapError(f"--output: no folder {path.parent} to write {path.name} in")
    return path


def _refuse(error: Exception) -> int:
    print(f"lrtui: error: {error}", file=sys.stderr)
    return 2


def _run(settings, args: argparse.Namespace, output: Path | None, out: TextIO) -> int:
    dataset = make_dataset(settings)  # a bad --data file fails before TensorFlow loads
    theory = map_theory(settings, dataset)
    defaults = default_learning_rates(theory, settings.learning_rate, 2)
    lr_min = args.lr_min if args.lr_min is not None else float(defaults[0])
    lr_max = args.lr_max if args.lr_max is not None else float(defaults[-1])
    try:
        check_grid(lr_min, lr_max, args.num, settings.steps)
    except MapError as error:
        return _refuse(error)
    learning_rates = np.geomspace(lr_min, lr_max, args.num)
    from lrtui.engine.lr_map import LrMap
    from lrtui.engine.startup import quiet_stderr, start_device

    with quiet_stderr():
        device = start_device(settings.device)
        view = LrMap(settings, device.name, learning_rates, settings.steps, dataset).compute()
    if output is not None:
        write_atomic(output, _npz_bytes(view))
        print(f"wrote {output}: loss matrix {view.loss.shape[0]} step rows × "
              f"{view.loss.shape[1]} learning rates", file=out)
        return 0
    _print_rows(view, args.format, out, device.note)
    return 0


def _print_rows(view: LrMapView, format: str, out: TextIO, note: str = "") -> None:
    printer = Printer(out, format, COLUMNS, WIDTHS)
    printer.header()
    if note:
        printer.event(note)
    for row in view.rows():
        if format == "table":
            # Without a known minimum (logistic, mlp) there is no 1% to reach: "-", not "never".
            unreached = "never" if view.exact else "-"
            row = {**row, "steps_to_1pct": unreached if row["steps_to_1pct"] is None else row["steps_to_1pct"],
                   "diverged_at": "-" if row["diverged_at"] is None else row["diverged_at"]}
        printer.row(row)
    printer.summary(_summary(view))
    if format == "table":
        printer.comment(describe(view))
    out.flush()


def _summary(view: LrMapView) -> dict:
    s = view.settings
    summary = {"steps": view.steps, "num": len(view.learning_rates), "model": s.model,
               **_theory_numbers(view), "optimizer": describe_optimizer(s),
               "schedule": describe_schedule(s), "diverged": int((view.diverged_at >= 0).sum())}
    return summary


def _theory_numbers(view: LrMapView) -> dict:
    """The exact theory's numbers (line, poly); for the others the sharpness at the start,
    measured, and 2/sharpness there (None stands for a number that does not exist)."""
    theory = view.theory
    if theory is None:
        s = view.start_sharpness
        return {"sharpness_at_start": s, "lr_max_at_start": 2.0 / s if s > 0 else None}
    return {"lr_max": theory.lr_max, "lr_opt": theory.lr_opt, "lr_zigzag": theory.lr_zigzag,
            "ols_loss": theory.ols_loss, "converged_loss": theory.converged_loss}


def _npz_bytes(view: LrMapView) -> bytes:
    """The whole map for a notebook; -1 in the step arrays means never."""
    arrays = {
        "learning_rates": view.learning_rates, "step": view.step, "span": np.int64(view.span),
        "loss": view.loss, "low": view.low, "high": view.high, "final_loss": view.final_loss,
        "steps_to_1pct": view.steps_to_1pct, "diverged_at": view.diverged_at,
        "min_loss": view.min_loss, "steps": np.int64(view.steps),
        # NaN: no lr_opt when every x is the same (a line of minima, not a point)
        **{name: np.nan if value is None else np.float64(value)
           for name, value in _theory_numbers(view).items() if name != "converged_loss"},
    }
    if view.predicted is not None:
        arrays["predicted_steps_to_1pct"] = view.predicted
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def describe(view: LrMapView) -> str:
    """One line for a person: where the band of lrs that converge lies."""
    if not view.exact:
        finished = view.diverged_at < 0
        if not finished.any():
            return "every lr diverged in the budget"
        best = int(np.argmin(np.where(finished, view.final_loss, np.inf)))
        lowest = (f"lowest final loss {fmt(float(view.final_loss[best]))} at lr "
                  f"{fmt(float(view.learning_rates[best]))}")
        if finished.all():
            return f"{lowest}; none diverged"
        first = float(view.learning_rates[~finished].min())
        return f"{lowest}; {int((~finished).sum())} diverged, the smallest at lr {fmt(first)}"
    converged = view.steps_to_1pct >= 0
    if not converged.any():
        return "no lr got within 1% of the OLS loss in the budget"
    lrs = view.learning_rates[converged]
    return f"within 1% of the OLS loss: lr {fmt(lrs.min())} to {fmt(lrs.max())}"
