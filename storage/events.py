"""Events, their texts per language, and registrations with seats, a waitlist and check-in."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Row, Tx

STATUSES = ("draft", "published", "cancelled")
LIVE = ("confirmed", "waitlisted")
# Check-in codes: no 0/O, 1/I/L, so a code read aloud or typed from paper comes out right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
FALLBACK = ("en", "sq", "it", "el")  # a title missing in the reader's language comes from these


@dataclass(frozen=True, slots=True)
class Text:
    """An event's title and description in one language."""

    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One event as stored, with the seats taken by confirmed registrations."""

    id: int
    status: str
    sample: bool
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str | None
    city: str | None
    country: str | None
    online_url: str | None
    capacity: int | None
    deadline_at: datetime | None
    created_at: datetime
    texts: dict[str, Text] = field(default_factory=dict)
    taken: int = 0  # seats of confirmed registrations
    waiting: int = 0  # registrations on the waitlist
    updated_at: datetime | None = None  # the last edit: a calendar file's SEQUENCE follows it

    def text(self, locale: str) -> Text:
        """The title and description in a language, or in the first language that has them."""
        for candidate in (locale, *FALLBACK):
            if candidate in self.texts:
                return self.texts[candidate]
        return next(iter(self.texts.values()), Text(f"#{self.id}"))

    @property
    def left(self) -> int | None:
        """Seats left (None: unlimited)."""
        return None if self.capacity is None else max(0, self.capacity - self.taken)

    @property
    def closes_at(self) -> datetime:
        """When sign-up closes: the deadline, or the start."""
        return self.deadline_at or self.starts_at

    def open_at(self, now: datetime) -> bool:
        """Whether members can sign up now."""
        return self.status == "published" and now < self.closes_at and now < self.starts_at


@dataclass(frozen=True, slots=True)
class Registration:
    """One member's registration for one event."""

    id: int
    event_id: int
    user_key: str
    seats: int
    status: str
    code: str
    token: str
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    checked_in_by: str | None

    @classmethod
    def from_row(cls, row: Row) -> Registration:
        """Build from a row of the registrations table."""
        return cls(
            row["id"],
            row["event_id"],
            row["user_key"],
            row["seats"],
            row["status"],
            row["code"],
            row["token"],
            from_db(row["created_at"]),
            _time(row["confirmed_at"]),
            _time(row["cancelled_at"]),
            _time(row["checked_in_at"]),
            row["checked_in_by"],
        )


def _time(value: str | None) -> datetime | None:
    """A stored time or None."""
    return None if value is None else from_db(value)


_EVENT = """
SELECT e.*,
       (SELECT coalesce(sum(seats), 0) FROM registrations r
         WHERE r.event_id = e.id AND r.status = 'confirmed') AS taken,
       (SELECT count(*) FROM registrations r
         WHERE r.event_id = e.id AND r.status = 'waitlisted') AS waiting
FROM events e
"""


