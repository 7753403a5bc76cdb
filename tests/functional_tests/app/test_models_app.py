"""The app with models beyond the line: their panes, the live lr_max, switching, bad pairs.

Real TensorFlow and real Textual through the Pilot; waits poll the app's
state with a bound (tests/support.py).
"""

from __future__ import annotations

import numpy as np
from support import ready_app, wait_for

from lrtui.app.widgets.fit_plot import FitPlot
from lrtui.app.widgets.model_fit_plot import ModelFitPlot
from lrtui.app.widgets.sharpness_plot import SharpnessPlot
from lrtui.app.widgets.status_line import StatusLine
from lrtui.app.widgets.step_log import StepLog
from lrtui.engine.run import State
from lrtui.settings.fields import Settings
from lrtui.settings.presets import preset_values


def status_text(app) -> str:
    return str(app.query_one(StatusLine).render())


async def test_an_mlp_shows_its_curve_the_sharpness_and_lr_max_now():
    settings = Settings(**preset_values("edge-of-stability")).with_(steps=300, speed="max")
    async with ready_app(settings) as (app, pilot):
        assert not app.query_one(FitPlot).display and app.query_one(ModelFitPlot).display
        assert app.query_one(SharpnessPlot).has_class("-shown")
        await pilot.press("space")  # at max speed a short run may end before a poll sees it run
        await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED, 120, "300 steps")
        await wait_for(pilot, lambda: "2/sharpness" in status_text(app), 10, "lr_max now")
        snap = app.snapshot
        assert snap.sharpness is not None and snap.lr_max_now == 2 / snap.sharpness
        assert snap.fit.curve_x is not None and len(snap.fit.curve_y) == len(snap.fit.curve_x)
        plot = app.query_one(ModelFitPlot)
        assert plot._view is not None and "mlp 1-16-1 tanh" in plot._title
        log = app.query_one(StepLog)
        assert [name for name, _, _ in log._columns][:3] == ["step", "loss", "lr"]
        assert {"|grad|", "sharpness"} <= {name for name, _, _ in log._columns}


async def test_two_classes_get_a_decision_boundary():
    settings = Settings(model="logistic", dataset="moons", learning_rate=1.0, steps=200,
                        speed="max")
    async with ready_app(settings) as (app, pilot):
        await pilot.press("space")
        await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED, 120, "200 steps")
        fit = app.snapshot.fit
        assert fit.probability.shape == (len(fit.grid_x2), len(fit.grid_x1))
        assert len(fit.boundary) > 10
        # Every boundary point lies where the probability is one half: w1·x1 + w2·x2 + b = 0.
        params = app.controller.run.parameters()
        logit = params["w1"] * fit.boundary[:, 0] + params["w2"] * fit.boundary[:, 1] + params["b"]
        assert np.abs(logit).max() < 0.2 * (abs(params["w1"]) + abs(params["w2"]))


async def test_poly_says_both_condition_numbers():
    settings = Settings(model="poly", x_max=3.0, learning_rate=0.001, steps=50)
    async with ready_app(settings) as (app, pilot):
        await wait_for(pilot, lambda: "46.4" in str(app.query_one("#bounds").render()), 20,
                       "κ standardized in the pane")
        bounds = str(app.query_one("#bounds").render())
        assert "3.535e+04" in bounds and "0.195" in bounds  # κ raw, lr_max standardized


async def test_switching_models_from_the_palette_commands_and_refusing_a_bad_pair():
    async with ready_app(Settings(steps=20)) as (app, pilot):
        app.use_model("logistic")  # the line's data has one input: moons is taken instead
        await wait_for(pilot, lambda: app.snapshot.model.name == "logistic", 60, "logistic")
        assert app.snapshot.settings.dataset == "moons" and app.snapshot.state == State.READY
        app.use_dataset("sine")  # logistic cannot take it: the mlp can
        await wait_for(pilot, lambda: app.snapshot.model.name == "mlp", 60, "mlp on sine")
        assert app.snapshot.settings.dataset == "sine" and not app.snapshot.model.classifies
        before = app.snapshot.settings
        app.apply_settings(before.with_(model="poly", dataset="xor"))
        await wait_for(pilot, lambda: any("model poly needs data with one input" in str(n.message)
                                          for n in app._notifications), 30, "the refusal")
        # A barrier: one step goes through the queue a wrong change would have taken.
        step = app.snapshot.step
        await pilot.press("s")
        await wait_for(pilot, lambda: app.snapshot.step == step + 1, 30, "one step after it")
        assert app.snapshot.settings == before and app.snapshot.model.name == "mlp"


async def test_compare_mode_and_the_landscape_with_an_mlp_on_two_classes():
    from lrtui.app.screens.compare_screen import CompareScreen
    from lrtui.app.screens.landscape_screen import LandscapeScreen
    from lrtui.app.widgets.landscape_plot import LandscapePlot

    settings = Settings(model="mlp", dataset="moons", hidden=8, steps=100, speed="max")
    async with ready_app(settings) as (app, pilot):
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LandscapeScreen), 30, "g")
        # Not the (w, b) surface: the plane through θ along the top two Hessian eigenvectors.
        await wait_for(pilot, lambda: app.screen.query_one(LandscapePlot).plane is not None, 60,
                       "the plane through the network's θ")
        assert app.screen.query_one(LandscapePlot).plane.parameters == 4 * 8 + 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LandscapeScreen), 30, "escape")
        await pilot.press("c")

        def lanes():
            screen = app.screen
            snap = screen.snapshot if isinstance(screen, CompareScreen) else None
            return snap.lanes if snap is not None else ()

        await wait_for(pilot, lambda: len(lanes()) == 3, 60, "c to open compare mode")
        # Compare mode cuts no slices: its small landscape pane says it has the line's only.
        await wait_for(pilot, lambda: "no (w, b) surface for mlp" in
                       "".join(app.screen.query_one(LandscapePlot)._lines), 30,
                       "the compare pane's words")
        await pilot.press("space")
        await wait_for(pilot, lambda: all(lane.status in ("finished", "diverged") for lane in lanes()),
                       120, "every run to its end")
        assert all(np.array(lane.params["W1"]).shape == (2, 8) for lane in lanes())
        assert any(lane.status == "finished" for lane in lanes())


