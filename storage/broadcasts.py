"""Broadcasts: an announcement's texts, audience and status, from draft to done or cancelled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Params, Row, Tx
from storage.outbox import FINAL

ONE_TEXT = "*"  # the key of `texts` when one text goes to every language
ACTIVE = ("scheduled", "sending")
Chosen = list[tuple[str, dict[str, str]]]  # audiences and their values, combined with AND

_COLUMNS = (
    "id, sender_user, title, texts, fallback, audience, status, scheduled_for, fanned_out_after,"
    " fanned_out_at, progress_row, created_at, started_at, finished_at, reported_at"
)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One broadcast as stored."""

    id: int
    sender: str | None
    title: str | None
    texts: dict[str, str]
    fallback: str
    audience: Chosen
    status: str
    scheduled_for: datetime | None
    fanned_out_after: str | None
    fanned_out_at: datetime | None
    progress_row: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    reported_at: datetime | None

    @property
    def batch(self) -> str:
        """The outbox batch its rows belong to."""
        return batch_of(self.id)

    def text_for(self, locale: str) -> str:
        """The version a language reads: its own, or the fallback."""
        return self.texts.get(locale) or self.texts[self.fallback]

    @classmethod
    def from_row(cls, row: Row) -> Broadcast:
        """Build a broadcast from a row of `_COLUMNS`."""

        def when(name: str) -> datetime | None:
            value = row[name]
            return None if value is None else from_db(value)

        return cls(
            id=int(row["id"]),
            sender=row["sender_user"],
            title=row["title"],
            texts=dict(json.loads(row["texts"])),
            fallback=row["fallback"],
            audience=[(str(name), dict(values)) for name, values in json.loads(row["audience"])],
            status=row["status"],
            scheduled_for=when("scheduled_for"),
            fanned_out_after=row["fanned_out_after"],
            fanned_out_at=when("fanned_out_at"),
            progress_row=row["progress_row"],
            created_at=from_db(row["created_at"]),
            started_at=when("started_at"),
            finished_at=when("finished_at"),
            reported_at=when("reported_at"),
        )


def batch_of(broadcast_id: int) -> str:
    """The outbox batch of a broadcast."""
    return f"broadcast:{broadcast_id}"


