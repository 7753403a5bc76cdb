"""`lrtui replay`: demo.tape played against the real app (real TensorFlow, real Textual).

The demo must keep telling the lesson: if a key stops doing what the tape
says, a Wait times out or a state below is wrong, and this test fails.
Sleeps in the tape are capped short here: the states matter, not the pacing.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from lrtui.commands.main import main
from lrtui.replay.player import ReplayError, find_launch, parse_size, replay_tape, terminal_size
from lrtui.replay.tape import load_tape, parse_tape
from lrtui.settings.fields import Settings

DEMO = Path(__file__).resolve().parents[3] / "demo.tape"


def svg_text(path: Path) -> str:
    """The words an SVG screenshot shows (Rich writes spaces as &#160;)."""
    return html.unescape(path.read_text()).replace("\xa0", " ")


async def test_demo_tape_tells_the_lesson(tmp_path):
    replay = await replay_tape(load_tape(DEMO), svg_dir=tmp_path, sleep_cap=0.2)
    assert replay.settings.learning_rate == 0.001 and replay.settings.speed == "100"
    waits = [s for s in replay.scenes if s.command == "Wait"]
    assert [s.state for s in waits[:7]] == ["ready", "finished", "ready", "finished", "ready",
                                            "diverged", "finished"]
    _, too_small, _, good, _, diverged, recovered = waits[:7]
    range_test, _, suggested, compare = waits[7:]
    # 1. lr 0.001: the budget ran out with the loss still far from its minimum.
    assert too_small.learning_rate == 0.001 and too_small.step == 200
    assert too_small.loss > 0.5
    # 2. lr 0.1, typed into the field: the line fits.
    assert good.learning_rate == 0.1 and good.step == 200 and good.loss < 0.02
    # 3. three doublings: 0.8, past lr_max; the run stops before the budget.
    assert diverged.learning_rate == pytest.approx(0.8) and diverged.step < 200
    assert "diverged" in diverged.text
    # 4. halved twice to 0.2, it carries on from the diverged weights and converges.
    assert recovered.learning_rate == pytest.approx(0.2)
    assert recovered.step > diverged.step and recovered.loss < 0.02

    # 5. the range test shows its suggestions; key 1 makes minimum/10 the lr, and it fits.
    assert "minimum" in range_test.text and "valley" in range_test.text
    assert suggested.state == "finished" and suggested.loss < 0.02
    assert 0.01 < suggested.learning_rate < 0.7558, "minimum/10 lies below lr_max on this data"
    # 6. compare mode: the ×9 run blows up while the others go on to the budget.
    assert "compare: finished" in compare.text and "diverged at step" in compare.text

    frames = {p.name: p for p in replay.svgs}
    for name in ("1-too-small.svg", "2-good.svg", "3-diverged.svg", "4-recovered.svg",
                 "5-range-test.svg", "6-suggested-lr.svg", "7-compare.svg"):
        assert (tmp_path / "frames" / name).is_file()
    assert "lr 0.001" in svg_text(frames["1-too-small.svg"])
    assert "budget reached" in svg_text(frames["2-good.svg"])
    assert "diverged at step" in svg_text(frames["3-diverged.svg"])
    assert "continuing from the diverged weights" in svg_text(frames["4-recovered.svg"])
    # --svg-dir: one frame after every Sleep outside Hide.
    sleeps = [c for c in load_tape(DEMO) if c.name == "Sleep"]
    assert len(list(tmp_path.glob("*-line*.svg"))) == len(sleeps)


def test_launch_line_becomes_settings():
    tape = parse_tape('Hide\nType "clear"\nEnter\nType "lrtui --lr 0.05 --steps 30"\nEnter\n'
                      'Show\nSpace\n')
    launch = find_launch(tape)
    assert launch.settings == Settings(learning_rate=0.05, steps=30)
    assert tape.commands[launch.index].name == "Show"
    # No launch line: the app starts at the top with the given settings.
    assert find_launch(parse_tape("Space\n"), Settings(steps=7)).settings.steps == 7


@pytest.mark.parametrize("line, message", [
    ('lrtui --lr abc', "line 1: the launch line 'lrtui --lr abc': lrtui: error: argument --lr"),
    ('lrtui --x-min 2 --x-max 1', "line 1: x range"),
    ('lrtui run', "line 1: replay drives the app, not 'lrtui run'"),
])
def test_bad_launch_line_names_the_line(line, message):
    with pytest.raises(ReplayError, match="^" + message.replace("(", r"\(")):
        find_launch(parse_tape(f'Type "{line}" Enter\n'))


def test_pixel_size_maps_to_cells():
    assert terminal_size({"Width": 1200, "Height": 760, "FontSize": 14, "Padding": 20}) == (138, 42)
    assert terminal_size({}) == (81, 18)  # VHS defaults: 1200×600, font 22, padding 60
    assert terminal_size({"Width": 100, "Height": 100}) == (40, 12)  # never below 40×12
    assert parse_size("120x40") == (120, 40)
    with pytest.raises(ValueError, match="COLUMNSxROWS"):
        parse_size("120 by 40")


async def test_wait_that_never_matches_fails_with_its_line():
    tape = parse_tape('Type "lrtui --steps 5"\nEnter\nWait+Screen@60s /ready/\n'
                      'Wait+Line@0.3s /no such text/\n')
    with pytest.raises(ReplayError, match=r"line 4: /no such text/ not on the screen after 0.3 s"):
        await replay_tape(tape, size=(100, 30))


def test_cli_errors(capsys, tmp_path):
    assert main(["replay", str(tmp_path / "missing.tape")]) == 2
    assert "No such file" in capsys.readouterr().err
    bad = tmp_path / "bad.tape"
    bad.write_text("Type \"ok\"\nSleep forever\n")
    assert main(["replay", str(bad)]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err
    assert main(["replay", str(DEMO), "--size", "9x9"]) == 2
    assert "use 40x12 to 1000x500" in capsys.readouterr().err


def test_demo_tape_uses_what_a_vhs_demo_needs():
    tape = load_tape(DEMO)
    names = {c.name for c in tape}
    assert {"Output", "Require", "Set", "Env", "Hide", "Show", "Type", "Enter", "Space", "Sleep",
            "Wait", "Screenshot"} <= names
    assert {"Width", "Height", "FontSize", "Theme", "TypingSpeed"} <= set(tape.settings)
    env = [c for c in tape if c.name == "Env"]
    assert [(c.variable, c.text) for c in env] == [("COLORTERM", "truecolor")]
    # The launch happens while hidden, so the GIF opens on the app, not on a shell prompt.
    hide, show = [i for i, c in enumerate(tape.commands) if c.name in ("Hide", "Show")]
    assert hide < find_launch(tape).index <= show
