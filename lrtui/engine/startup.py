"""The one way to start the engine: import TensorFlow quietly, pick the device, build, warm up.

TensorFlow's C++ logs write straight to file descriptor 2, bypassing Python,
and XLA adds lines on its first compile. `quiet_stderr` points fd 2 at a log
file for as long as needed; the app keeps it there for its whole life and draws
on a duplicate of the terminal instead (see lrtui.app.runner). The app's
workers, `lrtui run`, `find-lr`, `compare` and the benchmarks all start here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lrtui.locations import tensorflow_log

if TYPE_CHECKING:
    from lrtui.engine.compare import CompareRun
    from lrtui.engine.data import Dataset
    from lrtui.engine.device import DeviceChoice
    from lrtui.engine.run import Run
    from lrtui.settings.fields import Settings

INSTALL_HINT = "install it with: pip install tensorflow"


@contextlib.contextmanager
def quiet_stderr(path: Path | None = None):
    """Send everything written to fd 2 (and sys.stderr) to the log file meanwhile.

    Yields a text stream to the real stderr, for what the user must still see.
    """
    path = path or tensorflow_log()
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
    if not any(isinstance(h, logging.FileHandler) for h in logger.handlers):
        logger.handlers.clear()
        tensorflow_log().parent.mkdir(parents=True, exist_ok=True)
        logger.addHandler(logging.FileHandler(tensorflow_log()))
        logger.propagate = False
    return tf


def start_device(device: str) -> DeviceChoice:
    """TensorFlow imported (fd 2 is the caller's business) and the device chosen."""
    from lrtui.engine.device import choose_device

    return choose_device(import_tensorflow(), device)


def load_run(settings: Settings, dataset: Dataset, compile_ahead: bool = False) -> Run:
    """A single run, built and warmed up: its first chunk is compiled.

    The app compiles the larger chunks ahead, in the background, so that no key
    waits for XLA; a headless run needs its largest chunk at once and compiles
    it when it asks for it.
    """
    from lrtui.engine.run import Run

    run = Run(settings, start_device(settings.device), dataset)
    run.trainer.warm_up(ahead=compile_ahead)
    return run


def load_compare(settings: Settings, learning_rates, optimizers, dataset: Dataset,
                 warm_up: bool = True) -> CompareRun:
    """Several runs in lock-step, built (and warmed up, for the app's first keys)."""
    from lrtui.engine.compare import CompareRun

    compare = CompareRun(settings, start_device(settings.device), learning_rates, optimizers, dataset)
    if warm_up:
        compare.trainer.warm_up()
    return compare
