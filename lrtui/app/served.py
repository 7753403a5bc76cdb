"""Behind `lrtui serve` the app belongs to its browser tab: when the tab or the server goes, it goes.

textual-serve runs one app process per tab and talks to it over stdin and
stdout. A closed tab makes the server send "quit", which Textual turns into an
ExitApp message; the app then stops training and, should the exit not finish
within EXIT_GRACE_SECONDS (a busy render loop), ends the process itself. A
server that dies (SIGINT, SIGTERM, SIGKILL) leaves its apps to init: each app
watches its parent and leaves as soon as the parent is not the server any
more, so no app outlives the server that started it.
"""

from __future__ import annotations

import os
import threading
import time

from lrtui.app.recovery import EXIT_GRACE_SECONDS, give_up

PARENT_CHECK_SECONDS = 0.5


def served() -> bool:
    """True when textual-serve started this process (it sets Textual's driver to its web driver)."""
    return os.environ.get("TEXTUAL_DRIVER", "").endswith("WebDriver")


def exit_for_sure(code: int = 0) -> None:
    """After asking the app to exit: end the process anyway if the exit is not done in time."""
    watchdog = threading.Timer(EXIT_GRACE_SECONDS, give_up, (code,))
    watchdog.daemon = True
    watchdog.start()


def watch_the_server(app, loop) -> None:
    """Quit the app once its server is gone (this process has a new parent)."""
    server = os.getppid()

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(PARENT_CHECK_SECONDS)
        loop.call_soon_threadsafe(app.quit_now)
        exit_for_sure()

    threading.Thread(target=watch, name="lrtui-server-watch", daemon=True).start()
