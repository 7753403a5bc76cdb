"""A monkey at the keyboard: thousands of seeded random actions against the real app.

Every key the app binds (read from LrApp.BINDINGS, so new keys are covered
without touching this file; q and ctrl+c are left out, they end the test),
good and bad values typed into every field of the hyperparameter pane,
resizes from 40×12 to 250×80, and every screen opened and closed. After each
action the app must still run with no exception; every action has a deadline,
so a hang fails with the actions that led to it. At the end a known sequence
must still work: reset, then s gives step 1.

The CI run is short and fixed. A longer one, with any seed:

    LRTUI_MONKEY_ACTIONS=20000 LRTUI_MONKEY_SEED=3 .venv/bin/python -m pytest tests/test_monkey.py
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import traceback
from collections import Counter, deque

import pytest
from support import LOAD_TIMEOUT, describe, state_is, wait_for
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input

from lrtui.app.app import LrApp
from lrtui.app.textual_internals import app_exception, send_keys
from lrtui.app.widgets.hyperparams import FIELDS
from lrtui.engine.run import State
from lrtui.settings.fields import OPTIMIZERS, SCHEDULES, SPEEDS, Settings
from lrtui.settings.model_fields import DATASETS, MODELS

pytestmark = pytest.mark.monkey

ACTIONS = int(os.environ.get("LRTUI_MONKEY_ACTIONS", "2000"))
SEED = int(os.environ.get("LRTUI_MONKEY_SEED", "7"))
ACTION_DEADLINE = 30.0  # seconds one action may take before it counts as a hang
NOT_FOR_THE_MONKEY = {"q", "ctrl+c"}
# Keys with a meaning in fields and screens, besides the app's own.
EXTRA_KEYS = ["enter", "escape", "tab", "shift+tab", "backspace", "up", "down", "ctrl+p"]

# Values a user might type: sensible ones per field, and junk for any field.
GOOD = {
    "learning_rate": ["0.001", "0.1", "0.5", "0.9", "1.2", "10", "1e-4", "3e-2", "1e4", "1e-10"],
    "optimizer": list(OPTIMIZERS),
    "schedule": list(SCHEDULES),
    "batch_size": ["full", "1", "10", "32", "100"],
    "steps": ["1", "10", "200", "5000", "1000000000"],
    "init_w": ["0", "-1", "2.5", "1e3", "-1e6", "1e6"],
    "init_b": ["0", "-1", "0.5", "-1e6", "1e6"],
    "speed": list(SPEEDS),
    "log_every": ["1", "5", "20", "1000"],
    "n": ["2", "3", "100", "1000", "2000"],
    "noise": ["0", "0.1", "1", "100", "1e6"],
    "seed": ["0", "1", "42", "4294967295"],
    "true_w": ["0.1", "-3", "1e6", "0"],
    "true_b": ["0.5", "-2", "1e6", "0"],
    "model": list(MODELS),
    "dataset": list(DATASETS),
}
BAD = ["", " ", "nan", "NaN", "inf", "-inf", "1e999", "1e-999", "-1", "0", "-0", "1_0", "0x10",
       "1,5", "１", "abc", "1e", "--1", "+", ".", "e5", "9" * 40, "0." + "0" * 400 + "1",
       "1" * 400, "\\", "[b]x[/b]", "'; drop", "🔥"]


def bound_keys() -> list[str]:
    keys = []
    for binding in LrApp.BINDINGS:
        for key in binding.key.split(","):
            if key.strip() not in NOT_FOR_THE_MONKEY:
                keys.append(key.strip())
    return keys


class Monkey:
    def __init__(self, app: LrApp, pilot, rng: random.Random):
        self.app, self.pilot, self.rng = app, pilot, rng
        self.keys = bound_keys()
        self.history: deque[str] = deque(maxlen=25)
        self.done = Counter()
        self.seconds = Counter()  # where the time goes, per kind of action

    async def act(self) -> int:
        """One burst of actions; returns how many (each key pressed counts as one)."""
        kind = self.rng.choices(["keys", "type", "resize", "screen", "wait"],
                                weights=[50, 25, 10, 8, 7])[0]
        started = time.monotonic()
        count = await getattr(self, f"_{kind}")() or 1
        self.done[kind] += count
        self.seconds[kind] += time.monotonic() - started
        return count

    async def hammer(self, keys: list[str]) -> None:
        """Send keys as fast as a hand on the keyboard: queued at once, then one wait.

        Pilot.press waits for the app to settle after every key; a user does
        not, and a burst must work too. The events are built as Pilot builds them.
        """
        if isinstance(self.app.screen, CommandPalette) or "ctrl+p" in keys:
            # Enter in the palette may pick "Quit the application" before the search
            # narrows the list: a fair way to leave, but it would end the monkey early.
            keys = [key for key in keys if key != "enter"]
        send_keys(self.app, *keys)
        await self.pilot.pause()

    async def _keys(self) -> int:
        keys = [self.rng.choice(self.keys + EXTRA_KEYS) for _ in range(self.rng.randint(1, 10))]
        self.history.append(f"keys {keys}")
        await self.hammer(keys)
        return len(keys)

    async def _type(self) -> int:
        field = self.rng.choice([f for f, _ in FIELDS])
        text = self.rng.choice(GOOD[field] if self.rng.random() < 0.6 else BAD)
        end = self.rng.choice(["enter", "enter", "escape", "tab"])
        self.history.append(f"type {text[:30]!r} into {field}, then {end}")
        field_input = self.app.screen.query(f"#{field}")
        keys = [c if c != " " else "space" for c in text]
        if not field_input:  # another screen is on top: its own keys get the text
            await self.hammer(keys[:20] + [end])
            return len(keys[:20]) + 1
        field_input = field_input.first(Input)
        field_input.focus()
        await self.pilot.pause()
        if len(text) > 12:  # long junk arrives pasted, as it would from a clipboard
            field_input.post_message(events.Paste(text))
            keys = []
        await self.hammer(keys + [end])
        return len(keys) + 2

    async def _resize(self) -> None:
        size = (self.rng.randint(40, 250), self.rng.randint(12, 80))
        self.history.append(f"resize {size}")
        await self.pilot.resize_terminal(*size)

    async def _screen(self) -> int:
        """Open a screen (help, palette, landscape, compare, range test, method), press a few keys, close it."""
        opener = self.rng.choice(["question_mark", "ctrl+p", "g", "c", "f", "o"])
        inside = [self.rng.choice(self.keys + ["down", "up", "a"]) for _ in range(self.rng.randint(0, 3))]
        self.history.append(f"screen via {opener}, keys {inside}, escape")
        await self.hammer([opener] + inside)
        await self.close_screens()
        return 2 + len(inside)

    async def _wait(self) -> None:
        self.history.append("wait 0.05 s")
        await self.pilot.pause(0.05)

    async def close_screens(self) -> None:
        for _ in range(5):
            if len(self.app.screen_stack) <= 1:
                return
            await self.pilot.press("escape")
        assert len(self.app.screen_stack) == 1, f"escape left {self.app.screen_stack} open"

    def check(self) -> None:
        app = self.app
        if app_exception(app) is not None:
            error = getattr(app_exception(app), "error", app_exception(app))  # a worker's own error
            pytest.fail(f"exception after {self.trail()}\n"
                        + "".join(traceback.format_exception(error)))
        assert app.is_running and app.return_code is None, \
            f"the app stopped (return code {app.return_code}) after {self.trail()}"
        assert self.app.snapshot is not None
        assert self.app.snapshot.state != State.ERROR, \
            f"ERROR state '{self.app.snapshot.message}' after {self.trail()}"

    def trail(self) -> str:
        return "\n  ".join(["the last actions:"] + list(self.history))


async def test_monkey(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # f8 saves screenshots in the current folder
    rng = random.Random(SEED)
    app = LrApp(Settings())
    started = time.monotonic()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: state_is(app, State.READY), LOAD_TIMEOUT, "READY")
        monkey = Monkey(app, pilot, rng)
        done = 0
        while done < ACTIONS:
            try:
                done += await asyncio.wait_for(monkey.act(), ACTION_DEADLINE)
            except TimeoutError:
                pytest.fail(f"after {done} actions one hung for {ACTION_DEADLINE} s; "
                            f"app: {describe(app)}; {monkey.trail()}")
            monkey.check()

        # The known ending: back to the main screen and the app's keys, then reset and step.
        await monkey.close_screens()
        await pilot.resize_terminal(120, 40)
        app.screen.set_focus(None)
        await pilot.press("r")
        await wait_for(pilot, lambda: state_is(app, State.READY) and app.snapshot.step == 0,
                       what=f"r to reset to step 0; {monkey.trail()}")
        await pilot.press("s")
        # FINISHED if the monkey left a budget of one step.
        await wait_for(pilot, lambda: state_is(app, State.PAUSED, State.FINISHED)
                       and app.snapshot.step == 1,
                       what=f"s to make step 1 after the reset; {monkey.trail()}")
        monkey.check()
    assert app_exception(app) is None
    elapsed = time.monotonic() - started
    print(f"\nmonkey: {done} actions (seed {SEED}) in {elapsed:.1f} s: {dict(monkey.done)}; "
          f"seconds {({k: round(v, 1) for k, v in monkey.seconds.items()})}")
