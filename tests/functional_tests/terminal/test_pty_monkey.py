"""A monkey at a real terminal: the installed `lrtui` in a pseudo-terminal, keys sent in bursts.

The Pilot monkey (tests/functional_tests/app/test_monkey.py) waits for the
app between its actions; a hand on a keyboard does not. Here every burst is
written to the pty at once, with no wait for the app: keys from the app's
key table, a screen key immediately followed by escape, values typed into the
lr field, and resizes (TIOCSWINSZ + SIGWINCH, as a terminal window does).
After every burst the process must still be alive; at the end, escape and q
must end it with exit status 0, the terminal given back, and no crash log.
pyte is the terminal: the test reads the screen it shows.

Longer runs, with other seeds:

    LRTUI_PTY_MONKEY_SEEDS=4,5,6 LRTUI_PTY_MONKEY_BURSTS=200 .venv/bin/python -m pytest \
        tests/functional_tests/terminal/test_pty_monkey.py
"""

from __future__ import annotations

import os
import random

import pytest
from pty_support import LRTUI, START_DEADLINE, Terminal, assert_restored, visible

from lrtui.app.app import LrApp

pytestmark = [pytest.mark.pty, pytest.mark.monkey]

SEEDS = [int(seed) for seed in os.environ.get("LRTUI_PTY_MONKEY_SEEDS", "1,2,3").split(",")]
BURSTS = int(os.environ.get("LRTUI_PTY_MONKEY_BURSTS", "30"))
# After the last burst the app may still be working through the keys: escape, then q.
SETTLE_DEADLINE = 60.0
ENDING_ROUNDS = 4
ESCAPE = "\x1b"
# What a terminal sends for the key names the app binds.
BYTES = {"space": " ", "plus": "+", "equals_sign": "=", "minus": "-", "question_mark": "?",
         "left_square_bracket": "[", "right_square_bracket": "]", "left_curly_bracket": "{",
         "right_curly_bracket": "}", "f8": "\x1b[19~", "escape": ESCAPE, "enter": "\r",
         "tab": "\t", "up": "\x1b[A", "down": "\x1b[B", "pageup": "\x1b[5~",
         "pagedown": "\x1b[6~", "ctrl+p": "\x10"}
# q and ctrl+c end the app: only the end of the test sends them.
ENDING = {"q", "ctrl+c"}
SCREEN_KEYS = ["g", "c", "f", "o", "m", "b", "?", "\x10"]
LR_TEXT = ["0.5", "0.9", "abc", "1e999", "", "0.001", "-1"]


def terminal_bytes(key: str) -> str:
    if len(key) == 1:
        return key
    if key in BYTES:
        return BYTES[key]
    raise AssertionError(f"the monkey does not know what a terminal sends for {key!r}: add it to BYTES")


def key_table() -> list[str]:
    keys = [key.strip() for binding in LrApp.BINDINGS for key in binding.key.split(",")]
    return [terminal_bytes(key) for key in keys if key not in ENDING]


def burst(rng: random.Random, keys: list[str]) -> tuple[str, str]:
    """One burst of input: (what it is, the bytes)."""
    kind = rng.choices(["keys", "screen-escape", "lr", "resize"], weights=[45, 30, 15, 10])[0]
    if kind == "keys":
        return kind, "".join(rng.choice(keys + [ESCAPE, "\t", "\r"]) for _ in range(rng.randint(5, 40)))
    if kind == "screen-escape":  # a screen's key and escape at once, a few times over
        return kind, "".join(rng.choice(SCREEN_KEYS) + ESCAPE + rng.choice(keys)
                             for _ in range(rng.randint(1, 6)))
    if kind == "lr":
        return kind, "l" + rng.choice(LR_TEXT) + rng.choice(["\r", "\t", ESCAPE])
    return kind, ""


@pytest.mark.parametrize("seed", SEEDS)
def test_bursts_at_a_real_terminal(terminals, pty_env, tmp_path, seed):
    rng = random.Random(seed)
    keys = key_table()
    terminal: Terminal = terminals(LRTUI, pty_env, cwd=tmp_path)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    trail = []
    for number in range(BURSTS):
        kind, data = burst(rng, keys)
        if kind == "resize":
            size = (rng.randint(40, 200), rng.randint(12, 60))
            terminal.resize(*size)
            trail.append(f"resize {size}")
        else:
            terminal.type(data)
            trail.append(f"{kind} {data!r}")
        terminal.read(0.05)  # take the output so the pty never fills; the app is not waited for
        assert terminal.alive(), (f"lrtui ended (exit {terminal.process.poll()}) after burst "
                                  f"{number}: {trail[-5:]}\n{visible(terminal.text)[-2000:]}")
    terminal.resize(120, 40)
    # Back to the main screen, then q. Screens can be stacked deeper than a few escapes
    # reach, and q closes the help and the range test, so a user may need q more than once.
    code = None
    for _ in range(ENDING_ROUNDS):
        for _ in range(4):  # a lone escape is only an escape once the parser's wait is over
            terminal.type(ESCAPE)
            terminal.read(0.3)
        terminal.type("q")
        code = terminal.wait_exit(SETTLE_DEADLINE / ENDING_ROUNDS)
        if code is not None:
            break
    assert code == 0, (f"exit status {code} after q; the last bursts: {trail[-5:]}\n"
                       f"{terminal.shown()}")
    assert "Traceback" not in terminal.text
    assert_restored(terminal)
    state = tmp_path / "state" / "lrtui"
    assert not list(state.glob("crash-*.log")), "a crash log was written"
    log = state / "tensorflow.log"
    assert not log.exists() or "Traceback" not in log.read_text(errors="replace"), \
        log.read_text(errors="replace")[-3000:]
