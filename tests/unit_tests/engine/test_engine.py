"""The engine against independent numpy implementations of the lesson's maths."""

from __future__ import annotations

import numpy as np
import pytest
from support import CPU

from lrtui.engine.data import generate
from lrtui.engine.run import DIVERGENCE_FACTOR, Run, State
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings

import_tensorflow()
from lrtui.engine.trainer import Trainer  # noqa: E402  (after the quiet import)

DEFAULT = Settings()


def default_data():
    s = DEFAULT
    return generate(s.n, s.x_min, s.x_max, s.true_w, s.true_b, s.noise, s.seed)


def numpy_gd(x, y, lrs, w=0.0, b=-1.0):
    """w <- w - lr*dL/dw in float64, one lr per step; returns the weights each step starts from."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    ws, bs, losses = [], [], []
    for lr in lrs:
        error = w * x + b - y
        ws.append(w)
        bs.append(b)
        losses.append(np.mean(error**2))
        dw, db = 2 * np.mean(error * x), 2 * np.mean(error)
        w, b = w - lr * dw, b - lr * db
    return np.array(ws), np.array(bs), np.array(losses), (w, b)


@pytest.fixture(scope="module")
def trainer():
    return Trainer(default_data(), "/CPU:0", 0.1, 0.0, -1.0)


def test_200_steps_follow_numpy_gradient_descent(trainer):
    data = default_data()
    trainer.reset(0.0, -1.0)
    trainer.set_learning_rate(0.1)
    batch = trainer.run(200)
    ws, bs, losses, final = numpy_gd(data.x, data.y, [0.1] * 200)
    assert len(batch) == 200 and not batch.diverged
    np.testing.assert_allclose(batch.w, ws, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(batch.b, bs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(batch.loss, losses, rtol=1e-4)
    np.testing.assert_allclose(trainer.weights(), final, rtol=1e-4, atol=1e-5)
    assert list(batch.step) == list(range(200))


def test_lr_change_applies_from_the_next_step_without_retrace(trainer):
    data = default_data()
    trainer.reset(0.0, -1.0)
    trainer.set_learning_rate(0.1)
    first = trainer.run(50)
    traces = trainer.traces
    trainer.set_learning_rate(0.3)
    second = trainer.run(50)
    assert trainer.traces == traces, "changing the lr must not retrace the chunk"
    assert np.all(np.isclose(first.lr, 0.1)) and np.all(np.isclose(second.lr, 0.3))
    ws, bs, _, _ = numpy_gd(data.x, data.y, [0.1] * 50 + [0.3] * 50)
    np.testing.assert_allclose(np.r_[first.w, second.w], ws, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.r_[first.b, second.b], bs, rtol=1e-4, atol=1e-5)


def test_any_step_count_reuses_the_compiled_chunks(trainer):
    trainer.reset(0.0, -1.0)
    trainer.run(1000)
    traces = trainer.traces
    for count in (3, 17, 999, 1000, 63):
        assert len(trainer.run(count)) == count
    assert trainer.traces == traces


@pytest.mark.parametrize("factor, converges", [(0.98, True), (1.02, False)])
def test_lr_max_separates_convergence_from_divergence(factor, converges):
    data = default_data()
    theory = theory_of(data.x, data.y)
    run = Run(DEFAULT.with_(learning_rate=theory.lr_max * factor, steps=5000), CPU, data)
    while run.state not in (State.FINISHED, State.DIVERGED):
        run.advance(1000)
    if converges:
        assert run.state == State.FINISHED
        assert run.current_loss() == pytest.approx(theory.ols_loss, rel=1e-3)
    else:
        assert run.state == State.DIVERGED


def test_the_lessons_story_on_default_data():
    data = default_data()
    def after(lr, steps=200):
        run = Run(DEFAULT.with_(learning_rate=lr, steps=steps), CPU, data)
        run.advance(steps)
        return run
    tiny = after(0.001)
    assert tiny.state == State.FINISHED
    w, b = tiny.weights()
    assert abs(b - -1.0) < 0.5, "lr 0.001 barely moves in 200 steps"
    assert tiny.current_loss() > 50 * tiny.theory.ols_loss
    good = after(DEFAULT.learning_rate)
    assert good.state == State.FINISHED and good.current_loss() < 1.05 * good.theory.ols_loss
    assert after(0.9).state == State.DIVERGED
    big = after(10)
    assert big.state == State.DIVERGED and big.step < 36


def test_non_finite_loss_is_caught_at_the_first_bad_step(trainer):
    data = default_data()
    trainer.reset(0.0, -1.0)
    trainer.set_learning_rate(10.0)
    batch = trainer.run(500)  # no loss limit: only a non-finite loss stops it
    assert batch.diverged
    # Same steps in float64; in float32 the sum of squares overflows where it passes the max.
    ws, bs, _, _ = numpy_gd(data.x, data.y, [10.0] * 60)
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    sums = np.array([np.sum((w * x + b - y) ** 2) for w, b in zip(ws, bs)])
    first_over = int(np.argmax(sums > np.finfo(np.float32).max))
    assert batch.step[-1] == first_over
    assert not np.isfinite(batch.loss[-1]) and np.all(np.isfinite(batch.loss[:-1]))
    # The bad step's update was not applied: the weights are still numbers.
    assert all(np.isfinite(trainer.weights()))
    assert trainer.step == len(batch) - 1


def test_a_diverged_run_recovers_with_a_lower_lr():
    data = default_data()
    run = Run(DEFAULT.with_(learning_rate=0.9, steps=200), CPU, data)
    start = run.current_loss()
    run.advance(200)
    assert run.state == State.DIVERGED
    assert run.latest.loss > DIVERGENCE_FACTOR * start
    run.set_learning_rate(run.theory.lr_opt)
    assert run.continue_()
    run.advance(400)
    assert run.state != State.DIVERGED
    assert run.current_loss() < 1.01 * run.theory.ols_loss


def test_budget_and_continue():
    run = Run(DEFAULT.with_(steps=30), CPU, default_data())
    run.advance(1000)
    assert run.state == State.FINISHED and run.step == 30
    assert run.continue_()
    run.advance(1000)
    assert run.step == 60


def test_reset_gives_the_same_trajectory():
    run = Run(DEFAULT, CPU, default_data())
    first = run.advance(100)
    run.reset()
    second = run.advance(100)
    np.testing.assert_array_equal(first.w, second.w)
    np.testing.assert_array_equal(first.loss, second.loss)


def test_theory_matches_numpy():
    data = default_data()
    theory = theory_of(data.x, data.y)
    x = data.x.astype(np.float64)
    hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    low, high = np.linalg.eigvalsh(hessian)
    assert theory.lr_max == pytest.approx(2 / high)
    assert theory.lr_opt == pytest.approx(2 / (high + low))
    assert theory.condition_number == pytest.approx(high / low)
    w, b = np.polyfit(x, data.y.astype(np.float64), 1)
    assert (theory.ols_w, theory.ols_b) == pytest.approx((w, b))


def test_log_rows_follow_log_every():
    run = Run(DEFAULT.with_(log_every=20), CPU, default_data())
    run.advance(200)
    rows, events = run.drain()
    assert [r.step for r in rows] == list(range(0, 200, 20))
    assert rows[0].w == 0.0 and rows[0].b == -1.0 and rows[0].lr == 0.1
    assert any("budget reached" in e.text for e in events)


def test_lr_above_lr_max_warns_first():
    run = Run(DEFAULT.with_(learning_rate=0.9), CPU, default_data())
    _, events = run.drain()
    assert any("above lr_max" in e.text and e.kind == "warning" for e in events)


def test_compiling_ahead_never_changes_the_numbers():
    """A warmed-up trainer runs a long request as short chunks while the long chunk compiles
    in the background: same steps, same numbers, bit for bit, as one compiled on demand."""
    import time

    from lrtui.engine.trainer import CAPACITIES

    ahead = Trainer(default_data(), "/CPU:0", 0.3, 0.0, -1.0)
    ahead.warm_up()
    on_demand = Trainer(default_data(), "/CPU:0", 0.3, 0.0, -1.0)
    first, second = ahead.run(20_000), on_demand.run(20_000)
    for field in ("step", "loss", "w", "b", "dw", "db", "lr"):
        assert np.array_equal(getattr(first, field), getattr(second, field)), field
    deadline = time.monotonic() + 120
    while ahead.compiling and time.monotonic() < deadline:
        ahead._background.join(0.5)
    assert not ahead.compiling, "the background compile did not finish in 120 s"
    assert sorted(ahead._chunks) == list(CAPACITIES)


def test_a_new_method_throws_away_what_was_compiled_ahead():
    trainer = Trainer(default_data(), "/CPU:0", 0.1, 0.0, -1.0)
    trainer.warm_up()
    trainer.configure(Settings(optimizer="adam"))
    trainer._background.join(120)
    adam = trainer.run(300)
    fresh = Trainer(default_data(), "/CPU:0", 0.1, 0.0, -1.0, method=Settings(optimizer="adam"))
    assert np.array_equal(adam.w, fresh.run(300).w), "a chunk compiled for plain GD was used for adam"


def test_after_the_loss_overflows_the_finite_weights_are_kept_and_the_run_says_why():
    # lr 0.9 stops at 1e12× its start (43 steps), again from there (86); at step 129 the
    # loss overflows float32 while w ≈ 8.6e17 and b ≈ 1.5e18 are still numbers.
    run = Run(DEFAULT.with_(learning_rate=0.9, steps=200), CPU, default_data())
    stops = []
    for _ in range(3):
        run.advance(200)
        stops.append(run.step)
        run.drain()
        if run.current_loss() < np.inf:
            assert run.continue_()
    assert stops == [43, 86, 129]
    w, b = run.weights()
    assert np.isfinite([w, b]).all() and abs(w) > 1e17 and abs(b) > 1e18
    assert not np.isfinite(run.current_loss())
    assert not run.continue_(), "no step can start from a loss that is not a number"
    said = " ".join(e.text for e in run.drain()[1])
    assert "overflowed float32" in said and "not finite" not in said, said
    assert run.weights() == (w, b) and run.step == 129 and run.state == State.DIVERGED


@pytest.mark.parametrize("jit", [True, False], ids=["xla", "no-xla"])
def test_with_stopping_off_the_trainer_is_the_lessons_loop_to_nan(jit):
    data = default_data()
    trainer = Trainer(data, "/CPU:0", 10.0, 0.0, -1.0, jit=jit)
    trainer.set_loss_limit(1.0)  # would stop at once if stopping were on
    trainer.set_stopping(False)
    batch = trainer.run(200)
    assert len(batch) == 200 and not batch.diverged and trainer.step == 200
    _, _, _, (w64, b64) = numpy_gd(data.x, data.y, [10.0] * 20)
    np.testing.assert_allclose(batch.w[20], w64, rtol=1e-4)
    assert np.isinf(batch.loss).any() and np.isnan(batch.loss[-1])
    assert np.isnan(trainer.weights()).all()
    trainer.set_stopping(True)
    trainer.reset(0.0, -1.0)
    assert trainer.run(200).diverged, "stopping again once switched back on"


def test_no_stop_switched_on_after_a_divergence_trains_on_from_the_kept_weights():
    run = Run(DEFAULT.with_(learning_rate=0.9, steps=200), CPU, default_data())
    run.advance(200)
    assert run.state == State.DIVERGED and run.step == 43
    w43 = run.weights()
    run.apply(run.settings.with_(no_stop=True))
    assert run.weights() == w43, "switching no-stop keeps the weights"
    assert run.continue_()
    run.advance(1000)
    assert run.state == State.FINISHED and run.step == 200
    assert run.non_finite_at == 129 and run.ending() == ("diverged", False)
    texts = [e.text for e in run.drain()[1]]
    assert any("no-stop on" in t for t in texts) and any("step 129: the loss overflowed" in t
                                                         for t in texts), texts
    view = run.history.view()
    assert np.isinf(view.high).any(), "the history keeps the overflow for the plot to mark"
