"""What a learner reads on screen, at 120×40 and 80×24: the app's side of issue 12.

Each test drives the real app (real TensorFlow, real Textual) from a still frame
(tests/still_frames.py: fixed data, a run advanced and paused) and reads what the
panes drew.
"""

from __future__ import annotations

import re

import pytest
from still_frames import SIZES, loaded, ready, still_app, until
from support import settled_at
from textual.widgets import DataTable

from lrtui.app.screens.compare_screen import CompareScreen
from lrtui.app.screens.lr_find_screen import RangePlot
from lrtui.app.widgets.compare_plots import CompareFitPlot, CompareLossPlot
from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.hyperparams import HyperParams
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.step_log import StepLog
from lrtui.engine.run import State, fmt

BRAILLE = re.compile("[\u2801-\u28ff]")


def text_of(widget) -> list[str]:
    return str(widget.render()).splitlines()


def tick_row(lines: list[str]) -> list[str]:
    """The x tick labels: the last line of a plot that holds numbers."""
    for line in reversed(lines):
        words = line.split()
        if words and all(re.fullmatch(r"-?[\d.e+-]+", w) for w in words):
            return words
    return []


@pytest.mark.parametrize("size", SIZES)
async def test_after_a_divergence_the_fit_title_keeps_w_and_b(size):
    app = still_app("main-diverged", "lesson")
    async with app.run_test(size=SIZES[size]) as pilot:
        await ready("main-diverged")(pilot)
        title = text_of(app.query_one(FitPlot))[0].strip()
        w, b = app.snapshot.w, app.snapshot.b
        assert "↑" in title or "↓" in title, title
        mantissa = lambda v: re.escape(f"{v:.1e}"[0])  # noqa: E731
        assert re.search(rf"w={mantissa(w)}(\.\d+)?e\+05", title), title
        assert re.search(rf"b={mantissa(b)}(\.\d+)?e\+06", title), title


@pytest.mark.parametrize("size", SIZES)
async def test_the_loss_title_is_the_status_lines_loss_and_the_ols_line_is_labelled(size):
    app = still_app("main", "lesson")
    async with app.run_test(size=SIZES[size]) as pilot:
        await ready("main")(pilot)
        loss = fmt(app.snapshot.loss)
        lines = text_of(app.query_one(LossPlot))
        assert f"loss {loss}" in lines[0], (lines[0], loss)
        assert f"loss {loss}" in str(app.query_one(StatusLine).render())
        plot = app.query_one(LossPlot)
        assert f"OLS min {fmt(app.snapshot.theory.ols_loss)}" in str(plot.border_subtitle)
        # The minimum is never drawn above the curve: the OLS line's row (the last row with
        # dots across the whole canvas) is at or below every row the curve reaches.
        dotted = [i for i, line in enumerate(lines) if BRAILLE.search(line)]
        widest = max(dotted, key=lambda i: len(BRAILLE.findall(lines[i])))
        assert widest == max(dotted), "the OLS line lies below (or on) the curve's last row"
        assert all("." not in tick for tick in tick_row(lines)), tick_row(lines)


@pytest.mark.parametrize("size", SIZES)
async def test_step_log_keeps_lr_and_its_columns_after_a_divergence(size):
    app = still_app("main-diverged", "lesson")
    async with app.run_test(size=SIZES[size]) as pilot:
        await ready("main-diverged")(pilot)
        log = app.query_one(StepLog)
        lines = [strip.text.rstrip() for strip in log.lines]
        header, rows = lines[0], [line for line in lines if re.match(r"\s+\d+\s+\S+\s+\S", line)
                                  and line.rstrip().endswith("0.9")]
        assert header.split()[-1] == "lr" and "loss" in header
        assert len(rows) >= 4
        assert len({len(row) for row in rows}) == 1, "every row ends in the same column"
        assert all(len(row) <= log.size.width for row in rows)
        assert all(len(row) == len(header) for row in rows)


@pytest.mark.parametrize("size", SIZES)
async def test_the_fit_legend_is_in_the_border_not_on_the_line(size):
    app = still_app("main", "lesson")
    async with app.run_test(size=SIZES[size]) as pilot:
        await ready("main")(pilot)
        fit = app.query_one(FitPlot)
        assert not any("data" in line for line in text_of(fit))
        assert "data" in str(fit.border_subtitle) and "fit" in str(fit.border_subtitle)


@pytest.mark.parametrize("pane", ["#fit", "#loss", "#steplog", "#hyperparams"])
async def test_the_paper_theme_shows_borders_and_subtitles(pane):
    app = still_app("main", "paper")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await ready("main")(pilot)
        widget = app.query_one(pane)
        base, _ = widget.background_colors
        parent_bg = widget.parent.background_colors[1]
        border = widget.styles.border_top[1]
        shown = parent_bg.blend(border.with_alpha(1.0), border.a)
        subtitle = widget.styles.border_subtitle_color
        subtitle = parent_bg.blend(subtitle.with_alpha(1.0), subtitle.a)
        for colour in (shown, subtitle):
            assert abs(colour.brightness - parent_bg.brightness) > 0.2, (pane, colour, parent_bg)


