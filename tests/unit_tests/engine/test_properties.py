"""Property tests: the engine and the plot sanitizer against any numbers at all.

Real TensorFlow: one Run is built per module (compiling its chunks takes
seconds) and every example drives it through the public methods the
controller uses: set_data, apply, set_learning_rate, advance, snapshot.

Example counts come from a hypothesis profile: "ci" (the default) keeps the
suite fast; `LRTUI_HYPOTHESIS=long` runs many more examples.
"""

from __future__ import annotations

import math
import os

import numpy as np
import plotext
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lrtui.app.plotdata import (
    TINY,
    clip_segment,
    downsample,
    finite_pairs,
    limit_value,
    limits,
    positive_pairs,
)
from lrtui.engine.data import Dataset
from lrtui.engine.device import DeviceChoice
from lrtui.engine.run import Run, State
from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("LRTUI_HYPOTHESIS", "ci"))

import_tensorflow()

# The numbers a user (or a bug) can produce: the edges first, then anything.
EDGE_FLOATS = [0.0, -0.0, -1.0, 5e-324, 1e-45, 1e-300, 3.4e38, 1e39, 1e300,
               math.inf, -math.inf, math.nan]
any_float = st.one_of(st.sampled_from(EDGE_FLOATS), st.floats())
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)

_RUN: Run | None = None


def shared_run() -> Run:
    """One Run for the module; each example puts it back to a known start."""
    global _RUN
    if _RUN is None:
        _RUN = Run(Settings(), DeviceChoice("/CPU:0"))
    run = _RUN
    run.apply(Settings())
    run.set_learning_rate(Settings().learning_rate)
    run.reset()
    run.drain()
    return run


def check_run_is_sound(run: Run) -> None:
    """Whatever happened, the run is in a known state and can still draw a frame."""
    assert run.state in (State.READY, State.PAUSED, State.FINISHED, State.DIVERGED), run.state
    assert 0 <= run.step <= run.budget_end
    snap = run.snapshot()
    assert snap.step == run.step
    assert snap.curve is not None
    assert len(snap.curve.step) <= run.history.capacity
    lr = run.learning_rate
    assert math.isfinite(lr) and lr > 0, f"the run holds an unusable lr {lr}"


# -- the engine -------------------------------------------------------------------

@given(lr=any_float, steps=st.integers(1, 300))
def test_any_learning_rate_is_refused_or_survived(lr, steps):
    run = shared_run()
    before = run.learning_rate
    run.set_learning_rate(lr)
    events = run.drain()[1]
    usable = math.isfinite(lr) and lr > 0
    if usable:
        assert run.learning_rate == lr
    else:
        assert run.learning_rate == before, f"lr {lr} was taken"
        assert any(e.kind == "warning" and "refused" in e.text for e in events), events
    run.advance(steps)
    check_run_is_sound(run)


@given(lr=any_float)
def test_a_new_run_refuses_an_unusable_lr_with_a_clear_error(lr):
    usable = math.isfinite(lr) and lr > 0
    if usable:
        return  # building a Run compiles chunks: the shared run covers usable values
    with pytest.raises(ValueError, match="learning rate"):
        Run(Settings(learning_rate=lr), DeviceChoice("/CPU:0"))


@given(init_w=any_float, init_b=any_float, lr=st.floats(1e-6, 10.0), steps=st.integers(1, 300))
def test_any_initial_weights(init_w, init_b, lr, steps):
    run = shared_run()
    run.apply(run.settings.with_(init_w=init_w, init_b=init_b, learning_rate=lr))
    run.advance(steps)
    check_run_is_sound(run)
    if run.state == State.DIVERGED:
        # Space after a divergence must work too, even from weights that were never finite.
        run.continue_()
        run.advance(5)
        check_run_is_sound(run)


@given(n=st.integers(2, 3000), noise=st.floats(0.0, 1e6), seed=st.integers(0, 2**32 - 1),
       true_w=st.floats(-1e6, 1e6), true_b=st.floats(-1e6, 1e6), steps=st.integers(1, 200))
def test_any_generated_data(n, noise, seed, true_w, true_b, steps):
    run = shared_run()
    run.apply(run.settings.with_(n=n, noise=noise, seed=seed, true_w=true_w, true_b=true_b))
    assert run.dataset.n == n
    run.advance(steps)
    check_run_is_sound(run)


@given(data=st.integers(2, 400).flatmap(
    lambda n: st.tuples(hnp.arrays(np.float32, n, elements=finite32),
                        hnp.arrays(np.float32, n, elements=finite32))),
       lr=st.floats(1e-6, 10.0), steps=st.integers(1, 200))
def test_any_finite_data(data, lr, steps):
    """Constant x, huge values, a single repeated point: the theory and the steps cope."""
    x, y = data
    run = shared_run()
    run.set_data(Dataset(x, y, "property data"))
    run.set_learning_rate(lr)
    run.advance(steps)
    check_run_is_sound(run)


# -- the plot sanitizer --------------------------------------------------------------

any_array = st.integers(0, 600).flatmap(
    lambda n: hnp.arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True)))


def pairs():
    return any_array.flatmap(lambda x: st.tuples(st.just(x), hnp.arrays(
        np.float64, len(x), elements=st.floats(allow_nan=True, allow_infinity=True))))


def draw_with_plotext(x, y, log: bool, width: int) -> None:
    """Build a real plotext figure from the sanitized data, as the loss pane does."""
    plotext.clear_figure()
    plotext.plotsize(width, 20)
    if len(x):  # the pane sets the scale only when it has points to draw
        if log:
            plotext.yscale("log")
        low, high = limits(float(y.min()), float(y.max()), log=log)
        plotext.xlim(*limits(float(x.min()), float(x.max())))
        plotext.ylim(limit_value(low, log), limit_value(high, log))
        plotext.plot(x.tolist(), y.tolist(), marker="braille")
    assert isinstance(plotext.build(), str)


@given(xy=pairs(), log=st.booleans(), width=st.integers(2, 300))
def test_sanitized_data_is_safe_for_plotext(xy, log, width):
    x, y = xy
    x, y = (positive_pairs if log else finite_pairs)(x, y)
    x, y = downsample(x, y, width)
    assert len(x) == len(y) <= max(2, width)
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert np.all(np.abs(y) <= 1e30) and np.all(np.abs(x) <= 1e30)
    if log:
        assert np.all(y >= TINY)
    draw_with_plotext(x, y, log, width=max(10, min(width, 200)))


@given(low=any_float, high=any_float, log=st.booleans())
def test_limits_are_finite_and_distinct(low, high, log):
    a, b = limits(low, high, log=log)
    assert math.isfinite(a) and math.isfinite(b)
    assert a < b
    if log:
        assert a > 0
        # ... and stay distinct once plotext takes them as log10.
        assert limit_value(a, True) < limit_value(b, True)


@given(coords=st.tuples(any_float, any_float, any_float, any_float),
       box=st.tuples(finite32, finite32, finite32, finite32))
def test_clipped_segment_stays_in_its_box(coords, box):
    xmin, xmax = sorted(box[:2])
    ymin, ymax = sorted(box[2:])
    segment = clip_segment(*coords, (xmin, xmax, ymin, ymax))
    if segment is None:
        return
    xa, ya, xb, yb = segment
    slack = 1e-6 * max(1.0, abs(xmin), abs(xmax), abs(ymin), abs(ymax))
    for px, py in ((xa, ya), (xb, yb)):
        assert math.isfinite(px) and math.isfinite(py)
        assert xmin - slack <= px <= xmax + slack and ymin - slack <= py <= ymax + slack
