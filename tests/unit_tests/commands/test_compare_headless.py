"""`lrtui compare`: per logged step one record per run, and a summary per run."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lrtui.commands.main import main


def compare_json(capsys, *args, events=None):
    assert main(["compare", "--format", "jsonl", *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    if events is not None:
        events.extend(line["event"] for line in lines if "event" in line)
    rows = [line for line in lines if "summary" not in line and "event" not in line]
    summaries = [line["summary"] for line in lines if "summary" in line]
    return rows, summaries


def test_lesson_lrs_in_jsonl(capsys):
    rows, summaries = compare_json(capsys, "--lr", "0.001", "0.1", "0.9")
    assert [s["run"] for s in summaries] == [1, 2, 3]
    assert [s["lr"] for s in summaries] == [0.001, 0.1, 0.9]
    assert {s["optimizer"] for s in summaries} == {"gd"}
    small, good, large = summaries
    assert small["status"] == "finished" and small["steps"] == 200
    assert small["steps_to_1pct"] is None, "lr 0.001 gets nowhere near in 200 steps"
    assert good["status"] == "finished" and good["final_loss"] < small["final_loss"]
    assert large["status"] == "diverged" and isinstance(large["diverged_at"], int)
    assert small["diverged_at"] is None and good["diverged_at"] is None
    # Step 0 is logged for every run, from the same start.
    first = [r for r in rows if r["step"] == 0]
    assert [r["run"] for r in first] == [1, 2, 3]
    assert len({(r["w"], r["b"], r["loss"]) for r in first}) == 1
    assert [r["lr"] for r in first] == [0.001, 0.1, 0.9]
    # Every 20th step per run, plus the diverging step of run 3.
    assert [r["step"] for r in rows if r["run"] == 1] == list(range(0, 200, 20))
    assert [r["step"] for r in rows if r["run"] == 3][-1] == large["diverged_at"]
    for row in rows:
        assert set(row) == {"run", "optimizer", "step", "loss", "w", "b", "dw", "db", "lr"}


def test_optimizers_and_steps_to_one_percent(capsys):
    rows, summaries = compare_json(capsys, "--lr", "0.1", "--optimizer", "gd", "momentum", "adam",
                                   "--steps", "3000", "--log-every", "1000")
    assert [s["optimizer"] for s in summaries] == ["gd", "momentum", "adam"]
    for s in summaries:
        assert s["lr"] == 0.1
        assert s["status"] == "finished"
        assert isinstance(s["steps_to_1pct"], int) and 0 < s["steps_to_1pct"] < 3000
        assert s["final_loss"] <= s["ols_loss"] * 1.01
    assert {r["optimizer"] for r in rows} == {"gd", "momentum", "adam"}


def test_table_and_csv(capsys):
    assert main(["compare", "--lr", "0.01", "0.5", "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["run", "optimizer", "step", "loss", "w", "b", "dw", "db", "lr"]
    assert "# summary" in out and "finished" in out and "never" in out
    assert main(["compare", "--lr", "0.01", "0.5", "--steps", "40", "--format", "csv"]) == 0
    records = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert records[0][:4] == ["record", "run", "optimizer", "step"]
    steps = [r for r in records if r[0] == "step"]
    summaries = [r for r in records if r[0] == "summary"]
    assert len(steps) == 4 and len(summaries) == 2
    assert [r[1] for r in summaries] == ["1", "2"]


@pytest.mark.parametrize("args, message", [
    (["--lr", "0.1", "0.2", "--optimizer", "gd", "adam", "sgd"], "optimizer: 'sgd' is not one of"),
    (["--lr", "0.1", "0.2", "--optimizer", "gd", "adam", "adam"], "2 learning rates and 3 optimizers"),
    (["--lr", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"], "2 to 6 runs, not 7"),
    (["--lr", "0.1"], "2 to 6 runs, not 1"),
    (["--lr", "0.1", "fast"], "learning rate: 'fast' is not a number"),
    (["--lr", "0.1", "0.2", "--format", "xml"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_bad_data_file_exits_2(capsys, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n")
    assert main(["compare", "--data", str(path)]) == 2
    assert "only one data row" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["compare", "run"])
def test_help_of_the_subcommands(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--steps" in out and "(default 200)" in out
    if command == "compare":
        assert "--optimizer" in out and "adam" in out


def test_a_run_above_lr_max_is_diverging_and_warned_in_jsonl_and_csv(capfd):
    events = []
    _, summaries = compare_json(capfd, "--lr", "0.1", "0.76", events=events)
    assert [(s["status"], s["stable"]) for s in summaries] == [("finished", True),
                                                               ("diverging", False)]
    assert any("run 2: lr 0.76 is above lr_max 0.7558: expect it to diverge" in e["text"]
               for e in events), events
    assert main(["compare", "--lr", "0.1", "0.76", "--format", "csv"]) == 0
    out, err = capfd.readouterr()
    records = list(csv.reader(io.StringIO(out)))
    assert {r[0] for r in records} == {"record", "step", "summary"}
    summary = [r for r in records if r[0] == "summary"][1]
    assert summary[4] == "diverging" and summary[9] == "False"
    assert "lrtui: warning: run 2: lr 0.76 is above lr_max 0.7558: expect it to diverge" in err


def test_no_stop_trains_every_run_through_to_nan(capsys):
    _, summaries = compare_json(capsys, "--lr", "0.1", "0.9", "10", "--no-stop")
    assert [s["steps"] for s in summaries] == [200, 200, 200]
    assert [s["status"] for s in summaries] == ["finished", "diverged", "diverged"]
    assert [s["first_non_finite_step"] for s in summaries] == [None, 129, 13]
    assert [s["diverged_at"] for s in summaries] == [None, None, None]
    assert summaries[1]["w"] < -1e27 and summaries[2]["w"] is None
