"""A dropped connection loses nothing: on SIGHUP the current run is saved, then the app exits.

Two files beside TensorFlow's log (~/.local/state/lrtui/): recovery-run.json,
a full run file that `lrtui --load` reopens where the run stopped, and
recovery.json, a small summary (the settings, step, weights, lr and loss of
the last frame, and the `resume` command line: `lrtui --load …`, or, while
TensorFlow was still loading, the options to start again). Both are written
to a temporary file first and renamed, so neither is ever half written.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path

from lrtui.atomic import write_atomic
from lrtui.engine.jsonable import finite_or_none
from lrtui.engine.run import Snapshot
from lrtui.locations import state_dir
from lrtui.settings.fields import Settings
from lrtui.settings.options import command_line

VERSION = 1
# After a hangup the terminal may be gone and a write to it may block: exit anyway.
EXIT_GRACE_SECONDS = 3.0
HANGUP_RETURN_CODE = 128 + signal.SIGHUP
# The worker writes the run file between two chunks: it is done well within this.
RUN_FILE_SECONDS = 1.5


def recovery_path() -> Path:
    return state_dir() / "recovery.json"


def resume_command(settings: Settings, w: float | None, b: float | None) -> str:
    """`lrtui` with every option that differs from the defaults, starting from (w, b)."""
    return command_line(settings, "lrtui", init_w=w, init_b=b)


def recovery_run_path() -> Path:
    return state_dir() / "recovery-run.json"


def recovery_record(settings: Settings, snapshot: Snapshot | None, reason: str,
                    run_file: Path | None = None) -> dict:
    record = {"version": VERSION, "reason": reason,
              "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "settings": {k: finite_or_none(v) if isinstance(v, float) else v
                           for k, v in asdict(settings).items()}}
    if snapshot is not None:
        w, b = finite_or_none(snapshot.w), finite_or_none(snapshot.b)
        record.update(state=snapshot.state.name.lower(), step=snapshot.step, w=w, b=b,
                      learning_rate=finite_or_none(snapshot.learning_rate), loss=finite_or_none(snapshot.loss),
                      data=snapshot.data_source, resume=resume_command(settings, w, b))
    else:
        record.update(state="loading", step=0, resume=resume_command(settings, None, None))
    if run_file is not None:  # the whole run, history and all: --load continues it exactly
        record.update(run_file=str(run_file), resume=shlex.join(["lrtui", "--load", str(run_file)]))
    return record


def save_recovery(record: dict, path: Path | None = None) -> Path:
    """Write atomically (lrtui.atomic): the old file or the whole new one, never half."""
    path = path or recovery_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(record, indent=2))


def install_hangup_handler(app, loop) -> None:
    """On SIGHUP: save the app's latest frame, stop training, exit the app.

    Runs in the main thread between two bytecodes of the event loop, so it
    only reads the last snapshot (plain Python objects, no TensorFlow) and asks
    the loop to exit through its thread-safe door.
    """
    def on_hangup(signum, frame) -> None:
        snapshot = app.snapshot
        settings = snapshot.settings if snapshot is not None else app.settings
        run_file = recovery_run_path()
        try:
            run_file.parent.mkdir(parents=True, exist_ok=True)
            saved = app.controller.save_and_wait(run_file, RUN_FILE_SECONDS)
            save_recovery(recovery_record(settings, snapshot, "hangup", run_file if saved else None))
        except OSError:
            pass  # nowhere to write and nobody to tell: still exit cleanly
        app.controller.shutdown()
        watchdog = threading.Timer(EXIT_GRACE_SECONDS, os._exit, (HANGUP_RETURN_CODE,))
        watchdog.daemon = True
        watchdog.start()
        if not loop.is_running():  # the app has not started or has already stopped
            os._exit(HANGUP_RETURN_CODE)
        loop.call_soon_threadsafe(lambda: app.exit(return_code=HANGUP_RETURN_CODE))

    signal.signal(signal.SIGHUP, on_hangup)
