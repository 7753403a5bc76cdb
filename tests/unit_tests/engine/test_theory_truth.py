"""What the theory tells a learner, checked against the runs: the steps to 1% of the minimum,
the zig-zag that is not a rising loss, singular data, and a mini-batch's two losses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrtui.commands.main import main
from lrtui.engine.data import Dataset
from lrtui.engine.device import DeviceChoice
from lrtui.engine.run import Run, State, make_dataset
from lrtui.engine.stability import ZIGZAG_WORDS, marker, warning_text
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.theory import steps_to_within, theory_of
from lrtui.settings.fields import Settings

import_tensorflow()
CPU = DeviceChoice("/CPU:0")
LESSON = Settings()


def float64_steps_to_1pct(x, y, lr, w=0.0, b=-1.0, limit=100_000):
    """The lesson's loop in float64, counting steps until the loss is within 1% of OLS."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ols = theory_of(x, y).ols_loss
    for step in range(limit):
        r = w * x + b - y
        if np.mean(r * r) <= 1.01 * ols + 1e-12:
            return step
        w, b = w - lr * np.mean(2 * r * x), b - lr * np.mean(2 * r)
    return math.inf


def test_predicted_steps_are_the_loops_own_count_for_any_lr():
    data = make_dataset(LESSON)
    theory = theory_of(data.x, data.y)
    lrs = np.array([0.001, 0.05, 0.1, 0.3, 0.5, 0.67, theory.lr_opt, 0.74, 0.755])
    predicted = steps_to_within(theory, lrs, LESSON.init_w, LESSON.init_b)
    assert predicted.shape == lrs.shape
    assert list(predicted) == [float64_steps_to_1pct(data.x, data.y, lr) for lr in lrs]
    # The numbers: from the lesson's start 0.670 is there in 30 steps, lr_opt in 49.
    assert steps_to_within(theory, 0.67, 0.0, -1.0) == 30
    assert steps_to_within(theory, theory.lr_opt, 0.0, -1.0) == 49
    assert steps_to_within(theory, theory.lr_max, 0.0, -1.0) == math.inf
    assert steps_to_within(theory, 2.0, 0.0, -1.0) == math.inf
    assert steps_to_within(theory, 0.1, theory.ols_w, theory.ols_b) == 0


def test_predicted_steps_match_what_float32_training_measures():
    from lrtui.engine.compare import CompareRun

    data = make_dataset(LESSON)
    theory = theory_of(data.x, data.y)
    lrs = [0.1, 0.3, 0.67, 0.72]
    compare = CompareRun(LESSON.with_(steps=400), CPU, lrs, ["gd"], data)
    while not compare.done:
        compare.advance(400)
    for lane, lr in zip(compare.lanes(), lrs):
        assert abs(lane.reached_at - steps_to_within(theory, lr, 0.0, -1.0)) <= 1, lr


@pytest.mark.parametrize("lr", [0.3, 0.5, 0.7, 0.755])
def test_below_lr_max_the_loss_falls_at_every_step_even_where_the_weights_zig_zag(lr):
    run = Run(LESSON.with_(learning_rate=lr, steps=200), CPU)
    batch = run.advance(200)
    # At the minimum float32 rounds the loss up or down by an ulp (~1e-9 here): not a rise.
    rounding = 2 * np.spacing(batch.loss[1:].astype(np.float32))
    rises = int(np.sum(np.diff(batch.loss) > rounding))
    assert rises == 0, f"lr {lr}: the loss rose {rises} times"
    steep = run.theory.eigen()[1][:, 1]
    along = (batch.w - run.theory.ols_w) * steep[0] + (batch.b - run.theory.ols_b) * steep[1]
    zigzag = lr > run.theory.lr_zigzag
    flips = int(np.sum(np.sign(along[1:]) != np.sign(along[:-1])))
    assert (flips > 100) == zigzag, f"lr {lr}: the steep component changed sign {flips} times"


def test_the_words_say_the_weights_zig_zag_and_the_loss_falls():
    data = make_dataset(LESSON)
    theory = theory_of(data.x, data.y)
    assert marker(LESSON, theory, 0.5).words == ZIGZAG_WORDS
    text, _ = warning_text(LESSON, theory, 0.5)
    assert "steep component of the weights zig-zags" in text and "loss still falls" in text
    assert "oscillat" not in text


def constant_x_data() -> Dataset:
    rng = np.random.default_rng(1)
    return Dataset(np.full(20, 3.0, np.float32), rng.normal(5, 4, 20).astype(np.float32),
                   "constant x")


def test_singular_data_has_no_lr_opt_and_says_what_converges():
    data = constant_x_data()
    theory = theory_of(data.x, data.y)
    assert theory.singular and theory.lr_opt is None and theory.condition_number == math.inf
    assert theory.lambda_min == 0.0
    run = Run(LESSON.with_(learning_rate=0.5 * theory.lr_max, steps=300), CPU, data)
    said = " ".join(e.text for e in run.drain()[1])
    assert "the minimum is not unique" in said and "No lr_opt" in said, said
    run.advance(300)
    assert run.state == State.FINISHED
    assert run.current_loss() == pytest.approx(theory.ols_loss, rel=1e-5)
    # The weights go to the point of the line of minima 3w + b = mean(y) nearest the start.
    normal = np.array([3.0, 1.0]) / math.sqrt(10.0)
    start = np.array([LESSON.init_w, LESSON.init_b])
    gap = (start @ normal * math.sqrt(10.0) - float(np.mean(data.y.astype(np.float64)))) / math.sqrt(10.0)
    np.testing.assert_allclose(run.weights(), start - gap * normal, rtol=1e-4)
    assert steps_to_within(theory, 0.5 * theory.lr_max, 0.0, -1.0) < 300


def test_singular_data_in_the_summary(capsys, tmp_path):
    data = constant_x_data()
    path = tmp_path / "same-x.csv"
    path.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in zip(data.x, data.y)))
    assert main(["run", "--data", str(path), "--format", "jsonl", "--lr", "0.05"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["lr_opt"] is None and summary["singular"] is True
    assert summary["condition_number"] is None  # inf, as JSON null
    assert any("not unique" in line["event"]["text"] for line in lines if "event" in line)


def test_mini_batch_rows_carry_the_full_loss_and_the_batch_loss(capsys):
    assert main(["run", "--batch-size", "10", "--format", "jsonl", "--log-every", "1",
                 "--steps", "20"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows = [line for line in lines if "step" in line]
    assert len(rows) == 20 and all("batch_loss" in row for row in rows)
    data = make_dataset(LESSON)
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    for row in rows:
        full = np.mean((row["w"] * x + row["b"] - y) ** 2)
        assert row["loss"] == pytest.approx(full, rel=1e-5)
    assert sum(abs(r["batch_loss"] - r["loss"]) > 1e-3 * r["loss"] for r in rows) > 10
    assert lines[-1]["summary"]["loss"] == pytest.approx(
        np.mean((lines[-1]["summary"]["w"] * x + lines[-1]["summary"]["b"] - y) ** 2), rel=1e-5)
    assert main(["run", "--format", "jsonl", "--steps", "20"]) == 0
    full_rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()][:-2]
    assert all("batch_loss" not in row for row in full_rows if "step" in row)
    assert main(["run", "--batch-size", "10", "--format", "csv", "--steps", "5"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "step,loss,batch_loss,w,b,dw,db,lr"
