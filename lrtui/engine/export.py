"""The step history as CSV: one row per recorded step, the columns of `lrtui run --format csv`.

With a mini-batch the recorded loss is the batch's: it becomes `batch_loss`,
and `loss` is the loss on all the points at the same weights, as in the step log.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from lrtui.atomic import write_atomic
from lrtui.engine.recording import COLUMNS
from lrtui.engine.run import Run


def history_csv(run: Run) -> str:
    columns = run.recording.columns()
    names = COLUMNS
    if run.mini_batch:
        columns = {**columns, "batch_loss": columns["loss"],
                   "loss": run.full_loss(columns["w"], columns["b"])}
        names = COLUMNS[:2] + ("batch_loss",) + COLUMNS[2:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    # Each value as the shortest text of its float32, as the step log prints it: 0.1, not 0.10000000149.
    values = [columns["step"].tolist()] + [[str(v) for v in np.asarray(columns[c]).astype(np.float32)]
                                            for c in names[1:]]
    writer.writerows(zip(*values))
    return out.getvalue()


def export_csv(run: Run, path: str | Path) -> str:
    """Write the CSV atomically; return what to tell the user."""
    write_atomic(path, history_csv(run))
    count = run.recording.count
    note = f" (the first {count:,}: longer runs keep no more)" if run.recording.truncated else ""
    return f"step history saved to {path}: {count:,} steps{note}"
