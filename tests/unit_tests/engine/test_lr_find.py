"""The LR range test against a direct numpy implementation of fastai's lr_find."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrtui.commands.main import main
from lrtui.engine.device import DeviceChoice
from lrtui.engine.run import Run, make_dataset
from lrtui.engine.startup import import_tensorflow
from lrtui.settings.fields import Settings

import_tensorflow()
from lrtui.engine.lr_find import range_test  # noqa: E402

DEFAULT = Settings()


# -- fastai's functions, written out as fastai states them -------------------------

def fastai_smooth(losses, beta=0.98):
    """AvgSmoothLoss: val = lerp(loss, val, β); value = val / (1 − β^count); stop at > 4 × best."""
    val, best, out = 0.0, float("inf"), []
    for count, loss in enumerate(losses, start=1):
        val = beta * val + (1 - beta) * loss
        smooth = val / (1 - beta**count)
        out.append(smooth)
        if smooth < best:
            best = smooth
        if smooth > 4 * best:
            break
    return np.array(out)


def fastai_window(lrs, losses, num_it):
    lrs, losses = np.asarray(lrs)[num_it // 10:-5], np.asarray(losses)[num_it // 10:-5]
    nan = np.flatnonzero(np.isnan(losses))
    if len(nan):
        drop = min(nan.min(), len(lrs) - 1)
        lrs, losses = lrs[:drop], losses[:drop]
    return lrs, losses


def fastai_minimum(lrs, losses):
    return lrs[losses.argmin()] / 10


def fastai_steep(lrs, losses):
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return lrs[grads.argmin()]


def fastai_valley(lrs, losses):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return lrs[max_start + int(sections) + int(sections / 2)]


# -- the tests --------------------------------------------------------------------------

CASES = {
    "gd": DEFAULT,
    "adam": DEFAULT.with_(optimizer="adam"),
    "mini-batch": DEFAULT.with_(batch_size=10),
    "wide data": DEFAULT.with_(x_min=-3.0, x_max=5.0, noise=0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_suggestions_equal_fastai_on_the_same_recorded_arrays(name):
    settings = CASES[name]
    test = range_test(settings, make_dataset(settings), "/CPU:0")
    # The lrs are fastai's exponential sweep, in float32.
    np.testing.assert_allclose(test.lrs, 1e-7 * (10 / 1e-7) ** (np.arange(len(test.lrs)) / 100),
                               rtol=1e-5)
    # The smoothing and the stop rule, from the raw losses.
    np.testing.assert_allclose(test.smoothed, fastai_smooth(test.losses), rtol=1e-12)
    assert len(test.smoothed) == len(test.losses) == len(test.lrs)
    lrs, losses = fastai_window(test.lrs, test.smoothed, 100)
    got = {k: s.learning_rate for k, s in test.suggestions.items()}
    assert got == {"minimum": pytest.approx(fastai_minimum(lrs, losses), rel=1e-12),
                   "steep": pytest.approx(fastai_steep(lrs, losses), rel=1e-12),
                   "valley": pytest.approx(fastai_valley(lrs, losses), rel=1e-12)}


def test_on_the_default_data_minimum_over_10_is_within_10x_of_lr_opt():
    test = range_test(DEFAULT, make_dataset(DEFAULT), "/CPU:0")
    lr_opt = test.theory.lr_opt
    suggestion = test.suggestions["minimum"].learning_rate
    assert lr_opt / 10 <= suggestion <= lr_opt * 10, (suggestion, lr_opt)
    # The sweep goes far enough to blow up, and stops by the 4 × best rule.
    assert test.stopped_early and test.smoothed[-1] > 4 * test.smoothed.min()


def test_the_sweep_leaves_the_run_as_it_was():
    settings = DEFAULT.with_(optimizer="adam", learning_rate=0.05)
    run = Run(settings, DeviceChoice("/CPU:0"))
    twin = Run(settings, DeviceChoice("/CPU:0"))
    run.advance(37)
    twin.advance(37)
    before = run.weights()
    range_test(run.settings, run.dataset, run.device.name)
    assert run.weights() == before and run.step == 37
    # Adam's moments were not touched either: the run goes on exactly as its twin.
    np.testing.assert_array_equal(run.advance(50).w, twin.advance(50).w)


def test_find_lr_jsonl_prints_every_point_then_a_summary(capsys):
    assert main(["find-lr", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    points, summary = lines[:-1], lines[-1]["summary"]
    assert all(set(p) == {"step", "lr", "loss", "smoothed"} for p in points)
    assert [p["step"] for p in points] == list(range(len(points)))
    assert summary["points"] == len(points)
    for key in ("suggestion_minimum", "suggestion_steep", "suggestion_valley", "lr_max", "lr_opt"):
        assert isinstance(summary[key], float), key
    lrs = np.array([p["lr"] for p in points])
    smoothed = np.array([p["smoothed"] for p in points])
    lrs, smoothed = fastai_window(lrs, smoothed, 100)
    assert summary["suggestion_minimum"] == pytest.approx(fastai_minimum(lrs, smoothed))


def test_find_lr_table_and_csv(capsys):
    assert main(["find-lr", "--num", "40", "--end", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["step", "lr", "loss", "smoothed"]
    assert "# minimum" in out and "# lr_max" in out and "# lr_opt" in out
    assert main(["find-lr", "--format", "csv", "--num", "40"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "step,lr,loss,smoothed" and len(rows) >= 2


@pytest.mark.parametrize("args, words", [(["--start", "1", "--end", "0.5"], "below --end"),
                                         (["--num", "5"], "num"),
                                         (["--start", "nan"], "learning rate")])
def test_find_lr_refuses_bad_options_in_one_line(capsys, args, words):
    with pytest.raises(SystemExit) as exit:
        main(["find-lr", *args])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


@pytest.mark.parametrize("start", [1e-7, 1e-4, 1e-2])
def test_on_the_convex_lesson_the_valley_is_the_middle_of_the_sweep_and_says_so(start):
    data = make_dataset(Settings())
    test = range_test(Settings(), data, "/CPU:0", start=start)
    valley = test.suggestions["valley"]
    # fastai's window starts at lrs[num//10]: the descent starts right there.
    assert valley.window[0] == pytest.approx(float(test.lrs[test.num // 10]))
    assert valley.window[0] < valley.learning_rate < valley.window[1]
    assert test.valley_is_middle and "moves with --start" in test.valley_note()
    # The useful part ends where the blow-up starts: the frame's top is the start's loss.
    assert test.useful_top() == pytest.approx(float(test.smoothed[0]), rel=0.05)
    assert test.smoothed.max() > 3 * test.useful_top()


def test_a_valley_after_a_plateau_is_not_the_middle_of_the_sweep():
    from lrtui.engine.lr_find import RangeTest, suggest
    from lrtui.engine.theory import theory_of

    lrs = np.geomspace(1e-6, 10, 100)
    smoothed = np.r_[np.full(50, 2.0) + np.linspace(0, 1e-3, 50), np.linspace(2.0, 0.5, 30),
                     np.linspace(0.5, 9.0, 20)]
    suggestions = suggest(lrs, smoothed, 100)
    valley = suggestions["valley"]
    assert not valley.from_first and valley.window[0] > lrs[40]
    test = RangeTest(lrs, smoothed, smoothed, 100, True, theory_of(lrs, lrs), suggestions)
    assert not test.valley_is_middle


def test_find_lr_prints_the_valley_window_and_why(capsys):
    assert main(["find-lr", "--start", "1e-4"]) == 0
    out = capsys.readouterr().out
    assert "# valley = the middle of the sweep" in out and "moves with --start" in out
    assert main(["find-lr", "--format", "jsonl"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert summary["valley_is_middle"] is True and len(summary["valley_window"]) == 2