async def test_compare_mode_draws_every_runs_curve_and_boundary():
    """Compare mode's fit pane for models: each run's curve (sine) or p = 0.5 boundary (moons),
    worked out from the run's own weights, drawn in the run's colour."""
    from lrtui.app.screens.compare_screen import CompareScreen
    from lrtui.app.widgets.compare_plots import CompareModelFitPlot
    from lrtui.engine.fit_view import fit_view

    for dataset in ("sine", "moons"):
        settings = Settings(model="mlp", dataset=dataset, hidden=8, steps=200, speed="max")
        async with ready_app(settings) as (app, pilot):
            await pilot.press("c")

            def lanes():
                screen = app.screen
                snap = screen.snapshot if isinstance(screen, CompareScreen) else None
                return snap.lanes if snap is not None else ()

            await wait_for(pilot, lambda: len(lanes()) == 3, 60, "c to open compare mode")
            await pilot.press("space")
            await wait_for(pilot, lambda: all(lane.status in ("finished", "diverged")
                                              for lane in lanes()), 120, "every run to its end")
            pane = app.screen.query_one("#compare-fit")
            assert isinstance(pane, CompareModelFitPlot)
            controller = app.screen.controller
            trainer = controller.compare.trainer
            for lane in lanes():
                if lane.status != "finished":
                    continue
                # The lane's view is its own weights' output, not another run's.
                alone = fit_view(lambda points, k=lane.index: trainer.predict(points)[k],
                                 controller.compare.dataset.x)
                if dataset == "sine":
                    np.testing.assert_allclose(lane.fit.curve_y, alone.curve_y, rtol=1e-5)
                else:
                    assert len(lane.fit.boundary) > 0
                    np.testing.assert_allclose(lane.fit.probability, alone.probability, rtol=1e-5)
            assert "each run's" in pane.border_title + str(pane.render())
            # No known minimum: no "1% at" to show, and the table says why.
            from textual.widgets import DataTable
            table = app.screen.query_one(DataTable)
            assert "only where the minimum is known" in str(table.border_subtitle)
            assert all(str(table.get_row_at(k)[6]) == "-" for k in range(table.row_count))


async def test_with_adam_the_live_lr_max_says_it_is_plain_gds_bound():
    """2/sharpness bounds plain GD; Adam rescales each step, so no ratio of its lr to it."""
    settings = Settings(model="mlp", dataset="sine", hidden=8, optimizer="adam",
                        learning_rate=0.01, steps=50, speed="max")
    async with ready_app(settings) as (app, pilot):
        await pilot.press("space")
        await wait_for(pilot, lambda: app.snapshot.state == State.FINISHED, 120, "50 steps")
        await wait_for(pilot, lambda: "2/sharpness =" in status_text(app), 10, "lr_max now")
        assert "plain-GD bound" in status_text(app) and "×" not in status_text(app).split("=")[-1]
        assert "plain-GD bound" in str(app.query_one("#bounds").render())


async def test_the_model_and_the_data_set_are_fields_of_the_pane():
    """Typed like the lesson's knobs; a pair that does not fit gives way as in the palette;
    a name that is no model is refused beside the field and changes nothing."""
    from support import type_text
    from textual.widgets import Input, Static

    async def submit(field_id: str, text: str) -> None:
        field = app.query_one(f"#{field_id}", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("backspace")  # deletes the text selected on focus
        await type_text(pilot, text)
        await pilot.press("enter")

    async with ready_app(Settings(steps=20)) as (app, pilot):
        await submit("model", "mlp")
        await wait_for(pilot, lambda: app.snapshot.model.name == "mlp", 60, "the mlp")
        assert app.snapshot.settings.dataset == "line"  # a network takes one input too
        await submit("dataset", "moons")
        await wait_for(pilot, lambda: app.snapshot.settings.dataset == "moons"
                       and app.snapshot.model.classifies, 60, "moons, two classes")
        await submit("model", "poly")  # one input only: the data gives way
        await wait_for(pilot, lambda: app.snapshot.model.name.startswith("poly"), 60, "poly")
        assert app.snapshot.settings.dataset == "line"
        assert app.query_one("#model", Input).value == "poly"
        before = app.snapshot.settings
        await submit("model", "cnn")
        note = app.query_one("#model-note", Static)
        await wait_for(pilot, lambda: note.region.height > 0, 10, "the refusal under the field")
        assert "cnn" in str(note.render())
        # A barrier: one step goes through the queue a wrong change would have taken.
        step = app.snapshot.step
        await pilot.press("escape", "s")
        await wait_for(pilot, lambda: app.snapshot.step == step + 1, 30, "one step after it")
        assert app.snapshot.settings == before
