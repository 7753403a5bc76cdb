"""The map worker: a thread that computes the map chunk by chunk, and the shelf of built lanes."""

from __future__ import annotations

import threading

from support import CPU, LESSON_DATA

from lrtui.engine.lr_map import default_learning_rates
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings
from lrtui.workers.map_worker import MapWorker, TrainerShelf, prepare

import_tensorflow()


def test_a_map_waits_for_the_lanes_being_prepared_instead_of_compiling_again():
    shelf = TrainerShelf()
    key = ("lanes",)
    ready = shelf.preparing(key)
    assert ready is not None and shelf.preparing(key) is None, "prepared once, not twice"
    lent = []
    borrower = threading.Thread(target=lambda: lent.append(shelf.lend(key)))
    borrower.start()
    borrower.join(0.3)
    assert borrower.is_alive(), "lend waits while the lanes are being prepared"
    built = object()  # stands in for a compiled lane trainer: the shelf only keeps and hands it
    shelf.prepared(key, built)
    borrower.join(5)
    assert lent == [built] and shelf.lend(key) is None, "lent once"
    # A stopped map does not wait for a preparation.
    shelf.preparing(key)
    stop = threading.Event()
    stop.set()
    assert shelf.lend(key, stop) is None


def test_the_prepared_lanes_serve_the_map_without_a_new_trace():
    shelf = TrainerShelf()
    settings = Settings()
    prepare(settings, LESSON_DATA, CPU.name, shelf)
    rates = default_learning_rates(theory_of(LESSON_DATA.x, LESSON_DATA.y), settings.learning_rate)
    frames = []
    worker = MapWorker(settings, LESSON_DATA, CPU.name, rates, settings.steps, frames.append, shelf)
    key = shelf.key(settings, len(rates), CPU.name, LESSON_DATA.inputs)
    trainer = shelf.lend(key)
    shelf.give_back(key, trainer)
    traces = trainer.traces
    worker()
    assert worker.finished.is_set() and frames[-1].finished and frames[-1].view.complete
    assert shelf.lend(key) is trainer and trainer.traces == traces, "no compile after the key"
    shelf.give_back(key, trainer)
    # A map stopped before its first chunk ends at once and says so.
    stopped = MapWorker(settings, LESSON_DATA, CPU.name, rates, 10_000, frames.append, shelf)
    stopped.cancel()
    stopped()
    assert frames[-1].stopped and frames[-1].view.steps_done == 0
