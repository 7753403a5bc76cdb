import math

import numpy as np

from lrtui.app.plotdata import clip_segment, downsample, finite_pairs, limits, positive_pairs


def test_non_finite_values_never_reach_plotext():
    x, y = finite_pairs([0, 1, 2, 3], [1.0, np.inf, np.nan, 1e300])
    assert list(x) == [0, 3] and np.all(np.abs(y) <= 1e30)
    x, y = positive_pairs([0, 1, 2], [0.0, -1.0, 2.0])
    assert list(y) == [2.0]


def test_limits_are_distinct_and_finite():
    for low, high, log in [(1, 1, False), (0, 0, True), (math.inf, 1, False), (5, 5, True)]:
        a, b = limits(low, high, log)
        assert math.isfinite(a) and math.isfinite(b) and a < b
        assert not log or a > 0


def test_downsample_keeps_spikes_and_width():
    y = np.ones(100_000)
    y[77_777] = 50.0
    xs, ys = downsample(np.arange(100_000), y, 200)
    assert len(xs) <= 200 and ys.max() == 50.0


def test_clip_segment_shows_a_line_leaving_the_frame():
    box = (0, 1, 0, 1)
    assert clip_segment(0, 0.5, 1, 0.5, box) == (0, 0.5, 1, 0.5)
    assert clip_segment(0, 1e6, 1, 1e6, box) is None
    x0, y0, x1, y1 = clip_segment(0, 0, 1, 1e6, box)
    assert (x0, y0) == (0, 0) and y1 == 1 and x1 < 1e-5


def test_downsample_on_a_fixed_axis_keeps_old_columns_as_they_were():
    """A growing curve drawn on a fixed axis: only the last column's points may change,
    so a redraw sends only what moved (the viewer of a fast Keras training relies on it)."""
    rng = np.random.default_rng(0)
    x, y = np.arange(20_000.0), rng.random(20_000)
    before_x, before_y = downsample(x[:15_000], y[:15_000], 100, (0.0, 20_000.0))
    after_x, after_y = downsample(x, y, 100, (0.0, 20_000.0))
    old = before_x < 14_800  # the columns complete before the curve grew
    keep = np.isin(after_x, before_x[old])
    assert np.array_equal(after_x[keep], before_x[old]) and np.array_equal(after_y[keep], before_y[old])
    assert len(after_x) <= 100
    # Shared equally between points instead, every column moves as the curve grows.
    moved_x, _ = downsample(x[:15_000], y[:15_000], 100)
    assert not np.array_equal(moved_x[:40], downsample(x, y, 100)[0][:40])


def test_a_narrow_step_axis_still_labels_a_step_past_zero():
    """Room for two labels: 0 and the largest round step inside, not 0 alone (6,000 steps
    in a 25-column pane showed only "0")."""
    from lrtui.app.plotdata import step_ticks

    assert step_ticks(6000, 2) == ([0.0, 5000.0], ["0", "5000"])
    assert step_ticks(1, 2) == ([0.0, 1.0], ["0", "1"])
    for end in (7, 130, 6000, 2_500_000):
        values, _ = step_ticks(end, 2)
        assert len(values) == 2 and 0 < values[1] <= end
