"""How much CPU a served app takes while it sits idle in a browser tab.

`lrtui serve` starts one app process per tab. Once the app has drawn its
screen and nothing happens, it should cost next to nothing: an app that keeps
redrawing (a resize loop between the page and the app, say) spins a CPU while
nobody looks. The real server runs with a real headless Chromium; once the
tab's run is ready, the app process's CPU time (user + system, /proc) is read
over a window after a settling pause, and so are the websocket frames the page
received in it. Prints one line per repeat and the median.

    .venv/bin/python -m benchmarks.serve_idle --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.served_browser import CHROMIUM, CHROMIUM_FLAGS, DevTools, children_of, cpu_seconds, free_port, until

TARGET = 0.10  # a share of one CPU


async def one(folder: Path, settle: float, window: float) -> tuple[float, float]:
    """(CPU share of the tab's app over `window` s, websocket frames per second in it)."""
    import aiohttp

    port = free_port()
    env = {**os.environ, "XDG_STATE_HOME": str(folder / "state")}
    server = subprocess.Popen([sys.executable, "-m", "lrtui", "serve", "--port", str(port)], cwd=folder,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    profile = folder / f"chromium-profile-{port}"
    browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        async with aiohttp.ClientSession() as http:
            async def page_served():
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await until(page_served, 60, "lrtui serve to answer")
            active = profile / "DevToolsActivePort"
            await until(lambda: active.exists() and len(active.read_text().split()) == 2, 60,
                        "Chromium's DevTools port")
            devtools_port, browser_path = active.read_text().split()
            async with http.ws_connect(f"ws://127.0.0.1:{devtools_port}{browser_path}",
                                       max_msg_size=0) as ws:
                cdp = DevTools(ws)
                target = (await cdp.call("Target.createTarget", url="about:blank"))["targetId"]
                session = (await cdp.call("Target.attachToTarget", targetId=target,
                                          flatten=True))["sessionId"]
                await cdp.call("Network.enable", session)
                await cdp.call("Page.navigate", session, url=f"http://127.0.0.1:{port}/")
                await until(lambda: "ready" in cdp.frames_text(), 180, "the run to be ready")
                app = (await until(lambda: children_of(server.pid), 30, "the tab's app process"))[0]
                await asyncio.sleep(settle)  # the first frames drawn, TensorFlow's warm-up done
                cpu, count, started = cpu_seconds(app), cdp.frames_received(), time.monotonic()
                await asyncio.sleep(window)
                elapsed = time.monotonic() - started
                result = (cpu_seconds(app) - cpu) / elapsed, (cdp.frames_received() - count) / elapsed
                cdp.reader.cancel()
                return result
    finally:
        for process in (browser, server):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (browser, server):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after ready before measuring")
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    shares = []
    with tempfile.TemporaryDirectory(prefix="lrtui-serve-idle-") as folder:
        for i in range(args.repeats):
            share, rate = asyncio.run(one(Path(folder), args.settle, args.window))
            shares.append(share)
            print(f"repeat {i + 1}: idle app {share:.1%} of a CPU, {rate:.1f} websocket frames/s "
                  f"over {args.window:g} s")
    median = statistics.median(shares)
    print(f"served app idle, ready in a tab: median {median:.1%} of a CPU (target < {TARGET:.0%}): "
          f"{'met' if median < TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
