"""How far the app is behind the keys, so that q and ctrl+c never wait behind hundreds of them.

The terminal delivers keys faster than some of them can be handled (a screen
key composes a screen and lays it out: tens of milliseconds each on a busy
machine). Keys are handled in the order they came, so after a burst of a few
hundred, a q at the end would wait seconds for its turn. The app notes when
each key arrives and when the app has passed it on. While it is behind
(BEHIND_KEYS keys waiting, or the oldest waiting longer than BEHIND_SECONDS)
or in the middle of a burst (BURST_KEYS keys within the last BURST_SECONDS;
the screens work through those after the app has passed them on), a quit key
does not queue up: it ends the app at once and the keys still waiting are
dropped. The app hands keys on to the screen at once, so the keys waiting in
the screen's own queue count too (LrApp._behind_the_keys). Otherwise q is an
ordinary key (it closes the help). No field takes
a q as a value, so a burst that ends in q never loses a usable input.
"""

from __future__ import annotations

import time
from collections import deque

BEHIND_SECONDS = 0.5
BEHIND_KEYS = 10
BURST_KEYS = 20
BURST_SECONDS = 2.0
QUIT_KEYS = frozenset({"q", "ctrl+c"})


class KeyBacklog:
    """Arrival times of the keys not handled yet, oldest first (all on the app's loop)."""

    def __init__(self) -> None:
        self._arrived: deque[float] = deque()
        self._recent: deque[float] = deque(maxlen=BURST_KEYS)

    def arrived(self) -> None:
        now = time.monotonic()
        self._arrived.append(now)
        self._recent.append(now)

    def handled(self) -> None:
        if self._arrived:
            self._arrived.popleft()

    def waiting(self) -> int:
        return len(self._arrived)

    def behind(self, keys: int = BEHIND_KEYS, seconds: float = BEHIND_SECONDS) -> bool:
        """Keys waiting (`keys` of them, or one for over `seconds`), or a burst just came."""
        now = time.monotonic()
        if len(self._arrived) >= keys or (self._arrived and now - self._arrived[0] > seconds):
            return True
        return len(self._recent) == BURST_KEYS and now - self._recent[0] < BURST_SECONDS
