"""The real `lrtui` in a real pseudo-terminal: quitting, ctrl+c, hangups, a missing TensorFlow.

Each test starts the installed program as a user would, in its own pty of a
fixed size, reads what it draws, and types into it. Nothing here waits a fixed
time for a result: the reader polls the output (or the process) until a
deadline. The exit deadline of 2 s is the product's promise: q and ctrl+c
must end the app within 2 s, whatever TensorFlow is doing.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
from pathlib import Path

import pytest
from pty_support import EXIT_DEADLINE, LRTUI, START_DEADLINE, assert_clean_exit, assert_restored, visible

from benchmarks.quit_latency import burst

pytestmark = pytest.mark.pty


# -- quitting --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_while_tensorflow_is_importing(terminals, pty_env, key):
    terminal = terminals(LRTUI, pty_env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    assert not re.search(r"\bready\b", visible(terminal.text)), "TensorFlow had already loaded"
    terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, code)
    assert code == 0


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_mid_run(terminals, pty_env, key):
    terminal = terminals(LRTUI + ["--speed", "max", "--steps", "1000000000"], pty_env)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(" ")
    terminal.wait_for(r"running", 30)
    terminal.wait_for(r"steps/s", 30)  # training for real, at full speed
    terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, code)
    assert code == 0


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl+c"])
def test_quit_right_after_a_burst_of_keys(terminals, pty_env, tmp_path, key):
    """Hundreds of keys written at once (screens, saves, lr changes), then q: gone within 2 s."""
    terminal = terminals(LRTUI, pty_env, cwd=tmp_path)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(burst(random.Random(11), 400))
    terminal.type(key)
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, code)
    assert code == 0


# -- a dropped connection ----------------------------------------------------------------

def recovery_runs(tmp_path) -> list:
    return sorted((tmp_path / "state" / "lrtui" / "recovery").glob("run-*.json"))


def finish_a_run(terminals, env, *options: str):
    terminal = terminals(LRTUI + list(options), env)
    terminal.wait_for(r"\bready\b", START_DEADLINE)
    terminal.type(" ")  # the budget at 100 steps/s, then finished
    terminal.wait_for(r"finished", 60)
    return terminal


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_hangup_or_a_kill_saves_one_recovery_run_that_load_reopens(terminals, pty_env, tmp_path, signum):
    terminal = finish_a_run(terminals, pty_env, "--lr", "0.05", "--seed", "3", "--steps", "40")
    os.kill(terminal.process.pid, signum)
    code = terminal.wait_exit(10)
    assert code == 128 + signum, code
    assert "Traceback" not in terminal.text
    if signum == signal.SIGTERM:  # the terminal is still there: it must be usable again
        assert_restored(terminal)
    [path] = recovery_runs(tmp_path)
    assert path.name.endswith(f"-{terminal.process.pid}.json")
    document = json.loads(path.read_text())
    assert document["format"] == "lrtui-run"  # one document: the run file itself
    recovery = document["recovery"]
    assert recovery["reason"] == ("hangup" if signum == signal.SIGHUP else "terminated")
    assert recovery["resume"] == f"lrtui --load {path}" and recovery["pid"] == terminal.process.pid
    from lrtui.engine.runfile import read_run_file

    saved = read_run_file(path)
    assert saved.settings.seed == 3 and saved.settings.learning_rate == 0.05
    assert saved.step == 40 and saved.w != 0.0
    assert not list(path.parent.glob(".run-*")), "a temporary file was left behind"
    assert not (tmp_path / "state" / "lrtui" / "recovery.json").exists()


def test_two_instances_hung_up_keep_both_runs_and_recover_lists_them(terminals, pty_env, tmp_path):
    first = finish_a_run(terminals, pty_env, "--lr", "0.05", "--steps", "30")
    second = finish_a_run(terminals, pty_env, "--lr", "0.2", "--steps", "50")
    for terminal in (first, second):
        os.kill(terminal.process.pid, signal.SIGHUP)
    assert [t.wait_exit(10) for t in (first, second)] == [129, 129]
    from lrtui.engine.runfile import read_run_file

    runs = {read_run_file(path).settings.learning_rate: read_run_file(path).step
            for path in recovery_runs(tmp_path)}
    assert runs == {0.05: 30, 0.2: 50}
    listed = subprocess.run(LRTUI + ["recover"], env=pty_env, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()[1:]
    assert len(lines) == 2 and all("lrtui --load" in line for line in lines)
    same = subprocess.run(LRTUI + ["--load"], env=pty_env, capture_output=True, text=True, timeout=120)
    assert same.stdout == listed.stdout


def test_a_hangup_while_tensorflow_loads_saves_only_the_options(terminals, pty_env, tmp_path):
    terminal = terminals(LRTUI + ["--lr", "0.3"], pty_env)
    terminal.wait_for("loading TensorFlow", START_DEADLINE)
    os.kill(terminal.process.pid, signal.SIGHUP)
    assert terminal.wait_exit(10) == 128 + signal.SIGHUP
    [path] = recovery_runs(tmp_path)
    document = json.loads(path.read_text())
    assert document["format"] == "lrtui-recovery" and document["settings"]["learning_rate"] == 0.3
    assert document["recovery"]["resume"].startswith("lrtui --lr 0.3")
    # --load does not mistake it for a run: it says how to start again.
    refused = subprocess.run(LRTUI + ["--load", str(path)], env=pty_env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2
    assert "holds no run" in refused.stderr and "lrtui --lr 0.3" in refused.stderr


def test_only_the_newest_recovery_runs_are_kept(pty_env, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", pty_env["XDG_STATE_HOME"])
    from lrtui.app.recovery import KEEP, prune
    from lrtui.locations import recovery_dir

    folder = recovery_dir()
    folder.mkdir(parents=True)
    names = [f"run-20260101-0000{i:02d}-{100 + i}.json" for i in range(KEEP + 3)]
    for name in names:
        (folder / name).write_text("{}")
    prune()
    assert sorted(p.name for p in folder.glob("run-*.json")) == names[-KEEP:]


# -- TensorFlow missing ----------------------------------------------------------------

@pytest.fixture
def no_tensorflow(pty_env, tmp_path):
    """An environment fault, faked on purpose: a `tensorflow` package that fails to import.

    It stands first on PYTHONPATH, so `import tensorflow` finds it instead of the real one.
    """
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("libtensorflow_framework.so.2: '
                                      'cannot open shared object file")\n')
    env = dict(pty_env)
    env["PYTHONPATH"] = os.pathsep.join([str(fake.parent), str(Path(__file__).parents[3])])
    return env


def test_headless_run_without_tensorflow_says_how_to_install_it(no_tensorflow):
    done = subprocess.run(LRTUI + ["run"], env=no_tensorflow, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lrtui: error: TensorFlow could not be imported")
    assert "pip install tensorflow" in done.stderr


def test_app_without_tensorflow_says_how_to_install_it_and_quits(terminals, no_tensorflow):
    terminal = terminals(LRTUI, no_tensorflow, size=(200, 50))
    terminal.wait_for("pip install tensorflow", START_DEADLINE)
    assert "cannot train" in visible(terminal.text)
    terminal.type("q")
    code = terminal.wait_exit(EXIT_DEADLINE + 3)
    assert_clean_exit(terminal, code)
