"""The worker side of the app: owns the Run, paces it, obeys commands.

It is the only code that sees both sides, and it still imports no Textual:
it takes commands through a queue and hands each frame to `publish`, a
callable the app supplies (posting a Textual message, which is thread-safe).
The pacing, the command loop and the frame rationing are lrtui.workers.pacing's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from lrtui import stats
from lrtui.engine.data import Dataset
from lrtui.engine.run import Run, Snapshot, State, fmt, make_dataset
from lrtui.engine.startup import load_run
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import LR_RANGE, LR_RANGE_TEXT, Settings
from lrtui.workers.pacing import PacedWorker

# The app measures the sharpness of models whose curvature moves this often, unless told.
SHARPNESS_EVERY = 10
# A frame carries at most this many log rows: the pane shows the newest few
# dozen, and at max speed a frame can span thousands of logged steps.
ROWS_PER_FRAME = 100


class Controller(PacedWorker):
    def __init__(self, settings: Settings, publish: Callable[[Snapshot], None],
                 fps: float = 15.0,
                 load_engine: Callable[[Settings, Dataset], Run] | None = None,
                 dataset: Dataset | None = None,
                 acknowledge: bool = False):
        super().__init__(fps, acknowledge)
        self.settings = settings
        self.publish = publish
        self._load_engine = load_engine or _load_run_ahead
        self._dataset = dataset  # given when a run file brings its own points
        self.run: Run | None = None
        self._data_sent = 0
        self.loading = False
        self.finished = threading.Event()  # set when the thread body has returned

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.state == State.RUNNING

    # -- the thread body -------------------------------------------------------
    def __call__(self) -> None:
        try:
            self._body()
        finally:
            self.finished.set()

    def _body(self) -> None:
        dataset, fallback = self._first_dataset()
        # The points are numpy's: show them while TensorFlow loads.
        self.publish(_waiting_snapshot(self.settings, dataset, message=fallback))
        self.loading = True  # inside TensorFlow's import: nothing can interrupt this thread
        try:
            self.run = self._load_engine(self.settings, dataset)
        except Exception as error:  # TensorFlow missing, a broken device
            self.publish(_waiting_snapshot(self.settings, dataset, State.ERROR, str(error)))
            return
        finally:
            self.loading = False
        if fallback:
            self.run.say(fallback, "error")
        stats.mark("engine_ready")
        self._publish(force=True)
        self.serve()

    def _first_dataset(self) -> tuple[Dataset, str]:
        """The run's data; a bad --data file falls back to generated points, with a notice."""
        if self._dataset is not None:  # a reopened run file brings its own
            return self._dataset, ""
        try:
            return make_dataset(self.settings), ""
        except ValueError as error:
            self.settings = self.settings.with_(data=None)
            return make_dataset(self.settings), f"{error}: using generated data instead"

    # -- what the shared loop asks of this worker ------------------------------------
    def _rate(self) -> float | None:
        return self.run.settings.steps_per_second

    def _advance(self, count: int) -> int:
        taken = len(self.run.advance(count))
        stats.count("steps", taken)
        stats.mark("first_step")
        return taken

    def _send_frame(self, steps_per_second: float) -> None:
        run = self.run
        with_data = run.data_version != self._data_sent
        self._data_sent = run.data_version
        self.publish(run.snapshot(steps_per_second, with_data, max_rows=ROWS_PER_FRAME))

    def _target(self) -> Run:
        return self.run

    def _after_command(self) -> None:
        self.settings = self.run.settings

    # -- what each command does -----------------------------------------------------
    def _do_toggle(self, run: Run) -> None:
        if self.running:
            run.state = State.PAUSED
            run.say("paused")
            return
        if run.state in (State.FINISHED, State.DIVERGED) and not run.continue_():
            return  # it said why it cannot go on
        if run.state == State.READY:
            run.warn_at_start()
        run.state = State.RUNNING
        self._steps_per_second = 0.0

    def _do_step(self, run: Run, count: int) -> None:
        if run.state in (State.FINISHED, State.DIVERGED) and not run.continue_():
            return
        run.state = State.PAUSED
        run.advance(count)

    def _do_scale_lr(self, run: Run, factor: float) -> None:
        new = run.learning_rate * factor
        if not LR_RANGE[0] <= new <= LR_RANGE[1]:
            run.say(f"lr {fmt(new)} would be out of range ({LR_RANGE_TEXT}): unchanged", "warning")
            return
        run.set_learning_rate(new, "doubled" if factor > 1 else "halved")

    def _do_set_lr(self, run: Run, learning_rate: float, how: str = "typed") -> None:
        if learning_rate != run.learning_rate:  # the same lr again is no change: nothing to log
            run.set_learning_rate(learning_rate, how)

    def _do_reset(self, run: Run) -> None:
        run.reset()

    def _do_new_data(self, run: Run) -> None:
        self._apply_guarded(run, run.new_data)

    def _do_apply(self, run: Run, settings: Settings) -> None:
        self._apply_guarded(run, lambda: run.apply(settings))

    def _do_save(self, run: Run, path: str, done: threading.Event | None = None,
                 recovery: dict | None = None) -> None:
        from lrtui.engine.runfile import save_run

        try:
            save_run(run, path, recovery)
        except OSError as error:
            run.say(f"cannot save the run to {path}: {error.strerror or error}", "error")
        else:
            run.say(f"run saved to {path}")
            if done is not None:
                done.set()

    def save_and_wait(self, path, timeout: float, recovery: dict | None = None) -> bool:
        """Save the run from the worker (between two chunks); True once the file is written."""
        if self.run is None or self.stop.is_set():
            return False
        done = threading.Event()
        self.send("save", str(path), done, recovery)
        return done.wait(timeout)

    def _do_export_csv(self, run: Run, path: str) -> None:
        from lrtui.engine.export import export_csv

        try:
            run.say(export_csv(run, path))
        except OSError as error:
            run.say(f"cannot write {path}: {error.strerror or error}", "error")

    def _apply_guarded(self, run: Run, change: Callable[[], None]) -> None:
        try:
            change()
        except ValueError as error:  # e.g. the data file went bad meanwhile
            run.say(str(error), "error")


def _load_run_ahead(settings: Settings, dataset: Dataset) -> Run:
    """The app's run: its larger chunks compile in the background, so no key waits for XLA."""
    return load_run(settings, dataset, compile_ahead=True, sharpness_default=SHARPNESS_EVERY)


def reopen_run(saved) -> Callable[[Settings, Dataset], Run]:
    """A load_engine that builds the run as usual, then puts it where the run file left it."""
    from lrtui.engine.runfile import restore

    return lambda settings, dataset: restore(_load_run_ahead(settings, dataset), saved)


def _waiting_snapshot(settings: Settings, dataset: Dataset | None,
                      state: State = State.LOADING, message: str = "") -> Snapshot:
    """A frame for before the Run exists: the data and theory if known, no training."""
    return Snapshot(
        state=state, step=0, budget_end=settings.steps, w=settings.init_w, b=settings.init_b,
        loss=float("nan"), learning_rate=settings.learning_rate, settings=settings,
        theory=theory_of(dataset.x, dataset.y) if dataset and settings.model == "line" else None,
        device="-",
        steps_per_second=0.0, curve=None,
        x=dataset.x if dataset else None, y=dataset.y if dataset else None,
        data_version=0, data_source=dataset.source if dataset else "", message=message)
