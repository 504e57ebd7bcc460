"""Project ideas, the history of their statuses, and the members' unfinished drafts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage import exports
from storage.clock import from_db, to_db
from storage.database import Row, Tx

STATUSES = ("received", "under_review", "shortlisted", "accepted", "declined")
FILTERS = ("status", "sector", "county")  # what an admin may narrow the list by


@dataclass(frozen=True, slots=True)
class Idea:
    """A submitted project idea and where it stands."""

    id: int
    reference: str
    user_key: str
    sector: str
    direction: str
    support: str
    title: str
    description: str
    county: str
    contact_way: str
    contact: str | None
    locale: str
    channel: str
    country: str | None
    status: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Idea:
        """Build from a row of `ideas`."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        values["created_at"] = from_db(values["created_at"])
        values["updated_at"] = from_db(values["updated_at"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Change:
    """One status an idea was moved to, by whom, with the message for the submitter."""

    id: int
    idea_id: int
    status: str
    message: str | None
    changed_by: str | None
    changed_at: datetime


_COLUMNS = ", ".join(f.name for f in fields(Idea))
_CHANGE_COLUMNS = "id, idea_id, status, message, changed_by, changed_at"
# The fields a member gives, in the order they are asked.
FIELDS = (
    "sector",
    "direction",
    "support",
    "title",
    "description",
    "county",
    "contact_way",
    "contact",
)


def _change(row: Row) -> Change:
    """Build a Change from a row of `idea_status_changes`."""
    return Change(row[0], row[1], row[2], row[3], row[4], from_db(row[5]))


async def create(
    tx: Tx,
    *,
    reference: str,
    user_key: str,
    answers: Mapping[str, Any],
    locale: str,
    channel: str,
    country: str | None,
    now: datetime,
) -> Idea:
    """Store a submitted idea, with its first status, `received`."""
    stamp = to_db(now)
    values = (reference, user_key, *(answers.get(name) for name in FIELDS))
    values += (locale, channel, country, stamp, stamp)
    rows = await tx.fetch_all(
        f"INSERT INTO ideas (reference, user_key, {', '.join(FIELDS)}, locale, channel, country,"
        f" created_at, updated_at) VALUES ({', '.join('?' * len(values))}) RETURNING {_COLUMNS}",
        values,
    )
    idea = Idea.from_row(rows[0])
    await tx.execute(
        "INSERT INTO idea_status_changes (idea_id, status, changed_at) VALUES (?, 'received', ?)",
        (idea.id, stamp),
    )
    return idea


async def get(tx: Tx, idea_id: int) -> Idea | None:
    """An idea by id."""
    row = await tx.fetch_one(f"SELECT {_COLUMNS} FROM ideas WHERE id = ?", (idea_id,))
    return None if row is None else Idea.from_row(row)


async def of_user(tx: Tx, key: str) -> list[Idea]:
    """A member's ideas, newest first."""
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM ideas WHERE user_key = ? ORDER BY id DESC", (key,)
    )
    return [Idea.from_row(r) for r in rows]


def _where(filters: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause for the admin's filters (status, sector, county; absent means any)."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {sorted(unknown)}")
    names = [name for name in FILTERS if name in filters]
    if not names:
        return "", ()
    return " WHERE " + " AND ".join(f"{n} = ?" for n in names), tuple(filters[n] for n in names)


async def search(tx: Tx, filters: Mapping[str, str], limit: int, offset: int = 0) -> list[Idea]:
    """Ideas matching the filters, newest first, a page at a time."""
    where, params = _where(filters)
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM ideas{where} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [Idea.from_row(r) for r in rows]


async def count(tx: Tx, filters: Mapping[str, str]) -> int:
    """How many ideas match the filters."""
    where, params = _where(filters)
    return int(await tx.fetch_value(f"SELECT count(*) FROM ideas{where}", params))


async def counts_by_status(tx: Tx) -> dict[str, int]:
    """How many ideas are in each status."""
    rows = await tx.fetch_all("SELECT status, count(*) FROM ideas GROUP BY status")
    return {str(r[0]): int(r[1]) for r in rows}


async def change_status(
    tx: Tx, idea_id: int, status: str, message: str | None, by: str, now: datetime
) -> int | None:
    """Move an idea to a status and record it; None when it already is in that status."""
    if status not in STATUSES:
        raise ValueError(status)
    stamp = to_db(now)
    changed = await tx.execute(
        "UPDATE ideas SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
        (status, stamp, idea_id, status),
    )
    if changed != 1:
        return None
    return await tx.insert(
        "INSERT INTO idea_status_changes (idea_id, status, message, changed_by, changed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (idea_id, status, message, by, stamp),
    )


async def change(tx: Tx, change_id: int) -> Change | None:
    """One status change by id."""
    row = await tx.fetch_one(
        f"SELECT {_CHANGE_COLUMNS} FROM idea_status_changes WHERE id = ?", (change_id,)
    )
    return None if row is None else _change(row)


async def history(tx: Tx, idea_id: int) -> list[Change]:
    """Every status an idea went through, oldest first."""
    rows = await tx.fetch_all(
        f"SELECT {_CHANGE_COLUMNS} FROM idea_status_changes WHERE idea_id = ? ORDER BY id",
        (idea_id,),
    )
    return [_change(r) for r in rows]


# -- drafts ----------------------------------------------------------------------------------------


async def draft(tx: Tx, key: str) -> dict[str, Any] | None:
    """A member's unfinished idea (the answers so far), if there is one."""
    value = await tx.fetch_value("SELECT fields FROM idea_drafts WHERE user_key = ?", (key,))
    return None if value is None else dict(json.loads(value))


async def save_draft(tx: Tx, key: str, answers: Mapping[str, Any], now: datetime) -> None:
    """Keep a member's answers so far (one draft per member)."""
    stamp = to_db(now)
    await tx.execute(
        "INSERT INTO idea_drafts (user_key, fields, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_key) DO UPDATE SET fields = excluded.fields,"
        " updated_at = excluded.updated_at",
        (key, json.dumps(dict(answers), ensure_ascii=False, separators=(",", ":")), stamp, stamp),
    )


async def discard_draft(tx: Tx, key: str) -> bool:
    """Delete a member's draft; False when there was none."""
    return await tx.execute("DELETE FROM idea_drafts WHERE user_key = ?", (key,)) == 1


# -- export ----------------------------------------------------------------------------------------


def export(path: str, filters: Mapping[str, str]) -> list[sqlite3.Row]:
    """Every idea matching the filters with its last status message, oldest first (a thread's
    read-only connection: see storage/exports.py)."""
    where, params = _where(filters)
    return exports.read(
        path,
        f"SELECT {_COLUMNS},"
        " (SELECT message FROM idea_status_changes c WHERE c.idea_id = ideas.id"
        "  ORDER BY c.id DESC LIMIT 1) AS last_message"
        f" FROM ideas{where} ORDER BY id",
        params,
    )
