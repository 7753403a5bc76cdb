"""The local channel between a Keras training process and the terminals that watch it.

A training is a folder, `trainings_dir()/NAME/` (lrtui.locations), under the user's runtime
folder (XDG_RUNTIME_DIR/lrtui/trainings: in memory, private, emptied at
logout) or, without one, under the state folder
(XDG_STATE_HOME or ~/.local/state, then lrtui/trainings). In it:

- `rows-000000.jsonl`, `rows-000001.jsonl`, …: one JSON object per train
  batch, appended by the training process only. Each viewer reads from its own
  offset, so any number of viewers can follow, and one that attaches late reads
  the whole history from the first segment. Old segments are deleted first when
  the detail outgrows its budget; `history.json` then holds the complete
  bucketed loss curve of the steps before.
- `events.jsonl`: what happened, by step (epochs with their validation logs,
  acknowledged commands, the range test, the end). Small, never trimmed.
- `commands.jsonl`: steering commands, appended by viewers.
- `state.json`: the heartbeat, rewritten whole once a second: pid, state,
  step, last loss, lr. A viewer says "gone" when that pid is no longer the
  process that wrote it.
- `range_test.json`: the range test the callback ran before training, if any.

Why files and not a socket. The history has to outlive the training process
(a viewer attaching after a crash still reads it), and several viewers at
different offsets is what an append-only file gives for free. For commands a
Unix datagram socket would wake the training sooner, but it is bound to one
reader that must be alive and listening when the command is sent, its buffer
is bounded (a burst of commands to a paused or busy training would fail), and
its path is limited to 108 bytes. An appended line in a file waits until the
training reads it, keeps a record of who asked what, and falls under the same
folder permissions as everything else. The training reads it from its offset
every 50 ms, from a thread (one read() that usually returns nothing); the viewer waits for the
acknowledgement in `events.jsonl`.

Safety: every folder is created 0700 and every file 0600, with O_NOFOLLOW;
a folder or file that belongs to another user, is a symbolic link, or can be
read by group or others is refused with a message that says which and why.
There is no network port: only processes of the same user on the same
machine can attach.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from lrtui.locations import trainings_dir

NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
STATE = "state.json"
EVENTS = "events.jsonl"
COMMANDS = "commands.jsonl"
HISTORY = "history.json"
RANGE_TEST = "range_test.json"
SEGMENT = "rows-{:06d}.jsonl"
SEGMENT_RULE = re.compile(r"rows-(\d{6})\.jsonl")
# A training that is gone or finished, with no heartbeat for this long, is cleaned up.
KEEP_SECONDS = 7 * 24 * 3600
COMMANDS_KNOWN = ("set_lr", "scale_lr", "pause", "resume", "stop", "save_weights")
LIVE_STATES = ("starting", "training", "paused", "range test")


class ChannelError(Exception):
    """A channel that cannot be used; the message is one line that says why."""


def lr_value(text: str) -> float:
    """A learning rate or a factor typed by a user: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"'{text}' must be a number above 0")
    return value


def weights_path(text: str) -> str:
    """Where to save weights, made absolute (the training process has its own working folder)."""
    path = Path(text).expanduser().resolve()
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"'{text}': Keras saves weights only to a file named *.weights.h5")
    if not path.parent.is_dir():
        raise ValueError(f"'{text}': no folder {path.parent}")
    return str(path)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
        raise ChannelError(f"'{name}' is not a training name: use letters, digits, '.', '_' or '-' "
                           "(64 at most, no '/')")
    return name


