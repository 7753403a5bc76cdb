"""A crash is never silent: the full traceback goes to its own file, the user gets two lines.

The app draws on the terminal and points fd 2 at TensorFlow's log, so an
uncaught exception used to end in a blank screen, exit status 1 and a
traceback nobody would look for. Whatever dies from an exception (the app,
a headless command, the command line itself) comes here once the terminal is
back: the traceback is written to crash-DATE-PID.log in the state folder
(lrtui.locations) and the real terminal gets what failed and where to read
more. The exit status is 1.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

from lrtui import __version__
from lrtui.locations import crash_log

EXIT_STATUS = 1


def save_crash(error: BaseException) -> Path | None:
    """Write the traceback to a new crash log; None if there is nowhere to write it."""
    path = crash_log(time.strftime("%Y%m%d-%H%M%S"), os.getpid())
    text = (f"lrtui {__version__}, {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, "
            f"python {sys.version.split()[0]}, argv {sys.argv}\n\n"
            + "".join(traceback.format_exception(error)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path


def report_crash(error: BaseException, out: TextIO | None = None) -> int:
    """Save the crash log and tell the user in two lines; the exit status to use."""
    out = out or sys.stderr
    path = save_crash(error)
    what = f"{type(error).__name__}: {error}".strip().rstrip(":")
    first = what.splitlines()[0] if what else type(error).__name__
    where = f"the full traceback is in {path}" if path else "no crash log could be written"
    print(f"lrtui: crashed: {first}\nlrtui: {where}", file=out, flush=True)
    return EXIT_STATUS
