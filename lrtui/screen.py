"""Start the app on a real terminal with TensorFlow unable to write over it.

Textual draws on sys.__stderr__ (fd 2), and TensorFlow's C++ logs write to
fd 2 from any thread at any time. So before the app starts, the terminal is
duplicated to a new descriptor for Textual to draw on, and fd 2 itself is
pointed at the log file for the app's whole life. Both are put back on exit,
so a late traceback still reaches the user.
"""

from __future__ import annotations

import os
import sys
import threading

from lrtui.config import Settings
from lrtui.tfload import log_path


def run_app(settings: Settings, fps: float = 15.0, mouse: bool = True, run_file=None) -> int:
    from lrtui.app import LrApp

    app = LrApp(settings, fps=fps, run_file=run_file)
    path = log_path()
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
        app.run(mouse=mouse)
    finally:
        sys.stderr, sys.__stderr__ = saved_stderr, saved_dunder
        os.dup2(terminal_fd, 2)
        terminal.close()
        log.close()
    if app.loading_thread_alive():
        # Quit during TensorFlow's import: it cannot be interrupted, and the
        # interpreter would wait for it at exit. Nothing is left to save.
        sys.stdout.flush()
        os._exit(app.return_code or 0)
    return app.return_code or 0
