"""The help screen: every key of an app, a line each, and what to know beside them.

One screen serves both apps: `HelpScreen()` is the simulator's help (its keys
and what the lesson says each one shows), `HelpScreen(WATCH_HELP)` the
`lrtui watch` viewer's (lrtui.app.watch_app). A `Help` is the table and the
prose under it; the screen writes them out as Markdown and adds how to close.

The text can be longer than the terminal: it scrolls with the arrows,
PageUp/PageDown and Home/End (the scroll area has the keys from the start),
and its bottom edge says "more below" while there is more.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from lrtui.app.shown import LeavesOnlyFromTheTop, is_live


@dataclass(frozen=True)
class Help:
    """What one app's `?` shows: a title, its keys (Markdown cells: the keys, what they do),
    and notes under the table."""

    title: str
    keys: tuple[tuple[str, str], ...]
    notes: str = ""

    def markdown(self) -> str:
        rows = "\n".join(f"| {keys} | {what} |" for keys, what in self.keys)
        notes = f"{self.notes.strip()}\n\n" if self.notes.strip() else ""
        return (f"# {self.title}\n\n| key | what it does |\n|---|---|\n{rows}\n\n{notes}"
                f"Press `escape`, `?` or `q` to close.\n")


LESSON_HELP = Help(
    "lrtui keys",
    (
        ("`space`", "run / pause (after the budget: run another budget)"),
        ("`s` / `S`", "one step / ten steps (pauses first)"),
        ("`+` / `-`", "learning rate ×2 / ÷2, mid-run, logged"),
        ("`l`", "type an exact learning rate (enter applies)"),
        ("`r`", "reset to the same initial weights and data"),
        ("`n`", "new data (the next seed)"),
        ("`y`", "loss axis: log / linear"),
        ("`g`", "the loss landscape with the run's path; other models: a plane through θ along "
                "the Hessian's top two eigenvectors (`g` or `escape` back)"),
        ("`c`", "compare mode: lr ÷100, as is, ×9 side by side (`1`-`6` select a run, `0` all, `o` optimizer)"),
        ("`m`",
         "the lr × steps map: every lr at every step, the cliff at lr_max (arrows: cursor, `enter`: "
         "use that lr)"),
        ("`b`",
         "the blackboard: the loss as a parabola along b, w or an eigen-direction (other models: "
         "an eigen-direction or one parameter), the steps as jumps (`d` turns)"),
        ("`[` `]` / `{` `}`", "loss cursor: a step / a tenth of the run (or point with the mouse)"),
        ("`e` / `E`", "save the run (`lrtui --load` reopens it) / the steps as CSV"),
        ("`f8`", "SVG screenshot"),
        ("`f`", "LR range test: loss against lr, suggestions; `1`-`4` apply one"),
        ("`o`", "optimizer, schedule and batch size, with all their parameters"),
        ("`v`", "show / hide the lr curve (the lr each step used) beside the loss"),
        ("`x`",
         "no-stop on / off: train through divergence for the whole budget, as the lesson's loop does"
         " (inf, then NaN)"),
        ("`tab`", "move between fields"),
        ("`ctrl+p`", "command palette: every action, and the themes"),
        ("`?`", "this help"),
        ("`q`", "quit"),
    ),
    """\
**What to try.** Start at lr 0.001: after 200 steps the line has barely
moved. At 0.1 it fits. Press `+` until lr passes **lr_max** (shown beside
the lr field and in the status line): the loss grows and the run stops,
*diverged*. Press `-` to get back under lr_max and `space` to recover. Or
press `x` first (no-stop) and watch lr 0.9 run its whole budget as the
lesson's loop does: the float32 loss overflows to inf, lr 10 ends in NaN.

**The numbers.** lr_max = 2/λmax, where λmax is the largest eigenvalue of
the loss's Hessian. Between 1/λmax and lr_max the steep component of the
weights zig-zags across the valley (`g` shows it), yet the loss still falls
at every step. lr_opt = 2/(λmax + λmin) gives the fastest *worst-case
asymptotic* rate; from your start another lr may get there sooner: the pane
shows, for the current lr, the steps to within 1% of the minimum. When every
x is the same there is no lr_opt: the minimum is a whole line of (w, b).

**Optimizers and schedules.** `o` opens every parameter; the pane has
optimizer, schedule and batch. Switching any of them restarts from the same
initial weights and data. A schedule *multiplies* the lr: `+`, `-` and a
typed lr rescale the whole schedule from the next step. For optimizers other
than plain GD, lr_max is only the plain-GD bound.

**The range test.** `f` raises the lr from 1e-7 to 10 over 100 steps on a
copy of the model (the run is untouched) and marks fastai's suggestions
beside lr_max and lr_opt: compare them.

**The map.** `m` runs 128 lrs from lr_max/1000 to 3·lr_max from the run's
start for its step budget, all at once: dark is the starting loss, bright the
OLS loss, red diverged. The dots are plain GD's predicted steps to get within
1% of the OLS loss, from the eigenvalues.
""",
)


MORE_BELOW = "more below: ↓ PgDn End"
AT_THE_END = "↑ PgUp Home"


class HelpScreen(LeavesOnlyFromTheTop, ModalScreen[None]):
    AUTO_FOCUS = "#help"  # the arrows, PageUp/PageDown and Home/End scroll it at once
    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("question_mark", "dismiss", "close"),
        Binding("q", "dismiss", "close"),
    ]

    def __init__(self, help: Help = LESSON_HELP, **kwargs):
        super().__init__(**kwargs)
        self.help = help

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(self.help.markdown())

    def on_mount(self) -> None:
        if not is_live(self):
            return
        scroll = self.query_one("#help", VerticalScroll)
        self.watch(scroll, "scroll_y", self._say_what_is_below)
        self.watch(scroll, "virtual_size", self._say_what_is_below)

    def _say_what_is_below(self) -> None:
        if not is_live(self):
            return
        scroll = self.query_one("#help", VerticalScroll)
        if scroll.max_scroll_y <= 0:
            scroll.border_subtitle = ""  # it all fits
        elif scroll.scroll_y < scroll.max_scroll_y:
            scroll.border_subtitle = MORE_BELOW
        else:
            scroll.border_subtitle = AT_THE_END
