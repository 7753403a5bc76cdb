"""How every command ends: bad input is one line and exit 2, a crash two lines and exit 1.

`headless_command` is the one exit path of run, find-lr and compare. `entry`
is what the `lrtui` program runs: main(), then the end of the process without
the interpreter's teardown (`exit_now`). With TensorFlow loaded that teardown
takes seconds, and while a background XLA compile is still running it aborts
the process (exit 134) after the output is complete.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from lrtui.crash import report_crash


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
    except BrokenPipeError:
        # The reader went away (`lrtui run | head`): it has what it wanted; say nothing more.
        _silence_stdout()
        return 0
    except Exception as error:  # a bug: the traceback to a crash log, two lines here
        return report_crash(error)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the final flush cannot fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def entry(main: Callable[[], int]) -> None:
    """Run the program's main(); whatever it raises is a crash (lrtui.crash), never a bare traceback."""
    try:
        code = main()
    except SystemExit as done:  # argparse's exit 2, --help, --version
        code = done.code
        if code is None:
            code = 0
        elif not isinstance(code, int):  # SystemExit("text"): Python prints it and exits 1
            print(code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        code = 130
    except Exception as error:
        code = report_crash(error)
    exit_now(code)


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown; everything is written by now.

    Measured with TensorFlow loaded: the teardown took 2.5 s of a 2.7 s quit.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
