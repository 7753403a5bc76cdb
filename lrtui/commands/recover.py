"""`lrtui recover`, and `lrtui --load` without a path: the recovery runs, newest first.

A hang-up or a kill saves one recovery run per process (lrtui.app.recovery);
this lists them with what each holds and the command that reopens it (or,
for one saved while TensorFlow was loading, the command that starts again).
It reads JSON only: no TensorFlow, no Textual.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from lrtui.locations import recovery_dir


def describe(path: Path) -> tuple[str, str, str, str]:
    """(saved at, why, what it holds, the command to resume) of one recovery run."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        recovery = doc["recovery"]
    except (OSError, ValueError, KeyError, TypeError):
        return "?", "?", "cannot be read", f"(remove {path})"
    when = str(recovery.get("saved_at", "?"))[:19].replace("T", " ")
    if doc.get("format") == "lrtui-run":
        end = doc.get("end", {})
        holds = (f"step {end.get('step', '?'):,} {str(end.get('state', '?')).lower()}, "
                 f"lr {end.get('learning_rate', '?'):.4g}")
    else:
        holds = "no run: TensorFlow was loading"
    return when, str(recovery.get("reason", "?")), holds, str(recovery.get("resume", ""))


def list_recoveries(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    folder = recovery_dir()
    paths = sorted(folder.glob("run-*.json"), reverse=True)  # names sort by time
    if not paths:
        print(f"no recovery runs in {folder} (a hang-up or a kill saves one)", file=out)
        return 0
    print(f"recovery runs in {folder}, newest first:", file=out)
    for path in paths:
        when, why, holds, resume = describe(path)
        print(f"  {when:19}  {why:10}  {holds:34}  {resume}", file=out)
    return 0
