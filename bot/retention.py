"""Retention: what is kept only for a while is deleted by the background worker once it is old,
in chunks (one transaction each), so a user's step never waits long for the write lock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.config import Settings
from storage import retention as purges
from storage.clock import utcnow
from storage.database import Database, Tx

log = logging.getLogger(__name__)

CHUNK = 2_000  # rows deleted per transaction
EVERY = 3_600.0  # seconds between two passes

Purge = Callable[[Tx, datetime, int], Awaitable[int]]


class Retention:
    """One pass deletes everything older than its configured age, a chunk at a time."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        chunk: int = CHUNK,
    ) -> None:
        self.db = db
        self.clock = clock
        self.chunk = chunk
        drafts = timedelta(days=settings.retention_draft_days)
        self.ages: list[tuple[str, timedelta, Purge]] = [
            ("idea drafts", drafts, purges.drafts),
            ("conversations", drafts, purges.conversations),
            (
                "processed messages",
                timedelta(days=settings.retention_processed_days),
                purges.processed,
            ),
            ("outbox rows", timedelta(days=settings.retention_outbox_days), purges.outbox),
            ("whatsapp statuses", timedelta(days=settings.retention_outbox_days), purges.statuses),
        ]

    async def purge(self, stop: asyncio.Event | None = None) -> dict[str, int]:
        """Delete what is too old; returns how many rows of each kind (stops between chunks)."""
        deleted: dict[str, int] = {}
        for name, age, purge in self.ages:
            before = self.clock() - age
            total = 0
            while stop is None or not stop.is_set():
                async with self.db.transaction() as tx:
                    done = await purge(tx, before, self.chunk)
                total += done
                if done < self.chunk:
                    break
                await asyncio.sleep(0)  # let the steps waiting for the lock go first
            if total:
                log.info("retention: deleted %d %s", total, name)
            deleted[name] = total
        return deleted
