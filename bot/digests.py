"""The weekly digest's timing: the next weekday and hour on an admin's clock, one outbox row per
week, and a scheduler that queues the following week's row once a week's falls due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from storage import digests as store
from storage import outbox
from storage.clock import to_db, utcnow
from storage.database import Database, Tx
from storage.digests import Subscription

log = logging.getLogger(__name__)

DIGEST = "insight.digest"  # the outbox renderer (handlers/insight.py)
IDLE = 3600.0  # the longest the scheduler sleeps without looking again
LATE = 1.0  # seconds after a digest falls due before its following week's row is queued


def next_occurrence(weekday: int, hour: int, zone: ZoneInfo, after: datetime) -> datetime:
    """The first moment strictly after `after` when the zone's clock reads `weekday` (0 is
    Monday) at `hour`:00, in UTC. The local date and hour are fixed first and only then turned
    into UTC, so the digest keeps its hour on the admin's clock across daylight-saving changes;
    an hour the clocks skip (02:00 on the night they go forward) reads an hour later."""
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    while True:
        moment = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
        if moment > after:
            return moment
        day += timedelta(days=7)


def week_key(user_key: str, due: datetime, zone: ZoneInfo) -> str:
    """The idempotency key of an admin's digest for the ISO week it falls in on their clock."""
    year, week, _ = due.astimezone(zone).isocalendar()
    return f"digest:{user_key}:{year}-W{week:02d}"


async def queue_next(tx: Tx, sub: Subscription, now: datetime) -> datetime:
    """Make sure the admin's next digest is queued; returns when it goes.

    One row per admin and week: when this week's digest already went (or was skipped), the next
    is the following week's, even if the admin just chose a later day of this week.
    """
    zone = ZoneInfo(sub.time_zone)
    after = now
    while True:
        due = next_occurrence(sub.weekday, sub.hour, zone, after)
        key = week_key(sub.user_key, due, zone)
        added = await outbox.enqueue(
            tx,
            sub.user_key,
            DIGEST,
            {"due": to_db(due)},
            lane="direct",
            now=now,
            not_before=due,
            key=key,
        )
        if added is not None or await store.row_status(tx, key) in store.LIVE:
            return due
        after = due


async def replace(tx: Tx, sub: Subscription, now: datetime) -> datetime:
    """Store a new weekday and hour, drop the row waiting for the old ones, queue the next."""
    await store.save(tx, sub, now)
    await store.drop_pending(tx, sub.user_key, DIGEST)
    return await queue_next(tx, sub, now)


async def stop(tx: Tx, key: str) -> bool:
    """No more digests for this admin; False when they had none."""
    await store.drop_pending(tx, key, DIGEST)
    return await store.delete(tx, key)


class DigestScheduler:
    """Keeps one digest queued per subscribed admin: at start, and each time one falls due."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        wake_outbox: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.wake_outbox = wake_outbox
        self.clock = clock
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Queue what is missing now (so a restart has done it before serving), then run until
        `stop`."""
        wait = await self._tick()
        self._task = asyncio.create_task(self._run(wait), name="digests")

    async def stop(self) -> None:
        """Stop; nothing is lost, since every digest is an outbox row."""
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self, wait: float) -> None:
        """Sleep until the next digest falls due, then tick."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
            if not self._stop.is_set():
                wait = await self._tick()

    async def _tick(self) -> float:
        """A tick that logs a failure and tries again a minute later."""
        try:
            return await self.tick()
        except Exception:
            log.exception("the digest scheduler failed; retrying shortly")
            return 60.0

    async def tick(self) -> float:
        """Queue each current admin's next digest; returns the seconds until one falls due."""
        now = self.clock()
        subs = await store.of_admins(self.db.reader(), self.settings.admins)
        if not subs:
            return IDLE
        async with self.db.transaction() as tx:
            for sub in subs:
                await queue_next(tx, sub, now)
        self.wake_outbox()
        soonest = min(next_occurrence(s.weekday, s.hour, ZoneInfo(s.time_zone), now) for s in subs)
        return min(IDLE, (soonest - now).total_seconds() + LATE)
