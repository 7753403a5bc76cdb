"""Every input works or is refused with its reason: batch sizes, CSV columns, app-only options, values."""

from __future__ import annotations

import json
import os

import pytest

from lrtui.commands.main import build_parser, main
from lrtui.engine.runfile import read_run_file


def refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    assert done.value.code == 2
    return capsys.readouterr().err


def summary_and_events(capsys, *argv: str) -> tuple[dict, str]:
    assert main(["run", "--format", "jsonl", "--steps", "3", *argv]) == 0
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    return lines[-1]["summary"], out.out + out.err


def test_a_batch_size_of_zero_is_refused(capsys):
    err = refused(capsys, "run", "--batch-size", "0")
    assert "batch size: '0' is not a number of points" in err and "full" in err


def test_a_batch_larger_than_the_data_is_the_whole_data_and_says_so(capsys):
    summary, _ = summary_and_events(capsys, "--batch-size", "1000000")
    assert summary["batch_size"] == 100 == summary["n"]
    assert main(["run", "--steps", "3", "--batch-size", "1000000"]) == 0
    table = capsys.readouterr().out
    assert "batch size 1,000,000 is more than the 100 points: every step uses all 100" in table
    assert "batch_size=100," in table


def test_the_columns_named_x_and_y_are_used(capsys, tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("z,y,x\n100,1,0\n200,3,1\n300,5,2\n")
    summary, _ = summary_and_events(capsys, "--data", str(path))
    assert summary["n"] == 3
    assert summary["ols_w"] == pytest.approx(2.0) and summary["ols_b"] == pytest.approx(1.0)


@pytest.mark.parametrize("text, words", [
    ("a,b,c\n0,1,2\n1,3,4\n", "3 columns (a, b, c) and none named x and y"),
    ("0,1,2\n1,3,4\n", "3 columns and no header"),
    ("x;y\n0;1\n1;3\n", "the file looks separated by ';'"),
    ("x,y\n0,1\n1e200,3\n", "x '1e200' is too large: its square overflows float32"),
])
def test_a_data_file_that_cannot_be_used_says_why(capsys, tmp_path, text, words):
    path = tmp_path / "points.csv"
    path.write_text(text)
    assert main(["run", "--data", str(path)]) == 2
    assert words in capsys.readouterr().err


def test_theme_is_an_option_of_the_app_only(capsys):
    assert build_parser().parse_args(["--theme", "paper"]).theme == "paper"
    for command in ("run", "find-lr", "compare"):
        assert "unrecognized arguments: --theme" in refused(capsys, command, "--theme", "nosuch")


def test_a_run_file_keeps_the_data_files_absolute_path(capsys, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "line.csv").write_text("x,y\n0,0.5\n1,0.6\n2,0.7\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--data", "line.csv", "--steps", "3", "--save", "sub/run.json"]) == 0
    document = json.loads((tmp_path / "sub" / "run.json").read_text())
    assert document["settings"]["data"] == str(tmp_path / "line.csv")
    # Its points left out (as for more than a million): reopened from elsewhere, the file is found.
    document["data"].update(stored=False)
    del document["data"]["x"], document["data"]["y"]
    (tmp_path / "sub" / "big.json").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path / "sub")
    assert read_run_file("big.json").dataset().n == 3
    assert os.path.basename(read_run_file("big.json").dataset().source) == "line.csv"


@pytest.mark.parametrize("args, words", [
    (["--learning-rate", "0.01"], "unrecognized option --learning-rate (did you mean --lr?)"),
    (["--modle", "mlp"], "unrecognized option --modle (did you mean --model?)"),
    (["--lr", "0.1", "--stpes", "5", "run"], "unrecognized option --stpes (did you mean --steps?)"),
])
def test_an_unknown_option_is_named_not_taken_for_a_command(capsys, args, words):
    """argparse alone answered `lrtui --learning-rate 0.01` with "invalid choice: '0.01'"."""
    with pytest.raises(SystemExit) as ended:
        main(args)
    err = capsys.readouterr().err
    assert ended.value.code == 2 and words in err and err.count("\n") == 1, err


def test_a_prefix_of_an_option_still_works(capsys):
    assert main(["--step", "3", "run", "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]["steps"] == 3
