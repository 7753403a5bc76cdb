"""The worker's command queue: a heavy command pressed again while it waits is done once."""

from __future__ import annotations

from lrtui.workers.pacing import PacedWorker


class Recorder(PacedWorker):
    """A worker with nothing to train (a stand-in: this test is about the queue only)."""

    def __init__(self):
        super().__init__(fps=15.0)
        self.saved: list[str] = []

    @property
    def running(self) -> bool:
        return False

    def _target(self):
        return None

    def _send_frame(self, steps_per_second: float) -> None:
        pass

    def _do_save(self, target, path: str) -> None:
        self.saved.append(path)

    def _do_toggle(self, target) -> None:
        pass


def drain(worker: PacedWorker) -> None:
    while not worker.commands.empty():
        worker._handle(*worker.commands.get_nowait())


def test_a_save_pressed_ten_times_while_one_waits_is_one_save():
    worker = Recorder()
    accepted = [worker.send("save", f"run-{i}.json", coalesce=True) for i in range(10)]
    assert accepted == [True] + [False] * 9
    worker.send("toggle")
    drain(worker)
    assert worker.saved == ["run-0.json"]
    # Once it is done, the next press saves again.
    assert worker.send("save", "later.json", coalesce=True)
    drain(worker)
    assert worker.saved == ["run-0.json", "later.json"]


def test_commands_that_do_not_coalesce_all_run():
    worker = Recorder()
    for i in range(3):
        assert worker.send("save", f"run-{i}.json")
    drain(worker)
    assert worker.saved == ["run-0.json", "run-1.json", "run-2.json"]
