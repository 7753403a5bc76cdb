"""The method screen (key o): every parameter of the optimizer, the schedule and the batch.

The main pane has room for the optimizer, schedule and batch size only; their
parameters live here, in the same kind of checked fields. Enter applies a
field, as in the pane; a change restarts the run from the initial weights.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.app.shown import LeavesOnlyFromTheTop, is_shown
from lrtui.app.widgets.hyperparams import HyperParams
from lrtui.engine.method import OPTIMIZER_RULES, describe_optimizer, describe_schedule
from lrtui.settings.fields import OPTIMIZERS, SCHEDULES, Settings

GUIDE = (f"optimizer: {' '.join(OPTIMIZERS)}\n"
         f"schedule: {' '.join(SCHEDULES[:4])}\n"
         f"          {' '.join(SCHEDULES[4:])}\n"
         "batch: full, or the points each step sees\n"
         "The schedule multiplies the lr: + / - and a typed lr\n"
         "rescale it.  enter applies a field; escape closes.")


class MethodParams(HyperParams):
    """The hyperparameter pane's fields for how a step is taken; escape closes the screen."""

    BORDER_TITLE = "Optimizer, schedule, batch"
    FIELDS = (
        ("optimizer", "optimizer"),
        ("momentum", "momentum μ"),
        ("beta_1", "β1"),
        ("beta_2", "β2"),
        ("rho", "ρ"),
        ("epsilon", "ε"),
        ("schedule", "schedule"),
        ("decay_steps", "decay steps"),
        ("decay_rate", "decay rate"),
        ("staircase", "staircase"),
        ("boundaries", "boundaries"),
        ("warmup_steps", "warmup"),
        ("alpha", "alpha"),
        ("cycle_steps", "cycle steps"),
        ("cycle_ratio", "cycle ratio"),
        ("patience", "patience"),
        ("min_delta", "min delta"),
        ("batch_size", "batch"),
    )

    def action_leave(self) -> None:
        super().action_leave()
        self.screen.dismiss()


class MethodScreen(LeavesOnlyFromTheTop, ModalScreen[None]):
    # The first field has the keys at once: `o`, then `adam` and enter, applies Adam.
    AUTO_FOCUS = "#optimizer"
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("o", "dismiss", "close", show=False),
    ]

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(id="method"):
            yield Static(self._summary(self.settings), id="method-now")
            yield MethodParams(self.settings, id="method-params")
            yield Static(GUIDE, id="method-guide")

    @staticmethod
    def _summary(settings: Settings) -> str:
        return (f"[b]{describe_optimizer(settings)}[/]  {OPTIMIZER_RULES[settings.optimizer]}\n"
                f"[b]{describe_schedule(settings)}[/]")

    def show(self, settings: Settings) -> None:
        """The run's settings as they are now (called by the app on every frame)."""
        self.settings = settings  # compose shows these if the screen is not composed yet
        if not is_shown(self):
            return
        self.query_one(MethodParams).show(settings, None)
        self.query_one("#method-now", Static).update(self._summary(settings))
