"""Run files: saved runs load back equal, continue exactly, and survive a killed save.

Real TensorFlow: the trajectories compared are the compiled trainer's own.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from support import CPU

from lrtui.engine.recording import COLUMNS, Recording
from lrtui.engine.records import StepBatch
from lrtui.engine.run import Run, State, make_dataset
from lrtui.engine.runfile import RunFileError, document_of, read_run_file, restore, save_run
from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

import_tensorflow()



def new_run(settings: Settings) -> Run:
    return Run(settings, CPU, make_dataset(settings))


def reopen(path) -> Run:
    saved = read_run_file(path)
    return restore(Run(saved.settings, CPU, saved.dataset()), saved)


def records_of(run: Run) -> dict:
    return run.recording.columns()


def test_saved_run_loads_back_equal(tmp_path):
    run = new_run(Settings(steps=300, seed=3))
    run.advance(100)
    run.set_learning_rate(0.3)
    run.advance(50)
    path = save_run(run, tmp_path / "run.json")
    back = reopen(path)
    assert back.settings == run.settings
    assert back.step == run.step == 150 and back.weights() == run.weights()
    assert back.learning_rate == 0.3 and back.state == State.PAUSED and back.budget_end == 300
    for name in ("low", "high", "last", "w", "b"):
        assert np.array_equal(getattr(back.history.view(), name), getattr(run.history.view(), name))
    mine, theirs = records_of(run), records_of(back)
    for column in COLUMNS:
        assert np.array_equal(mine[column], theirs[column]), column
    assert len(mine["step"]) == 150 and set(mine["lr"][100:]) == {np.float32(0.3)}


def test_continuing_a_loaded_run_takes_the_same_steps(tmp_path):
    settings = Settings(steps=400, learning_rate=0.05)
    straight = new_run(settings)
    straight.advance(120)
    straight.set_learning_rate(0.4)
    straight.advance(280)

    first = new_run(settings)
    first.advance(120)
    first.set_learning_rate(0.4)
    first.advance(60)
    second = reopen(save_run(first, tmp_path / "half.json"))
    del first
    second.advance(220)

    assert second.state == straight.state == State.FINISHED
    assert second.weights() == straight.weights()
    a, b = records_of(straight), records_of(second)
    for column in COLUMNS:
        assert np.array_equal(a[column], b[column]), column


def test_diverged_run_reopens_diverged_and_recovers_like_the_original(tmp_path):
    settings = Settings(learning_rate=0.9)
    run = new_run(settings)
    run.advance(200)
    assert run.state == State.DIVERGED
    back = reopen(save_run(run, tmp_path / "boom.json"))
    assert back.state == State.DIVERGED and back.step == run.step
    for r in (run, back):
        r.set_learning_rate(0.2)
        r.continue_()
        r.advance(200)
    assert back.weights() == run.weights() and back.state == run.state == State.FINISHED


def test_csv_points_are_stored_in_the_run_file(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("x,y\n0,1\n1,3\n2,5.5\n3,7\n")
    run = new_run(Settings(data=str(data)))
    run.advance(20)
    path = save_run(run, tmp_path / "csv-run.json")
    data.unlink()  # the run file alone is enough to reopen it
    back = reopen(path)
    assert np.array_equal(back.dataset.x, run.dataset.x)
    assert np.array_equal(back.dataset.y, run.dataset.y)
    assert back.weights() == run.weights()


def test_generated_points_are_checked(tmp_path):
    run = new_run(Settings())
    path = save_run(run, tmp_path / "run.json")
    doc = json.loads(path.read_text())
    doc["data"]["sha256"] = "0" * 64
    path.write_text(json.dumps(doc))
    with pytest.raises(RunFileError, match="differ from the points the run was trained on"):
        read_run_file(path).dataset()


@pytest.mark.parametrize("change, message", [
    (lambda text: text[: len(text) // 2], "not a complete run file .* was it cut short"),
    (lambda text: text.replace('"version":1', '"version":2'), "run file version 2 is newer than this lrtui"),
    (lambda text: text.replace('"version":1', '"version":"x"'), "run file version 'x' is not one lrtui knows"),
    (lambda text: text.replace('"lrtui-run"', '"other"'), "not an lrtui run file"),
    (lambda text: text.replace('"learning_rate":0.1,', '"learning_rate":-1,', 1),
     "learning rate: '-1' must be greater than 0"),
    (lambda text: text.replace('"budget_end"', '"budget"'), r"a damaged run file \(missing 'budget_end'\)"),
])
def test_bad_run_files_are_refused_clearly(tmp_path, change, message):
    path = save_run(new_run(Settings()), tmp_path / "run.json")
    path.write_text(change(path.read_text()))
    with pytest.raises(RunFileError, match=f"^{path}: {message}"):
        read_run_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(RunFileError, match="no such file"):
        read_run_file(tmp_path / "none.json")


def test_non_finite_values_are_written_as_strings(tmp_path):
    run = new_run(Settings(learning_rate=10.0, steps=50))
    run.advance(50)
    text = save_run(run, tmp_path / "nan.json").read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    back = reopen(tmp_path / "nan.json")
    assert np.array_equal(back.history.view().high, run.history.view().high)


def test_recording_keeps_the_first_steps_up_to_its_limit():
    recording = Recording(limit=10)
    steps = np.arange(8, dtype=np.int64)
    ones = np.ones(8)
    recording.add(StepBatch(steps, ones, ones, ones, ones, ones, ones, False))
    recording.add(StepBatch(steps + 8, ones, ones, ones, ones, ones, ones, False))
    assert recording.truncated and list(recording.columns()["step"]) == list(range(10))


KILLED_SAVE = textwrap.dedent("""
    import os, sys, threading
    from lrtui import atomic

    def stuck_fsync(fd):
        # Everything is written to the temporary file; the rename has not happened.
        print("writing", flush=True)
        threading.Event().wait()

    atomic.os.fsync = stuck_fsync
    atomic.write_atomic(sys.argv[1], "new and different " * 100000)
""")


def test_killed_save_leaves_the_old_file_intact(tmp_path):
    path = save_run(new_run(Settings(steps=30)), tmp_path / "run.json")
    before = path.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready and child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
    assert path.read_bytes() == before
    assert read_run_file(path).step == 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "run.json"]
    assert all(name.startswith(".run.json.") and name.endswith(".tmp") for name in leftovers)


def test_document_is_small_for_a_long_run(tmp_path):
    run = new_run(Settings(steps=200_000, learning_rate=0.1))
    run.advance(200_000)
    doc = document_of(run)
    assert doc["records"]["truncated"] and len(doc["records"]["step"]) == 50_000
    size = os.path.getsize(save_run(run, tmp_path / "long.json"))
    assert size < 12_000_000, size
