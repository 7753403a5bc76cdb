"""The compare worker in its own thread, driven by commands; frames collected from a queue.

Waits are bounded `queue.get(timeout=...)` calls on the frames it publishes.
"""

from __future__ import annotations

import queue
import threading
import time

import pytest

from lrtui.engine.compare import RunStatus
from lrtui.engine.run import State
from lrtui.settings.fields import Settings
from lrtui.workers.compare_worker import CompareController


class Worker:
    def __init__(self, settings, rates, optimizers):
        self.frames: queue.Queue = queue.Queue()
        self.controller = CompareController(settings, rates, optimizers, self.frames.put, fps=30)
        self.thread = threading.Thread(target=self.controller, daemon=True)
        self.thread.start()
        self.events: list = []

    def wait_for(self, predicate, timeout: float = 120, what: str = ""):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"timed out waiting for {what}")
            try:
                snap = self.frames.get(timeout=left)
            except queue.Empty:
                pytest.fail(f"timed out waiting for {what}")
            self.events.extend(snap.events)
            if snap.lanes and predicate(snap):
                return snap

    def stop(self):
        self.controller.shutdown()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the compare worker did not stop"


def test_every_run_diverged_says_what_to_do_and_a_lower_lr_recovers():
    worker = Worker(Settings(speed="max", steps=200), [2.0, 3.0], ["gd"])
    try:
        worker.wait_for(lambda s: s.state == State.READY, what="the runs to be built")
        worker.controller.send("toggle", None)
        snap = worker.wait_for(lambda s: s.state == State.FINISHED, what="both runs to diverge")
        assert [lane.status for lane in snap.lanes] == [RunStatus.DIVERGED] * 2
        diverged_loss = snap.lanes[0].loss
        worker.controller.send("toggle", None)
        worker.wait_for(lambda s: any("nothing to run" in e.text for e in s.events),
                        what="space with nothing to run to say so")
        worker.controller.send("scale_lr", 0.01, 0)
        # Runnable again; while nothing runs the summary says so ("paused"), not "running".
        snap = worker.wait_for(lambda s: s.lanes[0].status == RunStatus.HELD,
                               what="a lower lr to make run 1 runnable again")
        assert snap.lanes[0].learning_rate == pytest.approx(0.02)
        assert snap.lanes[1].status == RunStatus.DIVERGED
        worker.controller.send("toggle", None)
        snap = worker.wait_for(lambda s: s.lanes[0].status == RunStatus.FINISHED,
                               what="run 1 to run its new budget")
        assert snap.lanes[1].status == RunStatus.DIVERGED
        assert snap.lanes[0].step == snap.lanes[0].diverged_at + 200
        assert snap.lanes[0].loss < diverged_loss / 1e6, "from where it froze, back down the bowl"
    finally:
        worker.stop()


def test_a_held_run_waits_while_the_others_run_then_stepping_it_alone():
    worker = Worker(Settings(speed="max", steps=5000), [0.01, 0.1], ["gd", "adam"])
    try:
        worker.wait_for(lambda s: s.state == State.READY, what="the runs to be built")
        worker.controller.send("toggle", 0)  # hold run 1
        worker.wait_for(lambda s: s.lanes[0].status == RunStatus.HELD, what="run 1 to be held")
        worker.controller.send("toggle", None)
        snap = worker.wait_for(lambda s: s.lanes[1].status == RunStatus.FINISHED, what="run 2 to finish")
        assert snap.lanes[0].step == 0 and snap.lanes[1].step == 5000
        worker.controller.send("step", 3, 0)
        snap = worker.wait_for(lambda s: s.lanes[0].step == 3, what="run 1 to step alone")
        assert snap.lanes[0].status == RunStatus.HELD, "stepping a held run leaves it held"
        assert snap.lanes[1].step == 5000
    finally:
        worker.stop()
