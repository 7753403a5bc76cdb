"""Run files and config files from the command line and from the app's keys (e, E).

Real TensorFlow and a real Textual app; waits are bounded polls, never sleeps.
"""

from __future__ import annotations

import csv
import json

import pytest
from support import LOAD_TIMEOUT, wait_for

from lrtui.app.app import LrApp
from lrtui.app.widgets.step_log import StepLog
from lrtui.commands.main import main
from lrtui.engine.run import State
from lrtui.engine.runfile import read_run_file
from lrtui.settings.config_file import read_config
from lrtui.settings.fields import SettingError, Settings


def summary(capsys, *args) -> dict:
    assert main(["run", "--format", "jsonl", *args]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]


def test_config_file_sets_every_option_and_flags_override(tmp_path, capsys):
    config = tmp_path / "lesson.toml"
    config.write_text('lr = 0.3\nsteps = 60\n"init-w" = 1.5\nseed = 4\nspeed = "max"\n')
    got = summary(capsys, "--config", str(config))
    assert got["lr"] == 0.3 and got["steps"] == 60 and got["data"] == "generated (seed 4)"
    got = summary(capsys, "--config", str(config), "--steps", "20")
    assert got["steps"] == 20 and got["lr"] == 0.3
    assert read_config(config)["init_w"] == 1.5


@pytest.mark.parametrize("text, message", [
    ("lr = -1\n", "learning rate: '-1' must be greater than 0"),
    ("steps = 2.5\n", "steps: '2.5' is not a whole number"),
    ("colour = 'red'\n", "unknown option 'colour'"),
    ("lr = true\n", "use a number or a quoted text"),
    ("lr = \n", "not valid TOML"),
])
def test_bad_config_file_exits_2_naming_it(tmp_path, capsys, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(SystemExit) as exit:
        main(["run", "--config", str(config)])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert str(config) in err and message in err, err
    with pytest.raises(SettingError):
        read_config(config)


def test_run_save_writes_a_run_file(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert main(["run", "--steps", "50", "--lr", "0.2", "--save", str(path)]) == 0
    assert f"# run saved to {path}" in capsys.readouterr().out
    saved = read_run_file(path)
    assert saved.step == 50 and saved.state == State.FINISHED and saved.learning_rate == pytest.approx(0.2)
    assert len(saved.records["step"]) == 50


def test_run_save_into_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--save", str(tmp_path / "no" / "run.json")])
    assert "no folder" in capsys.readouterr().err


def test_load_of_a_broken_file_exits_2(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "lrtui-run", "version": 1, "settings": {')
    assert main(["--load", str(path)]) == 2
    assert "was it cut short" in capsys.readouterr().err


async def test_e_saves_the_run_and_load_reopens_it_paused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LrApp(Settings(steps=150, speed="max"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot and app.snapshot.state == State.READY,
                       LOAD_TIMEOUT, "the run to load")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED, what="the budget")
        finished = app.snapshot
        await pilot.press("e")
        await wait_for(pilot, lambda: any(tmp_path.glob("lrtui-run-*.json")), what="the run file")
        await pilot.press("E")
        await wait_for(pilot, lambda: any(tmp_path.glob("lrtui-steps-*.csv")), what="the CSV")
        await wait_for(pilot, lambda: "step history saved" in "\n".join(
            str(line.text) for line in app.query_one(StepLog).lines), what="the log line")
    run_path = next(tmp_path.glob("lrtui-run-*.json"))
    rows = list(csv.reader(next(tmp_path.glob("lrtui-steps-*.csv")).open()))
    assert rows[0] == ["step", "loss", "w", "b", "dw", "db", "lr"]
    assert len(rows) == 151 and rows[1][0] == "0" and rows[-1][0] == "149" and rows[1][-1] == "0.1"

    saved = read_run_file(run_path)
    app = LrApp(Settings(learning_rate=5.0), run_file=saved)  # the file's settings win
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot and app.snapshot.state != State.LOADING,
                       LOAD_TIMEOUT, "the saved run to open")
        snap = app.snapshot
        assert snap.state == State.FINISHED and snap.step == finished.step == 150
        assert (snap.w, snap.b) == (finished.w, finished.b) and snap.learning_rate == 0.1
        assert len(snap.curve.step) == len(finished.curve.step)
        await pilot.press("space")  # continue for another budget
        await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED and app.snapshot.step == 300,
                       what="the reopened run to go on to step 300")
