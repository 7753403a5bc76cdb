"""`lrtui map`: one row per lr through the headless printer, or the whole matrix as .npz."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from lrtui.commands.main import main
from lrtui.engine.run import make_dataset
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings


def test_jsonl_has_one_row_per_lr_and_the_theory(capsys):
    assert main(["map", "--lr-min", "0.01", "--lr-max", "2", "--num", "9", "--steps", "300",
                 "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows, summary = lines[:-1], lines[-1]["summary"]
    assert len(rows) == 9
    assert [r["lr"] for r in rows] == pytest.approx(np.geomspace(0.01, 2, 9).tolist())
    assert set(rows[0]) == {"lr", "final_loss", "steps_to_1pct", "diverged_at", "min_loss"}
    data = make_dataset(Settings())
    theory = theory_of(data.x, data.y)
    assert summary["lr_max"] == pytest.approx(theory.lr_max) and summary["steps"] == 300
    for row in rows:
        # Every lr above lr_max diverges, none below does; a diverged run has no final fit.
        assert (row["diverged_at"] is not None) == (row["lr"] > theory.lr_max), row
        if row["diverged_at"] is None:
            assert row["min_loss"] <= row["final_loss"]
    assert summary["diverged"] == sum(r["diverged_at"] is not None for r in rows)


def test_default_grid_is_lr_max_over_1000_to_3_lr_max(capsys):
    assert main(["map", "--format", "csv", "--steps", "20"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["lr", "final_loss", "steps_to_1pct", "diverged_at", "min_loss"]
    lrs = [float(row[0]) for row in table[1:]]
    data = make_dataset(Settings())
    lr_max = theory_of(data.x, data.y).lr_max
    assert len(lrs) == 128
    assert lrs[0] == pytest.approx(lr_max / 1000) and lrs[-1] == pytest.approx(3 * lr_max)


def test_table_says_never_and_where_the_band_is(capsys):
    assert main(["map", "--lr-min", "0.001", "--lr-max", "1", "--num", "4", "--steps", "400"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["lr", "final_loss", "steps_to_1pct", "diverged_at",
                                           "min_loss"]
    assert "never" in out and "# within 1% of the OLS loss: lr" in out


def test_npz_holds_the_matrix_and_both_axes(capsys, tmp_path):
    path = tmp_path / "map.npz"
    assert main(["map", "--num", "16", "--steps", "5000", "--format", "npz",
                 "--output", str(path)]) == 0
    assert "16 learning rates" in capsys.readouterr().out
    with np.load(path) as saved:
        loss, lrs, step = saved["loss"], saved["learning_rates"], saved["step"]
        assert loss.shape == (len(step), 16) and lrs.shape == (16,)
        assert int(saved["span"]) * len(step) >= 5000 > int(saved["span"]) * (len(step) - 1)
        diverged = saved["diverged_at"] >= 0
        assert np.all(np.isinf(loss[-1, diverged])) and np.all(np.isfinite(loss[:, ~diverged]))
        assert saved["predicted_steps_to_1pct"].shape == (16,)
        assert float(saved["lr_max"]) < lrs[-1]


@pytest.mark.parametrize("args, message", [
    (["--num", "0"], "--num 0: use 1 to 4096"),
    (["--num", "5000"], "--num 5000"),
    (["--lr-min", "1", "--lr-max", "0.1"], "--lr-min 1 must be below --lr-max 0.1"),
    (["--lr-min", "0.5", "--lr-max", "0.5"], "must be below"),
    (["--format", "npz"], "--format npz needs --output"),
    (["--output", "x.npz"], "--output is where --format npz writes"),
    (["--format", "npz", "--output", "/no/such/folder/m.npz"], "no folder"),
    (["--schedule", "plateau"], "plateau"),
    (["--batch-size", "10"], "full-batch"),
])
def test_bad_values_exit_2_with_one_line(capsys, args, message):
    assert main(["map", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.count("\n") == 1, captured.err
    assert captured.out == ""


@pytest.mark.parametrize("args, message", [
    (["--steps", "0"], "steps: '0' is out of range"),
    (["--num", "many"], "invalid int value"),
    (["--lr-min", "0"], "must be greater than 0"),
    (["--format", "xml"], "invalid choice"),
])
def test_unparsable_values_exit_2_with_one_line(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["map", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_a_bad_file_writes_nothing(capsys, tmp_path):
    path = tmp_path / "m.npz"
    assert main(["map", "--data", str(tmp_path / "none.csv"), "--format", "npz",
                 "--output", str(path)]) == 2
    assert "no such file" in capsys.readouterr().err and not path.exists()


def test_data_whose_x_are_all_the_same_has_no_lr_opt_and_still_maps(capsys, tmp_path):
    data = tmp_path / "same_x.csv"
    data.write_text("x,y\n1,2\n1,3\n1,2.5\n1,2.2\n")
    path = tmp_path / "m.npz"
    assert main(["map", "--data", str(data), "--num", "5", "--steps", "100", "--format", "npz",
                 "--output", str(path)]) == 0
    with np.load(path) as saved:  # plain arrays: no pickled None
        assert np.isnan(saved["lr_opt"]) and float(saved["lr_max"]) == pytest.approx(0.5)
        predicted, measured = saved["predicted_steps_to_1pct"], saved["steps_to_1pct"]
        reached = measured >= 0
        assert reached.any() and np.all(np.abs(predicted[reached] - measured[reached]) <= 1)


def test_a_network_s_map_carries_its_sharpness_at_the_start(capsys):
    """No known minimum and no constant lr_max: the summary says what is measured instead."""
    assert main(["map", "--model", "mlp", "--dataset", "sine", "--hidden", "8", "--num", "6",
                 "--lr-min", "0.01", "--lr-max", "10", "--steps", "300", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows, summary = lines[:-1], lines[-1]["summary"]
    assert summary["model"] == "mlp" and "lr_max" not in summary and "ols_loss" not in summary
    assert summary["lr_max_at_start"] == pytest.approx(2 / summary["sharpness_at_start"])
    assert all(row["steps_to_1pct"] is None for row in rows)
    # Far above 2/sharpness the first steps blow up; far below they are stable.
    assert rows[0]["diverged_at"] is None and rows[-1]["diverged_at"] is not None


def test_a_polynomial_s_map_has_its_exact_lr_max(capsys):
    assert main(["map", "--model", "poly", "--x-max", "3", "--num", "5", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    summary = out.splitlines()[-2]
    assert "model=poly" in summary and "lr_max=0.005987" in summary, summary


def test_a_table_of_a_network_has_no_finish_line(capsys):
    assert main(["map", "--model", "logistic", "--dataset", "circle", "--num", "3",
                 "--steps", "30"]) == 0
    out = capsys.readouterr().out
    assert "never" not in out and "# lowest final loss" in out
