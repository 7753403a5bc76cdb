"""Start the app on a real terminal with TensorFlow unable to write over it.

Textual draws on sys.__stderr__ (fd 2), and TensorFlow's C++ logs write to
fd 2 from any thread at any time. So before the app starts, the terminal is
duplicated to a new descriptor for Textual to draw on, and fd 2 itself is
pointed at the log file for the app's whole life. Both are put back on exit,
so a late traceback still reaches the user. If the app died from an
exception, the terminal is back by then and lrtui.crash tells the user.
"""

from __future__ import annotations

import asyncio
import os
import sys

from lrtui.app.recovery import install_signal_handlers
from lrtui.app.served import served, watch_the_server
from lrtui.app.textual_internals import app_exception
from lrtui.crash import report_crash
from lrtui.locations import tensorflow_log
from lrtui.settings.fields import Settings

THREADS_GRACE = 1.0  # seconds the training worker may take to return after a quit


def run_app(settings: Settings, fps: float = 15.0, mouse: bool = True, run_file=None) -> int:
    from lrtui.app.app import LrApp

    app = LrApp(settings, fps=fps, run_file=run_file)
    # Our own loop, not asyncio.run(): that waits at exit for the worker thread,
    # which cannot be interrupted while it imports TensorFlow.
    loop = asyncio.new_event_loop()
    install_signal_handlers(app, loop)  # a hang-up or a kill saves the run (lrtui.app.recovery)
    if served():
        watch_the_server(app, loop)  # no app outlives its server (lrtui.app.served)
    path = tensorflow_log()
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    saved_stderr, saved_dunder = sys.stderr, sys.__stderr__
    terminal = os.fdopen(terminal_fd, "w", buffering=1)
    log = open(path, "a", buffering=1)
    os.dup2(log.fileno(), 2)
    sys.__stderr__ = terminal  # where Textual's driver draws
    sys.stderr = log  # Python warnings join TensorFlow's lines in the log
    try:
        app.run(mouse=mouse, loop=loop)
    finally:
        sys.stderr, sys.__stderr__ = saved_stderr, saved_dunder
        os.dup2(terminal_fd, 2)
        try:
            terminal.close()
        except OSError:  # the terminal is gone (a hang-up): nothing left to flush to it
            pass
        log.close()
    error = app_exception(app)
    if error is not None:  # Textual has restored the terminal: say what failed, where to read more
        return report_crash(getattr(error, "error", error))  # a worker's error carries the real one
    if app.loading_thread_alive():
        # Quit during TensorFlow's import: it cannot be interrupted, and the
        # interpreter would wait for it at exit. Nothing is left to save.
        sys.stdout.flush()
        os._exit(app.return_code or 0)
    # The training worker finishes the command in hand (a save) and returns. Other
    # threads may be inside one compiled TensorFlow call (a range test, compare
    # mode compiling) that cannot be interrupted: main() ends the process
    # without waiting for them.
    app.controller.finished.wait(THREADS_GRACE)
    loop.close()
    return app.return_code or 0
