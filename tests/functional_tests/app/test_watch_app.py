"""The `lrtui watch NAME` viewer through Textual's Pilot, at 120×40.

A `Publisher` driven by hand stands in for the Keras training here (these
tests are about the viewer: what it shows, what its keys send); the real
trainings are in tests/functional_tests/keras, one of them steered by keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from lrtui.app.screens.ask_screen import AskScreen
from lrtui.app.screens.lr_find_screen import LrFindScreen
from lrtui.app.watch_app import WatchApp, log_text_of
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.engine.lr_find import RangeTest, Suggestion
from lrtui.integrations.keras.channel import Channel
from lrtui.integrations.keras.publisher import Publisher
from lrtui.integrations.keras.range_file import publish_range_test

SIZE = (120, 40)


@pytest.fixture
def training(tmp_path, monkeypatch):
    """800 batches of a 10-epoch training, an lr change at 500, still running."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    channel = Channel.create("exp")
    publisher = Publisher(channel, lambda s: np.where(s < 500, 0.01, 0.005),
                          {"epochs": 10, "steps_per_epoch": 100, "model": "m"})
    publisher.start()
    publisher.set_state("training")
    mean = 0.0
    for i in range(800):
        batch, loss = i % 100, 2.0 * np.exp(-i / 200) + 0.05
        mean = loss if batch == 0 else (mean * batch + loss) / (batch + 1)
        publisher.publish(i, i // 100, batch, {"loss": float(mean), "mae": 0.5})
        if batch == 99:
            publisher.event(i, "epoch", f"epoch {i // 100 + 1} done", epoch=i // 100,
                            logs={"loss": mean, "val_loss": mean * 1.1})
    publisher.event(500, "ack", "lr 0.01 -> 0.005 from step 500", command="scale_lr", from_step=500)
    yield channel, publisher
    publisher.close("finished")


async def wait_for(pilot, predicate, timeout=20.0, what=""):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def commands(channel) -> list[dict]:
    return [json.loads(line) for line in channel.commands.read_text().splitlines()]


def log_text(app) -> str:
    return log_text_of(app)


async def test_it_shows_the_training(training):
    channel, _ = training
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.step == 799,
                       what="the last row")
        await pilot.pause(0.2)
        status = str(app.query_one("#status").render())
        assert status.startswith("training") and "step 799/1,000" in status
        assert "epoch 8/10" in status and "lr 0.005" in status
        frame = app.frame
        assert len(frame.validation) == 8 and frame.epoch_ends[0] == 99
        plot = app.query_one(LossPlot)
        # Each batch's own loss (0.08681 at step 799), not Keras's running mean of the epoch (0.095).
        assert f"batch loss {2 * np.exp(-799 / 200) + 0.05:.4g}" in "\n".join(plot._lines)
        await wait_for(pilot, lambda: "lr 0.01 -> 0.005 from step 500" in log_text(app),
                       what="the acknowledgement in the step log")
        assert "epoch 8 done" in log_text(app)


async def test_keys_send_commands_and_bad_input_sends_nothing(training, tmp_path, monkeypatch):
    channel, _ = training
    monkeypatch.chdir(tmp_path)
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None, what="a frame")
        await pilot.press("space", "plus", "minus")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen), what="the lr field")
        await pilot.press("ctrl+u", *"abc", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, AskScreen)  # refused: still asking, nothing sent
        assert "not a number" in str(app.screen.query_one("#problem").render())
        await pilot.press("ctrl+u", *"0.02", "enter")
        await pilot.press("x", "y", "w", "enter")
        await pilot.pause(0.1)
        sent = commands(channel)
        assert [c["command"] for c in sent] == ["pause", "scale_lr", "scale_lr", "set_lr", "stop",
                                                "save_weights"]
        assert [c.get("value") for c in sent[1:4]] == [2.0, 0.5, 0.02]
        assert sent[5]["path"] == str(tmp_path / "exp-step800.weights.h5")
        await pilot.press("q")
    assert app.return_code == 0


async def test_the_range_test_and_its_suggestions(training):
    channel, _ = training
    lrs = np.geomspace(1e-7, 1.0, 60)
    losses = 1.0 / (1.0 + lrs * 100) + lrs * 5
    suggestions = {"minimum": Suggestion("minimum", 0.02, 0.2, 0.5),
                   "steep": Suggestion("steep", 0.003, 0.003, 0.8),
                   "valley": Suggestion("valley", 0.01, 0.01, 0.6)}
    publish_range_test(channel, RangeTest(lrs, losses, losses, 100, True, None, suggestions))
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.range_test is not None,
                       what="the range test")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, LrFindScreen), what="the screen")
        await pilot.press("4")  # no theory for a Keras model: nothing to apply
        await pilot.press("3")
        await wait_for(pilot, lambda: not isinstance(app.screen, LrFindScreen), what="closing")
    assert commands(channel)[-1] == {**commands(channel)[-1], "command": "set_lr", "value": 0.01}


async def test_a_training_that_is_gone_says_so(training):
    channel, publisher = training
    publisher.close("training")  # its threads stop; then the process "dies":
    state = channel.state()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    state.update(pid=int(dead), state="training")
    channel.state_path.write_text(json.dumps(state))
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.status == "gone",
                       what="gone")
        await pilot.pause(0.2)
        assert "is no longer running" in str(app.query_one("#status").render())
        assert f"the training process is gone (pid {dead})" in log_text(app)
        await pilot.press("space")  # nothing can be sent to it
        await pilot.pause(0.1)
        assert commands(channel) == []
