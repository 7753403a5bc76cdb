"""The step log: the lesson's printout (step, loss, w, b, dw, db, lr) and the run's events.

A subclass prints other rows (a Keras training's) by giving its own
`header`, `subtitle` and `row_text`; the batching and the events stay as here.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import RichLog

from lrtui.engine.history import LogRow
from lrtui.engine.run import Event, fmt

HEADER = f"{'step':>8} {'loss':>10} {'w':>9} {'b':>9} {'dw':>9} {'db':>9} {'lr':>8}"
STYLES = {"info": "italic", "epoch": "italic", "warning": "bold yellow", "error": "bold red"}
# Events are written at once, except these, which wait for the next batch of rows
# (a fast Keras training ends an epoch every second or so).
UNHURRIED = ("epoch",)
# New rows are written in batches: every write scrolls, and a scroll repaints the
# whole pane, so batching keeps a slow link quiet. Events are written at once.
BATCH_SECONDS = 1.0
MAX_LINES = 5000
# A batch keeps only its newest lines: at max speed thousands of steps are
# logged a second, and writing them all would stall the UI for nothing.
MAX_BATCH = 100


class StepLog(RichLog):
    BORDER_TITLE = "Step log"
    header: str | None = HEADER
    subtitle = "step loss w b dw db lr"
    hint = "lrtui run prints every step"

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, auto_scroll=True, **kwargs)
        self._pending: list[Text] = []
        self._skipped = 0
        self._flush_timer: Timer | None = None

    def on_mount(self) -> None:
        self.border_subtitle = self.subtitle
        if self.header:
            self.write(Text(self.header, style="bold"))

    def row_text(self, row) -> Text:
        return Text(f"{row.step:>8} {fmt(row.loss):>10} {fmt(row.w):>9} {fmt(row.b):>9} "
                    f"{fmt(row.dw):>9} {fmt(row.db):>9} {fmt(row.lr):>8}")

    def add(self, rows: tuple[LogRow, ...] | tuple, events: tuple[Event, ...], skipped: int = 0) -> None:
        self._skipped += skipped
        # Rows and events interleave by step; at the same step the row comes first.
        items = [(r.step, 0, r) for r in rows] + [(e.step, 1, e) for e in events]
        for _, _, item in sorted(items, key=lambda t: (t[0], t[1])):
            self._pending.append(_event_text(item) if isinstance(item, Event) else self.row_text(item))
        if len(self._pending) > MAX_BATCH:
            self._skipped += len(self._pending) - MAX_BATCH
            del self._pending[:-MAX_BATCH]
        if any(e.kind not in UNHURRIED for e in events):
            self.flush()
        if self._pending and self._flush_timer is None:
            self._flush_timer = self.set_timer(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if self._skipped:
            self._pending.insert(0, Text(f"{'':>8} … {self._skipped:,} lines not shown "
                                         f"({self.hint})", style="dim"))
            self._skipped = 0
        if self._pending:
            # One Text of many lines: one scroll, one repaint.
            self.write(Text("\n").join(self._pending))
            self._pending.clear()


def _event_text(event: Event) -> Text:
    return Text(f"{event.step:>8} {event.text}", style=STYLES.get(event.kind, ""))
