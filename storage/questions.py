"""Questions for consular officers and the messages exchanged on each."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Row, Tx

STATUSES = ("open", "claimed", "answered", "closed")


@dataclass(frozen=True, slots=True)
class Question:
    """A member's question and where it stands."""

    id: int
    reference: str
    user_key: str
    about: str | None
    locale: str
    channel: str
    country: str | None
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    faq_id: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> Question:
        """Build from a row of `questions`."""
        values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
        for name in ("claimed_at", "created_at", "updated_at", "closed_at"):
            if values[name] is not None:
                values[name] = from_db(values[name])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Message:
    """One message on a question, from the member or an officer."""

    id: int
    question_id: int
    author: str | None
    side: str
    body: str
    faq_id: str | None
    created_at: datetime


_COLUMNS = ", ".join(f.name for f in fields(Question))


async def create(
    tx: Tx,
    *,
    reference: str,
    user_key: str,
    body: str,
    about: str | None,
    locale: str,
    channel: str,
    country: str | None,
    faq_id: str | None,
    now: datetime,
) -> Question:
    """Open a question with its first message."""
    stamp = to_db(now)
    rows = await tx.fetch_all(
        f"INSERT INTO questions (reference, user_key, about, locale, channel, country, faq_id,"
        f" created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (reference, user_key, about, locale, channel, country, faq_id, stamp, stamp),
    )
    question = Question.from_row(rows[0])
    await add_message(tx, question.id, user_key, "member", body, None, now)
    return question


async def get(tx: Tx, question_id: int) -> Question | None:
    """A question by id."""
    row = await tx.fetch_one(f"SELECT {_COLUMNS} FROM questions WHERE id = ?", (question_id,))
    return None if row is None else Question.from_row(row)


async def of_user(tx: Tx, key: str) -> list[Question]:
    """A member's questions, newest first."""
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM questions WHERE user_key = ? ORDER BY id DESC", (key,)
    )
    return [Question.from_row(r) for r in rows]


async def waiting(tx: Tx, limit: int, offset: int = 0) -> list[Question]:
    """Questions officers still have to deal with (open or being handled), oldest first."""
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM questions WHERE status IN ('open', 'claimed')"
        " ORDER BY created_at, id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [Question.from_row(r) for r in rows]


async def count_waiting(tx: Tx) -> int:
    """How many questions are open or being handled."""
    value = await tx.fetch_value(
        "SELECT count(*) FROM questions WHERE status IN ('open', 'claimed')"
    )
    return int(value)


async def messages(tx: Tx, question_id: int) -> list[Message]:
    """The conversation on a question, in order."""
    rows = await tx.fetch_all(
        "SELECT id, question_id, author, side, body, faq_id, created_at FROM question_messages"
        " WHERE question_id = ? ORDER BY id",
        (question_id,),
    )
    return [Message(r[0], r[1], r[2], r[3], r[4], r[5], from_db(r[6])) for r in rows]


async def message(tx: Tx, message_id: int) -> Message | None:
    """One message by id."""
    r = await tx.fetch_one(
        "SELECT id, question_id, author, side, body, faq_id, created_at FROM question_messages"
        " WHERE id = ?",
        (message_id,),
    )
    return None if r is None else Message(r[0], r[1], r[2], r[3], r[4], r[5], from_db(r[6]))


async def add_message(
    tx: Tx,
    question_id: int,
    author: str,
    side: str,
    body: str,
    faq_id: str | None,
    now: datetime,
) -> int:
    """Add a message to a question and touch it."""
    message_id = await tx.insert(
        "INSERT INTO question_messages (question_id, author, side, body, faq_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (question_id, author, side, body, faq_id, to_db(now)),
    )
    await tx.execute("UPDATE questions SET updated_at = ? WHERE id = ?", (to_db(now), question_id))
    return message_id


async def claim(tx: Tx, question_id: int, officer: str, now: datetime) -> bool:
    """Take an open question; False when someone else was first or it is not open."""
    changed = await tx.execute(
        "UPDATE questions SET status = 'claimed', claimed_by = ?, claimed_at = ?, updated_at = ?"
        " WHERE id = ? AND status = 'open'",
        (officer, to_db(now), to_db(now), question_id),
    )
    return changed == 1


async def set_status(tx: Tx, question_id: int, status: str, now: datetime) -> None:
    """Move a question to a status (closing stamps the time; reopening clears the claim)."""
    if status not in STATUSES:
        raise ValueError(status)
    stamp = to_db(now)
    if status == "open":
        await tx.execute(
            "UPDATE questions SET status = 'open', claimed_by = NULL, claimed_at = NULL,"
            " closed_at = NULL, updated_at = ? WHERE id = ?",
            (stamp, question_id),
        )
    else:
        await tx.execute(
            "UPDATE questions SET status = ?, updated_at = ?,"
            " closed_at = CASE WHEN ? = 'closed' THEN ? ELSE closed_at END WHERE id = ?",
            (status, stamp, status, stamp, question_id),
        )


async def notifies(tx: Tx, key: str) -> bool:
    """Whether an officer wants to hear about new questions (on unless switched off)."""
    value = await tx.fetch_value(
        "SELECT notify_new FROM officer_settings WHERE user_key = ?", (key,)
    )
    return value is None or bool(value)


async def set_notifies(tx: Tx, key: str, on: bool) -> None:
    """Switch an officer's new-question notices on or off."""
    await tx.execute(
        "INSERT INTO officer_settings (user_key, notify_new) VALUES (?, ?)"
        " ON CONFLICT (user_key) DO UPDATE SET notify_new = excluded.notify_new",
        (key, int(on)),
    )
