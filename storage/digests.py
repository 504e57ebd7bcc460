"""The weekly digest's subscriptions, and the outbox rows that carry it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.database import Tx

LIVE = ("pending", "claimed", "held")  # a row that has not gone out yet


@dataclass(frozen=True, slots=True)
class Subscription:
    """When an admin wants the digest: a weekday (0 is Monday) and an hour on their clock."""

    user_key: str
    weekday: int
    hour: int
    time_zone: str


async def get(tx: Tx, key: str) -> Subscription | None:
    """An admin's subscription, if any."""
    row = await tx.fetch_one(
        "SELECT user_key, weekday, hour, time_zone FROM digest_subscriptions WHERE user_key = ?",
        (key,),
    )
    return None if row is None else Subscription(row[0], int(row[1]), int(row[2]), row[3])


async def of_admins(tx: Tx, configured: Iterable[str]) -> list[Subscription]:
    """The subscriptions of everyone who is an admin now (configured, or granted in the chat)."""
    keys = sorted(configured)
    marks = ", ".join("?" for _ in keys) or "NULL"
    rows = await tx.fetch_all(
        "SELECT user_key, weekday, hour, time_zone FROM digest_subscriptions"
        " WHERE user_key IN (SELECT user_key FROM roles WHERE role = 'admin')"
        f" OR user_key IN ({marks}) ORDER BY user_key",
        keys,
    )
    return [Subscription(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]


async def save(tx: Tx, sub: Subscription, now: datetime) -> None:
    """Start or change a subscription."""
    stamp = to_db(now)
    await tx.execute(
        "INSERT INTO digest_subscriptions (user_key, weekday, hour, time_zone, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET"
        " weekday = excluded.weekday, hour = excluded.hour, time_zone = excluded.time_zone,"
        " updated_at = excluded.updated_at",
        (sub.user_key, sub.weekday, sub.hour, sub.time_zone, stamp, stamp),
    )


async def delete(tx: Tx, key: str) -> bool:
    """End a subscription; False when there was none."""
    return await tx.execute("DELETE FROM digest_subscriptions WHERE user_key = ?", (key,)) == 1


async def drop_pending(tx: Tx, key: str, renderer: str) -> int:
    """Remove an admin's digest rows that wait for their time (a new time replaces them)."""
    return await tx.execute(
        "DELETE FROM outbox WHERE recipient = ? AND renderer = ? AND status = 'pending'",
        (key, renderer),
    )


async def row_status(tx: Tx, idempotency_key: str) -> str | None:
    """The status of the outbox row with this key, if there is one."""
    value = await tx.fetch_value(
        "SELECT status FROM outbox WHERE idempotency_key = ?", (idempotency_key,)
    )
    return None if value is None else str(value)


async def next_due(tx: Tx, key: str, renderer: str) -> datetime | None:
    """When the admin's next digest row is due, if one waits."""
    value = await tx.fetch_value(
        "SELECT min(not_before) FROM outbox WHERE recipient = ? AND renderer = ?"
        " AND status = 'pending'",
        (key, renderer),
    )
    return None if value is None else from_db(value)
