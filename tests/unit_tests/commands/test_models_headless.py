"""`lrtui run`, `compare` and `find-lr` with every model; bad model settings exit 2 with one line;
the edge-of-stability preset shows the sharpness reaching 2/lr, on the run's own numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrtui.commands.main import main


def run_json(capsys, *args):
    """(rows, summary) of `lrtui run --format jsonl`, its event records left out."""
    assert main(["run", "--format", "jsonl", *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows = [line for line in lines if "event" not in line and "summary" not in line]
    return rows, lines[-1]["summary"]


def test_mlp_rows_carry_grad_norm_and_the_sharpness_where_measured(capsys):
    rows, summary = run_json(capsys, "--model", "mlp", "--dataset", "moons", "--hidden", "8",
                             "--steps", "300", "--lr", "0.3", "--log-every", "25",
                             "--sharpness-every", "50")
    assert [r["step"] for r in rows[:3]] == [0, 25, 50]
    for row in rows:
        measured = row["step"] % 50 == 0
        assert set(row) == {"step", "loss", "lr", "grad_norm"} | ({"sharpness"} if measured else set())
    assert summary["model"] == "mlp 2-8-1 tanh"
    assert summary["sharpness"] == pytest.approx(rows[-2]["sharpness"], rel=1e-6)
    assert summary["lr_max_now"] == pytest.approx(2 / summary["sharpness"])
    params = summary["params"]
    assert list(params) == ["W1", "b1", "W2", "b2"]
    assert np.array(params["W1"]).shape == (2, 8) and np.array(params["W2"]).shape == (8, 1)
    assert "w" not in summary and "lr_max" not in summary


def test_poly_reports_feature_scaling_and_exact_theory(capsys):
    rows, summary = run_json(capsys, "--model", "poly", "--x-max", "3", "--steps", "100",
                             "--lr", "0.005")
    scaling = summary["feature_scaling"]
    assert scaling["condition_number"] > 1e4 > 100 > scaling["condition_number_standardized"]
    assert scaling["lr_max_standardized"] > 10 * scaling["lr_max"]
    assert summary["lr_max"] == pytest.approx(scaling["lr_max"])
    assert summary["lr_max_now"] == summary["lr_max"]  # exact: the Hessian is constant
    assert list(summary["params"]) == ["c0", "c1", "c2", "c3"]
    # The same lr past the raw lr_max diverges on raw x and converges standardized.
    _, raw = run_json(capsys, "--model", "poly", "--x-max", "3", "--steps", "500", "--lr", "0.1")
    _, scaled = run_json(capsys, "--model", "poly", "--x-max", "3", "--steps", "500", "--lr", "0.1",
                         "--standardize")
    assert raw["status"] == "diverged" and scaled["status"] == "finished"
    assert scaled["loss"] < 2 * scaled["ols_loss"]


def test_line_rows_keep_the_lessons_columns_with_the_sharpness_when_asked(capsys):
    rows, summary = run_json(capsys, "--steps", "40", "--sharpness-every", "20")
    assert set(rows[0]) == {"step", "loss", "w", "b", "dw", "db", "lr", "grad_norm", "sharpness"}
    assert rows[0]["sharpness"] == pytest.approx(2 / summary["lr_max"], rel=1e-5)
    assert summary["params"] == {"w": summary["w"], "b": summary["b"]}
    assert main(["run", "--steps", "40", "--sharpness-every", "20"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["step", "loss", "w", "b", "dw", "db", "lr", "sharpness"]


def test_compare_lanes_with_an_mlp(capsys):
    assert main(["compare", "--model", "mlp", "--dataset", "sine", "--n", "64", "--lr", "0.05",
                 "0.1", "--steps", "200", "--log-every", "100", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows = [line for line in lines if "summary" not in line and "event" not in line]
    summaries = [line["summary"] for line in lines if "summary" in line]
    assert {r["run"] for r in rows} == {1, 2}
    assert all(set(r) == {"run", "optimizer", "step", "loss", "lr", "grad_norm"} for r in rows)
    assert [s["status"] for s in summaries] == ["finished", "finished"]
    assert all(np.array(s["params"]["W1"]).shape == (1, 16) for s in summaries)


def test_find_lr_with_a_network_says_it_has_no_lr_max_in_advance(capsys):
    assert main(["find-lr", "--model", "mlp", "--dataset", "circle", "--num", "40"]) == 0
    out = capsys.readouterr().out
    assert "no lr_max in advance" in out and "minimum" in out


def test_labelled_csv_trains_a_logistic_model(capsys, tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{x},{-x},{int(x > 0)}\n" for x in np.linspace(-1, 1, 20)))
    rows, summary = run_json(capsys, "--model", "logistic", "--data", str(path), "--steps", "200",
                             "--lr", "1")
    assert summary["n"] == 20 and summary["loss"] < rows[0]["loss"] / 2
    assert list(summary["params"]) == ["w1", "w2", "b"]


BAD = [
    (["--degree", "0"], "degree: '0' is out of range"),
    (["--model", "mlp", "--hidden", "0"], "hidden: '0' is out of range"),
    (["--dataset", "moons"], "model line needs data with one input x; data set moons has two inputs"),
    (["--model", "poly", "--dataset", "spiral"], "model poly needs data with one input"),
    (["--model", "logistic"], "model logistic needs data with two inputs"),
    (["--activation", "sigmoid"], "activation: 'sigmoid' is not one of tanh, relu"),
    (["--model", "tree"], "model: 'tree' is not one of line, poly, logistic, mlp"),
    (["--sharpness-every", "-1"], "sharpness every"),
    (["--preset", "fast"], "preset: 'fast' is not one of none, edge-of-stability"),
]


@pytest.mark.parametrize("args,message", BAD)
@pytest.mark.parametrize("command", ["run", "compare", "find-lr"])
def test_bad_model_settings_exit_2_with_one_line(capsys, command, args, message):
    with pytest.raises(SystemExit) as stop:
        main([command, *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("content,message", [
    ("x1,x2,label\n0,1,0\n1,0,2\n", "row 3: label '2' is not 0 or 1"),
    ("x1,x2,label\n0,1,0\n1,0,0.5\n", "row 3: label '0.5' is not 0 or 1"),
    ("x1,x2,label\n0,1,0\n1,0\n", "row 3: needs three columns x1,x2,label, found 2"),
])
def test_a_labelled_csv_with_a_bad_label_exits_2(capsys, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["run", "--model", "logistic", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_two_input_csv_for_a_one_input_model_exits_2(capsys, tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("x1,x2,label\n0,1,0\n1,0,1\n")
    assert main(["run", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "model line needs data with one input x; classes.csv has two inputs" in err
    assert err.count("\n") == 1
    path.write_text("0,1\n1,0\n")
    assert main(["run", "--model", "logistic", "--data", str(path)]) == 2
    assert "a header x1,x2,label marks two inputs" in capsys.readouterr().err


def test_the_preset_is_overridden_by_any_flag_and_by_a_config_file(capsys, tmp_path):
    config = tmp_path / "lrtui.toml"
    config.write_text('preset = "edge-of-stability"\nsteps = 20\n')
    rows, summary = run_json(capsys, "--config", str(config), "--lr", "0.05", "--log-every", "10")
    assert summary["model"] == "mlp 1-16-1 tanh" and summary["n"] == 64 and summary["lr"] == 0.05
    assert summary["steps"] == 20 and "sharpness" in rows[0]


def test_edge_of_stability_preset_drives_the_sharpness_to_2_over_lr(capsys):
    """The preset's claim, asserted on the run's numbers: the sharpness rises from well below
    2/lr to it, then hovers around it while the loss keeps falling, not monotonically."""
    rows, summary = run_json(capsys, "--preset", "edge-of-stability", "--steps", "4000",
                             "--log-every", "10")
    lr = summary["lr"]
    assert lr == 0.1 and summary["model"] == "mlp 1-16-1 tanh" and summary["status"] == "finished"
    steps = np.array([r["step"] for r in rows])
    ratio = np.array([r["sharpness"] for r in rows]) * lr / 2  # sharpness / (2/lr)
    loss = np.array([r["loss"] for r in rows])
    assert ratio[0] < 0.6  # progressive sharpening starts well below the edge
    reached = steps[np.argmax(ratio >= 0.99)]
    assert ratio.max() >= 0.99 and 500 < reached < 3000
    after = ratio[steps >= reached + 200]
    assert 0.95 < after.min() and after.max() < 1.08  # hovers at the edge instead of diverging
    assert abs(after.mean() - 1) < 0.02
    assert loss[-1] < loss[0] / 50  # the loss keeps falling overall
    assert (np.diff(loss[steps >= reached]) > 0).sum() >= 5  # but not monotonically
    assert summary["lr_max_now"] == pytest.approx(2 / summary["sharpness"])
