"""Every model through the trainers, runs, run files and compare lanes.

Gradient descent on each model is checked step by step against float64 numpy
(tests/numpy_models.py); a run saved and reopened continues bit for bit; the
lanes of compare mode train each model as the solo trainer does.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy_models import reference
from support import CPU

from lrtui.engine.datasets import classes, make_dataset, sine
from lrtui.engine.models import make_model
from lrtui.engine.run import Run, State
from lrtui.engine.runfile import read_run_file, restore, save_run
from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

import_tensorflow()
from lrtui.engine.batched import BatchedTrainer  # noqa: E402  (after the quiet import)
from lrtui.engine.trainer import Trainer  # noqa: E402

SINE = sine(64, 0.1, 0)
MOONS = classes("moons", 96, 0.1, 1)
CASES = {
    "poly": (make_model("poly", 1, degree=3), SINE, 0.05),
    "logistic": (make_model("logistic", 2), MOONS, 0.5),
    "mlp-tanh": (make_model("mlp", 1, hidden=16), SINE, 0.1),
    "mlp-relu-classes": (make_model("mlp", 2, hidden=8, activation="relu"), MOONS, 0.3),
}


def numpy_descent(model, data, lr, steps, theta):
    theta = np.asarray(theta, np.float64)
    losses = []
    for _ in range(steps):
        loss, gradient = reference(model, theta, data.x, data.y)
        losses.append(loss)
        theta = theta - lr * gradient
    return np.array(losses), theta


@pytest.mark.parametrize("case", CASES)
def test_gradient_descent_follows_numpy(case):
    model, data, lr = CASES[case]
    start = model.initial(3)
    trainer = Trainer(data, "/CPU:0", lr, 0.0, 0.0, model=model, initial=start)
    batch = trainer.run(100)
    losses, end = numpy_descent(model, data, lr, 100, start)
    assert len(batch) == 100 and not batch.diverged and batch.w is None
    np.testing.assert_allclose(batch.loss, losses, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(trainer.theta_now(), end, rtol=2e-3, atol=2e-5)
    # |∇L| of each step, at the weights it started from
    first = np.linalg.norm(reference(model, start, data.x, data.y)[1])
    assert batch.grad_norm[0] == pytest.approx(first, rel=1e-4)


def test_measuring_the_sharpness_leaves_the_lessons_numbers_bit_for_bit():
    data = make_dataset(Settings())
    plain = Trainer(data, "/CPU:0", 0.5, 0.0, -1.0)
    measured = Trainer(data, "/CPU:0", 0.5, 0.0, -1.0, method=Settings(sharpness_every=7))
    a, b = plain.run(300), measured.run(300)
    for field in ("loss", "w", "b", "dw", "db", "lr"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()
    assert a.sharpness is None
    steps = np.flatnonzero(np.isfinite(b.sharpness))
    assert list(steps) == list(range(0, 300, 7))
    from lrtui.engine.theory import theory_of

    np.testing.assert_allclose(b.sharpness[steps], theory_of(data.x, data.y).lambda_max, rtol=1e-5)


def test_an_mlp_runs_with_mini_batches_and_an_optimizer():
    model, data, _ = CASES["mlp-tanh"]
    settings = Settings(optimizer="adam", batch_size=16, sharpness_every=5)
    trainer = Trainer(data, "/CPU:0", 0.01, 0.0, 0.0, method=settings, model=model,
                      initial=model.initial(0))
    batch = trainer.run(400)
    assert len(batch) == 400 and np.isfinite(batch.loss).all()
    assert batch.loss[-20:].mean() < batch.loss[:20].mean() / 2
    assert np.isfinite(batch.sharpness[::5]).all() and np.isnan(batch.sharpness[1::5]).all()


def settings_for(model: str, **changes) -> Settings:
    base = {"mlp": dict(model="mlp", dataset="sine", n=64, learning_rate=0.1),
            "logistic": dict(model="logistic", dataset="moons", learning_rate=0.5,
                             optimizer="adam"),
            "poly": dict(model="poly", degree=4, x_max=3.0, learning_rate=0.0005,
                         schedule="cosine", decay_steps=500)}[model]
    return Settings(**{**base, "sharpness_every": 10, "steps": 600, **changes})


@pytest.mark.parametrize("model", ["mlp", "logistic", "poly"])
def test_a_saved_run_reopens_and_continues_bit_for_bit(model, tmp_path):
    settings = settings_for(model)
    whole = Run(settings, CPU)
    whole.advance(600)
    half = Run(settings, CPU)
    half.advance(300)
    path = tmp_path / "run.json"
    save_run(half, path)
    saved = read_run_file(path)
    assert saved.params == half.parameters()
    again = restore(Run(saved.settings, CPU, saved.dataset()), saved)
    assert again.step == 300 and again.sharpness == half.sharpness
    rest = again.advance(300)
    assert again.trainer.theta_now().tobytes() == whole.trainer.theta_now().tobytes()
    assert again.current_loss() == whole.current_loss()
    columns = whole.recording.columns()
    np.testing.assert_array_equal(rest.loss, columns["loss"][300:])
    np.testing.assert_array_equal(rest.sharpness, columns["sharpness"][300:])
    both = again.recording.columns()
    assert set(both) == set(columns) == {"step", "loss", "lr", "grad_norm", "sharpness"}


def test_run_parameters_by_name_and_lr_max_now():
    run = Run(settings_for("mlp", steps=50), CPU)
    assert run.lr_max_now is None  # nothing measured yet: no theory for a network
    run.advance(50)
    named = run.parameters()
    assert list(named) == ["W1", "b1", "W2", "b2"]
    assert np.array(named["W1"]).shape == (1, 16) and np.array(named["W2"]).shape == (16, 1)
    assert run.sharpness > 0 and run.lr_max_now == pytest.approx(2 / run.sharpness)
    poly = Run(settings_for("poly", steps=20), CPU)
    assert poly.lr_max_now == pytest.approx(poly.theory.lr_max)
    assert list(poly.parameters()) == ["c0", "c1", "c2", "c3", "c4"]


def test_changing_the_model_starts_a_new_trainer_from_its_own_start():
    run = Run(Settings(), CPU)
    run.advance(10)
    run.apply(run.settings.with_(model="poly", degree=2))
    assert run.step == 0 and run.state == State.READY and run.model.describe() == "poly degree 2"
    assert run.parameters() == {"c0": 0.0, "c1": 0.0, "c2": 0.0}
    run.advance(5)
    run.apply(run.settings.with_(model="mlp", dataset="xor", hidden=4))
    assert run.dataset.inputs == 2 and run.model.classifies
    assert np.array(run.parameters()["W1"]).shape == (2, 4)
    run.advance(5)
    assert run.step == 5


@pytest.mark.parametrize("case", ["mlp-tanh", "logistic"])
def test_compare_lanes_train_each_model_like_the_solo_trainer(case):
    model, data, lr = CASES[case]
    start = model.initial(2)
    lrs = [lr / 4, lr / 2, lr]  # stable rates: at the edge of stability float32 noise grows
    lanes = BatchedTrainer(data, "/CPU:0", lrs, ["gd"] * 3, 0.0, 0.0, model=model, initial=start)
    records = lanes.run(200)
    for k, rate in enumerate(lrs):
        solo = Trainer(data, "/CPU:0", rate, 0.0, 0.0, model=model, initial=start)
        batch = solo.run(200)
        np.testing.assert_allclose(records.values["loss"][:, k], batch.loss, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(records.values["grad_norm"][:, k], batch.grad_norm, rtol=1e-3,
                                   atol=1e-6)
        np.testing.assert_allclose(lanes.theta_now()[k], solo.theta_now(), rtol=1e-3, atol=1e-5)


def test_a_diverging_lane_freezes_while_the_others_go_on():
    model, data, _ = CASES["mlp-tanh"]
    lanes = BatchedTrainer(data, "/CPU:0", [0.1, 50.0], ["gd", "gd"], 0.0, 0.0, model=model,
                           initial=model.initial(0))
    lanes.set_loss_limit(1, 1e6)
    records = lanes.run(500)
    assert lanes.frozen_runs().tolist() == [False, True]
    assert records.values["live"][:, 0].all() and np.isfinite(lanes.theta_now()).all()
