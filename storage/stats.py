"""Statistics for admins: SQL aggregates over indexes, read on the read-only connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.audiences import language_sql
from storage.clock import from_db, to_db
from storage.database import Tx
from storage.events import FALLBACK

Counts = list[tuple[str | None, int]]  # (value, count), the most common first


@dataclass(frozen=True, slots=True)
class EventCounts:
    """One event's registrations: confirmed (people and seats), checked in, on the waitlist."""

    id: int
    status: str
    sample: bool
    starts_at: datetime
    time_zone: str
    city: str | None
    country: str | None
    online: bool
    capacity: int | None
    titles: dict[str, str]
    registered: int
    seats: int
    attended: int
    waiting: int

    def title(self, locale: str) -> str:
        """The title in a language, or in the first language that has one."""
        for candidate in (locale, *FALLBACK):
            if candidate in self.titles:
                return self.titles[candidate]
        return next(iter(self.titles.values()), f"#{self.id}")


@dataclass(frozen=True, slots=True)
class Totals:
    """Registrations over every event."""

    registered: int
    seats: int
    attended: int
    waiting: int
    upcoming: int  # published events not started yet
    past: int  # published events that have started


async def _counts(tx: Tx, sql: str, params: Sequence[object] = ()) -> Counts:
    """Rows of (value, count)."""
    return [(r[0], int(r[1])) for r in await tx.fetch_all(sql, params)]


# -- users -----------------------------------------------------------------------------------------


async def users_total(tx: Tx) -> int:
    """Everyone who ever wrote to the bot."""
    return int(await tx.fetch_value("SELECT count(*) FROM users"))


async def users_by_channel(tx: Tx) -> Counts:
    """Users per channel."""
    return await _counts(
        tx, "SELECT channel, count(*) FROM users GROUP BY channel ORDER BY 2 DESC, 1"
    )


async def users_by_language(tx: Tx, locales: Sequence[str], default: str) -> Counts:
    """Users per language they read (their choice, else the platform's hint, else the default)."""
    # Counted per stored pair from the (locale, locale_hint) index first: the language is then
    # worked out once per pair, not once per user.
    return await _counts(
        tx,
        f"SELECT {language_sql(locales)} AS language, sum(n) FROM"
        " (SELECT locale, locale_hint, count(*) AS n FROM users GROUP BY locale, locale_hint)"
        " GROUP BY language ORDER BY 2 DESC, 1",
        (default,),
    )


async def users_by_country(tx: Tx) -> Counts:
    """Users per country of residence (None: not given)."""
    return await _counts(
        tx, "SELECT country, count(*) FROM users GROUP BY country ORDER BY 2 DESC, 1"
    )


async def new_users(tx: Tx, weeks: Sequence[tuple[datetime, datetime]]) -> list[int]:
    """New users in each [start, end) interval: one range count on the creation index each."""
    if not weeks:
        return []
    values = ", ".join("(?, ?, ?)" for _ in weeks)
    params: list[object] = []
    for index, (start, end) in enumerate(weeks):
        params += [index, to_db(start), to_db(end)]
    rows = await tx.fetch_all(
        f"WITH weeks(n, start, stop) AS (VALUES {values})"
        " SELECT n, (SELECT count(*) FROM users WHERE created_at >= start AND created_at < stop)"
        " FROM weeks ORDER BY n",
        params,
    )
    return [int(r[1]) for r in rows]


# -- events ----------------------------------------------------------------------------------------


async def event_counts(tx: Tx, limit: int | None, drafts: bool = False) -> list[EventCounts]:
    """Published and cancelled events (and drafts if asked), the latest start first, with their
    registrations."""
    rows = await tx.fetch_all(
        "WITH chosen AS (SELECT id, status, sample, starts_at, time_zone, city, country,"
        "  online_url, capacity FROM events WHERE status != 'draft' OR ?"
        "  ORDER BY starts_at DESC, id DESC LIMIT ?)"
        " SELECT c.id, c.status, c.sample, c.starts_at, c.time_zone, c.city, c.country,"
        "  c.online_url, c.capacity,"
        "  coalesce(sum(r.status = 'confirmed'), 0) AS registered,"
        "  coalesce(sum(CASE WHEN r.status = 'confirmed' THEN r.seats END), 0) AS seats,"
        "  coalesce(sum(r.status = 'confirmed' AND r.checked_in_at IS NOT NULL), 0) AS attended,"
        "  coalesce(sum(r.status = 'waitlisted'), 0) AS waiting"
        " FROM chosen c LEFT JOIN registrations r ON r.event_id = c.id"
        " GROUP BY c.id ORDER BY c.starts_at DESC, c.id DESC",
        (int(drafts), -1 if limit is None else limit),
    )
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    titles: dict[int, dict[str, str]] = {}
    for row in await tx.fetch_all(
        "SELECT event_id, locale, title FROM event_texts"
        f" WHERE event_id IN ({', '.join('?' for _ in ids)})",
        ids,
    ):
        titles.setdefault(row[0], {})[row[1]] = row[2]
    return [
        EventCounts(
            r["id"],
            r["status"],
            bool(r["sample"]),
            from_db(r["starts_at"]),
            r["time_zone"],
            r["city"],
            r["country"],
            r["online_url"] is not None,
            r["capacity"],
            titles.get(r["id"], {}),
            int(r["registered"]),
            int(r["seats"]),
            int(r["attended"]),
            int(r["waiting"]),
        )
        for r in rows
    ]


