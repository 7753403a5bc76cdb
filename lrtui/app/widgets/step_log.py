"""The step log: the lesson's printout (step, loss, w, b, dw, db, lr) and the run's events.

For a model other than the line the columns are step, loss, lr, |grad| (the
gradient's length) and the sharpness, blank on the steps it was not measured.

Every column has a fixed width and a number is shortened to fit it (2.775e+12,
-2.79e+05), so columns never shift when values grow. A narrow pane shows
fewer columns, always keeping step, loss and lr; a mini-batch run adds the
batch's own loss beside the loss on all the points. The log keeps its items,
so a resize that changes the columns writes them again.

A subclass prints other rows (a Keras training's) by giving its own
`_layout` and `row_text`; the batching and the events stay as here.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.timer import Timer
from textual.widgets import RichLog

from lrtui.app.shown import is_shown
from lrtui.engine.history import LogRow
from lrtui.engine.run import Event, fmt

# (title, width, value of a row), in the order they are shown.
COLUMNS = (
    ("step", 8, lambda r: r.step),
    ("loss", 10, lambda r: r.loss),
    ("batch", 10, lambda r: r.batch_loss),
    ("w", 10, lambda r: r.w),
    ("b", 10, lambda r: r.b),
    ("dw", 10, lambda r: r.dw),
    ("db", 10, lambda r: r.db),
    ("lr", 9, lambda r: r.lr),
    ("|grad|", 10, lambda r: r.grad_norm),
    ("sharpness", 10, lambda r: r.sharpness),
)
LINE_ONLY = ("w", "b", "dw", "db")
MODEL_ONLY = ("|grad|", "sharpness")
# Which columns stay when the pane is narrow: the first ones here.
PRIORITY = ("step", "loss", "lr", "w", "b", "sharpness", "|grad|", "batch", "dw", "db")
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


def fit_number(value, width: int) -> str:
    """The number in at most `width` characters: fewer digits before it ever gets wider."""
    if value is None:  # not measured at this step (the sharpness), or a full-batch row under
        return "-"  # a batch column (the method changed mid-log)
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= width else f"{value:.{max(1, width - 6)}g}"
    text = fmt(value)
    digits = 3
    while len(text) > width and digits >= 1:
        text = f"{value:.{digits}g}"
        digits -= 1
    return text[:width]


def columns_for(width: int, batch: bool, line: bool = True) -> tuple:
    """The columns that fit in `width` cells, by priority, in their usual order."""
    unwanted = MODEL_ONLY if line else LINE_ONLY
    wanted = [c for c in COLUMNS if (batch or c[0] != "batch") and c[0] not in unwanted]
    chosen: set[str] = set()
    used = 0
    for name in PRIORITY:
        column = next((c for c in wanted if c[0] == name), None)
        if column is None:
            continue
        need = column[1] + (1 if chosen else 0)
        if used + need > width and len(chosen) >= 3:
            break
        chosen.add(name)
        used += need
    return tuple(c for c in wanted if c[0] in chosen)


class StepLog(RichLog):
    BORDER_TITLE = "Step log"
    hint = "lrtui run prints every step"

    def __init__(self, **kwargs):
        # No wrapping by the log: rows are laid out to fit, events are wrapped here, to the
        # width the columns were chosen for.
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, auto_scroll=True,
                         min_width=0, **kwargs)
        self._width = 80
        self._items: deque = deque(maxlen=MAX_LINES)  # rows and events, to write again
        self._pending: list = []
        self._skipped = 0
        self._flush_timer: Timer | None = None
        self._batch = False  # a mini-batch run: rows carry their batch's loss
        self._line_model = True  # the lesson's model: rows carry w, b, dw, db
        self._columns: tuple = ()

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        """Pick the columns for the pane's width; write everything again if they changed."""
        width = self.text_width()
        if width <= 0:
            return
        columns = columns_for(width, self._batch, self._line_model)
        if columns == self._columns and width == self._width:
            return
        self._columns, self._width = columns, width
        shown = {c[0] for c in columns}
        wanted = columns_for(10**6, self._batch, self._line_model)
        hidden = [c[0] for c in wanted if c[0] not in shown]
        self.border_subtitle = f"{' '.join(hidden)}: on a wider terminal" if hidden else ""
        self.clear()
        self.write(Text(self._header(), style="bold"))
        if self._items:
            self.write(Text("\n").join(self._line(item) for item in self._items))

    def text_width(self) -> int:
        """The width lines are drawn in; one to spare, for the vertical scrollbar to come."""
        return self.scrollable_content_region.width - (0 if self.show_vertical_scrollbar else 1)

    def _header(self) -> str:
        return " ".join(f"{name:>{width}}" for name, width, _ in self._columns)

    def add(self, rows: tuple[LogRow, ...], events: tuple[Event, ...], skipped: int = 0) -> None:
        self._skipped += skipped
        if not self._batch and any(getattr(row, "batch_loss", None) is not None for row in rows):
            self._batch = True
            self._columns = ()  # a new column: lay out again below
        line = all(getattr(row, "w", 0.0) is not None for row in rows)
        if rows and line != self._line_model:
            self._line_model = line
            self._columns = ()  # another model: its own columns
        # Rows and events interleave by step; at the same step the row comes first.
        items = [(r.step, 0, r) for r in rows] + [(e.step, 1, e) for e in events]
        for _, _, item in sorted(items, key=lambda t: (t[0], t[1])):
            self._pending.append(item)
        if len(self._pending) > MAX_BATCH:
            self._skipped += len(self._pending) - MAX_BATCH
            del self._pending[:-MAX_BATCH]
        if not self._columns:
            self._layout()
        if any(e.kind not in UNHURRIED for e in events):
            self.flush()
        if self._pending and self._flush_timer is None:
            self._flush_timer = self.set_timer(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not is_shown(self):  # a timer that fires while the app shuts down
            return
        lines = []
        if self._skipped:
            lines.append(self._wrapped(Text(f"{'':>8} … {self._skipped:,} lines not shown "
                                            f"({self.hint})", style="dim")))
            self._skipped = 0
        if self._pending:
            self._items.extend(self._pending)
            if self._columns:
                lines += [self._line(item) for item in self._pending]
            self._pending.clear()
        if lines:
            # One Text of many lines: one scroll, one repaint.
            self.write(Text("\n").join(lines))

    def row_text(self, row: LogRow) -> Text:
        return Text(" ".join(f"{fit_number(get(row), width):>{width}}"
                             for _, width, get in self._columns))

    def _line(self, item) -> Text:
        if not isinstance(item, Event):
            return self.row_text(item)
        return self._wrapped(Text(f"{item.step:>8} {item.text}", style=STYLES.get(item.kind, "")))

    def _wrapped(self, text: Text) -> Text:
        """A line of prose wrapped to the pane: a line wider than it would add a sideways scrollbar."""
        return Text("\n").join(text.wrap(self.app.console, max(20, self._width)))
