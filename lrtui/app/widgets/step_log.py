"""The step log: the lesson's printout (step, loss, w, b, dw, db, lr) and the run's events."""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import RichLog

from lrtui.app.shown import is_shown
from lrtui.engine.history import LogRow
from lrtui.engine.run import Event, fmt

HEADER = f"{'step':>8} {'loss':>10} {'w':>9} {'b':>9} {'dw':>9} {'db':>9} {'lr':>8}"
STYLES = {"info": "italic", "warning": "bold yellow", "error": "bold red"}
# New rows are written in batches: every write scrolls, and a scroll repaints the
# whole pane, so batching keeps a slow link quiet. Events are written at once.
BATCH_SECONDS = 1.0
MAX_LINES = 5000
# A batch keeps only its newest lines: at max speed thousands of steps are
# logged a second, and writing them all would stall the UI for nothing.
MAX_BATCH = 100


class StepLog(RichLog):
    BORDER_TITLE = "Step log"

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, auto_scroll=True, **kwargs)
        self._pending: list[Text] = []
        self._skipped = 0
        self._flush_timer: Timer | None = None

    def on_mount(self) -> None:
        self.border_subtitle = "step loss w b dw db lr"
        self.write(Text(HEADER, style="bold"))

    def add(self, rows: tuple[LogRow, ...], events: tuple[Event, ...], skipped: int = 0) -> None:
        self._skipped += skipped
        # Rows and events interleave by step; at the same step the row comes first.
        items = [(r.step, 0, r) for r in rows] + [(e.step, 1, e) for e in events]
        for _, _, item in sorted(items, key=lambda t: (t[0], t[1])):
            self._pending.append(_line(item))
        if len(self._pending) > MAX_BATCH:
            self._skipped += len(self._pending) - MAX_BATCH
            del self._pending[:-MAX_BATCH]
        if events:
            self.flush()
        elif self._pending and self._flush_timer is None:
            self._flush_timer = self.set_timer(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not is_shown(self):  # a timer that fires while the app shuts down
            return
        if self._skipped:
            self._pending.insert(0, Text(f"{'':>8} … {self._skipped:,} lines not shown "
                                         "(lrtui run prints every step)", style="dim"))
            self._skipped = 0
        if self._pending:
            # One Text of many lines: one scroll, one repaint.
            self.write(Text("\n").join(self._pending))
            self._pending.clear()


def _line(item: LogRow | Event) -> Text:
    if isinstance(item, LogRow):
        return Text(f"{item.step:>8} {fmt(item.loss):>10} {fmt(item.w):>9} {fmt(item.b):>9} "
                    f"{fmt(item.dw):>9} {fmt(item.db):>9} {fmt(item.lr):>8}")
    return Text(f"{item.step:>8} {item.text}", style=STYLES.get(item.kind, ""))
