"""Helpers the tests share: the app ready, bounded waits, what the screen says.

No test sleeps for a result: `wait_for` polls a condition between short
pilot pauses and fails with the app's state if the condition never holds.
Where a test checks that something does *not* happen (a paused run stays
put), `unchanged_for` looks a bounded number of times over a fixed span.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from lrtui.engine.data import generate
from lrtui.engine.device import DeviceChoice
from lrtui.engine.run import Run, State
from lrtui.settings.fields import Settings

if TYPE_CHECKING:  # the unit tests import this module too, without Textual
    from textual.widgets import Static

    from lrtui.app.app import LrApp

# The lesson's 100 points: x in [0, 1], y = 0.1·x + 0.5 + noise 0.1, seed 0.
LESSON_DATA = generate(100, 0.0, 1.0, 0.1, 0.5, 0.1, 0)
CPU = DeviceChoice("/CPU:0")
SIZE = (120, 40)
# The first app of the process imports TensorFlow in its worker thread.
LOAD_TIMEOUT = 180


def describe(app: LrApp) -> str:
    snap = app.snapshot
    if snap is None:
        return "no snapshot yet"
    return (f"state={snap.state.name} step={snap.step} budget_end={snap.budget_end} "
            f"lr={snap.learning_rate} w={snap.w} b={snap.b} loss={snap.loss}")


async def wait_for(pilot, predicate, timeout: float = 60, what: str = "") -> None:
    """Poll `predicate()` between 0.05 s pilot pauses; fail after `timeout` seconds."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            state = describe(app) if hasattr(app, "snapshot") else type(app).__name__
            pytest.fail(f"timed out after {timeout} s waiting for {what or predicate}; app: {state}")
        await pilot.pause(0.05)


async def settled_at(pilot, size: tuple[int, int]) -> None:
    """After a resize: the screen has taken `size` and every message it caused is handled."""
    await wait_for(pilot, lambda: tuple(pilot.app.screen.size) == size, 20, f"the screen at {size}")
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def state_is(app: LrApp, *states: State) -> bool:
    return app.snapshot is not None and app.snapshot.state in states


@asynccontextmanager
async def ready_app(settings: Settings | None = None, size=SIZE, **options):
    """An app whose run is built (TensorFlow loaded, trainer compiled): state READY."""
    from lrtui.app.app import LrApp

    app = LrApp(settings or Settings(), **options)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: state_is(app, State.READY), LOAD_TIMEOUT,
                       "the run to load (state READY)")
        yield app, pilot


async def start(app: LrApp, pilot) -> None:
    """Press space and wait until the run is running and has made progress."""
    before = app.snapshot.step
    await pilot.press("space")
    await wait_for(pilot, lambda: state_is(app, State.RUNNING) and app.snapshot.step > before,
                   what="space to start the run (RUNNING, step increasing)")


async def pause(app: LrApp, pilot) -> None:
    await pilot.press("space")
    await wait_for(pilot, lambda: state_is(app, State.PAUSED), what="space to pause (PAUSED)")


async def type_text(pilot, text: str) -> None:
    if text:
        await pilot.press(*text)


def text_of(widget: Static) -> str:
    """The plain text a Static shows (markup stripped)."""
    return str(widget.render())


def log_text(app: LrApp) -> str:
    from lrtui.app.widgets.step_log import StepLog

    return "\n".join(strip.text for strip in app.query_one(StepLog).lines)


async def unchanged_for(pilot, app: LrApp, polls: int = 3, gap: float = 0.5) -> None:
    """Check over polls×gap seconds that neither the shown nor the run's step moves."""
    run = app.controller.run
    shown, actual = app.snapshot.step, run.step
    assert shown == actual, f"paused, yet the app shows step {shown} and the run is at {actual}"
    for i in range(polls):
        await pilot.pause(gap)
        assert app.snapshot.step == shown, \
            f"paused, yet the shown step moved {shown} -> {app.snapshot.step} (poll {i + 1})"
        assert run.step == actual, \
            f"paused, yet the run's step moved {actual} -> {run.step} (poll {i + 1})"


def solo(settings: Settings, learning_rate: float, steps: int):
    """The real single-run engine (the lesson's assign_sub loop) at one lr: (run, its steps)."""
    run = Run(settings.with_(learning_rate=learning_rate, steps=steps), CPU)
    batch = run.advance(steps)
    return run, batch


# -- a Keras training's channel, without Keras ------------------------------------------

KERAS_EPOCHS, KERAS_STEPS_PER_EPOCH = 10, 100


def keras_training(name: str = "exp", batches: int = 800):
    """A channel with a fixed history, written by the real channel and publisher code:
    (channel, publisher). No TensorFlow: the test stands in for LrtuiCallback (these tests
    are about the viewer), handing the publisher the logs Keras would give (`loss` is the
    running mean of the epoch so far), an epoch event with validation logs after each epoch,
    and one acknowledged lr change at step 500. The caller closes the publisher; the
    history is on disk once `publisher.close()` returns. Needs XDG_RUNTIME_DIR set."""
    import numpy as np

    from lrtui.integrations.keras.channel import Channel
    from lrtui.integrations.keras.publisher import Publisher

    channel = Channel.create(name)
    publisher = Publisher(channel, lambda steps: np.where(steps < 500, 0.01, 0.005),
                          {"epochs": KERAS_EPOCHS, "steps_per_epoch": KERAS_STEPS_PER_EPOCH,
                           "model": "sequential", "optimizer": "SGD"})
    publisher.start()
    publisher.event(0, "start", "training started (lr 0.01)")
    publisher.set_state("training")
    mean = 0.0
    for step in range(batches):
        epoch, batch = divmod(step, KERAS_STEPS_PER_EPOCH)
        loss = 2.0 * np.exp(-step / 200) + 0.05
        mean = loss if batch == 0 else (mean * batch + loss) / (batch + 1)
        publisher.publish(step, epoch, batch, {"loss": float(mean), "mae": 0.5})
        if batch == KERAS_STEPS_PER_EPOCH - 1:
            publisher.event(step, "epoch", f"epoch {epoch + 1} done", epoch=epoch,
                            logs={"loss": mean, "val_loss": mean * 1.1})
        if step == 500:
            publisher.event(500, "ack", "lr 0.01 -> 0.005 from step 500", command="scale_lr",
                            from_step=500)
    return channel, publisher
