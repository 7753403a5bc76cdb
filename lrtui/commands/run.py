"""`lrtui run`: the lesson's printout without the UI, as a table, CSV or JSON lines."""

from __future__ import annotations

import sys
from typing import TextIO

from lrtui.commands.output import Printer, in_step_order
from lrtui.engine.method import describe_optimizer, describe_schedule
from lrtui.engine.run import Event, Run, State, make_dataset
from lrtui.engine.stability import predicted_steps
from lrtui.engine.startup import quiet_stderr
from lrtui.settings.fields import Settings

COLUMNS = ("step", "loss", "w", "b", "dw", "db", "lr")
# A mini-batch run's rows carry both losses: on all the points, and the step's batch.
MINI_BATCH_COLUMNS = ("step", "loss", "batch_loss", "w", "b", "dw", "db", "lr")
CHUNK = 16384


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
        "singular": theory.singular,
        "predicted_steps_to_1pct": _whole(predicted_steps(run.settings, theory, run.dataset.n)),
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


def _whole(steps: float | None) -> int | None:
    """A predicted number of steps for JSON: an int, or None for never or not predicted."""
    return None if steps is None or steps == float("inf") else int(steps)


def run_headless(settings: Settings, format: str = "table", out: TextIO | None = None,
                 save: str | None = None) -> int:
    """Train to the step budget (or divergence), printing every log-every steps."""
    out = out or sys.stdout
    dataset = make_dataset(settings)  # DataError goes to the caller before TensorFlow loads
    from lrtui.engine.startup import load_run

    with quiet_stderr() as err:
        run = load_run(settings, dataset)
        printer = Printer(out, format, MINI_BATCH_COLUMNS if run.mini_batch else COLUMNS, err=err)
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
                    printer.row(item.as_dict())
        printer.summary(summarize(run, diverged_at))
        if save:
            from lrtui.engine.runfile import save_run

            save_run(run, save)
            printer.event(Event(run.step, f"run saved to {save}"))
        out.flush()
    return 0