def _json(value: Any) -> str:
    """Compact JSON that keeps every script readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def save_draft(
    tx: Tx,
    draft_id: int | None,
    *,
    sender: str,
    title: str | None,
    texts: dict[str, str],
    fallback: str,
    audience: Chosen,
    now: datetime,
) -> int:
    """Create a draft, or change one that is still a draft; returns its id."""
    values = (title, _json(texts), fallback, _json([[n, v] for n, v in audience]))
    if draft_id is not None:
        changed = await tx.execute(
            "UPDATE broadcasts SET title = ?, texts = ?, fallback = ?, audience = ?"
            " WHERE id = ? AND status = 'draft'",
            (*values, draft_id),
        )
        if changed:
            return draft_id
    return await tx.insert(
        "INSERT INTO broadcasts (sender_user, title, texts, fallback, audience, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (sender, *values, to_db(now)),
    )


async def get(tx: Tx, broadcast_id: int) -> Broadcast | None:
    """One broadcast."""
    row = await tx.fetch_one(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if row is None else Broadcast.from_row(row)


async def recent(tx: Tx, limit: int) -> list[Broadcast]:
    """Scheduled and sending ones first, then the latest others."""
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM broadcasts"
        " ORDER BY status IN ('scheduled', 'sending') DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [Broadcast.from_row(r) for r in rows]


async def schedule(tx: Tx, broadcast_id: int, at: datetime) -> bool:
    """A draft becomes scheduled (now or later); False when it is no draft any more."""
    changed = await tx.execute(
        "UPDATE broadcasts SET status = 'scheduled', scheduled_for = ?"
        " WHERE id = ? AND status = 'draft'",
        (to_db(at), broadcast_id),
    )
    return changed > 0


async def discard(tx: Tx, broadcast_id: int) -> bool:
    """Delete a draft that was never sent."""
    return (
        await tx.execute(
            "DELETE FROM broadcasts WHERE id = ? AND status = 'draft'", (broadcast_id,)
        )
        > 0
    )


async def cancel(tx: Tx, broadcast_id: int, now: datetime) -> str | None:
    """Cancel a scheduled or sending broadcast; returns the status it had, None if it could not.

    One that never started needs no report; one that was sending gets its report later.
    """
    found = await tx.fetch_value("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,))
    if found not in ACTIVE:
        return None
    await tx.execute(
        "UPDATE broadcasts SET status = 'cancelled', finished_at = ?,"
        " reported_at = CASE WHEN started_at IS NULL THEN ? ELSE reported_at END WHERE id = ?",
        (to_db(now), to_db(now), broadcast_id),
    )
    return str(found)


async def due(tx: Tx, now: datetime) -> list[int]:
    """Scheduled broadcasts whose time has come, oldest first."""
    rows = await tx.fetch_all(
        "SELECT id FROM broadcasts WHERE status = 'scheduled' AND scheduled_for <= ?"
        " ORDER BY scheduled_for, id",
        (to_db(now),),
    )
    return [int(r[0]) for r in rows]


async def next_due(tx: Tx) -> datetime | None:
    """When the next scheduled broadcast falls due."""
    value = await tx.fetch_value(
        "SELECT min(scheduled_for) FROM broadcasts WHERE status = 'scheduled'"
    )
    return None if value is None else from_db(value)


async def start(tx: Tx, broadcast_id: int, now: datetime) -> bool:
    """A due broadcast starts sending; False when it was cancelled meanwhile."""
    changed = await tx.execute(
        "UPDATE broadcasts SET status = 'sending', started_at = ?, fanned_out_after = ''"
        " WHERE id = ? AND status = 'scheduled'",
        (to_db(now), broadcast_id),
    )
    return changed > 0


async def fanned(tx: Tx, broadcast_id: int, after: str | None, now: datetime) -> None:
    """Record how far the fan-out got (`after` None: every row is queued)."""
    if after is None:
        await tx.execute(
            "UPDATE broadcasts SET fanned_out_at = ? WHERE id = ?", (to_db(now), broadcast_id)
        )
    else:
        await tx.execute(
            "UPDATE broadcasts SET fanned_out_after = ? WHERE id = ?", (after, broadcast_id)
        )


async def status_of(tx: Tx, broadcast_id: int) -> str | None:
    """A broadcast's status now."""
    value = await tx.fetch_value("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if value is None else str(value)


async def following(tx: Tx) -> list[Broadcast]:
    """Broadcasts being sent, and ended ones whose final report is still owed."""
    rows = await tx.fetch_all(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE status = 'sending'"
        " OR (status IN ('done', 'cancelled') AND reported_at IS NULL AND started_at IS NOT NULL)"
        " ORDER BY id"
    )
    return [Broadcast.from_row(r) for r in rows]


async def set_progress_row(tx: Tx, broadcast_id: int, row_id: int) -> None:
    """Remember the progress message that later progress rows edit."""
    await tx.execute("UPDATE broadcasts SET progress_row = ? WHERE id = ?", (row_id, broadcast_id))


async def finish(tx: Tx, broadcast_id: int, now: datetime) -> bool:
    """A broadcast whose rows are all out is done; False when it is not sending any more."""
    changed = await tx.execute(
        "UPDATE broadcasts SET status = 'done', finished_at = ?"
        " WHERE id = ? AND status = 'sending'",
        (to_db(now), broadcast_id),
    )
    return changed > 0


async def reported(tx: Tx, broadcast_id: int, now: datetime) -> None:
    """The final report is queued."""
    await tx.execute(
        "UPDATE broadcasts SET reported_at = ? WHERE id = ?", (to_db(now), broadcast_id)
    )


@dataclass(frozen=True, slots=True)
class Group:
    """Recipients who share a channel, a language setting and a WhatsApp window situation."""

    channel: str
    locale: str | None
    locale_hint: str | None
    outside_window: bool
    needs_notice: bool
    count: int


async def breakdown(
    tx: Tx, audience: tuple[str, Sequence[Any]], window_edge: datetime
) -> list[Group]:
    """An audience grouped for the preview (few groups, however many users: memory stays flat).

    `window_edge`: WhatsApp users who last wrote before it are outside the 24-hour window.
    Audiences yield each key once (they always intersect with the base), so a join is safe, and
    faster than IN on 100k users (about 0.2 s).
    """
    sql, params = audience
    outside = "u.channel = 'whatsapp' AND (u.last_inbound_at IS NULL OR u.last_inbound_at <= ?)"
    rows = await tx.fetch_all(
        f"SELECT u.channel, u.locale, u.locale_hint, {outside},"
        f" ({outside}) AND (u.notice_sent_at IS NULL OR u.notice_sent_at < u.last_inbound_at),"
        f" count(*) FROM ({sql}) a JOIN users u ON u.key = a.key GROUP BY 1, 2, 3, 4, 5",
        (to_db(window_edge), to_db(window_edge), *params),
    )
    return [Group(r[0], r[1], r[2], bool(r[3]), bool(r[4]), int(r[5])) for r in rows]


async def counts_by_channel(tx: Tx, batch: str) -> dict[str, dict[str, int]]:
    """Rows of a batch per channel and status (for the time left at each channel's pace)."""
    rows = await tx.fetch_all(
        "SELECT channel, status, count(*) FROM outbox WHERE batch = ? GROUP BY 1, 2", (batch,)
    )
    found: dict[str, dict[str, int]] = {}
    for channel, status, count in rows:
        found.setdefault(channel, {})[status] = int(count)
    return found


async def message_counts(tx: Tx, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Messages per status for several broadcasts at once (the list of broadcasts): their rows,
    and those already purged or erased."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = await tx.fetch_all(
        f"SELECT batch, status, count(*) FROM outbox WHERE batch IN ({marks}) GROUP BY 1, 2",
        tuple(batch_of(i) for i in ids),
    )
    by_batch = {batch_of(i): i for i in ids}
    found: dict[int, dict[str, int]] = {}
    for batch, status, count in rows:
        by = found.setdefault(by_batch[batch], {})
        by[status] = by.get(status, 0) + int(count)
    rows = await tx.fetch_all(
        f"SELECT broadcast_id, status, sum(n) FROM broadcast_counts WHERE broadcast_id IN ({marks})"
        " GROUP BY 1, 2",
        tuple(ids),
    )
    for broadcast_id, status, count in rows:
        by = found.setdefault(int(broadcast_id), {})
        by[status] = by.get(status, 0) + int(count)
    return found


async def message_reasons(tx: Tx, broadcast_id: int) -> list[tuple[str, str | None, int]]:
    """(status, reason, messages) for one broadcast: its rows, and those already purged or
    erased."""
    rows = await tx.fetch_all(
        "SELECT status, reason, count(*) FROM outbox WHERE batch = ? GROUP BY 1, 2"
        " UNION ALL SELECT status, nullif(reason, ''), n FROM broadcast_counts"
        " WHERE broadcast_id = ?",
        (batch_of(broadcast_id), broadcast_id),
    )
    return [(r[0], r[1], int(r[2])) for r in rows]


async def keep_counts(tx: Tx, chosen: str, params: Params) -> None:
    """Add the finished broadcast rows among the outbox ids `chosen` selects to their broadcasts'
    counts; called right before those rows are deleted, in the same transaction."""
    # The batch names the broadcast ('broadcast:<id>', batch_of); the id from it finds the
    # broadcast by its key, and comparing the whole batch leaves out ':progress' rows (the
    # sender's progress lines and report).
    finals = ", ".join(f"'{s}'" for s in FINAL)
    await tx.execute(
        "INSERT INTO broadcast_counts (broadcast_id, status, reason, n)"
        " SELECT b.id, o.status, coalesce(o.reason, ''), count(*) FROM outbox o"
        " JOIN broadcasts b ON b.id = CAST(substr(o.batch, 11) AS INTEGER)"
        f" WHERE o.id IN ({chosen}) AND o.batch LIKE 'broadcast:%' AND o.status IN ({finals})"
        "  AND o.batch = 'broadcast:' || b.id"
        " GROUP BY 1, 2, 3"
        " ON CONFLICT (broadcast_id, status, reason) DO UPDATE SET n = n + excluded.n",
        params,
    )


async def row_status(tx: Tx, row_id: int) -> str | None:
    """The status of one outbox row (has the progress message gone out yet?)."""
    value = await tx.fetch_value("SELECT status FROM outbox WHERE id = ?", (row_id,))
    return None if value is None else str(value)
