"""`lrtui run`: the lesson's printout without the UI, as a table, CSV or JSON lines."""

from __future__ import annotations

import sys
from typing import TextIO

from lrtui.commands.output import Printer
from lrtui.engine.method import describe_optimizer, describe_schedule
from lrtui.engine.quadratic import scaling_of
from lrtui.engine.run import Run, State, fmt, make_dataset
from lrtui.engine.startup import quiet_stderr
from lrtui.settings.fields import Settings

COLUMNS = ("step", "loss", "w", "b", "dw", "db", "lr")  # the line's, as the lesson prints them
MODEL_COLUMNS = ("step", "loss", "lr", "grad_norm")  # every other model's
CHUNK = 16384


def columns_of(settings: Settings) -> tuple[str, ...]:
    measured = ("sharpness",) if settings.sharpness_every else ()
    return (COLUMNS if settings.model == "line" else MODEL_COLUMNS) + measured


def summarize(run: Run, diverged_at: int | None) -> dict:
    w, b = run.weights()
    theory = run.theory
    summary = {
        "status": "diverged" if run.state == State.DIVERGED else "finished",
        "steps": run.step,
        "loss": run.current_loss(),
        "model": run.model.describe(),
    }
    if run.model.name == "line":
        summary.update(w=w, b=b)
    summary["lr"] = run.learning_rate
    if theory is not None:  # exact: the Hessian is constant
        summary.update(lr_max=theory.lr_max, lr_opt=theory.lr_opt, lr_zigzag=theory.lr_zigzag,
                       condition_number=theory.condition_number)
        if run.model.name == "line":
            summary.update(ols_w=theory.ols_w, ols_b=theory.ols_b)
        summary["ols_loss"] = theory.ols_loss
    summary.update({
        "sharpness": run.sharpness,
        "lr_max_now": run.lr_max_now,
        "params": run.parameters(),
        "diverged_at": diverged_at,
        "optimizer": describe_optimizer(run.settings),
        "schedule": describe_schedule(run.settings),
        "batch_size": run.settings.batch_size or run.dataset.n,
        "last_lr_used": run.latest.lr if run.latest else None,
        "n": run.dataset.n,
        "data": run.dataset.source,
        "device": run.device.label,
    })
    return summary


def run_headless(settings: Settings, format: str = "table", out: TextIO | None = None,
                 save: str | None = None) -> int:
    """Train to the step budget (or divergence), printing every log-every steps."""
    out = out or sys.stdout
    dataset = make_dataset(settings)  # DataError goes to the caller before TensorFlow loads
    from lrtui.engine.startup import load_run

    printer = Printer(out, format, columns_of(settings))
    with quiet_stderr():
        run = load_run(settings, dataset)
        printer.header()
        scaling = scaling_of(settings)
        if scaling is not None and settings.model == "poly":
            raw, scaled = scaling
            printer.event(f"feature scaling: κ {fmt(raw.condition_number)} -> "
                          f"{fmt(scaled.condition_number)} standardized, lr_max {fmt(raw.lr_max)} -> "
                          f"{fmt(scaled.lr_max)} (this run: {'standardized' if settings.standardize else 'raw'})")
        for event in run.drain()[1]:  # warnings about the lr, before any step
            printer.event(event.text)
        diverged_at = None
        while run.state not in (State.FINISHED, State.DIVERGED):
            batch = run.advance(CHUNK)
            if batch.diverged:
                diverged_at = int(batch.step[-1])
            rows, events = run.drain()
            for row in rows:
                printer.row(row.as_dict())
            for event in events:
                printer.event(event.text)
        summary = summarize(run, diverged_at)
        if scaling is not None:
            raw, scaled = scaling
            summary["feature_scaling"] = {
                "condition_number": raw.condition_number, "lr_max": raw.lr_max,
                "condition_number_standardized": scaled.condition_number,
                "lr_max_standardized": scaled.lr_max}
        printer.summary(summary)
        if save:
            from lrtui.engine.runfile import save_run

            save_run(run, save)
            printer.event(f"run saved to {save}")
        out.flush()
    return 0
