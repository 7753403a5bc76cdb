"""The worker side of compare mode: owns the CompareRun, paces it, obeys commands.

The same loop as lrtui.workers.run_worker (lrtui.workers.pacing): a thread body that checks
`stop` between chunks and while waiting, commands through a queue, frames
handed to `publish`. Every command takes `run`: an index to act on one run, or None
for all of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from lrtui.engine.compare import CompareRun, CompareSnapshot, RunStatus
from lrtui.engine.landscape import moments_of
from lrtui.engine.run import State, fmt, make_dataset
from lrtui.engine.startup import load_compare
from lrtui.engine.theory import theory_of
from lrtui.engine.update_rules import OPTIMIZERS
from lrtui.settings.fields import LR_RANGE, LR_RANGE_TEXT, Settings
from lrtui.workers.pacing import PacedWorker

_NOTHING_TO_RUN = ("nothing to run: the runs are diverged or paused on their own; lower a "
                   "diverged run's lr (select it, then -), release a paused one, or reset (r)")


class CompareController(PacedWorker):
    def __init__(self, settings: Settings, learning_rates, optimizers,
                 publish: Callable[[CompareSnapshot], None], fps: float = 15.0,
                 acknowledge: bool = False):
        super().__init__(fps, acknowledge)
        self.settings = settings
        self.learning_rates = list(learning_rates)
        self.optimizers = list(optimizers)
        self.publish = publish
        self.finished = threading.Event()  # set when the thread body has returned
        self.compare: CompareRun | None = None
        self._data_sent = False

    @property
    def running(self) -> bool:
        return self.compare is not None and self.compare.state == State.RUNNING

    # -- the thread body -------------------------------------------------------
    def __call__(self) -> None:
        try:
            self._body()
        finally:
            self.finished.set()

    def _body(self) -> None:
        try:
            dataset = make_dataset(self.settings)
            self.publish(_waiting(self.settings, dataset))
            # TensorFlow is already imported by the app's run: no wait.
            self.compare = load_compare(self.settings, self.learning_rates, self.optimizers,
                                        dataset)
        except Exception as error:  # a data file gone bad, TensorFlow missing
            self.publish(_waiting(self.settings, None, State.ERROR, str(error)))
            return
        self._publish(force=True)
        self.serve()

    # -- what the shared loop asks of this worker ------------------------------------
    def _rate(self) -> float | None:
        return self.compare.settings.steps_per_second

    def _advance(self, count: int) -> int:
        taken = max((len(b) for b in self.compare.advance(count)), default=0)
        if self.running and not self.compare.steppable():
            # The rest are held on their own: the comparison as a whole is paused.
            self.compare.state = State.PAUSED
        return taken

    def _can_go_on(self) -> bool:
        return self.compare.steppable()

    def _send_frame(self, steps_per_second: float) -> None:
        self.publish(self.compare.snapshot(steps_per_second, with_data=not self._data_sent))
        self._data_sent = True

    def _target(self) -> CompareRun:
        return self.compare

    # -- commands ---------------------------------------------------------------
    def _do_toggle(self, compare: CompareRun, run: int | None) -> None:
        if run is not None:  # one run: hold or release it, the others carry on
            compare.hold(run, not compare.held[run])
            return
        if self.running:
            compare.state = State.PAUSED
            compare.say("paused")
            return
        if compare.done or not compare.steppable():
            compare.extend()
        if not compare.steppable():
            compare.say(_NOTHING_TO_RUN, "warning")
            return
        compare.state = State.RUNNING
        self._steps_per_second = 0.0

    def _do_step(self, compare: CompareRun, count: int, run: int | None) -> None:
        compare.state = State.PAUSED
        if run is not None and compare.status[run] == RunStatus.HELD:
            # Stepping a held run moves it on its own, and it stays held.
            compare.held[run] = False
            compare.status[run] = RunStatus.RUNNING
            compare.advance(count, run)
            if compare.status[run] == RunStatus.RUNNING:
                compare.held[run] = True
                compare.status[run] = RunStatus.HELD
            return
        if not compare.steppable(run):
            compare.extend()
        if not compare.steppable(run):
            compare.say(_NOTHING_TO_RUN, "warning")
            return
        compare.advance(count, run)
        if compare.done:
            compare.state = State.FINISHED

    def _do_scale_lr(self, compare: CompareRun, factor: float, run: int | None) -> None:
        for k in compare.runs_for(run):
            new = compare.learning_rates[k] * factor
            if not LR_RANGE[0] <= new <= LR_RANGE[1]:
                compare.say(f"run {k + 1}: lr {fmt(new)} would be out of range ({LR_RANGE_TEXT}): "
                            "unchanged", "warning")
                continue
            compare.set_learning_rate(k, new, "doubled" if factor > 1 else "halved")

    def _do_next_optimizer(self, compare: CompareRun, run: int | None) -> None:
        """Each run (or the selected one) moves to the next rule in OPTIMIZERS."""
        for k in compare.runs_for(run):
            current = compare.optimizers[k]
            compare.set_optimizer(k, OPTIMIZERS[(OPTIMIZERS.index(current) + 1) % len(OPTIMIZERS)])

    def _do_reset(self, compare: CompareRun, run: int | None = None) -> None:
        compare.reset()
        self._steps_per_second = 0.0


def _waiting(settings: Settings, dataset, state: State = State.LOADING,
             message: str = "") -> CompareSnapshot:
    line = dataset is not None and settings.model == "line"  # the theory ahead is the line's
    return CompareSnapshot(
        state=state, lanes=(), settings=settings,
        theory=theory_of(dataset.x, dataset.y) if line else None,
        moments=moments_of(dataset.x, dataset.y) if line else None,
        x=dataset.x if dataset else None, y=dataset.y if dataset else None,
        device="-", message=message)
