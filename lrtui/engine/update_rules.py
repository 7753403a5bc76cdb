"""The update rules compare mode runs in lock-step, and their constants.

The names are those of `--optimizer`; the constants are Keras 3's defaults
(SGD's momentum is set to 0.9, its usual value), so a run here moves like the
same Keras optimizer would. The tests hold each rule to that: they step the
real Keras optimizer on the same weights and compare.
"""

from __future__ import annotations

from lrtui.settings.fields import OPTIMIZERS, parse_optimizer  # noqa: F401  (one list of names)

CODES = {name: index for index, name in enumerate(OPTIMIZERS)}
ADAGRAD_START = 0.1  # Keras's initial_accumulator_value

_CONSTANTS = {"momentum": 0.9, "rho": 0.9, "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999}


def rule_constants() -> dict[str, float]:
    return dict(_CONSTANTS)
