"""Step records as they come out of a compiled chunk (no TensorFlow needed to read them).

The line records what the lesson prints: loss, w, b, dw, db and lr at every
step. Another model has too many parameters for a row (a network's W1 alone
may hold hundreds), so its steps record loss, lr and the gradient's length
|∇L|; its parameters are read from the trainer when needed, except for the
last `RECENT_STEPS` steps of a batch, whose θ it carries (the blackboard
draws them as jumps). Either may carry the sharpness, NaN on the steps where
it was not measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = ("loss", "w", "b", "dw", "db", "lr")  # the line's row, as the lesson prints it
MODEL_FIELDS = ("loss", "lr", "grad_norm")  # every other model's row
ALL_FIELDS = ("loss", "w", "b", "dw", "db", "lr", "grad_norm", "sharpness")
# The blackboard draws this many of the last steps as jumps: their weights travel in every frame.
RECENT_STEPS = 12


@dataclass
class StepBatch:
    """Records of consecutive steps; each row holds the weights the step started from."""

    step: np.ndarray  # int64
    loss: np.ndarray
    w: np.ndarray | None  # w, b, dw, db: the line's; None for the other models
    b: np.ndarray | None
    dw: np.ndarray | None
    db: np.ndarray | None
    lr: np.ndarray
    diverged: bool  # the last row's loss is bad; its update was not applied
    grad_norm: np.ndarray | None = None  # |∇L|; for the line, worked out from dw and db
    sharpness: np.ndarray | None = None  # None: not measured in this run; NaN: not at this step
    # Models other than the line: θ of the batch's last steps, [k, P] for its last k rows
    # (k ≤ RECENT_STEPS), each the weights that step started from.
    recent_theta: np.ndarray | None = None

    def __post_init__(self):
        if self.grad_norm is None and self.dw is not None:
            self.grad_norm = np.hypot(self.dw, self.db)

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @property
    def is_line(self) -> bool:
        return self.w is not None

    def recent(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, θ) of the last steps whose weights the batch holds: the line's [w, b] of
        its last RECENT_STEPS rows, another model's `recent_theta`."""
        if self.is_line:
            return self.step[-RECENT_STEPS:], np.stack([self.w, self.b], axis=1)[-RECENT_STEPS:]
        if self.recent_theta is None:
            return self.step[:0], np.zeros((0, 0))
        return self.step[len(self) - len(self.recent_theta):], self.recent_theta

    @property
    def updates(self) -> int:
        """How many steps changed the weights."""
        return len(self) - (1 if self.diverged else 0)

    def recorded(self) -> tuple[str, ...]:
        """The columns a run keeps of these steps: the line's row, or loss, lr and |∇L|;
        and the sharpness when it is measured."""
        base = FIELDS if self.is_line else MODEL_FIELDS
        return base + (("sharpness",) if self.sharpness is not None else ())

    def part(self, rows) -> StepBatch:
        """The rows `rows` (a slice or indices) as a batch; it has not diverged."""
        return StepBatch(self.step[rows], *(None if getattr(self, f) is None else getattr(self, f)[rows]
                                            for f in FIELDS), diverged=False,
                         grad_norm=self.grad_norm[rows], sharpness=None if self.sharpness is None
                         else self.sharpness[rows])

    @staticmethod
    def joined(batches: list[StepBatch]) -> StepBatch:
        """Consecutive batches as one; diverged if the last one did."""
        def join(name):
            parts = [getattr(b, name) for b in batches]
            if all(p is None for p in parts):
                return None
            return np.concatenate([np.full(len(b), np.nan) if p is None else p
                                   for b, p in zip(batches, parts)])
        recent = [b.recent_theta for b in batches if b.recent_theta is not None]
        # Chunks are consecutive: the newest RECENT_STEPS rows are the tails of the last ones.
        return StepBatch(np.concatenate([b.step for b in batches]), *(join(f) for f in FIELDS),
                         diverged=batches[-1].diverged, grad_norm=join("grad_norm"),
                         sharpness=join("sharpness"),
                         recent_theta=np.concatenate(recent)[-RECENT_STEPS:] if recent else None)

    @staticmethod
    def from_columns(columns: dict[str, np.ndarray]) -> StepBatch:
        """A batch from named columns (a run file's records); absent ones are None."""
        get = columns.get
        return StepBatch(columns["step"], get("loss"), get("w"), get("b"), get("dw"), get("db"),
                         get("lr"), diverged=False, grad_norm=get("grad_norm"),
                         sharpness=get("sharpness"))

    @staticmethod
    def empty(line: bool = True) -> StepBatch:
        z = np.zeros(0, np.float64)
        if line:
            return StepBatch(np.zeros(0, np.int64), z, z, z, z, z, z, False)
        return StepBatch(np.zeros(0, np.int64), z, None, None, None, None, z, False, grad_norm=z)
