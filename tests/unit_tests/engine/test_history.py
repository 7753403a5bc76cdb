import numpy as np

from lrtui.engine.history import LossHistory, log_rows
from lrtui.engine.records import StepBatch


def batch(start, losses, diverged=False):
    n = len(losses)
    steps = np.arange(start, start + n, dtype=np.int64)
    losses = np.asarray(losses, np.float64)
    return StepBatch(steps, losses, steps * 1.0, -steps * 1.0, losses, losses, np.full(n, 0.1), diverged)


def test_history_stays_bounded_and_keeps_extremes():
    history = LossHistory(buckets=64)
    total = 0
    for _ in range(100):
        losses = np.linspace(1, 2, 1000)
        losses[500] = 99.0  # a spike must survive every merge
        history.add(batch(total, losses))
        total += 1000
    view = history.view()
    assert len(view.step) <= 64
    assert view.high.max() == 99.0 and view.low.min() == 1.0
    assert view.step[-1] <= total - 1 < view.step[-1] + view.span
    assert view.w[-1] == total - 1  # the last weights are the newest


def test_history_of_nan_counts_as_bad_not_as_missing():
    history = LossHistory(buckets=8)
    history.add(batch(0, [1.0, np.nan]))
    assert np.isinf(history.view().high[1])


def test_log_rows_include_the_diverging_step():
    rows = log_rows(batch(0, [1.0, 2.0, 3.0, np.inf], diverged=True), every=20)
    assert [r.step for r in rows] == [0, 3]


def test_lanes_are_bucketed_exactly_like_single_runs():
    rng = np.random.default_rng(1)
    losses = rng.uniform(0.5, 3.0, (5000, 3))
    losses[4000:, 2] = np.nan  # a lane that went bad stays bad
    lanes = LossHistory(buckets=32, lanes=3, carried=())
    single = [LossHistory(buckets=32) for _ in range(3)]
    for start in range(0, 5000, 700):  # chunks that do not line up with the buckets
        step = np.arange(start, min(start + 700, 5000), dtype=np.int64)
        lanes.add_steps(step, losses[step])
        for k, history in enumerate(single):
            history.add(batch(start, losses[step, k]))
    assert lanes.count <= 32 and lanes.low.shape == (32, 3)
    for k, history in enumerate(single):
        view = history.view()
        np.testing.assert_array_equal(lanes.steps(), view.step)
        for name in ("low", "high", "last"):
            np.testing.assert_array_equal(getattr(lanes, name)[:lanes.count, k], getattr(view, name))
    assert np.isinf(lanes.last[lanes.count - 1, 2])