async def _events(tx: Tx, rows: list[Row]) -> list[Event]:
    """Events from rows of `_EVENT`, with their texts (one more query for all of them)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    marks = ", ".join("?" for _ in ids)
    texts: dict[int, dict[str, Text]] = {}
    for row in await tx.fetch_all(
        f"SELECT event_id, locale, title, description FROM event_texts WHERE event_id IN ({marks})",
        ids,
    ):
        texts.setdefault(row["event_id"], {})[row["locale"]] = Text(
            row["title"], row["description"]
        )
    return [
        Event(
            row["id"],
            row["status"],
            bool(row["sample"]),
            from_db(row["starts_at"]),
            from_db(row["ends_at"]),
            row["time_zone"],
            row["venue"],
            row["city"],
            row["country"],
            row["online_url"],
            row["capacity"],
            _time(row["deadline_at"]),
            from_db(row["created_at"]),
            texts.get(row["id"], {}),
            row["taken"],
            row["waiting"],
            _time(row["updated_at"]),
        )
        for row in rows
    ]


async def get(tx: Tx, event_id: int) -> Event | None:
    """One event by id."""
    found = await _events(tx, await tx.fetch_all(f"{_EVENT} WHERE e.id = ?", (event_id,)))
    return found[0] if found else None


async def upcoming(
    tx: Tx, now: datetime, country: str | None, offset: int, limit: int
) -> tuple[list[Event], int]:
    """Published events not yet started: the member's country and online ones first, then by
    start; one page of them and how many there are in all."""
    where = "WHERE e.status = 'published' AND e.starts_at > ?"
    total = await tx.fetch_value(f"SELECT count(*) FROM events e {where}", (to_db(now),))
    rows = await tx.fetch_all(
        f"{_EVENT} {where}"
        " ORDER BY (e.online_url IS NOT NULL OR coalesce(e.country = ?, 0)) DESC,"
        " e.starts_at, e.id LIMIT ? OFFSET ?",
        (to_db(now), country, limit, offset),
    )
    return await _events(tx, rows), int(total)


async def listing(tx: Tx, since: datetime, limit: int = 50) -> list[Event]:
    """Every event ending after `since`, drafts and cancelled ones too, by start (for admins)."""
    rows = await tx.fetch_all(
        f"{_EVENT} WHERE e.ends_at > ? ORDER BY e.starts_at, e.id LIMIT ?", (to_db(since), limit)
    )
    return await _events(tx, rows)


# Columns an event's editor may change; texts go through `set_texts`.
EDITABLE = frozenset(
    {
        "status",
        "starts_at",
        "ends_at",
        "time_zone",
        "venue",
        "city",
        "country",
        "online_url",
        "capacity",
        "deadline_at",
    }
)


def _column(value: Any) -> Any:
    """A Python value as stored."""
    return to_db(value) if isinstance(value, datetime) else value


async def create(
    tx: Tx,
    *,
    texts: dict[str, Text],
    by: str | None,
    now: datetime,
    sample: bool = False,
    **values: Any,
) -> int:
    """Insert an event (a draft unless `status` says otherwise) and its texts."""
    unknown = set(values) - EDITABLE
    if unknown or not texts:
        raise ValueError(f"bad event: unknown {sorted(unknown)} or no texts")
    names = sorted(values)
    event_id = await tx.insert(
        f"INSERT INTO events ({', '.join(names)}, sample, created_by, created_at, updated_at)"
        f" VALUES ({', '.join('?' for _ in names)}, ?, ?, ?, ?)",
        (*(_column(values[n]) for n in names), int(sample), by, to_db(now), to_db(now)),
    )
    await set_texts(tx, event_id, texts)
    return event_id


async def update(tx: Tx, event_id: int, now: datetime, **changes: Any) -> None:
    """Change some of an event's columns."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not changes:
        return
    assignments = ", ".join(f"{name} = ?" for name in changes)
    await tx.execute(
        f"UPDATE events SET {assignments}, updated_at = ? WHERE id = ?",
        (*(_column(v) for v in changes.values()), to_db(now), event_id),
    )


async def set_texts(tx: Tx, event_id: int, texts: dict[str, Text]) -> None:
    """Replace an event's texts by these."""
    await tx.execute("DELETE FROM event_texts WHERE event_id = ?", (event_id,))
    await tx.execute_many(
        "INSERT INTO event_texts (event_id, locale, title, description) VALUES (?, ?, ?, ?)",
        [(event_id, locale, t.title, t.description) for locale, t in texts.items()],
    )


async def set_status(tx: Tx, event_id: int, status: str, now: datetime) -> bool:
    """Move an event to a status; False when it already had it."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    changed = await tx.execute(
        "UPDATE events SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
        (status, to_db(now), event_id, status),
    )
    return changed > 0


# -- registrations -------------------------------------------------------------------------------


async def registration(tx: Tx, registration_id: int) -> Registration | None:
    """One registration by id."""
    row = await tx.fetch_one("SELECT * FROM registrations WHERE id = ?", (registration_id,))
    return None if row is None else Registration.from_row(row)


async def by_token(tx: Tx, token: str) -> Registration | None:
    """The registration whose calendar link carries this token."""
    row = await tx.fetch_one("SELECT * FROM registrations WHERE token = ?", (token,))
    return None if row is None else Registration.from_row(row)


async def by_code(tx: Tx, code: str) -> Registration | None:
    """The registration with this check-in code."""
    row = await tx.fetch_one("SELECT * FROM registrations WHERE code = ?", (code,))
    return None if row is None else Registration.from_row(row)


async def live(tx: Tx, event_id: int, user_key: str) -> Registration | None:
    """A member's confirmed or waitlisted registration for an event."""
    row = await tx.fetch_one(
        "SELECT * FROM registrations WHERE event_id = ? AND user_key = ? AND status != 'cancelled'",
        (event_id, user_key),
    )
    return None if row is None else Registration.from_row(row)


async def of_user(tx: Tx, user_key: str, since: datetime) -> list[tuple[Registration, Event]]:
    """A member's live registrations for events that have not ended, soonest first."""
    rows = await tx.fetch_all(
        "SELECT r.* FROM registrations r JOIN events e ON e.id = r.event_id"
        " WHERE r.user_key = ? AND r.status != 'cancelled' AND e.ends_at > ?"
        " ORDER BY e.starts_at, r.id",
        (user_key, to_db(since)),
    )
    found = []
    for row in rows:
        event = await get(tx, row["event_id"])
        if event is not None:
            found.append((Registration.from_row(row), event))
    return found


