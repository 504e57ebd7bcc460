"""The audit log of staff actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.database import Tx


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded action."""

    id: int
    actor: str | None
    action: str
    subject: str | None
    at: datetime


async def record(tx: Tx, actor: str, action: str, subject: str | None, now: datetime) -> None:
    """Record that a staff member did something."""
    await tx.execute(
        "INSERT INTO audit_log (actor, action, subject, at) VALUES (?, ?, ?, ?)",
        (actor, action[:200], subject[:200] if subject else None, to_db(now)),
    )


async def latest(tx: Tx, limit: int, before: int | None = None) -> list[Entry]:
    """The most recent entries, newest first (older than id `before` when paging)."""
    rows = await tx.fetch_all(
        "SELECT id, actor, action, subject, at FROM audit_log"
        " WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
        (before, before, limit),
    )
    return [Entry(r[0], r[1], r[2], r[3], from_db(r[4])) for r in rows]
