"""Step records as they come out of a compiled chunk (no TensorFlow needed to read them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELDS = ("loss", "w", "b", "dw", "db", "lr")


@dataclass
class StepBatch:
    """Records of consecutive steps; each row holds the weights the step started from."""

    step: np.ndarray  # int64
    loss: np.ndarray
    w: np.ndarray
    b: np.ndarray
    dw: np.ndarray
    db: np.ndarray
    lr: np.ndarray
    diverged: bool  # the last row's loss is bad; its update was not applied

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @property
    def updates(self) -> int:
        """How many steps changed the weights."""
        return len(self) - (1 if self.diverged else 0)

    @staticmethod
    def empty() -> StepBatch:
        z = np.zeros(0, np.float64)
        return StepBatch(np.zeros(0, np.int64), z, z, z, z, z, z, False)