async def test_compare_mode_reads_right_before_any_step_and_fits_at_both_sizes():
    app = still_app("compare", "lesson")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await loaded(pilot, "compare")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen)
                    and app.screen.snapshot is not None
                    and app.screen.snapshot.state == State.READY, "compare mode")
        table = app.screen.query_one(DataTable)
        statuses = lambda: [str(table.get_row_at(r)[3]) for r in range(table.row_count)]  # noqa: E731
        await until(pilot, lambda: table.row_count == 3, "the summary's three rows")
        assert statuses() == ["ready"] * 3, statuses()
        for _ in range(6):
            await pilot.press("S")
        await until(pilot, lambda: min(lane.step for lane in app.screen.snapshot.lanes) >= 43,
                    "the runs to step")
        for size in SIZES.values():
            await pilot.resize_terminal(*size)
            await settled_at(pilot, size)
            for plot in (app.screen.query_one(CompareLossPlot), app.screen.query_one(CompareFitPlot)):
                plot.render()
                plain = re.sub(r"\[/?[^\]]*\]", "", str(plot.border_subtitle))
                assert len(plain) <= plot.size.width - 4, (size, plain)
                assert "✗" in plain and "3" in plain, plain
            table = app.screen.query_one(DataTable)
            assert table.size.width >= sum(c.get_render_width(table) for c in table.columns.values()), \
                f"the summary's columns are cut at {size}"
            ticks = tick_row(text_of(app.screen.query_one(CompareLossPlot)))
            assert ticks and all("." not in t for t in ticks), ticks


async def test_the_pane_says_what_lr_opt_optimises_and_how_soon_this_lr_gets_there():
    app = still_app("main", "lesson")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await ready("main")(pilot)
        text = str(app.query_one(HyperParams).query_one("#bounds").render())
        assert "fastest worst-case rate" in text and "1% of the min in 210 steps" in text, text


async def test_no_stop_key_trains_through_to_the_end_and_the_panes_mark_the_overflow():
    app = still_app("main", "lesson")
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await ready("main")(pilot)
        await pilot.press("x")
        await until(pilot, lambda: app.snapshot.settings.no_stop, "x to turn no-stop on")
        assert "no-stop" in str(app.query_one(StatusLine).render())
        await pilot.press("r")
        app.query_one("#learning_rate").value = "0.9"
        await pilot.click("#learning_rate")
        await pilot.press("enter")
        await until(pilot, lambda: app.snapshot.learning_rate == 0.9, "lr 0.9")
        await pilot.press("space")
        await until(pilot, lambda: app.snapshot.state == State.FINISHED, "the whole budget", 60)
        snap = app.snapshot
        assert snap.step == 200 and snap.non_finite_at == 129
        await until(pilot, lambda: "from step 129" in text_of(app.query_one(LossPlot))[0],
                    "the loss plot to mark the overflow")
        loss_lines = text_of(app.query_one(LossPlot))
        assert "▲" in "".join(loss_lines) and "from step 129" in loss_lines[0], loss_lines[0]
        fit_title = text_of(app.query_one(FitPlot))[0]
        assert "w=-8e+27" in fit_title or "w=-7.97e+27" in fit_title, fit_title
        app.query_one(StepLog).flush()
        assert "inf" in "\n".join(strip.text for strip in app.query_one(StepLog).lines)


@pytest.mark.parametrize("size", SIZES)
async def test_the_range_test_frames_the_useful_part_and_labels_both_bounds(size):
    app = still_app("range", "lesson")
    async with app.run_test(size=SIZES[size]) as pilot:
        await ready("range")(pilot)
        plot = app.screen.query_one(RangePlot)
        lines = text_of(plot)
        drawn = "\n".join(lines)
        for label in ("lr_opt", "lr_max", "valley window", "blow-up to"):
            assert label in drawn, label
        top = float(next(line.split("┤")[0] for line in lines if "┤" in line).strip())
        assert top < 10, "the y axis stops at the useful part, not at the blow-up (~250)"
        said = str(app.screen.query_one("#lrfind-text").render())
        assert "the middle of the sweep" in said


async def test_a_mini_batch_run_says_its_curve_is_the_batch_loss_and_logs_both_losses():
    from still_frames import advanced

    from lrtui.app.app import LrApp
    from lrtui.settings.fields import Settings

    app = LrApp(Settings(batch_size=10), load_engine=advanced(60))
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await until(pilot, lambda: app.snapshot is not None and app.snapshot.step == 60, "60 steps",
                    180)
        await until(pilot, lambda: "batch loss; all points" in text_of(app.query_one(LossPlot))[0],
                    "the loss plot's title for a mini-batch run")
        title = text_of(app.query_one(LossPlot))[0]
        assert f"batch loss; all points {fmt(app.snapshot.loss)}" in title, title
        log = app.query_one(StepLog)
        log.flush()
        header = log.lines[0].text.split()
        assert header[:3] == ["step", "loss", "batch"] and header[-1] == "lr", header


def test_singular_data_offers_no_lr_opt_in_the_pane():
    import numpy as np

    from lrtui.app.widgets.hyperparams import bounds_text
    from lrtui.engine.theory import theory_of
    from lrtui.settings.fields import Settings

    theory = theory_of(np.full(10, 2.0), np.arange(10.0))
    text = bounds_text(Settings(learning_rate=0.05), theory, None)
    assert "lr_opt [b]none[/]" in text and "the minimum is a whole line" in text
