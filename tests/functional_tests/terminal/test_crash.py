"""A crash is never silent: the terminal comes back, two lines say what failed and where the log is.

The widget that raises is a fake on purpose (these tests are about the crash
path, not about any real bug): a sitecustomize module on PYTHONPATH makes the
loss pane's cursor raise when ] is pressed, and `lrtui run`'s summary raise.
Everything else is the real program in a real pseudo-terminal.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from pty_support import ALT_SCREEN_OFF, LRTUI, START_DEADLINE, assert_restored, visible

pytestmark = pytest.mark.pty

FAKE = '''
def _raise(*args, **kwargs):
    raise RuntimeError("a fake widget made to raise")

import lrtui.app.widgets.loss_plot
lrtui.app.widgets.loss_plot.LossPlot.move_cursor = _raise
import lrtui.commands.run
lrtui.commands.run.summarize = _raise
'''


@pytest.fixture
def raising(pty_env, tmp_path):
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(FAKE)
    env = dict(pty_env)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(Path(__file__).parents[3])])
    return env


def crash_log_named_in(text: str, state: Path) -> Path:
    match = re.search(r"lrtui: the full traceback is in (\S+)", text)
    assert match, text
    path = Path(match.group(1))
    assert path.parent == state and path.name.startswith("crash-"), path
    log = path.read_text()
    assert "Traceback (most recent call last)" in log and "a fake widget made to raise" in log
    return path


def test_a_widget_that_raises_leaves_the_terminal_restored_and_says_where_the_log_is(
        terminals, raising, tmp_path):
    terminal = terminals(LRTUI, raising, cwd=tmp_path)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type("]")
    code = terminal.wait_exit(15)
    assert code == 1
    assert_restored(terminal)
    after = visible(terminal.text[terminal.text.rfind(ALT_SCREEN_OFF):]).strip()
    lines = [line for line in after.splitlines() if line.strip()]
    assert lines[0] == "lrtui: crashed: RuntimeError: a fake widget made to raise", after
    assert len(lines) == 2, after
    crash_log_named_in(after, tmp_path / "state" / "lrtui")


def test_a_headless_command_that_raises_prints_two_lines_and_exits_1(raising, tmp_path):
    done = subprocess.run(LRTUI + ["run", "--steps", "3"], env=raising, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "lrtui: crashed: RuntimeError: a fake widget made to raise", done.stderr
    assert len(lines) == 2, done.stderr
    crash_log_named_in(done.stderr, tmp_path / "state" / "lrtui")
