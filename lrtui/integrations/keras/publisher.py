"""The training process's side of the channel: publish without ever holding training up.

The training thread only appends a tuple to a bounded deque per batch
(well under a microsecond). Two daemon threads do the rest:

- the collector, every 50 ms: takes the waiting rows, works out the lr each
  one used, adds them to the bucketed loss curve (`RowHistory`), encodes
  them, and hands the bytes to the disk thread; it also reads new steering
  commands and puts them in `inbox` for the training thread to apply at its
  next batch boundary. It never touches the rows files, so a slow disk cannot
  stop the loss curve from being complete.
- the disk thread: appends rows and events, starts a new row segment every
  `segment_bytes`, deletes the oldest segments beyond `max_detail_bytes`
  (saving the complete bucketed curve to history.json first), and rewrites
  the heartbeat (state.json) once a second.

Bounds: at most `max_pending` rows wait for the collector and at most
`max_queued_bytes` of encoded rows wait for the disk; beyond either, the
oldest detail is dropped (and counted in the heartbeat). Events are never
dropped: they are few.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from lrtui.atomic import write_atomic
from lrtui.integrations.keras.channel import COMMANDS_KNOWN, Channel, JsonLines, open_private, start_ticks
from lrtui.integrations.keras.rows import Row, RowHistory, encode_row

INTERVAL = 0.05
HEARTBEAT = 1.0


def check_command(item: dict) -> str | None:
    """Why a command cannot be applied, or None if it can."""
    command = item.get("command")
    if command not in COMMANDS_KNOWN:
        return f"unknown command {command!r}"
    if command in ("set_lr", "scale_lr"):
        value = item.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool) \
                or not math.isfinite(value) or value <= 0:
            return f"{command} needs a number above 0, not {value!r}"
    if command == "save_weights" and not isinstance(item.get("path"), str):
        return "save_weights needs a path"
    return None


class Publisher:
    def __init__(self, channel: Channel, lr_of: Callable[[np.ndarray], np.ndarray],
                 describe: dict | None = None, segment_bytes: int = 8 << 20,
                 max_detail_bytes: int = 128 << 20, max_pending: int = 100_000,
                 max_queued_bytes: int = 64 << 20):
        self.channel = channel
        self.lr_of = lr_of
        self.describe = dict(describe or {})
        self.segment_bytes, self.max_detail_bytes = segment_bytes, max_detail_bytes
        self.max_queued_bytes = max_queued_bytes
        self.pending: deque = deque(maxlen=max_pending)  # (step, epoch, batch, logs)
        self.inbox: deque = deque()  # checked commands for the training thread
        self.arrived = threading.Event()  # set when a command lands in the inbox
        self.overflowed = 0  # rows that fell off the full deque before the collector took them
        self.collected = 0  # rows the collector took
        self.dropped = 0  # rows dropped on the way to the disk (or trimmed from it)
        self.state = "starting"
        self.latest: dict = {"step": None, "epoch": None, "lr": None, "loss": None}
        self.history = RowHistory()
        self.history_lock = threading.Lock()
        self._events: deque = deque()
        self._disk: deque = deque()  # (kind, bytes, rows) for the disk thread
        self._disk_bytes = 0
        self._disk_wake = threading.Condition()
        self._commands = JsonLines(channel.commands)
        self._stop = threading.Event()
        self._started = time.time()
        self._ticks = start_ticks(os.getpid())
        self._segment_index = 0
        self._segment_fd: int | None = None
        self._segment_size = 0
        self._trimmed = False
        self._collector = self._writer = threading.Thread()  # not started yet
        self._write_heartbeat()

    # -- the training thread's side ------------------------------------------------------
    def publish(self, step: int, epoch: int, batch: int, logs: dict) -> None:
        if len(self.pending) == self.pending.maxlen:
            self.overflowed += 1  # the collector is far behind: the oldest row falls off
        self.pending.append((step, epoch, batch, logs))

    def event(self, step: int, kind: str, text: str, **extra) -> None:
        self._events.append({"step": step, "kind": kind, "text": text, "time": time.time(),
                             **extra})

    def set_state(self, state: str) -> None:
        self.state = state
        with self._disk_wake:
            self._disk_wake.notify()

    def start(self) -> None:
        if self._collector.is_alive():
            return
        self._stop.clear()
        self._collector = threading.Thread(target=self._collect_loop, name="lrtui-collector",
                                           daemon=True)
        self._writer = threading.Thread(target=self._disk_loop, name="lrtui-disk", daemon=True)
        self._collector.start()
        self._writer.start()
        atexit.register(self._at_exit)

    def close(self, state: str = "finished", timeout: float = 5.0) -> None:
        """Write out everything waiting, the final state and curve; give up after `timeout`."""
        self.state = state
        self._stop.set()
        with self._disk_wake:
            self._disk_wake.notify()
        deadline = time.monotonic() + timeout
        for thread in (self._collector, self._writer):
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:
        # The process is ending without on_train_end (an exception in fit, say).
        if self.state not in ("finished", "stopped"):
            self.close("interrupted", timeout=2.0)

    # -- the collector -----------------------------------------------------------------
    def _collect_loop(self) -> None:
        while True:
            stopping = self._stop.is_set()
            self._read_commands()
            self._collect()
            with self._disk_wake:
                self._disk_wake.notify()
            if stopping:
                return
            self._stop.wait(INTERVAL)

    def _read_commands(self) -> None:
        try:
            items = self._commands.read()
        except OSError:
            return
        for item in items:
            problem = check_command(item)
            if problem:
                self.event(self.latest.get("step", 0), "refused", f"command refused: {problem}",
                           id=item.get("id"), command=item.get("command"))
            else:
                self.inbox.append(item)
                self.arrived.set()

    def _collect(self) -> None:
        taken = []
        while self.pending:
            taken.append(self.pending.popleft())
        self.collected += len(taken)
        if taken:
            taken.sort(key=lambda r: r[0])  # Keras may run batch-end callbacks in a pool
            steps = np.fromiter((r[0] for r in taken), np.int64, len(taken))
            try:
                lrs = np.asarray(self.lr_of(steps), np.float64)
            except Exception:  # the training must go on even if a schedule cannot be read
                lrs = np.full(len(taken), math.nan)
            rows = [Row(s, e, b, float(lr), logs) for (s, e, b, logs), lr in zip(taken, lrs)]
            with self.history_lock:
                self.history.add(rows)
            text = "".join(encode_row(r.step, r.epoch, r.batch, r.lr, r.logs) + "\n"
                           for r in rows)
            last = rows[-1]
            self.latest = {"step": last.step, "epoch": last.epoch, "lr": last.lr,
                           "loss": last.logs.get("loss")}
            self._queue("rows", text.encode(), len(rows))
        while self._events:
            item = self._events.popleft()
            self._queue("event", (json.dumps(item) + "\n").encode(), 0)

    def _queue(self, kind: str, data: bytes, rows: int) -> None:
        with self._disk_wake:
            self._disk.append((kind, data, rows))
            self._disk_bytes += len(data)
            # A stalled disk: drop the oldest rows first, never an event.
            while self._disk_bytes > self.max_queued_bytes:
                index = next((i for i, item in enumerate(self._disk) if item[0] == "rows"), None)
                if index is None:
                    break
                _, old, count = self._disk[index]
                del self._disk[index]
                self._disk_bytes -= len(old)
                self.dropped += count

    # -- the disk thread ---------------------------------------------------------------
    def _disk_loop(self) -> None:
        events_fd = None
        written_state, beat = None, 0.0
        try:
            events_fd = open_private(self.channel.events, os.O_WRONLY | os.O_APPEND)
            while True:
                with self._disk_wake:
                    idle = not self._disk and self.state == written_state
                    if idle and not self._stop.is_set():
                        self._disk_wake.wait(HEARTBEAT)
                    elif idle and self._collector.is_alive():
                        self._disk_wake.wait(0.01)  # the collector's last pass is under way
                    finishing = self._stop.is_set() and not self._collector.is_alive()
                    work = list(self._disk)
                    self._disk.clear()
                    self._disk_bytes = 0
                for kind, data, _rows in work:
                    if kind == "event":
                        _write_all(events_fd, data)
                    else:
                        self._write_rows(data)
                if self.state != written_state or time.monotonic() - beat >= HEARTBEAT:
                    written_state = self.state
                    self._write_heartbeat()
                    beat = time.monotonic()
                if finishing and not self._disk:
                    break
        except OSError:
            pass  # a full or vanished disk: training goes on without a record
        finally:
            for fd in (events_fd, self._segment_fd):
                if fd is not None:
                    os.close(fd)
            self._segment_fd = None
        if self._trimmed:
            self._write_history()
        self._write_heartbeat()

    def _write_rows(self, data: bytes) -> None:
        if self._segment_fd is None or self._segment_size >= self.segment_bytes:
            if self._segment_fd is not None:
                os.close(self._segment_fd)
            if self._segment_fd is not None or os.path.lexists(
                    self.channel.segment(self._segment_index)):
                self._segment_index += 1  # (a second fit starts a segment of its own)
            self._segment_fd = open_private(self.channel.segment(self._segment_index),
                                            os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL)
            self._segment_size = 0
            self._trim()
        _write_all(self._segment_fd, data)
        self._segment_size += len(data)

    def _trim(self) -> None:
        """Delete the oldest segments beyond the budget, the bucketed curve saved first."""
        segments = self.channel.segments()
        sizes = {i: os.stat(self.channel.segment(i)).st_size for i in segments}
        total = sum(sizes.values())
        doomed = []
        for i in segments[:-1]:
            if total <= self.max_detail_bytes:
                break
            doomed.append(i)
            total -= sizes[i]
        if not doomed:
            return
        self._write_history()
        for i in doomed:
            path = self.channel.segment(i)
            with open(path, "rb") as handle:
                self.dropped += sum(1 for _ in handle)
            os.unlink(path)
        self._trimmed = True

    def _write_history(self) -> None:
        with self.history_lock:
            saved = self.history.to_json()
        write_atomic(self.channel.history, json.dumps(saved), mode=0o600, sync=False)

    def _write_heartbeat(self) -> None:
        state = {"name": self.channel.name, "pid": os.getpid(), "start_ticks": self._ticks,
                 "state": self.state, "started": self._started, "updated": time.time(),
                 "rows": self.collected, "dropped": self.dropped + self.overflowed,
                 **self.latest, **self.describe}
        try:
            write_atomic(self.channel.state_path, json.dumps(state), mode=0o600, sync=False)
        except OSError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
