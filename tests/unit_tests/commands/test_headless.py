"""`lrtui run`: the lesson's printout, and numbers checked against the theory."""

import json

import pytest

from lrtui.commands.main import main


def run_json(capsys, *args, events=None):
    """(rows, summary) of `lrtui run --format jsonl`; its event records go into `events`."""
    assert main(["run", "--format", "jsonl", *args]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    if events is not None:
        events.extend(line["event"] for line in lines if "event" in line)
    rows = [line for line in lines if "event" not in line and "summary" not in line]
    return rows, lines[-1]["summary"]


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


def test_a_run_above_lr_max_is_diverging_not_finished_and_warned_in_every_format(capfd):
    # lr 0.76 is just above lr_max 0.7558: 200 steps end at loss 191, 79× its start, rising.
    events = []
    rows, summary = run_json(capfd, "--lr", "0.76", events=events)
    assert summary["status"] == "diverging" and summary["stable"] is False
    assert summary["diverged_at"] is None and summary["steps"] == 200
    assert any(e["kind"] == "warning" and "expect it to diverge" in e["text"] for e in events), events
    assert main(["run", "--lr", "0.76", "--format", "csv"]) == 0
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines[0] == "step,loss,w,b,dw,db,lr"
    assert all(len([float(v) for v in line.split(",")]) == 7 for line in lines[1:]), \
        "stdout stays one table of numbers"
    assert "lrtui: warning: lr 0.76 is above lr_max 0.7558: expect it to diverge" in err
    assert "diverging: plain GD at lr 0.76 is above lr_max" in err
    assert main(["run", "--lr", "0.76"]) == 0
    out = capfd.readouterr().out
    assert "# lr 0.76 is above lr_max 0.7558: expect it to diverge" in out
    assert "status=diverging, stable=False" in out


def test_a_converging_run_is_finished_and_stable(capsys):
    _, summary = run_json(capsys, "--lr", "0.7")
    assert summary["status"] == "finished" and summary["stable"] is True


def test_any_loss_that_ends_above_its_start_and_rising_is_diverging():
    import numpy as np

    from lrtui.engine.stability import diverging_reason
    from lrtui.engine.theory import theory_of

    theory = theory_of(np.linspace(0, 1, 20), np.linspace(0, 1, 20))
    calm = theory.lr_max / 2
    assert diverging_reason("adam", theory, calm, 2.0, 5.0, 4.0).startswith("the loss ends above")
    assert diverging_reason("gd", theory, calm, 2.0, 5.0, 4.0).startswith("the loss ends above")
    assert diverging_reason("adam", theory, calm, 2.0, 5.0, 6.0) == "", "falling at the end"
    assert diverging_reason("adam", theory, calm, 2.0, 1.0, 0.5) == "", "below its start"
    assert "above lr_max" in diverging_reason("gd", theory, theory.lr_max * 1.01, 2.0, 1.0, 1.5)
    assert diverging_reason("momentum", theory, theory.lr_max * 1.01, 2.0, 1.0, 1.5) == "", \
        "lr_max is plain GD's bound"


def float64_gd(learning_rate: float, steps: int):
    """The lesson's loop in float64 on the default data: the weights after `steps` steps, and
    the first step whose float32 loss (a sum of squares, then / n) would overflow."""
    import numpy as np

    from lrtui.engine.run import make_dataset
    from lrtui.settings.fields import Settings

    data = make_dataset(Settings())
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    w, b, first_over = 0.0, -1.0, None
    for step in range(steps):
        r = w * x + b - y
        if first_over is None and np.sum(r * r) > np.finfo(np.float32).max:
            first_over = step
        w, b = w - learning_rate * np.mean(2 * r * x), b - learning_rate * np.mean(2 * r)
    return w, b, first_over


def test_no_stop_trains_through_divergence_for_the_whole_budget_like_the_lesson(capsys):
    events = []
    rows, summary = run_json(capsys, "--lr", "0.9", "--no-stop", events=events)
    w, b, first_over = float64_gd(0.9, 200)
    assert summary["steps"] == 200 and len(rows) == 10, "the whole budget, every 20th step logged"
    assert summary["status"] == "diverged" and summary["stable"] is False
    assert summary["diverged_at"] is None, "it never stopped"
    assert summary["first_non_finite_step"] == first_over == 129
    # Past the overflow the loss is null in JSON, the weights still numbers: the lesson's
    # "negative number in 10 to the 24th" (here ~-8e27 on lrtui's default data).
    assert [r["loss"] is None for r in rows] == [False] * 7 + [True] * 3
    assert summary["w"] == pytest.approx(w, rel=1e-3) and summary["w"] < -1e27
    assert summary["b"] == pytest.approx(b, rel=1e-3)
    assert any("step 129: the loss overflowed float32" in e["text"] and e["step"] == 129
               for e in events), events
    # The default is unchanged: the run stops at 1e12× its start.
    _, default = run_json(capsys, "--lr", "0.9")
    assert default["status"] == "diverged" and default["diverged_at"] == 43


def test_no_stop_at_lr_10_ends_in_nan_in_every_format(capfd):
    _, summary = run_json(capfd, "--lr", "10", "--no-stop")
    assert summary["steps"] == 200 and summary["status"] == "diverged"
    assert summary["loss"] is None and summary["w"] is None and summary["b"] is None
    assert summary["first_non_finite_step"] == float64_gd(10, 60)[2]
    assert main(["run", "--lr", "10", "--no-stop", "--format", "csv"]) == 0
    out, err = capfd.readouterr()
    last = out.splitlines()[-1].split(",")
    assert last[0] == "180" and last[1:6] == ["nan"] * 5, last
    assert "the weights overflowed float32" in err
    assert main(["run", "--lr", "10", "--no-stop"]) == 0
    table = capfd.readouterr().out
    row = [line.split() for line in table.splitlines() if line.split()[:1] == ["180"]][0]
    assert row[1:6] == ["nan"] * 5
    assert any(line.split()[1:2] == ["inf"] for line in table.splitlines() if line[:1] == " ")


@pytest.mark.parametrize("command", [["run"], ["compare"], ["find-lr"]])
def test_a_reader_that_leaves_early_ends_the_command_quietly(command):
    """`lrtui run | head -2`: no traceback, no "cannot save", exit 0 once the pipe closes."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "lrtui", *command, "--steps", "3000", "--log-every", "1"]
                               if command != ["find-lr"] else
                               [sys.executable, "-m", "lrtui", "find-lr", "--num", "2000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()
    process.stdout.close()  # the reader leaves
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err and b"cannot save" not in err, err.decode()
