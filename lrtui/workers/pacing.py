"""The loop both training workers share: pace the steps, obey commands, ration frames.

A worker thread runs `serve()`. While running it trains one tick at a time
(at a given steps/s, or chunks sized to about CHUNK_SECONDS at max speed),
waits for the next tick on the command queue so that a key is obeyed at once,
and publishes at most one frame per frame interval. With acknowledge=True a
new frame waits until the UI has shown the last one (`frame_shown`), so a
slow terminal gets fewer frames, never a backlog. `stop` is checked between
chunks and while waiting: quitting never waits for more than one chunk.
A command sent with coalesce=True (saving a file, say) is dropped while the
same command is still waiting in the queue: ten presses of a key behind a
long chunk make one save, not ten.

Subclasses say what a tick trains, what a frame holds and what each command
does (`_do_<name>` methods); this module imports neither TensorFlow nor Textual.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter

# At max speed a chunk is sized to take about this long: short enough that a
# key is obeyed at once, long enough that the Python call costs nothing.
CHUNK_SECONDS = 0.015
MAX_CHUNK = 1 << 20


class PacedWorker:
    def __init__(self, fps: float, acknowledge: bool = False):
        self.frame_interval = 1.0 / fps
        self.stop = threading.Event()
        self.commands: queue.Queue = queue.Queue()
        self._chunk = 64
        self._steps_per_second = 0.0
        self._last_publish = 0.0
        self._acknowledge = acknowledge
        self._ui_busy = threading.Event()
        self._unsent = False
        self._waiting: Counter[str] = Counter()  # commands in the queue, by name
        self._waiting_lock = threading.Lock()

    # -- what a subclass provides --------------------------------------------------
    @property
    def running(self) -> bool:
        raise NotImplementedError

    def _rate(self) -> float | None:
        """Steps per second, or None for as fast as the machine allows."""
        raise NotImplementedError

    def _advance(self, count: int) -> int:
        """Train up to `count` steps; how many were taken."""
        raise NotImplementedError

    def _send_frame(self, steps_per_second: float) -> None:
        """Build the current frame and hand it to the UI."""
        raise NotImplementedError

    def _can_go_on(self) -> bool:
        """False when a running worker has nothing left it may step."""
        return True

    def _target(self):
        """What every `_do_<name>(target, *args)` command acts on."""
        raise NotImplementedError

    def _after_command(self) -> None:
        """A hook after every command, before its frame goes out."""

    # -- commands, callable from any thread ---------------------------------------------
    def send(self, name: str, *args, coalesce: bool = False) -> bool:
        """Queue a command; False if it was coalesced into the same one still waiting."""
        with self._waiting_lock:
            if coalesce and self._waiting[name]:
                return False
            self._waiting[name] += 1
        self.commands.put((name, args))
        return True

    def shutdown(self) -> None:
        self.stop.set()
        self.commands.put(("wake", ()))

    def frame_shown(self) -> None:
        """The UI has drawn the last frame; the next one may go."""
        self._ui_busy.clear()
        if self._unsent:  # a paused worker holds a frame back: send it now
            self.commands.put(("wake", ()))

    # -- the loop --------------------------------------------------------------------------
    def serve(self) -> None:
        while not self.stop.is_set():
            if self.running:
                self._train_one_tick()
                # Frames are rationed while running; the one that ends a run always goes out.
                self._publish(force=not self.running)
            else:
                self._handle(*self.commands.get())  # publishes what it changed

    def _train_one_tick(self) -> None:
        rate = self._rate()
        started = time.perf_counter()
        # Below the frame rate, one step per 1/rate s; above it, rate/fps steps a frame.
        count = self._chunk if rate is None else max(1, round(rate * self.frame_interval))
        took = self._advance(count)
        elapsed = time.perf_counter() - started
        if rate is None and elapsed > 0 and took == count:
            wanted = int(count * CHUNK_SECONDS / elapsed)
            self._chunk = max(1, min(MAX_CHUNK, wanted, self._chunk * 4))
        self._wait(count / rate - elapsed if rate else 0.0)
        total = time.perf_counter() - started
        if total > 0 and took:
            now = took / total
            previous = self._steps_per_second
            self._steps_per_second = now if not previous else 0.8 * previous + 0.2 * now

    def _wait(self, seconds: float) -> None:
        """Wait until the next tick, obeying any command at once."""
        deadline = time.perf_counter() + seconds
        while not self.stop.is_set():
            try:
                command = self.commands.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                return
            self._handle(*command)
            if not (self.running and self._can_go_on()):
                return

    def _publish(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.stop.is_set() or (not force and now - self._last_publish < self.frame_interval):
            return
        if self._ui_busy.is_set():
            self._unsent = True
            # Look again after saying so: if the UI cleared it meanwhile, frame_shown
            # may have missed the flag, so send now; if not, frame_shown will wake us.
            if self._ui_busy.is_set():
                return
        self._unsent = False
        self._last_publish = now
        if self._acknowledge:
            self._ui_busy.set()
        self._send_frame(self._steps_per_second if self.running else 0.0)

    def _handle(self, name: str, args: tuple) -> None:
        if name == "wake":  # put by shutdown and frame_shown, not by send
            if self._unsent:
                self._publish(force=True)
            return
        with self._waiting_lock:
            self._waiting[name] -= 1
        getattr(self, f"_do_{name}")(self._target(), *args)
        self._after_command()
        self._publish(force=True)