async def position(tx: Tx, reg: Registration) -> int:
    """A waitlisted registration's place in line (1: next to be promoted)."""
    ahead = await tx.fetch_value(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND status = 'waitlisted'"
        " AND id < ?",
        (reg.event_id, reg.id),
    )
    return int(ahead) + 1


async def taken(tx: Tx, event_id: int) -> int:
    """Seats taken by confirmed registrations."""
    value = await tx.fetch_value(
        "SELECT coalesce(sum(seats), 0) FROM registrations"
        " WHERE event_id = ? AND status = 'confirmed'",
        (event_id,),
    )
    return int(value)


def new_code() -> str:
    """A random check-in code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A code as typed or scanned ("k7q-4mx ") in its stored form ("K7Q4MX")."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def register(
    tx: Tx, event_id: int, user_key: str, seats: int, now: datetime
) -> Registration | None:
    """Sign a member up: confirmed while seats last (nobody waiting fits), else waitlisted.

    Decided inside the caller's transaction, which holds the write lock: the last seat goes to
    one member only. None when the member already has a live registration for the event.
    """
    if await live(tx, event_id, user_key) is not None:
        return None
    row = await tx.fetch_one("SELECT capacity FROM events WHERE id = ?", (event_id,))
    if row is None:
        raise LookupError(f"no event {event_id}")
    capacity = row["capacity"]
    fits = capacity is None or await taken(tx, event_id) + seats <= capacity
    status = "confirmed" if fits else "waitlisted"
    for _ in range(5):  # a code already in use: draw another
        try:
            new_id = await tx.insert(
                "INSERT INTO registrations (event_id, user_key, seats, status, code, token,"
                " created_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    user_key,
                    seats,
                    status,
                    new_code(),
                    secrets.token_hex(16),  # 128 bits; hex, so no markup can touch it
                    to_db(now),
                    to_db(now) if fits else None,
                ),
            )
        except sqlite3.IntegrityError as exc:
            if "registrations.code" not in str(exc):
                raise
            continue
        found = await registration(tx, new_id)
        assert found is not None
        return found
    raise RuntimeError("no free check-in code after five draws")


async def cancel(tx: Tx, registration_id: int, now: datetime) -> bool:
    """Cancel a live registration; False when it was not live."""
    changed = await tx.execute(
        "UPDATE registrations SET status = 'cancelled', cancelled_at = ?"
        " WHERE id = ? AND status != 'cancelled'",
        (to_db(now), registration_id),
    )
    return changed > 0


async def promote(tx: Tx, event_id: int, now: datetime) -> list[Registration]:
    """Confirm waitlisted registrations in their order while seats are free.

    A party too large for the seats left keeps its place, and those behind it who fit are
    confirmed (the first in line who fits goes first), so no seat stays empty while someone who
    fits waits.
    """
    row = await tx.fetch_one("SELECT capacity, status FROM events WHERE id = ?", (event_id,))
    if row is None or row["status"] == "cancelled":
        return []
    capacity = row["capacity"]
    free = None if capacity is None else capacity - await taken(tx, event_id)
    promoted = []
    waiting = await tx.fetch_all(
        "SELECT * FROM registrations WHERE event_id = ? AND status = 'waitlisted' ORDER BY id",
        (event_id,),
    )
    for raw in waiting:
        reg = Registration.from_row(raw)
        if free is not None and reg.seats > free:
            if free <= 0:
                break
            continue
        await tx.execute(
            "UPDATE registrations SET status = 'confirmed', confirmed_at = ? WHERE id = ?",
            (to_db(now), reg.id),
        )
        if free is not None:
            free -= reg.seats
        promoted.append(reg)
    return promoted


async def registrations(tx: Tx, event_id: int) -> list[Registration]:
    """Every registration of an event: confirmed, waitlisted (in line) and cancelled, by id."""
    rows = await tx.fetch_all(
        "SELECT * FROM registrations WHERE event_id = ? ORDER BY id", (event_id,)
    )
    return [Registration.from_row(row) for row in rows]


async def checked_in(tx: Tx, event_id: int) -> int:
    """How many registrations of an event have checked in."""
    value = await tx.fetch_value(
        "SELECT count(*) FROM registrations WHERE event_id = ? AND checked_in_at IS NOT NULL",
        (event_id,),
    )
    return int(value)


async def check_in(
    tx: Tx, registration_id: int, by: str, now: datetime
) -> tuple[bool, Registration | None]:
    """Mark a confirmed registration as arrived; (False, as stored) when it already was."""
    changed = await tx.execute(
        "UPDATE registrations SET checked_in_at = ?, checked_in_by = ?"
        " WHERE id = ? AND status = 'confirmed' AND checked_in_at IS NULL",
        (to_db(now), by, registration_id),
    )
    return changed > 0, await registration(tx, registration_id)
