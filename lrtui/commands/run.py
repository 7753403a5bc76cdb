"""`lrtui run`: the lesson's printout without the UI, as a table, CSV or JSON lines."""

from __future__ import annotations

import sys
from typing import TextIO

from lrtui.commands.output import Printer
from lrtui.engine.method import describe_optimizer, describe_schedule
from lrtui.engine.run import Run, State, make_dataset
from lrtui.engine.startup import quiet_stderr
from lrtui.settings.fields import Settings

COLUMNS = ("step", "loss", "w", "b", "dw", "db", "lr")
CHUNK = 16384


def summarize(run: Run, diverged_at: int | None) -> dict:
    w, b = run.weights()
    theory = run.theory
    return {
        "status": "diverged" if run.state == State.DIVERGED else "finished",
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
    from lrtui.engine.startup import load_run

    printer = Printer(out, format, COLUMNS)
    with quiet_stderr():
        run = load_run(settings, dataset)
        printer.header()
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
        printer.summary(summarize(run, diverged_at))
        if save:
            from lrtui.engine.runfile import save_run

            save_run(run, save)
            printer.event(f"run saved to {save}")
        out.flush()
    return 0
