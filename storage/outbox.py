"""Outbox rows: queued in a step's transaction, claimed in small batches, finished with a reason."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Tx
from storage.users import COLUMNS, User

LANES = ("direct", "bulk")
FINAL = ("sent", "failed", "skipped", "cancelled")
# Not a message: the recipient's list of commands, redrawn for their roles and language at send
# time (a role granted or revoked in the chat). Opt-outs do not hold it back; channels without
# such lists skip it.
COMMAND_MENU = "command-menu"


@dataclass(frozen=True, slots=True)
class Row:
    """A claimed row, with its recipient as stored now."""

    id: int
    user: User
    renderer: str
    args: dict[str, Any]
    lane: str
    batch: str | None
    attempts: int
    edits_message_id: str | None  # the platform id of the message this row edits, if any


@dataclass(frozen=True, slots=True)
class Finish:
    """How a claimed row ended (or when to try it again)."""

    id: int
    status: str  # sent, failed, skipped, held, pending (retry)
    platform_message_id: str | None = None
    reason: str | None = None
    next_attempt: datetime | None = None
    attempts: int | None = None


async def enqueue(
    tx: Tx,
    recipient: str,
    renderer: str,
    args: dict[str, Any],
    *,
    lane: str,
    now: datetime,
    not_before: datetime | None = None,
    key: str | None = None,
    batch: str | None = None,
    edits: int | None = None,
) -> int | None:
    """Queue one message; None when a row with this idempotency key already exists."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    due = to_db(not_before or now)
    cursor_rows = await tx.fetch_all(
        "INSERT INTO outbox (recipient, channel, renderer, args, lane, idempotency_key, batch,"
        " edits, not_before, next_attempt, created_at)"
        " SELECT key, channel, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM users WHERE key = ?"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        (
            renderer,
            json.dumps(args, ensure_ascii=False, separators=(",", ":")),
            lane,
            key or f"once:{uuid.uuid4().hex}",
            batch,
            edits,
            due,
            due,
            to_db(now),
            recipient,
        ),
    )
    return int(cursor_rows[0][0]) if cursor_rows else None


async def fan_out(
    tx: Tx,
    audience_sql: str,
    params: Sequence[Any],
    after: str,
    limit: int,
    *,
    renderer: str,
    args: dict[str, Any],
    lane: str,
    batch: str,
    now: datetime,
    not_before: datetime | None = None,
) -> str | None:
    """Queue one chunk of an audience (keys after `after`, in order); returns the last key done."""
    last = await tx.fetch_value(
        f"SELECT max(key) FROM (SELECT key FROM ({audience_sql}) WHERE key > ?"
        " ORDER BY key LIMIT ?)",
        (*params, after, limit),
    )
    if last is None:
        return None
    due = to_db(not_before or now)
    await tx.execute(
        "INSERT INTO outbox (recipient, channel, renderer, args, lane, idempotency_key, batch,"
        " not_before, next_attempt, created_at)"
        f" SELECT u.key, u.channel, ?, ?, ?, ? || ':' || u.key, ?, ?, ?, ?"
        f" FROM users u WHERE u.key IN (SELECT key FROM ({audience_sql}))"
        " AND u.key > ? AND u.key <= ? ORDER BY u.key"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        (
            renderer,
            json.dumps(args, ensure_ascii=False, separators=(",", ":")),
            lane,
            batch,
            batch,
            due,
            due,
            to_db(now),
            *params,
            after,
            last,
        ),
    )
    return str(last)


_USER = ", ".join(f"u.{name} AS u_{name}" for name in COLUMNS)
_CANDIDATES = f"""
SELECT o.id, o.renderer, o.args, o.lane, o.batch, o.attempts, e.platform_message_id AS edits_id,
       {_USER}
FROM outbox o
JOIN users u ON u.key = o.recipient
LEFT JOIN outbox e ON e.id = o.edits
WHERE o.channel = :channel AND o.status = 'pending' AND o.lane = :lane
  AND o.next_attempt <= :now AND (:recipient IS NULL OR o.recipient = :recipient)
ORDER BY o.next_attempt, o.id
LIMIT :limit
"""


def ineligible(user: User, lane: str, renderer: str = "") -> str | None:
    """Why a row may not go to this user now (None: it may)."""
    if renderer == COMMAND_MENU:  # a revoked admin who sent STOP must still lose the admin list
        return None
    if user.opted_out_at is not None:
        return "opted out"
    if user.unreachable_at is not None:
        return f"unreachable: {user.unreachable_reason or 'unknown'}"
    if lane == "bulk" and not user.announcements:
        return "announcements off"
    return None


