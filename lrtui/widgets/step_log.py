"""The step log: the lesson's printout (step, loss, w, b, dw, db, lr) and the run's events."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from lrtui.engine.history import LogRow
from lrtui.engine.run import Event, fmt

HEADER = f"{'step':>8} {'loss':>10} {'w':>9} {'b':>9} {'dw':>9} {'db':>9} {'lr':>8}"
MAX_ROWS_PER_FRAME = 60
STYLES = {"info": "italic", "warning": "bold yellow", "error": "bold red"}


class StepLog(RichLog):
    BORDER_TITLE = "Step log"

    def __init__(self, **kwargs):
        super().__init__(max_lines=5000, wrap=False, markup=False, auto_scroll=True, **kwargs)

    def on_mount(self) -> None:
        self.border_subtitle = HEADER.split()[0] + " loss w b dw db lr"
        self.write(Text(HEADER, style="bold"))

    def add(self, rows: tuple[LogRow, ...], events: tuple[Event, ...]) -> None:
        # At full speed a frame can bring thousands of rows (100,000 steps/s, log
        # every 20): writing them all froze the UI. Older ones would scroll past
        # unseen within the frame anyway, so the newest are kept and the gap said.
        skipped = len(rows) - MAX_ROWS_PER_FRAME
        if skipped > 0:
            self.write(Text(f"{'…':>8} {skipped:,} rows not shown (raise log every to see them)",
                            style="dim"))
            rows = rows[-MAX_ROWS_PER_FRAME:]
        # Rows and events interleave by step; at the same step the row comes first.
        items = [(r.step, 0, r) for r in rows] + [(e.step, 1, e) for e in events]
        for _, _, item in sorted(items, key=lambda t: (t[0], t[1])):
            if isinstance(item, LogRow):
                self.write(Text(
                    f"{item.step:>8} {fmt(item.loss):>10} {fmt(item.w):>9} {fmt(item.b):>9} "
                    f"{fmt(item.dw):>9} {fmt(item.db):>9} {fmt(item.lr):>8}"))
            else:
                self.write(Text(f"{item.step:>8} {item.text}", style=STYLES.get(item.kind, "")))
