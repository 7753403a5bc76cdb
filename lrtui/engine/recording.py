"""Every step's record at full resolution, up to a limit.

The loss pane needs only the bounded history; a run file and a CSV export
want each step's loss, w, b, dw, db and lr (another model's loss, lr and
|∇L|; and the sharpness where it was measured). Those are kept here for the first
`FULL_STEPS` steps since the last reset (about 3.4 MB of float64 in memory
and some 7 MB of JSON). A longer run keeps its first FULL_STEPS steps plus the
bounded history, and its end state is always exact: continuing a saved run
never needs the records.
"""

from __future__ import annotations

import numpy as np

from lrtui.engine.records import FIELDS, StepBatch

FULL_STEPS = 50_000
COLUMNS = ("step",) + FIELDS  # the line's


class Recording:
    def __init__(self, limit: int = FULL_STEPS, line: bool = True):
        self.limit = limit
        self.line = line  # which columns an empty recording has
        self.clear()

    def clear(self) -> None:
        self._parts: list[StepBatch] = []
        self.count = 0
        self.truncated = False  # steps were left out once the limit was reached

    def add(self, batch: StepBatch) -> None:
        room = self.limit - self.count
        if len(batch) > room:
            self.truncated = True
            if room <= 0:
                return
            batch = batch.part(slice(0, room))
        if len(batch):
            self._parts.append(batch)
            self.count += len(batch)

    def columns(self) -> dict[str, np.ndarray]:
        """One array per column, in step order (a diverged step repeats when the run goes on)."""
        if not self._parts:
            names = ("step",) + StepBatch.empty(self.line).recorded()
            return {c: np.zeros(0, np.int64 if c == "step" else np.float64) for c in names}
        merged = StepBatch.joined(self._parts)
        merged.diverged = False
        self._parts = [merged]
        return {c: getattr(merged, c) for c in ("step",) + merged.recorded()}

    def load(self, columns: dict[str, np.ndarray], truncated: bool) -> None:
        self.clear()
        self.add(StepBatch.from_columns(columns))
        self.truncated = truncated
