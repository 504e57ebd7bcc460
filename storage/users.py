"""Users: one row per `<channel>:<id>`, holding the profile, consent and reachability."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Row, Tx

# Columns a flow may change through `update`; the key, channel and creation time never change.
UPDATABLE = frozenset(
    {
        "locale",
        "locale_hint",
        "country",
        "city",
        "time_zone",
        "consent_version",
        "consent_at",
        "consent_asked_version",
        "announcements",
        "unreachable_at",
        "unreachable_reason",
        "last_inbound_at",
        "opted_out_at",
        "opted_in_at",
        "notice_sent_at",
    }
)


@dataclass(frozen=True, slots=True)
class User:
    """A user's stored record."""

    key: str
    channel: str
    locale: str | None = None
    locale_hint: str | None = None
    country: str | None = None
    city: str | None = None
    time_zone: str | None = None
    consent_version: str | None = None
    consent_at: datetime | None = None
    consent_asked_version: str | None = None
    announcements: bool = True
    unreachable_at: datetime | None = None
    unreachable_reason: str | None = None
    last_inbound_at: datetime | None = None
    created_at: datetime | None = None
    opted_out_at: datetime | None = None
    notice_sent_at: datetime | None = None
    opted_in_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row, prefix: str = "") -> User:
        """Build a user from a row whose user columns may carry a prefix."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = row[prefix + f.name]
            if f.name.endswith("_at") and value is not None:
                value = from_db(value)
            elif f.name == "announcements":
                value = bool(value)
            values[f.name] = value
        return cls(**values)


COLUMNS = tuple(f.name for f in fields(User))


def _to_column(name: str, value: Any) -> Any:
    """A Python value as stored in its column."""
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, bool):
        return int(value)
    return value


async def get(tx: Tx, key: str) -> User | None:
    """The user with this key, if any."""
    row = await tx.fetch_one(f"SELECT {', '.join(COLUMNS)} FROM users WHERE key = ?", (key,))
    return None if row is None else User.from_row(row)


async def create(tx: Tx, key: str, *, locale_hint: str | None, now: datetime) -> User:
    """Insert a new user who has just written for the first time."""
    channel = key.partition(":")[0]
    stamp = to_db(now)
    await tx.execute(
        "INSERT INTO users (key, channel, locale_hint, last_inbound_at, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (key, channel, locale_hint, stamp, stamp),
    )
    return User(key, channel, locale_hint=locale_hint, last_inbound_at=now, created_at=now)


async def update(tx: Tx, key: str, **changes: Any) -> None:
    """Change some of a user's columns."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if not changes:
        return
    assignments = ", ".join(f"{name} = ?" for name in changes)
    values = [_to_column(name, value) for name, value in changes.items()]
    await tx.execute(f"UPDATE users SET {assignments} WHERE key = ?", (*values, key))


async def exists(tx: Tx, key: str) -> bool:
    """Whether a user with this key has ever written."""
    return await tx.fetch_value("SELECT 1 FROM users WHERE key = ?", (key,)) is not None
