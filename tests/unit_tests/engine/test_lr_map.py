"""The lr × steps map against the truth: each column is a solo run, the cliff sits at lr_max."""

from __future__ import annotations

import numpy as np
import pytest
from support import CPU, solo

from lrtui.engine.lr_map import MAP_BUCKETS, LrMap, MapError, check_grid, default_learning_rates
from lrtui.engine.models import model_of
from lrtui.engine.run import Run, make_dataset
from lrtui.engine.startup import import_tensorflow
from lrtui.engine.theory import first_converged, steps_to_within, theory_for, theory_of
from lrtui.settings.fields import Settings

import_tensorflow()

LESSON = Settings()


def bucket_ends(batch, view, steps: int) -> np.ndarray:
    """The solo run's loss at the last step of each of the map's buckets (+inf once diverged)."""
    per_step = np.full(steps, np.inf)
    per_step[:len(batch)] = batch.loss
    return per_step[np.minimum(view.step + view.span, steps) - 1]


@pytest.mark.parametrize("settings, steps", [
    (LESSON, 300),
    (LESSON, 3000),  # buckets of several steps each
    (LESSON.with_(optimizer="momentum", momentum=0.5), 300),  # the run's own constants
    (LESSON.with_(schedule="exponential", decay_steps=50, decay_rate=0.5), 300),
    (LESSON.with_(schedule="cosine", warmup_steps=20, decay_steps=200), 300),
])
def test_each_column_is_the_solo_run_at_that_lr(settings, steps):
    rates = [0.001, 0.05, 0.1, 0.5, 0.9]
    view = LrMap(settings, CPU.name, rates, steps).compute()
    for k, lr in enumerate(rates):
        run, batch = solo(settings, lr, steps)
        column = view.loss[:, k]
        assert len(view.step) == -(-steps // view.span) <= MAP_BUCKETS
        if batch.diverged:
            assert view.diverged_at[k] == batch.step[-1], f"lr {lr}"
            assert view.final_loss[k] == pytest.approx(batch.loss[-1], rel=2e-5)
        else:
            assert view.diverged_at[k] == -1, f"lr {lr}"
            assert view.final_loss[k] == pytest.approx(run.current_loss(), rel=2e-5, abs=1e-7)
        np.testing.assert_allclose(column, bucket_ends(batch, view, steps), rtol=2e-5, atol=1e-7,
                                   err_msg=f"lr {lr}")
        target = theory_of(run.dataset.x, run.dataset.y).converged_loss
        reached = int(first_converged(batch.loss, target))
        assert view.steps_to_1pct[k] == reached, f"lr {lr}: steps to 1%"
        assert view.min_loss[k] <= batch.loss.min() * (1 + 2e-5)


def test_the_map_agrees_with_compare_modes_summary():
    from lrtui.engine.compare import CompareRun

    rates = [0.05, 0.3, 0.9]
    compare = CompareRun(LESSON.with_(steps=400), CPU, rates, ["gd"])
    while not compare.done:
        compare.advance(400)
    view = LrMap(LESSON, CPU.name, rates, 400).compute()
    for k, lane in enumerate(compare.lanes(with_curves=False)):
        assert view.rows()[k]["steps_to_1pct"] == lane.reached_at
        assert view.rows()[k]["diverged_at"] == lane.diverged_at


def test_the_divergence_boundary_sits_at_lr_max_within_one_column():
    for settings in (LESSON, LESSON.with_(x_min=-2.0, x_max=5.0, seed=3)):
        data = make_dataset(settings)
        theory = theory_of(data.x, data.y)
        rates = default_learning_rates(theory, settings.learning_rate)
        assert rates[0] == pytest.approx(theory.lr_max / 1000)
        assert rates[-1] == pytest.approx(theory.lr_max * 3)
        view = LrMap(settings, CPU.name, rates, settings.steps, data).compute()
        diverged = view.diverged_at >= 0
        first_above = int(np.argmax(rates > theory.lr_max))
        first_diverged = int(np.argmax(diverged))
        assert not diverged[:first_above].any(), "a column below lr_max diverged"
        assert first_diverged - first_above in (0, 1)
        assert diverged[first_diverged:].all(), "every column past the cliff diverges"
        # Below the cliff, every lr ends lower than it started.
        start = np.mean((settings.init_w * data.x + settings.init_b - data.y) ** 2)
        assert np.all(view.final_loss[:first_above] < start)


def test_predicted_steps_to_1pct_match_the_measured_ones():
    data = make_dataset(LESSON)
    theory = theory_of(data.x, data.y)
    rates = default_learning_rates(theory, LESSON.learning_rate, 64)
    view = LrMap(LESSON, CPU.name, rates, 3000, data).compute()
    predicted = steps_to_within(theory, rates, LESSON.init_w, LESSON.init_b)
    np.testing.assert_array_equal(view.predicted, predicted)
    reachable = predicted < 3000
    assert reachable.sum() > 10
    measured = view.steps_to_1pct[reachable]
    assert np.all(np.abs(measured - predicted[reachable]) <= 1), "float32 may cross a step apart"
    assert np.all(view.steps_to_1pct[predicted > 3000] == -1)


def test_the_kept_matrix_stays_bounded_for_100000_steps():
    lane_map = LrMap(LESSON, CPU.name, [0.01, 0.1, 0.5, 0.9], 100_000)
    view = lane_map.compute()
    assert view.complete and view.steps_done == 100_000
    assert view.loss.shape[0] <= MAP_BUCKETS
    assert lane_map.history.low.shape == (MAP_BUCKETS, 4), "memory does not grow with steps"
    assert view.step[-1] < 100_000 <= view.step[-1] + view.span
    assert view.diverged_at[3] >= 0 and np.isinf(view.loss[-1, 3])


def test_a_stop_request_ends_the_map_between_chunks():
    lane_map = LrMap(LESSON, CPU.name, np.geomspace(1e-3, 2, 1024), 20_000)
    chunks = []
    view = lane_map.compute(stop=lambda: len(chunks) >= 2, progress=lambda m: chunks.append(m.steps_done))
    assert chunks == [lane_map.chunk, 2 * lane_map.chunk]
    assert not view.complete and view.steps_done == 2 * lane_map.chunk


@pytest.mark.parametrize("lr_min, lr_max, num, steps, words", [
    (0.1, 1.0, 0, 200, "--num 0"),
    (1.0, 0.1, 16, 200, "must be below"),
    (0.1, 0.1, 16, 200, "must be below"),
    (0.1, 1.0, 16, 0, "--steps 0"),
    (0.1, 1e5, 16, 200, "--lr-max"),
])
def test_a_bad_grid_is_one_clear_line(lr_min, lr_max, num, steps, words):
    with pytest.raises(MapError, match=words):
        check_grid(lr_min, lr_max, num, steps)


def test_a_method_the_lanes_cannot_follow_is_refused():
    with pytest.raises(MapError, match="plateau"):
        LrMap(LESSON.with_(schedule="plateau"), CPU.name, [0.1, 0.2], 10)
    with pytest.raises(MapError, match="full-batch"):
        LrMap(LESSON.with_(batch_size=10), CPU.name, [0.1, 0.2], 10)


def test_without_a_known_lr_max_the_grid_is_around_the_current_lr():
    rates = default_learning_rates(None, 0.1, 5)
    np.testing.assert_allclose(rates, [0.001, 0.01, 0.1, 1.0, 10.0])
    assert default_learning_rates(None, 1e-9, 3)[0] == 1e-10, "clipped to the lrs a run accepts"


@pytest.mark.parametrize("optimizer", ["nesterov", "rmsprop", "adagrad", "adam"])
def test_every_optimizer_s_column_is_its_keras_run(optimizer):
    # 100 steps: rmsprop later hovers round the minimum on steps of about lr, where any two
    # float32 orders of the same sums part ways (the float64 reference parts from both).
    settings = LESSON.with_(optimizer=optimizer)
    rates = [0.003, 0.01]
    view = LrMap(settings, CPU.name, rates, 100).compute()
    for k, lr in enumerate(rates):
        _, batch = solo(settings, lr, 100)
        np.testing.assert_allclose(view.loss[:, k], batch.loss, rtol=2e-5, atol=1e-7,
                                   err_msg=f"{optimizer} lr {lr}")


MODELS = [
    pytest.param(LESSON.with_(model="poly", degree=3, x_max=3.0), id="poly"),
    pytest.param(LESSON.with_(model="logistic", dataset="moons"), id="logistic"),
    pytest.param(LESSON.with_(model="mlp", dataset="sine", hidden=8), id="mlp-sine"),
    pytest.param(LESSON.with_(model="mlp", dataset="xor", hidden=4, activation="relu",
                              optimizer="adam"), id="mlp-xor-adam"),
]


@pytest.mark.parametrize("settings", MODELS)
def test_every_models_column_is_its_solo_run(settings):
    """The lanes train the model the settings name, from the same start as a solo run."""
    steps = 300
    rates = [0.003, 0.03, 0.3, 3.0]
    view = LrMap(settings, CPU.name, rates, steps).compute()
    for k, lr in enumerate(rates):
        run, batch = solo(settings, lr, steps)
        if batch.diverged:
            assert view.diverged_at[k] == batch.step[-1], f"lr {lr}"
        else:
            assert view.diverged_at[k] == -1, f"lr {lr}"
            assert view.final_loss[k] == pytest.approx(run.current_loss(), rel=1e-4, abs=1e-6)
        np.testing.assert_allclose(view.loss[:, k], bucket_ends(batch, view, steps), rtol=1e-4,
                                   atol=1e-6, err_msg=f"lr {lr}")


def test_a_model_with_an_exact_theory_is_marked_by_it():
    settings = MODELS[0].values[0]
    view = LrMap(settings, CPU.name, [0.001, 0.002], 50).compute()
    data = make_dataset(settings)
    theory = theory_for(model_of(settings, 1), data.x, data.y)
    assert view.exact and view.start_sharpness == pytest.approx(theory.lambda_max)
    assert dict(view.theory_lines())["lr_max"] == pytest.approx(2 / theory.lambda_max)
    assert view.predicted is None  # the prediction is the line's (two eigen-directions)


@pytest.mark.parametrize("settings", MODELS[1:3])
def test_a_model_whose_curvature_moves_is_marked_by_its_sharpness_at_the_start(settings):
    view = LrMap(settings, CPU.name, [0.01, 0.1], 20).compute()
    run = Run(settings.with_(steps=20), CPU)
    measured = run.trainer.measure_sharpness()
    assert not view.exact and view.start_sharpness == pytest.approx(measured, rel=1e-3)
    assert dict(view.theory_lines()) == pytest.approx({"1/λmax": 1 / measured,
                                                       "lr_max": 2 / measured}, rel=1e-3)
    assert (view.steps_to_1pct == -1).all()  # no known minimum: no finish line
    assert view.floor_loss == pytest.approx(view.min_loss.min())
