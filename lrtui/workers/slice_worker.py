"""The worker side of a network's landscape and blackboard: slices of its loss, in a thread.

For a model other than the line, the landscape (g) and the blackboard (b)
are slices of the model's loss through where the run stands
(lrtui.engine.slices): a Hessian, its eigenvectors, and the loss at a few
thousand points, as TensorFlow lanes. That is TensorFlow work, so it runs
here, in a thread, never on the UI's: the screen offers every frame of the
run (`offer`), and the worker computes from the newest one, then hands a
`SlicePicture` to `publish` (the screen's post_message; no Textual here).

The run can make thousands of steps a second; the pictures follow it at a
modest rate: after each picture the worker waits at least `INTERVAL`
seconds, and three times as long as the picture took. A picture of the
edge-of-stability network takes 10–20 ms, but TensorFlow's thread pool
spends several times that in CPU (its threads spin before they sleep):
measured with benchmarks/slice_speed.py, cutting a plane every 0.1 s cost
training about 36% more CPU per step, every 0.3 s about 20%, every 0.5 s
about 15% (the wall-clock speed on two cores barely moved). A new direction
(d), a new model or new data does not wait. A frame whose θ is the one
already drawn (a paused run) costs nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrtui.engine.blackboard import Slice
from lrtui.engine.plane import PlaneSlice
from lrtui.engine.run import Snapshot

INTERVAL = 0.3  # seconds between two pictures at least
WORK_SHARE = 3.0  # ... and this many times the last picture's own time


@dataclass(frozen=True)
class SliceRequest:
    """What to draw from which frame: the plane (landscape) or a line along `direction`."""

    snapshot: Snapshot
    kind: str  # "plane" | "line"
    direction: str = "steep"


@dataclass(frozen=True)
class SlicePicture:
    request: SliceRequest
    plane: PlaneSlice | None = None
    line: Slice | None = None
    directions: tuple[str, ...] = ()  # what d turns through for this model
    error: str = ""
    seconds: float = 0.0


def path_of(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, int]:
    """The run's earlier θ for the landscape, oldest first and without the current one: the
    trail's points before the recent steps, then the recent steps. (θ [k, P], steps [k], how
    many of them are the recent steps.)"""
    recent = snap.recent_theta[:-1] if snap.recent_theta is not None else np.zeros((0, 0))
    first_recent = snap.step - len(recent)
    trail = snap.trail
    if trail is None or not len(trail.step):
        return recent, np.arange(first_recent, snap.step), len(recent)
    older = trail.step < first_recent
    thetas = trail.matrix()[older]
    if len(recent):
        thetas = np.concatenate([thetas.reshape(-1, recent.shape[1]), recent])
    return thetas, np.r_[trail.step[older], np.arange(first_recent, snap.step)], len(recent)


class SliceWorker:
    def __init__(self, publish: Callable[[SlicePicture], None]):
        self.publish = publish
        self.stop = threading.Event()
        self.finished = threading.Event()  # set when the thread body has returned
        self._offered = threading.Event()
        self._lock = threading.Lock()
        self._request: SliceRequest | None = None
        self.pictures = 0  # how many were published

    def offer(self, request: SliceRequest) -> None:
        """The newest frame to draw from; an older one not yet taken is dropped."""
        with self._lock:
            self._request = request
        self._offered.set()

    def cancel(self) -> None:
        self.stop.set()
        self._offered.set()

    def __call__(self) -> None:
        try:
            self._loop()
        finally:
            self.finished.set()

    def _loop(self) -> None:
        drawn: SliceRequest | None = None
        ready_at = 0.0  # not before this time, unless the request is new in kind
        while not self.stop.is_set():
            self._offered.wait(0.25)
            with self._lock:
                request = self._request
                self._offered.clear()
            if request is None or self.stop.is_set() or _same_picture(request, drawn):
                continue
            wait = ready_at - time.monotonic()
            if wait > 0 and not _new_in_kind(request, drawn):
                self.stop.wait(wait)  # then draw the newest frame offered meanwhile
                with self._lock:
                    request = self._request
                if self.stop.is_set():
                    return
            started = time.monotonic()
            first = _new_in_kind(request, drawn)
            picture = self._draw(request)
            took = time.monotonic() - started
            # The first picture of a kind traces TensorFlow's functions: its time says nothing
            # of the next one's.
            ready_at = time.monotonic() + (INTERVAL if first else max(INTERVAL, WORK_SHARE * took))
            drawn = request
            if not self.stop.is_set():
                self.pictures += 1
                self.publish(picture)

    def _draw(self, request: SliceRequest) -> SlicePicture:
        snap = request.snapshot
        started = time.monotonic()
        try:
            from lrtui.engine.slices import slicer_for  # TensorFlow is loaded by the run already

            slicer = slicer_for(snap.model, snap.dataset)
            if not np.isfinite(snap.theta).all():
                return SlicePicture(request, directions=slicer.directions,
                                    error="the weights are not finite: no slice to cut")
            if request.kind == "plane":
                thetas, steps, recent = path_of(snap)
                picture = slicer.plane(snap.theta, thetas, steps, snap.step, recent)
                return SlicePicture(request, plane=picture, directions=slicer.directions,
                                    seconds=time.monotonic() - started)
            line = slicer.line(snap.theta, request.direction, snap.recent_theta)
            return SlicePicture(request, line=line, directions=slicer.directions,
                                seconds=time.monotonic() - started)
        except Exception as error:  # a model and data that do not fit mid-change, a device gone
            return SlicePicture(request, error=f"cannot cut the slice: {error}")


def _same_picture(request: SliceRequest, drawn: SliceRequest | None) -> bool:
    """The same picture as the last one drawn: same kind, direction, model, data and θ."""
    if drawn is None or _new_in_kind(request, drawn):
        return False
    a, b = request.snapshot, drawn.snapshot
    return a.step == b.step and np.array_equal(a.theta, b.theta)


def _new_in_kind(request: SliceRequest, drawn: SliceRequest | None) -> bool:
    """Another kind, direction, model or data set than last time: drawn without waiting."""
    if drawn is None:
        return True
    a, b = request.snapshot, drawn.snapshot
    return (request.kind, request.direction) != (drawn.kind, drawn.direction) \
        or a.model is not b.model or a.dataset is not b.dataset