async def claim(
    tx: Tx, channel: str, now: datetime, limit: int, recipient: str | None = None
) -> list[Row]:
    """Claim due rows, direct before bulk; rows nobody may receive now are skipped on the way."""
    rows: list[Row] = []
    skipped: list[tuple[str, str, int]] = []
    for lane in LANES:
        if len(rows) >= limit:
            break
        found = await tx.fetch_all(
            _CANDIDATES,
            {
                "channel": channel,
                "lane": lane,
                "now": to_db(now),
                "recipient": recipient,
                "limit": limit - len(rows),
            },
        )
        for raw in found:
            user = User.from_row(raw, prefix="u_")
            reason = ineligible(user, raw["lane"], raw["renderer"])
            if reason is not None:
                skipped.append((reason, to_db(now), raw["id"]))
                continue
            rows.append(
                Row(
                    raw["id"],
                    user,
                    raw["renderer"],
                    json.loads(raw["args"]),
                    raw["lane"],
                    raw["batch"],
                    raw["attempts"],
                    raw["edits_id"],
                )
            )
    if skipped:
        await tx.execute_many(
            "UPDATE outbox SET status = 'skipped', reason = ?, finished_at = ? WHERE id = ?",
            skipped,
        )
    if rows:
        await tx.execute_many(
            "UPDATE outbox SET status = 'claimed', claimed_at = ? WHERE id = ?",
            [(to_db(now), row.id) for row in rows],
        )
    return rows


async def finish(tx: Tx, results: Iterable[Finish], now: datetime) -> None:
    """Record how claimed rows ended, or put them back to be tried again later."""
    stamp = to_db(now)
    await tx.execute_many(
        "UPDATE outbox SET status = ?, platform_message_id = coalesce(?, platform_message_id),"
        " reason = ?, next_attempt = coalesce(?, next_attempt),"
        " attempts = coalesce(?, attempts), claimed_at = NULL,"
        " finished_at = CASE WHEN ? IN ('sent', 'failed', 'skipped') THEN ? ELSE NULL END"
        " WHERE id = ?",
        [
            (
                r.status,
                r.platform_message_id,
                r.reason,
                to_db(r.next_attempt) if r.next_attempt else None,
                r.attempts,
                r.status,
                stamp,
                r.id,
            )
            for r in results
        ],
    )


async def recover(tx: Tx) -> int:
    """After a crash: rows claimed but never finished are uncertain; put them back in line."""
    return await tx.execute(
        "UPDATE outbox SET status = 'pending', claimed_at = NULL WHERE status = 'claimed'"
    )


async def earliest_due(tx: Tx, channel: str, recipient: str | None = None) -> datetime | None:
    """When the next pending row of a channel falls due."""
    value = await tx.fetch_value(
        "SELECT min(next_attempt) FROM outbox WHERE channel = ? AND status = 'pending'"
        " AND (? IS NULL OR recipient = ?)",
        (channel, recipient, recipient),
    )
    return None if value is None else from_db(value)


async def still_eligible(tx: Tx, rows: Sequence[Row]) -> dict[int, str]:
    """Rows whose recipient opted out or became unreachable since the claim, with the reason."""
    if not rows:
        return {}
    keys = sorted({row.user.key for row in rows})
    marks = ", ".join("?" for _ in keys)
    found = await tx.fetch_all(
        f"SELECT {', '.join(COLUMNS)} FROM users WHERE key IN ({marks})", keys
    )
    now_users = {r["key"]: User.from_row(r) for r in found}
    blocked = {}
    for row in rows:
        user = now_users.get(row.user.key)
        reason = "deleted" if user is None else ineligible(user, row.lane, row.renderer)
        if reason is not None:
            blocked[row.id] = reason
    return blocked


async def held(tx: Tx, recipient: str) -> list[Row]:
    """A user's held rows (WhatsApp, waiting for them to write), oldest first."""
    found = await tx.fetch_all(
        f"SELECT o.id, o.renderer, o.args, o.lane, o.batch, o.attempts, NULL AS edits_id, {_USER}"
        " FROM outbox o JOIN users u ON u.key = o.recipient"
        " WHERE o.recipient = ? AND o.status = 'held' ORDER BY o.id",
        (recipient,),
    )
    return [
        Row(
            r["id"],
            User.from_row(r, prefix="u_"),
            r["renderer"],
            json.loads(r["args"]),
            r["lane"],
            r["batch"],
            r["attempts"],
            None,
        )
        for r in found
    ]


