"""A dropped connection or a kill loses nothing: on SIGHUP or SIGTERM the run is saved, then the app exits.

Each process writes at most one recovery run, named after the time and its
pid (~/.local/state/lrtui/recovery/run-DATE-TIME-PID.json), so two instances
never overwrite each other. It is one document, written atomically
(lrtui.atomic): the run file that `lrtui --load` reopens where the run stopped,
with a "recovery" section (why, when, which process, the command to resume).
While TensorFlow is still loading there is no run yet: the document is then
of format "lrtui-recovery" and holds only the settings and the options to
start again, which `--load` refuses with that command instead of opening
anything stale. Only the newest KEEP recovery runs are kept.

SIGTERM is handled as SIGHUP: the app exits through Textual, which gives the
terminal back (main screen, mouse off, cursor on); exit status 128 + signal.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from lrtui.atomic import write_atomic
from lrtui.engine.jsonable import finite_or_none
from lrtui.engine.run import Snapshot
from lrtui.engine.runfile import RECOVERY_FORMAT
from lrtui.locations import recovery_dir
from lrtui.settings.fields import Settings
from lrtui.settings.options import command_line

VERSION = 1
KEEP = 5
REASONS = {signal.SIGHUP: "hangup", signal.SIGTERM: "terminated"}
# After a hangup the terminal may be gone and a write to it may block: exit anyway.
EXIT_GRACE_SECONDS = 3.0
# The worker writes the run file between two chunks: it is done well within this.
RUN_FILE_SECONDS = 1.5
# What Textual writes when it gives the terminal back, for an exit that cannot wait for it.
RESTORE_TERMINAL = "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1049l\x1b[?25h"


def recovery_path(pid: int | None = None, when: float | None = None) -> Path:
    """This process's recovery run: one per process, named by time and pid."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    return recovery_dir() / f"run-{stamp}-{pid or os.getpid()}.json"


def recovery_section(reason: str, path: Path, resume: str) -> dict:
    return {"version": VERSION, "reason": reason, "pid": os.getpid(), "path": str(path),
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "resume": resume}


def start_again(settings: Settings, snapshot: Snapshot | None) -> str:
    """`lrtui` with every option that differs from the defaults, from the last weights shown."""
    if snapshot is None:
        return command_line(settings, "lrtui")
    return command_line(settings, "lrtui", init_w=finite_or_none(snapshot.w),
                        init_b=finite_or_none(snapshot.b))


def options_document(settings: Settings, snapshot: Snapshot | None, reason: str, path: Path) -> dict:
    """No run to save (TensorFlow still loading): the settings and the command to start again."""
    return {"format": RECOVERY_FORMAT, "version": VERSION,
            "recovery": recovery_section(reason, path, start_again(settings, snapshot)),
            "settings": {k: finite_or_none(v) if isinstance(v, float) else v
                         for k, v in asdict(settings).items()}}


def save_recovery(app, reason: str, path: Path | None = None) -> Path:
    """The whole run if the worker can write it now, else the options to start again; then prune."""
    path = path or recovery_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    section = recovery_section(reason, path, shlex.join(["lrtui", "--load", str(path)]))
    if not app.controller.save_and_wait(path, RUN_FILE_SECONDS, section):
        snapshot = app.snapshot
        settings = snapshot.settings if snapshot is not None else app.settings
        write_atomic(path, json.dumps(options_document(settings, snapshot, reason, path), indent=2))
    prune()
    return path


def prune(keep: int = KEEP) -> None:
    """Keep the newest `keep` recovery runs (the names sort by time)."""
    for old in sorted(recovery_dir().glob("run-*.json"))[:-keep]:
        try:
            old.unlink()
        except OSError:
            pass


def install_signal_handlers(app, loop) -> None:
    """On SIGHUP or SIGTERM: save the run (or the options), stop training, exit the app.

    Runs in the main thread between two bytecodes of the event loop, so it
    reads only the last snapshot and the worker's own save, and asks the loop
    to exit through its thread-safe door.
    """
    def on_signal(signum, frame) -> None:
        code = 128 + signum
        try:
            save_recovery(app, REASONS[signum])
        except OSError:
            pass  # nowhere to write and nobody to tell: still exit cleanly
        app.controller.shutdown()
        watchdog = threading.Timer(EXIT_GRACE_SECONDS, give_up, (code,))
        watchdog.daemon = True
        watchdog.start()
        if not loop.is_running():  # the app has not started or has already stopped
            give_up(code)
        loop.call_soon_threadsafe(lambda: app.exit(return_code=code))

    for signum in REASONS:
        signal.signal(signum, on_signal)


def give_up(code: int) -> None:
    """Exit now: put the terminal back as Textual would have, if there is still one."""
    try:
        terminal = sys.__stderr__
        if terminal is not None:
            terminal.write(RESTORE_TERMINAL)
            terminal.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)