async def event_totals(tx: Tx, now: datetime) -> Totals:
    """Registrations over all events, and how many published events are ahead and behind."""
    row = await tx.fetch_one(
        "SELECT coalesce(sum(status = 'confirmed'), 0),"
        " coalesce(sum(CASE WHEN status = 'confirmed' THEN seats END), 0),"
        " coalesce(sum(status = 'confirmed' AND checked_in_at IS NOT NULL), 0),"
        " coalesce(sum(status = 'waitlisted'), 0) FROM registrations"
    )
    ahead = await tx.fetch_one(
        "SELECT coalesce(sum(starts_at >= ?), 0), coalesce(sum(starts_at < ?), 0) FROM events"
        " WHERE status = 'published'",
        (to_db(now), to_db(now)),
    )
    assert row is not None and ahead is not None  # aggregates always give a row
    return Totals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(ahead[0]), int(ahead[1]))


# -- ideas -----------------------------------------------------------------------------------------


async def ideas_by(tx: Tx, column: str) -> Counts:
    """Project ideas per status, sector or county."""
    if column not in ("status", "sector", "county"):
        raise ValueError(column)  # a column name cannot be a bound parameter: only these three
    return await _counts(
        tx, f"SELECT {column}, count(*) FROM ideas GROUP BY {column} ORDER BY 2 DESC, 1"
    )


# -- consular --------------------------------------------------------------------------------------


async def faq_shown(tx: Tx) -> int:
    """FAQ answers shown, all entries together."""
    return int(await tx.fetch_value("SELECT coalesce(sum(shown), 0) FROM faq_views"))


async def faq_most_used(tx: Tx, limit: int | None) -> Counts:
    """The FAQ entries shown most often."""
    return await _counts(
        tx,
        "SELECT entry_id, shown FROM faq_views ORDER BY shown DESC, entry_id LIMIT ?",
        (-1 if limit is None else limit,),
    )


async def faq_unhelpful(tx: Tx, limit: int | None) -> list[tuple[str, int, int]]:
    """Entries someone marked unhelpful: (entry, unhelpful votes, all votes), the most first."""
    rows = await tx.fetch_all(
        "SELECT entry_id, sum(helpful = 0) AS unhelpful, count(*) AS votes FROM faq_feedback"
        " GROUP BY entry_id HAVING unhelpful > 0 ORDER BY unhelpful DESC, votes DESC, entry_id"
        " LIMIT ?",
        (-1 if limit is None else limit,),
    )
    return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]


async def questions_by_status(tx: Tx) -> Counts:
    """Questions to officers per status."""
    return await _counts(
        tx, "SELECT status, count(*) FROM questions GROUP BY status ORDER BY 2 DESC, 1"
    )


async def median_first_reply(tx: Tx) -> tuple[float | None, int]:
    """The median time in days from a question to an officer's first message, and over how many
    questions (those an officer has written on)."""
    row = await tx.fetch_one(
        "WITH firsts AS (SELECT question_id, min(created_at) AS replied FROM question_messages"
        "  WHERE side = 'officer' GROUP BY question_id),"
        " waits AS (SELECT julianday(f.replied) - julianday(q.created_at) AS days"
        "  FROM firsts f JOIN questions q ON q.id = f.question_id),"
        " ranked AS (SELECT days, row_number() OVER (ORDER BY days) AS n,"
        "  count(*) OVER () AS total FROM waits)"
        " SELECT avg(days), max(total) FROM ranked"
        " WHERE n IN ((total + 1) / 2, (total + 2) / 2)"
    )
    if row is None or row[1] is None:
        return None, 0
    return float(row[0]), int(row[1])


# -- announcements ---------------------------------------------------------------------------------


async def broadcasts_by_status(tx: Tx) -> Counts:
    """Announcements per status (draft, scheduled, sending, done, cancelled)."""
    return await _counts(
        tx, "SELECT status, count(*) FROM broadcasts GROUP BY status ORDER BY 2 DESC, 1"
    )


async def announcement_messages(tx: Tx) -> Counts:
    """Announcement messages per outbox status (progress lines and reports are not counted)."""
    # The batch of a broadcast's rows is 'broadcast:<id>' (storage.broadcasts.batch_of): joining
    # on it reads each broadcast's rows from the (batch, status) index and nothing else. Rows the
    # retention purge or an erasure deleted are counted in broadcast_counts (a few per broadcast).
    return await _counts(
        tx,
        "SELECT status, sum(n) FROM (SELECT o.status, count(*) AS n FROM broadcasts b"
        "  JOIN outbox o ON o.batch = 'broadcast:' || b.id GROUP BY b.id, o.status"
        "  UNION ALL SELECT status, n FROM broadcast_counts)"
        " GROUP BY status ORDER BY 2 DESC, 1",
    )
