"""A headless Chromium driven over the Chrome DevTools Protocol, and the served apps' processes.

The browser test (tests/functional_tests/terminal/test_serve.py) and the idle
benchmark (benchmarks/serve_idle.py) both open `lrtui serve` in Chromium, talk
to it over one websocket (aiohttp's, from the `serve` extra) and look at the
app processes the server starts: this is that one client and those /proc
readings.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import time

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--remote-debugging-port=0", "--window-size=1400,900"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def until(predicate, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate() if asyncio.iscoroutinefunction(predicate) else predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(poll)


class DevTools:
    """A minimal Chrome DevTools Protocol client: commands by id, events kept in order."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.waiting:
                self.waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)

    async def call(self, method: str, session: str | None = None, **params) -> dict:
        self.ids += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[self.ids] = future
        message = {"id": self.ids, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def frames_received(self) -> int:
        """How many websocket frames the page has received so far."""
        return sum(1 for e in self.events if e.get("method") == "Network.webSocketFrameReceived")

    def frames_text(self, start: int = 0) -> str:
        """Everything the page received over its websockets, from event number `start` on."""
        parts = []
        for event in self.events[start:]:
            if event.get("method") == "Network.webSocketFrameReceived":
                response = event["params"]["response"]
                payload = response["payloadData"]
                if response.get("opcode") == 2:
                    payload = base64.b64decode(payload).decode("utf-8", "replace")
                parts.append(payload)
        return "".join(parts)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                fields = open(f"/proc/{stat}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system time of a process so far (from /proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"
