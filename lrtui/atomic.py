"""Write a file so that it is either the old one or the complete new one, never half.

The text goes to a temporary file in the same folder (so the rename cannot
cross file systems), is flushed to disk, and then replaces the target with
os.replace, which is atomic on POSIX and Windows. If the process dies before
the rename, the old file is untouched; only a hidden `.NAME.*.tmp` may remain.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike, text: str | bytes, mode: int = 0o644,
                 sync: bool = True) -> Path:
    """Text is written as UTF-8, bytes (an .npz) as they are. `mode` 0o600 keeps a private
    file private; `sync=False` skips the flush to disk for a file rewritten every second (a
    heartbeat), where the last complete copy is enough."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temp, mode)  # mkstemp makes it private; a run file is meant to be shared
        binary = isinstance(text, bytes)
        with (os.fdopen(handle, "wb") if binary else
              os.fdopen(handle, "w", encoding="utf-8", newline="")) as out:
            out.write(text)
            out.flush()
            if sync:
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return path