async def settle_held(tx: Tx, recipient: str, now: datetime) -> list[Row]:
    """A user's held rows they may still receive, oldest first; the others are skipped with the
    reason, by the rule the worker applies before it sends (opted out, announcements off)."""
    keep: list[Row] = []
    skipped: list[tuple[str, str, int]] = []
    for row in await held(tx, recipient):
        reason = ineligible(row.user, row.lane, row.renderer)
        if reason is None:
            keep.append(row)
        else:
            skipped.append((reason, to_db(now), row.id))
    if skipped:
        await tx.execute_many(
            "UPDATE outbox SET status = 'skipped', reason = ?, finished_at = ? WHERE id = ?",
            skipped,
        )
    return keep


async def requeue_held(tx: Tx, ids: Sequence[int], now: datetime) -> None:
    """Put held rows back in line, due now (their recipient wrote: the window is open)."""
    await tx.execute_many(
        "UPDATE outbox SET status = 'pending', reason = NULL, next_attempt = ?"
        " WHERE id = ? AND status = 'held'",
        [(to_db(now), row_id) for row_id in ids],
    )


async def counts(tx: Tx, batch: str) -> list[tuple[str, str | None, int]]:
    """(status, reason, rows) for one batch."""
    found = await tx.fetch_all(
        "SELECT status, reason, count(*) FROM outbox WHERE batch = ? GROUP BY status, reason",
        (batch,),
    )
    return [(r[0], r[1], int(r[2])) for r in found]


async def cancel(
    tx: Tx,
    now: datetime,
    *,
    reason: str,
    batch: str | None = None,
    recipient: str | None = None,
) -> int:
    """Cancel the rows of a batch or of a user that have not gone out yet."""
    if batch is None and recipient is None:
        raise ValueError("cancel needs a batch or a recipient")
    return await tx.execute(
        "UPDATE outbox SET status = 'cancelled', reason = ?, finished_at = ?"
        " WHERE status IN ('pending', 'held') AND (? IS NULL OR batch = ?)"
        " AND (? IS NULL OR recipient = ?)",
        (reason, to_db(now), batch, batch, recipient, recipient),
    )


def needs_notice(user: User) -> bool:
    """Whether a user with held messages has not been told since they last wrote."""
    if user.opted_out_at is not None or user.unreachable_at is not None:
        return False
    if user.notice_sent_at is None:
        return True
    return user.last_inbound_at is not None and user.notice_sent_at < user.last_inbound_at


async def needing_notice(tx: Tx, channel: str, limit: int = 500) -> list[User]:
    """Users with held rows who have not had a notice since they last wrote."""
    found = await tx.fetch_all(
        f"SELECT {', '.join('u.' + c for c in COLUMNS)} FROM users u"
        " WHERE u.key IN (SELECT recipient FROM outbox WHERE channel = ? AND status = 'held')"
        " AND u.opted_out_at IS NULL AND u.unreachable_at IS NULL"
        " AND (u.notice_sent_at IS NULL OR u.notice_sent_at < u.last_inbound_at)"
        " ORDER BY u.key LIMIT ?",
        (channel, limit),
    )
    return [User.from_row(r) for r in found]


async def notices_since(tx: Tx, since: datetime) -> int:
    """How many users were sent a notice since a moment (today's share of the daily cap)."""
    return int(
        await tx.fetch_value(
            "SELECT count(*) FROM users WHERE notice_sent_at >= ?", (to_db(since),)
        )
    )


async def skip_held(tx: Tx, recipient: str, reason: str, now: datetime) -> int:
    """Give up on a user's held rows (no template, or the user cannot be reached)."""
    return await tx.execute(
        "UPDATE outbox SET status = 'skipped', reason = ?, finished_at = ?"
        " WHERE recipient = ? AND status = 'held'",
        (reason, to_db(now), recipient),
    )


async def backlog(tx: Tx, now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Per lane: rows due now and not sent yet, and when the oldest of them fell due."""
    rows = await tx.fetch_all(
        "SELECT lane, count(*), min(next_attempt) FROM outbox"
        " WHERE status IN ('pending', 'claimed') AND next_attempt <= ? GROUP BY lane",
        (to_db(now),),
    )
    found: dict[str, tuple[int, datetime | None]] = {lane: (0, None) for lane in LANES}
    for lane, count, oldest in rows:
        found[lane] = (int(count), from_db(oldest) if oldest else None)
    return found
