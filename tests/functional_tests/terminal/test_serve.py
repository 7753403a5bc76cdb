"""`lrtui serve` in a real headless Chromium, driven over the Chrome DevTools Protocol.

The page draws the terminal on a canvas, so the test reads what the app sends
to the page: the websocket frames Chromium receives (Network events). It checks
that the app's panes arrive, that a key typed into the page starts the run,
and that `e` typed into the page makes the app (a process behind the server)
write a run file. Every wait is a bounded poll.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys

import pytest

from benchmarks.served_browser import CHROMIUM, CHROMIUM_FLAGS, DevTools, alive, children_of, free_port, until
from lrtui.commands.serve import app_command, notice
from lrtui.engine.runfile import read_run_file
from lrtui.settings.fields import Settings

pytestmark = pytest.mark.browser

aiohttp = pytest.importorskip("aiohttp", reason="textual-serve (and aiohttp) not installed")
# The served app imports TensorFlow in a fresh process: that can take a while on a busy machine.
APP_TIMEOUT = 180
KEYS = {"space": (" ", "Space", 32), "e": ("e", "KeyE", 69)}
QUIET_POLLS = 10  # polls of 0.1 s without a websocket frame: the idle app draws nothing


def test_serve_command_and_notice():
    command = app_command(Settings(learning_rate=0.001, steps=50), 10.0)
    assert command.endswith("-m lrtui --fps 10.0 --lr 0.001 --steps 50")
    assert command.startswith("exec ")
    text = notice(8123)
    assert "127.0.0.1:8123" in text and "No authentication" in text and "ssh -L 8123:127.0.0.1:8123" in text


async def test_the_app_in_headless_chromium(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure
            pytest.fail("Chromium is missing in CI")
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    port = free_port()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    server = subprocess.Popen(
        [sys.executable, "-m", "lrtui", "serve", "--port", str(port), "--steps", "100",
         "--speed", "max"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    profile = tmp_path / "chromium-profile"
    browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        async with aiohttp.ClientSession() as http:
            async def page_served():
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as response:
                        return response.status == 200 and "lrtui" in await response.text()
                except aiohttp.ClientError:
                    return False

            await until(page_served, 60, "lrtui serve to answer on 127.0.0.1")
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
                for domain in ("Network.enable", "Page.enable", "Runtime.enable"):
                    await cdp.call(domain, session)
                await cdp.call("Page.navigate", session, url=f"http://127.0.0.1:{port}/")

                # The app's panes and its first state reach the page.
                await until(lambda: "Hyperparameters" in cdp.frames_text()
                            and "ready" in cdp.frames_text(), APP_TIMEOUT,
                            "the app's screen to reach the page")

                async def first_byte_shown():
                    result = await cdp.call("Runtime.evaluate", session, returnByValue=True,
                                            expression="document.body.classList.contains('-first-byte')")
                    return result["result"].get("value") is True

                await until(first_byte_shown, 30, "the page to show the terminal")

                async def press(name: str) -> None:
                    key, code, number = KEYS[name]
                    await cdp.call("Runtime.evaluate", session,
                                   expression="document.querySelector('.xterm-helper-textarea').focus()")
                    for kind in ("keyDown", "keyUp"):
                        await cdp.call("Input.dispatchKeyEvent", session, type=kind, key=key,
                                       code=code, windowsVirtualKeyCode=number,
                                       **({"text": key} if kind == "keyDown" else {}))

                # Space typed into the page runs the 100-step budget.
                mark = len(cdp.events)
                await press("space")
                await until(lambda: "finished" in cdp.frames_text(mark), 60,
                            "space in the page to run the budget (status 'finished')")
                # e typed into the page: the app behind the server saves its run.
                await press("e")
                saved = await until(lambda: next(tmp_path.glob("lrtui-run-*.json"), None), 30,
                                    "e in the page to save a run file")
                await until(lambda: saved.stat().st_size > 0 and not list(tmp_path.glob(".lrtui-run-*")),
                            30, "the save to complete")
                assert read_run_file(saved).step == 100

                shot = await cdp.call("Page.captureScreenshot", session, format="png")
                (tmp_path / "browser.png").write_bytes(base64.b64decode(shot["data"]))
                assert (tmp_path / "browser.png").stat().st_size > 10_000
                await cdp.call("Browser.close")
                cdp.reader.cancel()
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
    log = server.stdout.read()
    assert "No authentication" in log and f"127.0.0.1:{port}" in log


async def test_a_closed_tab_and_a_stopped_server_leave_no_app_behind(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI")
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    port = free_port()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    server = subprocess.Popen([sys.executable, "-m", "lrtui", "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    profile = tmp_path / "chromium-profile"
    browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    apps: list[int] = []
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

                async def open_tab() -> tuple[str, int]:
                    target = (await cdp.call("Target.createTarget", url="about:blank"))["targetId"]
                    session = (await cdp.call("Target.attachToTarget", targetId=target,
                                              flatten=True))["sessionId"]
                    await cdp.call("Network.enable", session)
                    mark = len(cdp.events)
                    await cdp.call("Page.navigate", session, url=f"http://127.0.0.1:{port}/")
                    await until(lambda: "Hyperparameters" in cdp.frames_text(mark), APP_TIMEOUT,
                                "the app's screen to reach the page")
                    app = await until(lambda: [p for p in children_of(server.pid) if p not in apps],
                                      30, "the tab's app process")
                    apps.extend(app)
                    return target, app[0]

                # The page open at 1400×900: the app goes quiet once drawn (no resize loop).
                # Its idle CPU share is a figure of benchmarks/serve_idle.py; here, only that
                # the frames stop: ten polls in a row with none new, within a bound.
                target, app = await open_tab()
                await until(lambda: "ready" in cdp.frames_text(), APP_TIMEOUT, "the run to be ready")
                counts: list[int] = []

                def no_new_frames() -> bool:
                    counts.append(cdp.frames_received())
                    return len(counts) > QUIET_POLLS and counts[-1] == counts[-1 - QUIET_POLLS]

                await until(no_new_frames, 60, "the page to stop receiving frames once drawn")
                # The tab closes: its app ends.
                await cdp.call("Target.closeTarget", targetId=target)
                await until(lambda: not alive(app), 20, "the closed tab's app to end")
                # Another tab, then the server is stopped: its app ends too.
                _, app = await open_tab()
                os.kill(server.pid, signal.SIGTERM)  # the server alone: its apps must follow
                await until(lambda: server.poll() is not None, 20, "the server to stop")
                await until(lambda: not alive(app), 20, "the app to end with its server")
                cdp.reader.cancel()
    finally:
        for process in (browser, server):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(20)
        for pid in apps:  # only ever this test's own apps
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert not [pid for pid in apps if alive(pid)]
