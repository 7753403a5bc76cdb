"""`lrtui run`: the lesson's printout, and numbers checked against the theory."""

import json

import pytest

from lrtui.commands.main import main


def run_json(capsys, *args):
    assert main(["run", "--format", "jsonl", *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return lines[:-1], lines[-1]["summary"]


def test_jsonl_rows_and_summary(capsys):
    rows, summary = run_json(capsys, "--steps", "2000", "--lr", "0.5")
    assert all(set(r) == {"step", "loss", "w", "b", "dw", "db", "lr"} for r in rows)
    assert [r["step"] for r in rows[:3]] == [0, 20, 40]
    for key in ("status", "steps", "loss", "w", "b", "lr_max", "lr_opt", "ols_w", "ols_b", "device"):
        assert key in summary
    assert summary["status"] == "finished" and summary["steps"] == 2000
    # Plain gradient descent below lr_max ends at the least-squares answer.
    assert summary["w"] == pytest.approx(summary["ols_w"], abs=1e-3)
    assert summary["b"] == pytest.approx(summary["ols_b"], abs=1e-3)


def test_diverged_run_exits_0_and_says_so(capsys):
    rows, summary = run_json(capsys, "--lr", "0.9")
    assert summary["status"] == "diverged" and summary["diverged_at"] == rows[-1]["step"]
    assert summary["lr"] > summary["lr_max"]


def test_csv_and_table(capsys):
    assert main(["run", "--format", "csv", "--steps", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "step,loss,w,b,dw,db,lr" and lines[1].startswith("0,")
    assert main(["run", "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert "budget reached" in out and out.splitlines()[0].split() == ["step", "loss", "w", "b", "dw", "db", "lr"]


def test_bad_data_file_exits_2(capsys, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert main(["run", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and err.count("\n") == 1
