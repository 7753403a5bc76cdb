"""The viewer's thread: tail a Keras training's channel and hand the UI a frame now and then.

It reads new rows and events every 50 ms (a row costs a JSON parse; 5,000
rows a second is a few percent of a core), keeps the bucketed batch-loss
curve (`RowHistory`, the same code the training process uses), picks the
rows the step log prints (every `log_every` steps and each epoch's last), and
checks every half second whether the training process is still there.

Frames go out at most `fps` times a second, only when something changed (an
idle or finished training costs nothing), and never while the UI is still
drawing the last one (`frame_shown`): a slow terminal gets fewer frames, not
a backlog. Steering commands go straight into the channel from the caller's
thread (one short append). No Textual here: the app passes `publish`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from lrtui.engine.history import CurveView
from lrtui.engine.lr_find import RangeTest
from lrtui.engine.run import Event
from lrtui.integrations.keras.channel import Channel, ChannelError, JsonLines, RowTail, read_json
from lrtui.integrations.keras.range_file import read_range_test
from lrtui.integrations.keras.rows import Row, RowHistory, decode_row

POLL = 0.05
STATUS_EVERY = 0.5
ROWS_PER_FRAME = 60
MAX_ROWS = 50_000  # rows read at once at most (a late attach reads the history in slices)
EVENT_KINDS = {"refused": "warning", "gone": "error", "interrupted": "error", "epoch": "epoch"}


@dataclass(frozen=True)
class WatchFrame:
    """What the viewer draws; every array in it is a copy."""

    name: str
    status: str  # starting, training, paused, range test, finished, stopped, gone, interrupted
    state: dict  # the heartbeat: pid, model, optimizer, schedule, epochs, steps_per_epoch …
    curve: CurveView | None
    step: int  # the last step read (-1 before any)
    last: dict  # that row, flat: step, epoch, batch, lr and Keras's logs
    total_steps: int  # epochs × steps per epoch when Keras knows them, else 0
    rows_per_second: float
    rows: tuple[Row, ...] = ()  # for the step log
    rows_skipped: int = 0
    events: tuple[Event, ...] = ()
    validation: tuple[tuple[int, float], ...] = ()  # (step, val_loss) of each epoch so far
    epoch_ends: tuple[int, ...] = ()
    range_test: RangeTest | None = None


class WatchWorker:
    def __init__(self, channel: Channel, publish: Callable[[WatchFrame], None], fps: float = 15.0):
        self.channel = channel
        self.publish = publish
        self.frame_interval = 1.0 / fps
        self.stop = threading.Event()
        self._ui_busy = threading.Event()
        self.history = RowHistory()
        self._rows = RowTail(channel)
        self._events = JsonLines(channel.events)
        self._status, self._state = "starting", {}
        self._last: dict = {}
        self._log_rows: list[Row] = []
        self._skipped = 0
        self._new_events: deque[Event] = deque()  # (the UI's thread adds notes too)
        self._validation: list[tuple[int, float]] = []
        self._epoch_ends: list[int] = []
        self._range_test: RangeTest | None = None
        self._rate = 0.0

    # -- from the UI's thread ----------------------------------------------------------
    def send(self, command: str, **arguments) -> str | None:
        """Append a steering command; None (and an event saying why) if it cannot be sent."""
        if self._status not in ("starting", "training", "paused", "range test"):
            self._note(f"not sent: the training is {self._status}", "warning")
            return None
        try:
            return self.channel.send(command, **arguments)
        except (ChannelError, OSError) as error:
            self._note(f"not sent: {error}", "warning")
            return None

    def shutdown(self) -> None:
        self.stop.set()

    def frame_shown(self) -> None:
        self._ui_busy.clear()

    # -- the thread --------------------------------------------------------------------
    def __call__(self) -> None:
        saved = read_json(self.channel.history)
        if saved:  # old detail was dropped: start from the saved curve
            self.history.load_json(saved)
        changed, sent_at, status_at, counted_at, counted = True, 0.0, 0.0, time.monotonic(), 0
        while not self.stop.is_set():
            now = time.monotonic()
            if now - status_at >= STATUS_EVERY:
                changed |= self._read_status()
                status_at = now
            got = self._read_rows() + self._read_events()
            counted += got
            if now - counted_at >= 1.0:
                self._rate = counted / (now - counted_at)
                counted, counted_at = 0, now
            changed |= got > 0 or bool(self._new_events)
            if changed and now - sent_at >= self.frame_interval and not self._ui_busy.is_set():
                self._ui_busy.set()
                self.publish(self._frame())
                changed, sent_at = False, now
            if got < MAX_ROWS:  # caught up: wait a moment, or until the next frame is due
                due = sent_at + self.frame_interval - time.monotonic()
                self.stop.wait(min(POLL, due) if changed and due > 0.005 else POLL)
        self._rows.close()
        self._events.close()

    def _read_status(self) -> bool:
        try:
            training = self.channel.training()
        except (ChannelError, OSError) as error:
            status, state = "gone", {"problem": str(error)}
        else:
            status, state = training.status, training.state
        if self._range_test is None and status != "starting":
            self._range_test = read_range_test(self.channel)
        changed = status != self._status or state.get("updated") != self._state.get("updated")
        if status == "gone" and self._status != "gone":
            self._note(f"the training process is gone (pid {state.get('pid')})", "error")
        self._status, self._state = status, state
        return changed

    def _read_rows(self) -> int:
        items = self._rows.read(MAX_ROWS)
        rows = [r for r in map(decode_row, items) if r is not None]
        if not rows:
            return 0
        if rows[0].step > self.history.last_step + 1:
            saved = read_json(self.channel.history)  # a gap: those rows were trimmed
            if saved and saved.get("last_step", -1) > self.history.last_step:
                self.history.load_json(saved)
        self.history.add(rows)
        self._last = rows[-1].flat()
        every = self._log_every()
        picked = [r for r in rows if r.step % every == 0]
        self._log_rows.extend(picked)
        if len(self._log_rows) > ROWS_PER_FRAME:
            self._skipped += len(self._log_rows) - ROWS_PER_FRAME
            del self._log_rows[:-ROWS_PER_FRAME]
        return len(rows)

    def _log_every(self) -> int:
        per_epoch = self._state.get("steps_per_epoch") or 0
        return max(1, int(per_epoch) // 10) if per_epoch else 20

    def _read_events(self) -> int:
        items = self._events.read()
        for item in items:
            step = int(item.get("step") or 0)
            if item.get("kind") == "epoch":
                self._epoch_ends.append(step)
                val = (item.get("logs") or {}).get("val_loss")
                if isinstance(val, (int, float)):
                    self._validation.append((step, float(val)))
            if item.get("kind") == "range test" and item.get("suggestions"):
                self._range_test = read_range_test(self.channel)
            self._new_events.append(Event(step, str(item.get("text", "")),
                                          EVENT_KINDS.get(item.get("kind"), "info")))
        return len(items)

    def _note(self, text: str, kind: str) -> None:
        self._new_events.append(Event(max(self.history.last_step, 0), text, kind))

    def _frame(self) -> WatchFrame:
        state = self._state
        epochs, per_epoch = state.get("epochs"), state.get("steps_per_epoch")
        total = int(epochs) * int(per_epoch) if epochs and per_epoch else 0
        events = tuple(self._new_events.popleft() for _ in range(len(self._new_events)))
        rows, skipped = tuple(self._log_rows), self._skipped
        self._log_rows, self._skipped = [], 0
        curve = self.history.view() if self.history.last_step >= 0 else None
        return WatchFrame(self.channel.name, self._status, dict(state), curve,
                          self.history.last_step, dict(self._last), total, self._rate, rows,
                          skipped, events, tuple(self._validation), tuple(self._epoch_ends),
                          self._range_test)
