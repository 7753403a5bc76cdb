"""How long q and ctrl+c take to end the app right after a burst of hundreds of keys.

The issue's promise is 2 s. The real `lrtui` runs in a pseudo-terminal at
120×40; once it is ready, 400 keys from the key table (screens, saves, lr
changes, escapes) are written at once, then q (or ctrl+c), and the time from
that write to the process's end is measured. Prints a table and writes
benchmarks/quit_latency.json.

    .venv/bin/python -m benchmarks.quit_latency --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import time
from pathlib import Path

from benchmarks.pty_app import PtyApp

TABLE = [" ", "s", "S", "+", "-", "r", "n", "y", "g", "c", "f", "o", "m", "b", "v", "e", "E", "[", "]", "{",
         "}", "?", "\x1b"]
TARGET = 2.0


def burst(rng: random.Random, count: int) -> str:
    """Keys from TABLE. An escape is never followed by [ or O, which would begin a terminal
    sequence that swallows the keys after it, nor ends the burst (escape then q at once is
    alt+q to a terminal): a typed escape arrives on its own."""
    keys: list[str] = []
    while len(keys) < count or keys[-1] == "\x1b":
        key = rng.choice(TABLE)
        if not (keys and keys[-1] == "\x1b" and key in "[O"):
            keys.append(key)
    return "".join(keys)


def one(key: str, seed: int, keys: int, folder: Path) -> float:
    os.chdir(folder)  # e and E write files in the current folder
    app = PtyApp([], env={"XDG_STATE_HOME": str(folder / "state")})
    if app.wait_for(r"\bready\b", 180) is None:
        raise SystemExit("lrtui did not get ready within 180 s")
    rng = random.Random(seed)
    app.press(burst(rng, keys))
    pressed = time.monotonic()
    app.press(key)
    deadline = pressed + 60
    while time.monotonic() < deadline:
        app.pump(0.01)
        done, _ = os.waitpid(app.pid, os.WNOHANG)
        if done:
            return time.monotonic() - pressed
    os.kill(app.pid, signal.SIGKILL)
    os.waitpid(app.pid, 0)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keys", type=int, default=400)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"lrtui-quit-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, key in (("q", "q"), ("ctrl+c", "\x03")):
        times = [one(key, seed, args.keys, scratch) for seed in range(args.repeats)]
        results[name] = {"seconds": [round(t, 3) for t in times], "median": round(statistics.median(times), 3),
                         "max": round(max(times), 3), "target": TARGET, "met": max(times) <= TARGET}
        print(f"{name:>7}: after {args.keys} keys, exit in median {results[name]['median']:.2f} s, "
              f"max {results[name]['max']:.2f} s (target {TARGET} s): "
              f"{'met' if results[name]['met'] else 'NOT met'}")
    (here / "quit_latency.json").write_text(json.dumps({"keys": args.keys, **results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
