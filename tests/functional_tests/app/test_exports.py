"""Exports in the app: the loss cursor (keys and mouse), the palette entries, the f8 SVG.

Real TensorFlow and Textual; bounded polls only.
"""

from __future__ import annotations

from support import LOAD_TIMEOUT, wait_for

from lrtui.app.app import LrApp
from lrtui.app.widgets.loss_plot import LossPlot
from lrtui.engine.run import State
from lrtui.replay.player import screen_text
from lrtui.settings.fields import Settings


async def finished_app(pilot, app) -> None:
    await wait_for(pilot, lambda: app.snapshot and app.snapshot.state == State.READY,
                   LOAD_TIMEOUT, "the run to load")
    await pilot.press("space")
    await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED, what="the budget")


async def test_loss_cursor_reads_the_exact_step_and_loss():
    app = LrApp(Settings(steps=100, speed="max"))
    async with app.run_test(size=(140, 44)) as pilot:
        await finished_app(pilot, app)
        plot = app.query_one(LossPlot)
        curve = app.snapshot.curve
        assert curve.span == 1 and len(curve.step) == 100
        assert plot.cursor.reading(plot._curve) is None
        await pilot.press("right_square_bracket")  # shows it, at the last step
        assert plot.cursor.step == 99
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert plot.cursor.step == 96
        reading = f"step 96: loss {float(curve.last[96]):.4g}"
        assert plot.cursor.reading(plot._curve) == reading
        await pilot.pause()
        assert reading in screen_text(app)
        await pilot.press("left_curly_bracket")  # a tenth of the run back
        assert plot.cursor.step == 87
        for _ in range(12):
            await pilot.press("left_curly_bracket")
        assert plot.cursor.step == 0  # stops at the first step
        assert plot.cursor.reading(plot._curve) == f"step 0: loss {float(curve.last[0]):.4g}"

        # The mouse: the pointer's column in the plot area picks the step.
        left, right = plot.cursor.frame
        inset = plot.content_region.x - plot.region.x  # the pane's border
        middle = plot.content_region.height // 2
        await pilot.hover(LossPlot, offset=(right + inset, middle))
        assert plot.cursor.step == 99
        await pilot.hover(LossPlot, offset=(left + inset, middle))
        assert plot.cursor.step == 0

        # A reset empties the curve: the cursor goes with it.
        await pilot.press("r")
        await wait_for(pilot, lambda: app.snapshot.state == State.READY and app.snapshot.step == 0,
                       what="the reset")
        await pilot.pause()
        assert plot.cursor.step is None


async def test_palette_offers_the_exports_and_f8_writes_an_svg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LrApp(Settings(steps=20, speed="max"))
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("lrtui: SVG screenshot", "lrtui: save run", "lrtui: steps to CSV",
                       "lrtui: loss cursor →"):
            assert wanted in titles, titles
        await finished_app(pilot, app)
        await pilot.press("f8")
        await wait_for(pilot, lambda: any(tmp_path.glob("*.svg")), what="the SVG")
        assert "finished" in next(tmp_path.glob("*.svg")).read_text().replace("&#160;", " ")
        # On a modal screen too: the picture is of the map, not of the screen under it.
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MapScreen"
                       and app.screen.progress is not None and app.screen.progress.finished,
                       what="the map")
        await pilot.press("f8")
        await wait_for(pilot, lambda: len(list(tmp_path.glob("*.svg"))) == 2, what="a second SVG")
        newest = max(tmp_path.glob("*.svg"), key=lambda path: path.stat().st_mtime_ns)
        assert "lr × steps" in newest.read_text().replace("&#160;", " ")


async def test_a_run_that_reaches_the_least_squares_loss_still_draws():
    """The reference line at the least-squares loss (below 1, on a log axis) once crashed plotext."""
    app = LrApp(Settings(steps=3000, learning_rate=0.5, speed="max"))
    async with app.run_test(size=(140, 44)) as pilot:
        await finished_app(pilot, app)
        plot = app.query_one(LossPlot)
        curve = app.snapshot.curve
        assert float(curve.low.min()) <= app.snapshot.theory.ols_loss <= float(curve.high.max())
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert plot.cursor.reading(plot._curve).startswith("steps 2,998-2,999: loss ")
        assert plot.cursor.reading(plot._curve) in screen_text(app)
