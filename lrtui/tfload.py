"""Import TensorFlow without letting it print into the terminal.

TensorFlow's C++ logs write straight to file descriptor 2, bypassing Python,
and XLA adds lines on its first compile. `quiet_stderr` points fd 2 at a log
file for as long as needed; the app keeps it there for its whole life and draws
on a duplicate of the terminal instead (see `lrtui.screen`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

INSTALL_HINT = "install it with: pip install tensorflow"


def log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "lrtui"


def log_path() -> Path:
    return log_dir() / "tensorflow.log"


@contextlib.contextmanager
def quiet_stderr(path: Path | None = None):
    """Send everything written to fd 2 (and sys.stderr) to the log file meanwhile.

    Yields a text stream to the real stderr, for what the user must still see.
    """
    path = path or log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a", buffering=1) as log, open(os.dup(saved), "w", buffering=1) as real:
        os.dup2(log.fileno(), 2)
        try:
            yield real
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


class TensorFlowMissing(RuntimeError):
    """TensorFlow could not be imported; the message says how to install it."""


def import_tensorflow():
    """Import TensorFlow with its logging turned down; fd 2 is the caller's business."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
    except Exception as error:  # ImportError, or a broken native library
        raise TensorFlowMissing(f"TensorFlow could not be imported ({error}); {INSTALL_HINT}") from error
    logger = tf.get_logger()
    logger.handlers.clear()
    log_dir().mkdir(parents=True, exist_ok=True)
    logger.addHandler(logging.FileHandler(log_path()))
    logger.propagate = False
    return tf