def _owner(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def check_private(path: Path, st: os.stat_result | None = None) -> None:
    """Refuse what another user owns, a symbolic link, or what group/others can access."""
    if st is None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise ChannelError(f"{path} does not exist") from None
    if stat.S_ISLNK(st.st_mode):
        raise ChannelError(f"{path} is a symbolic link: refusing to use it")
    if st.st_uid != os.getuid():
        raise ChannelError(f"{path} belongs to {_owner(st.st_uid)}, not to you "
                           f"({_owner(os.getuid())}): refusing to use it")
    if st.st_mode & 0o077:
        raise ChannelError(f"{path} can be accessed by group or others (mode "
                           f"{stat.S_IMODE(st.st_mode):03o}): refusing to use it; "
                           f"chmod {'700' if stat.S_ISDIR(st.st_mode) else '600'} it if it is yours")


def private_folder(path: Path) -> Path:
    """Make the folder 0700 if it is missing (its parents the usual way), then check it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    check_private(path)
    return path


def open_private(path: Path, flags: int) -> int:
    """Open (or create, 0600) a file of the channel; refuse a link or someone else's file."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        check_private(path, os.fstat(fd))
    except ChannelError:
        os.close(fd)
        raise
    return fd


def read_json(path: Path) -> dict | None:
    """A whole JSON file of the channel, or None if it is missing or half written."""
    try:
        fd = open_private(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            value = json.loads(handle.read())
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot), to tell it from a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return int(text[text.rindex(b")") + 2:].split()[19])


def process_alive(pid: int, ticks: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user: the start time tells whether it is ours
    if ticks is not None:
        now = start_ticks(pid)
        if now is not None and now != ticks:
            return False
    return True


@dataclass(frozen=True)
class Training:
    """One entry of `lrtui watch`'s list, as its state file says, with liveness checked."""

    name: str
    folder: Path
    state: dict
    status: str  # training, paused, finished, stopped, gone (or refused: see `problem`)
    problem: str = ""

    @property
    def pid(self) -> int | None:
        return self.state.get("pid")

    @property
    def updated(self) -> float:
        return float(self.state.get("updated", 0.0))

    @property
    def ended(self) -> bool:
        return self.status not in LIVE_STATES


def status_of(state: dict) -> str:
    recorded = str(state.get("state", "gone"))
    if recorded not in LIVE_STATES:
        return recorded  # finished or stopped: the process said so itself
    pid = state.get("pid")
    if not isinstance(pid, int) or not process_alive(pid, state.get("start_ticks")):
        return "gone"
    return recorded


class Channel:
    """The folder of one training: paths, checks, commands."""

    def __init__(self, name: str, folder: Path):
        self.name, self.folder = name, folder

    # -- opening --------------------------------------------------------------------
    @classmethod
    def attach(cls, name: str, root: Path | None = None) -> Channel:
        """A viewer's side: the folder of an existing training, checked."""
        root = root or trainings_dir()
        folder = root / check_name(name)
        if not os.path.lexists(folder):
            known = ", ".join(t.name for t in list_trainings(root)) or "none"
            raise ChannelError(f"no training named '{name}' (trainings: {known})")
        check_private(root)
        check_private(folder)
        return cls(name, folder)

    @classmethod
    def create(cls, name: str, root: Path | None = None) -> Channel:
        """The training's side: a fresh folder. A finished or gone training of that name is
        replaced; one still alive in another process keeps it, and this one is NAME-2 (-3 …)."""
        root = private_folder(root or trainings_dir())
        check_name(name)
        clean_stale(root)
        for n in range(1, 1000):
            candidate = name if n == 1 else f"{name}-{n}"
            folder = root / candidate
            if os.path.lexists(folder):
                check_private(folder)
                state = read_json(folder / STATE) or {}
                if state.get("pid") != os.getpid() and status_of(state) in LIVE_STATES:
                    continue
                shutil.rmtree(folder)
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                continue  # another process took the name meanwhile
            check_private(folder)
            channel = cls(candidate, folder)
            for path in (channel.events, channel.commands):
                os.close(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            return channel
        raise ChannelError(f"too many live trainings named {name}-N")

    # -- paths ------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.folder / STATE

    @property
    def events(self) -> Path:
        return self.folder / EVENTS

    @property
    def commands(self) -> Path:
        return self.folder / COMMANDS

    @property
    def history(self) -> Path:
        return self.folder / HISTORY

    @property
    def range_test(self) -> Path:
        return self.folder / RANGE_TEST

    def segment(self, index: int) -> Path:
        return self.folder / SEGMENT.format(index)

    def segments(self) -> list[int]:
        """The row segments still on disk, oldest first."""
        found = (SEGMENT_RULE.fullmatch(p) for p in os.listdir(self.folder))
        return sorted(int(m.group(1)) for m in found if m)

    # -- reading ----------------------------------------------------------------------
    def state(self) -> dict:
        return read_json(self.state_path) or {}

    def training(self) -> Training:
        state = self.state()
        if state:
            return Training(self.name, self.folder, state, status_of(state))
        # The process writes its state right after making the folder: a young folder
        # without one is starting, an old one belonged to a process that died at once.
        young = time.time() - os.lstat(self.folder).st_mtime < 30
        return Training(self.name, self.folder, state, "starting" if young else "gone")

    # -- steering ---------------------------------------------------------------------
    def send(self, command: str, **arguments) -> str:
        """Append one command for the training process; returns its id (the ack carries it)."""
        if command not in COMMANDS_KNOWN:
            raise ChannelError(f"unknown command {command}")
        ident = f"{os.getpid()}-{secrets.token_hex(4)}"
        line = json.dumps({"id": ident, "command": command, **arguments, "sent": time.time()})
        fd = open_private(self.commands, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, (line + "\n").encode())  # one write of a short line: appended whole
        finally:
            os.close(fd)
        return ident


class JsonLines:
    """Follow an append-only JSON-lines file from an offset; only complete lines count."""

    def __init__(self, path: Path, offset: int = 0):
        self.path, self.offset = path, offset
        self._fd: int | None = None
        self._partial = b""
        self.bad_lines = 0

    def _open(self) -> bool:
        if self._fd is None:
            try:
                self._fd = open_private(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return False
        return True

    def read(self, limit: int = 4 << 20) -> list[dict]:
        """The objects appended since the last call (at most about `limit` bytes of them)."""
        if not self._open():
            return []
        data = os.pread(self._fd, limit, self.offset)
        if not data:
            return []
        self.offset += len(data)
        data = self._partial + data
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        out = []
        for line in data[:cut].splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                self.bad_lines += 1
                continue
            if isinstance(item, dict):
                out.append(item)
        return out

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class RowTail:
    """Follow the row segments in order; an open segment stays readable after it is trimmed."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.index: int | None = None
        self.lines: JsonLines | None = None

    def _next_segment(self) -> bool:
        later = [s for s in self.channel.segments() if self.index is None or s > self.index]
        if not later:
            return False
        if self.lines is not None:
            self.lines.close()
        self.index = later[0]
        self.lines = JsonLines(self.channel.segment(self.index))
        return True

    def read(self, max_rows: int = 50_000) -> list[dict]:
        out: list[dict] = []
        while len(out) < max_rows:
            if self.lines is None and not self._next_segment():
                break
            got = self.lines.read()
            if got:
                out.extend(got)
                continue
            # The writer starts the next segment only once this one is complete: if one
            # exists, a last read that finds nothing new means this one is done.
            if not any(s > self.index for s in self.channel.segments()):
                break
            got = self.lines.read()
            if got:
                out.extend(got)
                continue
            self._next_segment()
        return out

    def close(self) -> None:
        if self.lines is not None:
            self.lines.close()


def list_trainings(root: Path | None = None) -> list[Training]:
    """Every training under the root, newest heartbeat first; refused folders say why."""
    root = root or trainings_dir()
    if not root.is_dir():
        return []
    check_private(root)
    found = []
    for entry in sorted(os.listdir(root)):
        folder = root / entry
        if not NAME_RULE.fullmatch(entry) or not folder.is_dir():
            continue
        try:
            check_private(folder)
            found.append(Channel(entry, folder).training())
        except ChannelError as error:
            found.append(Training(entry, folder, {}, "refused", str(error)))
        except OSError as error:
            found.append(Training(entry, folder, {}, "refused", str(error)))
    return sorted(found, key=lambda t: -t.updated)


def clean_stale(root: Path | None = None, keep_seconds: float = KEEP_SECONDS,
                now: float | None = None) -> list[str]:
    """Remove trainings that ended (finished or gone) and have been silent for keep_seconds."""
    root = root or trainings_dir()
    now = time.time() if now is None else now
    removed = []
    for training in list_trainings(root):
        if training.status == "refused" or not training.ended:
            continue
        silent_since = training.updated or os.lstat(training.folder).st_mtime
        if now - silent_since > keep_seconds:
            shutil.rmtree(training.folder, ignore_errors=True)
            removed.append(training.name)
    return removed
