"""The `lrtui watch NAME` viewer through Textual's Pilot, at 120×40 (and below its minimum size).

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
from support import keras_training
from textual.keys import key_to_character
from textual.widgets import Footer, Markdown

from lrtui.app.screens.ask_screen import AskScreen
from lrtui.app.screens.help_screen import HelpScreen
from lrtui.app.screens.lr_find_screen import LrFindScreen
from lrtui.app.watch_app import MIN_HEIGHT, MIN_WIDTH, WATCH_HELP, WatchApp, log_text_of
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.too_small import TooSmall
from lrtui.engine.lr_find import RangeTest, Suggestion
from lrtui.integrations.keras.channel import Channel
from lrtui.integrations.keras.range_file import publish_range_test

SIZE = (120, 40)


@pytest.fixture
def training(tmp_path, monkeypatch):
    """800 batches of a 10-epoch training, an lr change at 500, still running."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    channel, publisher = keras_training("exp")
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
        await wait_for(pilot, lambda: "step 799/1,000" in str(app.query_one("#status").render()),
                       what="the status line at the last row")
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
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen)
                       and "not a number" in str(app.screen.query_one("#problem").render()),
                       what="the refusal under the lr field")
        assert isinstance(app.screen, AskScreen)  # refused: still asking, nothing sent
        assert len(commands(channel)) == 3, commands(channel)
        await pilot.press("ctrl+u", *"0.02", "enter")
        await pilot.press("x", "y", "w", "enter")
        await wait_for(pilot, lambda: len(commands(channel)) >= 6, what="six commands sent")
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
        await wait_for(pilot, lambda: "is no longer running" in str(app.query_one("#status").render()),
                       what="the status line to say the training is gone")
        await wait_for(pilot, lambda: f"the training process is gone (pid {dead})" in log_text(app),
                       what="the step log to say the training is gone")
        await pilot.press("space")  # nothing can be sent to it
        # The refusal's line in the step log comes after the send was tried: then look.
        await wait_for(pilot, lambda: "not sent: the training is gone" in log_text(app),
                       what="the step log to say the pause was not sent")
        assert commands(channel) == []


# -- below the minimum size --------------------------------------------------------------

async def test_a_too_small_terminal_shows_a_message_and_the_training_goes_on(training):
    channel, publisher = training
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.frame is not None and app.frame.step == 799,
                       what="the last row")
        message = app.query_one(TooSmall)
        assert message.minimum == (MIN_WIDTH, MIN_HEIGHT)
        for size, small in (((MIN_WIDTH - 1, 40), True), ((120, MIN_HEIGHT - 1), True),
                            ((MIN_WIDTH, MIN_HEIGHT), False), ((40, 12), True)):
            await pilot.resize_terminal(*size)
            await wait_for(pilot, lambda: app.size == size, what=f"the resize to {size}")
            await pilot.pause()
            assert message.display == small, f"{size}: message shown = {message.display}"
            for pane in (app.query_one("#panes"), app.query_one("#status"), app.query_one(Footer)):
                assert pane.display != small, f"{size}: {pane!r} shown = {pane.display}"
            area = app.query_one(LossPlot).region.area
            assert (area == 0) == small, f"{size}: the loss pane covers {area} cells"
        text = str(message.render())
        assert f"lrtui watch: it needs at least {MIN_WIDTH}×{MIN_HEIGHT}" in text, text
        assert "press q to detach (the training goes on)" in text, text
        # While small, the viewer keeps reading and its keys keep steering.
        for step in range(800, 850):
            publisher.publish(step, 8, step - 800, {"loss": 0.09, "mae": 0.5})
        await wait_for(pilot, lambda: app.frame.step == 849, what="the rows that came while small")
        await pilot.press("space")
        await wait_for(pilot, lambda: [c["command"] for c in commands(channel)] == ["pause"],
                       what="space to send pause while small")
        # Its notice waits unseen: a toast would cover the message.
        await wait_for(pilot, lambda: app.screen.query("Toast"), what="the notice of the pause")
        assert not any(toast.visible for toast in app.screen.query("Toast"))
        await pilot.resize_terminal(*SIZE)
        await wait_for(pilot, lambda: app.size == SIZE and not message.display, what="back to 120×40")
        await pilot.pause()
        assert all(toast.visible for toast in app.screen.query("Toast"))  # (those not yet gone)
        plot = app.query_one(LossPlot)
        assert plot.region.area > 0
        assert "batch loss 0.09" in str(plot.render()), "the loss pane missed the rows that came while small"


# -- the help ------------------------------------------------------------------------------

KEY_NAMES = {"space": "space", "plus": "+", "minus": "-"}  # what the help calls them


def key_shown(binding) -> str:
    name = binding.key.split(",")[0]
    return KEY_NAMES.get(name) or key_to_character(name) or name


async def test_help_lists_every_key_with_what_it_does_to_the_training(training):
    channel, _ = training
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None, what="a frame")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="? to open the help")
        help = app.screen.help
        assert help is WATCH_HELP and help.title == "lrtui watch keys"
        cells = " ".join(keys for keys, _ in help.keys)
        for binding in WatchApp.BINDINGS:
            if binding.key != "ctrl+c":  # the same as q; not a key to learn
                assert f"`{key_shown(binding)}`" in cells, f"{binding.key} is not in the help"
        said = dict(help.keys)
        assert "next batch" in said["`+` / `-`"] and "next batch" in said["`space`"]
        assert "training goes on" in said["`q`"]
        # Shown, as Markdown, on the screen.
        shown = app.screen.query_one(Markdown)
        await wait_for(pilot, lambda: "lrtui watch keys" in str(shown.source), what="the help text")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="escape to close it")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="? again")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="? to close it")
        await pilot.press("question_mark", "q")  # q closes the help; it does not detach
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="q to close it")
        assert app.is_running and app.return_code is None, "q on the help detached"
        assert commands(channel) == [], "the help's keys reached the training"
        await pilot.press("plus")  # the viewer's keys work again
        await wait_for(pilot, lambda: [c["command"] for c in commands(channel)] == ["scale_lr"],
                       what="+ after the help")


async def test_f8_saves_a_screenshot_over_the_help_too(training, tmp_path, monkeypatch):
    """f8 works on any screen, the modal ones too: the picture is of what the terminal shows."""
    monkeypatch.chdir(tmp_path)
    app = WatchApp(Channel.attach("exp"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.frame is not None, what="a frame")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="? to open the help")
        await pilot.press("f8")
        await wait_for(pilot, lambda: list(tmp_path.glob("*.svg")), what="f8 to write an SVG")
        (picture,) = tmp_path.glob("*.svg")
        assert "lrtui watch keys" in picture.read_text().replace("&#160;", " ")
        assert isinstance(app.screen, HelpScreen), "f8 closed the help"
