"""How every headless command ends on bad input: one line on stderr and exit 2."""

from __future__ import annotations

import sys
from collections.abc import Callable


def headless_command(work: Callable[[], int]) -> int:
    """Run a headless command; a bad data file or a missing TensorFlow is one line, exit 2."""
    from lrtui.engine.data import DataError
    from lrtui.engine.startup import TensorFlowMissing

    try:
        return work()
    except (DataError, TensorFlowMissing) as error:
        print(f"lrtui: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
