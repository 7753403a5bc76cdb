"""The worker side of the lr map: computes it in a thread, a chunk at a time, and can stop.

The screen runs a `MapWorker` as a Textual thread worker: the thread body
builds the map (TensorFlow is loaded by the app's run by then), advances it
one compiled call at a time, checks `stop` before each one, and hands a
`MapProgress` to `publish` after each (a few per second at most, and always
the last). No Textual here: `publish` is the screen's post_message.

Building the lane trainer compiles it with XLA (about half a second); the
built one is kept in `TRAINERS` and lent to the next map with the same lanes
and method, so opening the map again costs only the steps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lrtui.engine.data import Dataset
from lrtui.engine.lr_map import (
    LrMap,
    LrMapView,
    MapError,
    check_method,
    chunk_steps,
    default_learning_rates,
    lane_trainer,
    map_theory,
)
from lrtui.settings.fields import METHOD_FIELDS, SettingError, Settings
from lrtui.settings.model_fields import MODEL_FIELDS

FRAME_SECONDS = 0.1  # progress frames at most this often


@dataclass(frozen=True)
class MapProgress:
    """What the screen draws: the map so far, how long it took, or why there is none."""

    view: LrMapView | None
    seconds: float = 0.0
    error: str = ""
    stopped: bool = False  # cancelled before the budget

    @property
    def finished(self) -> bool:
        return self.error != "" or self.stopped or (self.view is not None and self.view.complete)


class TrainerShelf:
    """Built lane trainers, lent out one map at a time (a map that is still stopping keeps its own).

    A trainer being prepared is waited for rather than compiled a second time:
    on two cores, two compiles at once take as long as three.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._kept: dict[tuple, object] = {}
        self._preparing: dict[tuple, threading.Event] = {}

    @staticmethod
    def key(settings: Settings, lanes: int, device: str, inputs: int) -> tuple:
        """What a built trainer fits: its lanes, device, rule and model (the data and the
        start are set on it; the init seed only draws the start)."""
        model = tuple(getattr(settings, name) for name in MODEL_FIELDS if name != "init_seed")
        return (lanes, device, inputs, *model, *(getattr(settings, name) for name in METHOD_FIELDS))

    def lend(self, key: tuple, stop: threading.Event | None = None):
        """The kept trainer for `key` (waiting for one being prepared), or None."""
        with self._lock:
            ready = self._preparing.get(key)
        while ready is not None and not ready.wait(0.05):
            if stop is not None and stop.is_set():
                return None
        with self._lock:
            return self._kept.pop(key, None)

    def holds(self, key: tuple) -> bool:
        with self._lock:
            return key in self._kept

    def preparing(self, key: tuple) -> threading.Event | None:
        """Mark `key` as being prepared; None if it is kept or already being prepared."""
        with self._lock:
            if key in self._kept or key in self._preparing:
                return None
            self._preparing[key] = threading.Event()
            return self._preparing[key]

    def prepared(self, key: tuple, trainer) -> None:
        with self._lock:
            done = self._preparing.pop(key, None)
        if trainer is not None:
            self.give_back(key, trainer)
        if done is not None:
            done.set()

    def give_back(self, key: tuple, trainer) -> None:
        with self._lock:
            self._kept.clear()  # one kept at a time: each holds its compiled chunks
            self._kept[key] = trainer


TRAINERS = TrainerShelf()


def prepare(settings: Settings, dataset: Dataset, device: str, shelf: TrainerShelf = TRAINERS) -> None:
    """Build and compile the default map's lane trainer before the key is pressed.

    The app calls it in a thread once its run is ready, so that `m` costs only the steps.
    """
    try:
        check_method(settings)
        rates = default_learning_rates(map_theory(settings, dataset), settings.learning_rate)
    except (MapError, SettingError):
        return  # the map will say why when asked for (a model and data that do not fit, too)
    key = shelf.key(settings, len(rates), device, dataset.inputs)
    if shelf.preparing(key) is None:
        return  # kept already, or on its way
    trainer = None
    try:
        trainer = lane_trainer(dataset, device, rates, settings)
        trainer.warm_up(counts=(min(settings.steps, chunk_steps(len(rates))),))
    finally:
        shelf.prepared(key, trainer)


class MapWorker:
    def __init__(self, settings: Settings, dataset: Dataset, device: str, learning_rates,
                 steps: int, publish: Callable[[MapProgress], None],
                 shelf: TrainerShelf = TRAINERS):
        self.settings = settings
        self.dataset = dataset
        self.device = device
        self.learning_rates = learning_rates
        self.steps = steps
        self.publish = publish
        self.shelf = shelf
        self.stop = threading.Event()
        self.finished = threading.Event()  # set when the thread body has returned

    def cancel(self) -> None:
        self.stop.set()

    def __call__(self) -> None:
        started = time.perf_counter()
        key = self.shelf.key(self.settings, len(self.learning_rates), self.device,
                              self.dataset.inputs)
        lane_map = None
        try:
            lane_map = LrMap(self.settings, self.device, self.learning_rates, self.steps,
                             self.dataset, trainer=self.shelf.lend(key, self.stop))
            last = 0.0
            while not lane_map.done and not self.stop.is_set():
                lane_map.advance()
                now = time.perf_counter()
                if now - last >= FRAME_SECONDS and not lane_map.done:
                    last = now
                    self.publish(MapProgress(lane_map.view(), now - started))
            self.publish(MapProgress(lane_map.view(), time.perf_counter() - started,
                                     stopped=not lane_map.done))
        except Exception as error:  # a method the lanes cannot follow, a device gone
            self.publish(MapProgress(None, time.perf_counter() - started, error=str(error)))
        finally:
            if lane_map is not None:
                self.shelf.give_back(key, lane_map.trainer)
            self.finished.set()
