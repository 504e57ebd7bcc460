"""Flood control: who sends too much too fast is asked once to slow down, then ignored a while."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]


class FloodGate:
    """A sliding window of message times per user, and a cool-down for those who overflow it."""

    def __init__(
        self,
        limit: int,
        window: float,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._until: dict[str, float] = {}

    def check(self, key: str) -> Verdict:
        """Count one message: "ok", "warn" (the one that overflowed), or "drop" (cooling down)."""
        now = self._clock()
        until = self._until.get(key)
        if until is not None:
            if now < until:
                return "drop"
            del self._until[key]
        seen = self._seen.setdefault(key, deque())
        seen.append(now)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) > self.limit:
            seen.clear()
            self._until[key] = now + self.cooldown
            return "warn"
        if len(self._seen) > 10_000:  # forget users who have been quiet for a window
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
        return "ok"
