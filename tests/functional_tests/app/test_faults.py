"""Faults the app must survive with a clear word to the user: real TensorFlow, real Textual.

A bad --data file, a theme file that cannot be used, --device gpu on a box
without one, and a terminal below the minimum size.
"""

from __future__ import annotations

from support import LOAD_TIMEOUT, log_text, ready_app, state_is, text_of, wait_for
from textual.widgets import Footer

from lrtui.app.app import MIN_HEIGHT, MIN_WIDTH, LrApp
from lrtui.app.textual_internals import notifications
from lrtui.app.widgets.hyperparams import HyperParams
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.too_small import TooSmall
from lrtui.engine.run import State
from lrtui.settings.fields import Settings


def notices(app: LrApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


async def test_bad_data_file_falls_back_to_generated_data(tmp_path):
    bad = tmp_path / "points.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    async with ready_app(Settings(data=str(bad))) as (app, pilot):
        snap = app.snapshot
        assert snap.settings.data is None
        assert snap.data_source.startswith("generated"), snap.data_source
        await wait_for(pilot, lambda: any("points.csv" in n and "generated data" in n
                                          for n in notices(app)),
                       what="a notice naming the bad file and the fallback")
        assert "row 3" in log_text(app) and "oops" in log_text(app), log_text(app)
        # The fallback run is a working run.
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == 1, what="s to make step 1")
    assert bad.read_text() == "x,y\n1,2\n3,oops\n", "the bad file was touched"


async def test_a_bad_theme_file_is_named_once_and_the_default_is_used(tmp_path):
    theme = tmp_path / "broken.toml"
    theme.write_text("name = 'broken'\nprimary = 'not-a-colour'\n")
    async with ready_app(Settings(theme=str(theme))) as (app, pilot):
        assert app.theme == "lesson"
        found = [n for n in notices(app) if "broken.toml" in n]
        assert len(found) == 1, notices(app)
        assert "not a colour" in found[0]


async def test_gpu_asked_without_a_gpu_runs_on_the_cpu_and_says_so():
    from lrtui.engine.startup import import_tensorflow

    if import_tensorflow().config.list_physical_devices("GPU"):
        import pytest
        pytest.skip("this machine has a GPU: the fallback cannot happen")
    async with ready_app(Settings(device="gpu")) as (app, pilot):
        assert app.snapshot.device == "CPU:0"
        status = text_of(app.query_one(StatusLine))
        assert "device CPU:0 (no GPU found)" in status, status
        assert "no GPU found: running on the CPU" in log_text(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == 1, what="s to make step 1 on the CPU")


async def test_a_too_small_terminal_shows_a_message_instead_of_the_panes():
    app = LrApp(Settings())
    async with app.run_test(size=(40, 12)) as pilot:
        await wait_for(pilot, lambda: state_is(app, State.READY), LOAD_TIMEOUT, "READY")
        message = app.query_one(TooSmall)
        for size, small in (((40, 12), True), ((MIN_WIDTH - 1, 40), True),
                            ((120, MIN_HEIGHT - 1), True), ((MIN_WIDTH, MIN_HEIGHT), False),
                            ((120, 40), False), ((30, 30), True)):
            await pilot.resize_terminal(*size)
            await wait_for(pilot, lambda: app.size == size, what=f"the resize to {size}")
            await pilot.pause()
            assert message.display == small, f"{size}: message shown = {message.display}"
            for pane in (app.query_one("#panes"), app.query_one(StatusLine),
                         app.query_one(Footer)):
                assert pane.display != small, f"{size}: {pane!r} shown = {pane.display}"
            area = app.query_one(HyperParams).region.area
            assert (area == 0) == small, f"{size}: the hyperparameter pane covers {area} cells"
            if small:
                assert f"{MIN_WIDTH}×{MIN_HEIGHT}" in text_of(message)
        # The keys kept working the whole time.
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == 1, what="s to make step 1")
