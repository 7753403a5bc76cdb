"""The stability markers: what the status says before the run shows it."""

from __future__ import annotations

from lrtui.engine.run import make_dataset
from lrtui.engine.stability import ZIGZAG_WORDS, marker, warning_text
from lrtui.engine.theory import theory_of
from lrtui.settings.fields import Settings


def theory(settings: Settings):
    data = make_dataset(settings)
    return theory_of(data.x, data.y)


def test_plain_gd_markers_follow_the_bounds():
    s = Settings()
    t = theory(s)
    assert marker(s, t, 0.5 * t.lr_zigzag).words == "converges"
    assert marker(s, t, 0.5 * (t.lr_zigzag + t.lr_max)).words == ZIGZAG_WORDS
    assert marker(s, t, 1.01 * t.lr_max).words == "will diverge"
    text, kind = warning_text(s, t, 1.01 * t.lr_max)
    assert kind == "warning" and "above lr_max" in text


def test_markers_move_when_the_data_changes():
    narrow, wide = Settings(), Settings(x_min=-2.0, x_max=3.0)
    lr = 0.5
    assert theory(wide).lr_max < theory(narrow).lr_max
    assert marker(narrow, theory(narrow), lr).words == ZIGZAG_WORDS
    assert marker(wide, theory(wide), lr).words == "will diverge"


def test_a_cyclic_schedule_is_judged_at_its_peak():
    s = Settings(schedule="cyclic", cycle_ratio=4.0)
    t = theory(s)
    lr = 0.3 * t.lr_max  # calm alone, above lr_max at 4 × at the top of each cycle
    assert marker(s.with_(schedule="constant"), t, lr).words == "converges"
    assert marker(s, t, lr).words == "will diverge"
    assert "peak" in warning_text(s, t, lr)[0]


def test_other_optimizers_are_told_lr_max_is_the_plain_gd_bound():
    s = Settings(optimizer="adam")
    t = theory(s)
    mark = marker(s, t, 5 * t.lr_max)
    assert mark.regime == "reference" and "plain-GD bound" in mark.words
    text, kind = warning_text(s, t, 5 * t.lr_max)
    assert kind == "info" and "plain-GD bound" in text
    assert warning_text(s, t, 0.1 * t.lr_max) is None
