"""Compare mode's engine: R runs in one compiled computation, each equal to a solo run."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import CPU, solo

from lrtui.engine.compare import CompareRun, RunStatus, check_runs
from lrtui.engine.run import State, make_dataset
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.update_rules import OPTIMIZERS
from lrtui.settings.fields import Settings

tf = import_tensorflow()
import keras  # noqa: E402  (after TensorFlow's quiet import)

LESSON = Settings()


def keras_optimizer(name: str, learning_rate: float):
    """The real Keras optimizer a compare-mode rule stands for, at Keras's own defaults.

    SGD's momentum is the one value compare mode chooses itself (0.9; Keras's default is 0).
    """
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=name == "nesterov")
    return {"rmsprop": keras.optimizers.RMSprop, "adagrad": keras.optimizers.Adagrad,
            "adam": keras.optimizers.Adam}[name](learning_rate)


def keras_run(name: str, x, y, learning_rate: float, init_w: float, init_b: float,
              steps: int) -> dict[str, np.ndarray]:
    """Step the Keras optimizer (plain gd: the lesson's assign_sub) on float32 w and b.

    Returns per step the loss and the weights that step starts from, like a StepBatch.
    """
    x = tf.constant(x, tf.float32)
    y = tf.constant(y, tf.float32)
    w = tf.Variable(np.float32(init_w))
    b = tf.Variable(np.float32(init_b))
    optimizer = None if name == "gd" else keras_optimizer(name, learning_rate)
    out = {"loss": [], "w": [], "b": []}
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * x + b - y))
        dw, db = tape.gradient(loss, [w, b])
        for name_, value in (("loss", loss), ("w", w), ("b", b)):
            out[name_].append(float(value.numpy()))
        if optimizer is None:
            w.assign_sub(learning_rate * dw)
            b.assign_sub(learning_rate * db)
        else:
            optimizer.apply_gradients([(dw, w), (db, b)])
    return {name_: np.asarray(values) for name_, values in out.items()}


def test_each_gd_run_equals_a_solo_run_including_the_one_that_diverges():
    rates = [0.001, 0.1, 0.9]
    compare = CompareRun(LESSON, CPU, rates, ["gd"])
    batches = compare.advance(200)
    assert len(batches) == 3
    for k, lr in enumerate(rates):
        run, expected = solo(LESSON, lr, 200)
        got = batches[k]
        assert got.diverged == expected.diverged, f"run {k + 1} lr {lr}"
        assert list(got.step) == list(expected.step), f"run {k + 1} lr {lr}: steps differ"
        for field in ("loss", "w", "b", "dw", "db"):
            np.testing.assert_allclose(getattr(got, field), getattr(expected, field),
                                       rtol=2e-5, atol=1e-6, err_msg=f"run {k + 1} {field}")
        assert compare.steps[k] == run.step
        assert compare.trainer.weights()[0][k] == pytest.approx(run.weights()[0], rel=2e-5, abs=1e-6)
    # The lesson's story: too small barely moves, 0.1 fits, 0.9 diverges.
    assert [lane.status for lane in compare.lanes()] == [RunStatus.FINISHED, RunStatus.FINISHED,
                                                        RunStatus.DIVERGED]


# Two starts: the lesson's, where gradients are large, and the OLS weights, where they are
# ~1e-8 and ε decides the size of a normalised step (rmsprop's √(s + ε) against √s + ε).
STARTS = {"lesson": (LESSON.init_w, LESSON.init_b), "minimum": (0.0869275, 0.499254)}


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_moves_like_the_keras_optimizer(optimizer, start):
    # rmsprop at 0.1 hovers around the minimum on steps of size ~lr (its denominator
    # shrinks with the gradient), where two float32 roundings part ways: checked at 0.01.
    lr = 0.01 if optimizer == "rmsprop" else 0.1
    if start == "minimum":
        lr = 0.001
    init_w, init_b = STARTS[start]
    settings = LESSON.with_(init_w=init_w, init_b=init_b)
    data = make_dataset(settings)
    steps = 5 if start == "minimum" else 200
    compare = CompareRun(settings, CPU, [lr, 0.05], [optimizer, "gd"], data)
    batch = compare.advance(steps)[0]
    ref = keras_run(optimizer, data.x, data.y, lr, init_w, init_b, steps)
    for field in ("loss", "w", "b"):
        np.testing.assert_allclose(getattr(batch, field), ref[field], rtol=1e-4, atol=1e-6,
                                   err_msg=f"{optimizer} {field}")


def test_all_optimizers_at_once_in_one_trace():
    compare = CompareRun(LESSON, CPU, [0.05] * 6, list(OPTIMIZERS))
    compare.trainer.warm_up()
    traces = compare.trainer.traces
    assert traces == 3, "one trace per chunk capacity warmed up, whatever the number of runs"
    for _ in range(5):
        compare.advance(64)
    compare.set_learning_rate(2, 0.2)
    compare.hold(0, True)
    compare.advance(64)
    compare.advance(1, run=3)
    compare.set_learning_rate(2, 0.05)
    compare.hold(0, False)
    compare.reset()
    compare.advance(64)
    assert compare.trainer.traces == traces, "an lr change, a hold or a reset retraced"
    data = make_dataset(LESSON)
    for k, optimizer in enumerate(OPTIMIZERS):
        ref = keras_run(optimizer, data.x, data.y, 0.05, 0.0, -1.0, 64)
        lane = compare.lanes()[k]
        assert lane.step == 64
        np.testing.assert_allclose(compare.histories[k].view().w[-1], ref["w"][-1],
                                   rtol=1e-4, atol=1e-5, err_msg=optimizer)


def test_a_diverged_run_freezes_and_the_others_go_on():
    compare = CompareRun(LESSON.with_(steps=500), CPU, [0.1, 2.0, 0.3], ["gd"])
    while not compare.done:
        compare.advance(64)
    lanes = compare.lanes()
    assert lanes[1].status == RunStatus.DIVERGED
    assert lanes[1].diverged_at is not None and lanes[1].diverged_at < 100
    assert math.isfinite(lanes[1].w) and math.isfinite(lanes[1].b), "frozen at finite weights"
    frozen_w = lanes[1].w
    for k in (0, 2):
        assert lanes[k].status == RunStatus.FINISHED and lanes[k].step == 500
        assert lanes[k].reached_at is not None, "a good lr gets within 1% of the OLS loss"
        assert lanes[k].loss <= compare.theory.ols_loss * 1.01
    # Lowering the diverged run's lr lets it recover from where it froze.
    compare.set_learning_rate(1, 0.1)
    compare.extend()
    assert compare.status[1] == RunStatus.RUNNING
    compare.advance(300, run=1)
    assert compare.lanes()[1].w != frozen_w
    assert compare.lanes()[1].loss < lanes[1].loss


def test_a_held_run_stays_put_and_one_run_steps_alone():
    compare = CompareRun(LESSON, CPU, [0.1, 0.2], ["gd"])
    compare.advance(10)
    compare.hold(0, True)
    w_before = compare.lanes()[0].w
    compare.advance(10)
    lanes = compare.lanes()
    assert (lanes[0].step, lanes[1].step) == (10, 20)
    assert lanes[0].w == w_before
    compare.hold(0, False)
    compare.advance(3, run=0)
    assert [lane.step for lane in compare.lanes()] == [13, 20]


def test_run_pairs_are_checked():
    assert check_runs([0.1], ["gd", "adam"]) == ([0.1, 0.1], ["gd", "adam"])
    assert check_runs([0.1, 0.2], ["adam"]) == ([0.1, 0.2], ["adam", "adam"])
    with pytest.raises(ValueError, match="2 learning rates and 3 optimizers"):
        check_runs([0.1, 0.2], ["gd", "adam", "sgd"])
    with pytest.raises(ValueError, match="2 to 6 runs"):
        check_runs([0.1] * 7, ["gd"])
    with pytest.raises(ValueError, match="2 to 6 runs"):
        check_runs([0.1], ["gd"])


def test_state_after_the_budget():
    compare = CompareRun(LESSON.with_(steps=30), CPU, [0.1, 0.01], ["gd"])
    compare.advance(1000)
    assert compare.done and compare.state == State.FINISHED
    assert [lane.step for lane in compare.lanes()] == [30, 30]
    assert compare.advance(10) == []


def test_switching_a_runs_optimizer_starts_its_rule_afresh_without_retracing():
    data = make_dataset(LESSON)
    compare = CompareRun(LESSON, CPU, [0.1, 0.1], ["gd"], data)
    compare.advance(64)
    traces = compare.trainer.traces
    compare.reset()
    compare.set_optimizer(0, "adam")
    batch = compare.advance(64)[0]
    assert compare.trainer.traces == traces
    assert compare.lanes()[0].optimizer == "adam"
    ref = keras_run("adam", data.x, data.y, 0.1, 0.0, -1.0, 64)
    np.testing.assert_allclose(batch.w, ref["w"], rtol=1e-4, atol=1e-5)
