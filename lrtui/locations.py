"""Every folder lrtui reads or writes in the user's home, in one place.

The XDG base-directory rules by hand (four variables, one fallback each)
rather than a dependency: lrtui runs on Linux GPU boxes over SSH, where these
are the rules, and a path here is easy to read in a bug report.
"""

from __future__ import annotations

import os
from pathlib import Path


def _base(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    # The spec says a relative path in these variables is invalid: ignore it.
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def state_dir() -> Path:
    """Logs, crash logs, recovery runs: ~/.local/state/lrtui."""
    return _base("XDG_STATE_HOME", ".local/state") / "lrtui"


def config_dir() -> Path:
    """The user's own settings and themes: ~/.config/lrtui."""
    return _base("XDG_CONFIG_HOME", ".config") / "lrtui"


def themes_dir() -> Path:
    """Theme files the user added: ~/.config/lrtui/themes."""
    return config_dir() / "themes"


def runtime_dir() -> Path:
    """Sockets and live files of running processes: $XDG_RUNTIME_DIR/lrtui, else the state folder."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    return Path(value) / "lrtui" if value and os.path.isabs(value) else state_dir() / "run"


def trainings_dir() -> Path:
    """Keras trainings that `lrtui watch` can attach to: $XDG_RUNTIME_DIR/lrtui/trainings
    (private, in memory, emptied at logout), else ~/.local/state/lrtui/trainings."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if value and os.path.isabs(value) and os.path.isdir(value):
        return Path(value) / "lrtui" / "trainings"
    return state_dir() / "trainings"


def tensorflow_log() -> Path:
    """Where TensorFlow's own lines go, so that they never reach the terminal."""
    return state_dir() / "tensorflow.log"


def recovery_dir() -> Path:
    """Recovery runs saved on a hang-up or a kill, one per process: ~/.local/state/lrtui/recovery."""
    return state_dir() / "recovery"


def crash_log(stamp: str, pid: int) -> Path:
    """The full traceback of one crash: its own file, never mixed into TensorFlow's log."""
    return state_dir() / f"crash-{stamp}-{pid}.log"
