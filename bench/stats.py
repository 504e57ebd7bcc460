"""/stats on a large database: the time through the engine, and the plan of every statistics query.

A temporary file gets 100,000 users, 200 events with 40,000 registrations, 20,000 project ideas,
FAQ views and votes, 5,000 questions to officers with their messages, and three announcements
sent to everyone (300,000 outbox rows), written with executemany. Then an admin sends /stats and
opens each section through the real engine (text and chart rendered after the commit, as in
production); the first /stats pays for importing matplotlib and reading the FAQ, so it is shown
apart. Every statement the sections run on the read-only connection is traced and its plan
printed.

    python bench/stats.py [--users 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Attachment, Incoming
from handlers import build_registry
from handlers.faq import LIBRARY
from handlers.idea_terms import COUNTIES, SECTORS, STATUSES
from handlers.insight_report import SECTIONS, Context
from storage.clock import to_db, utcnow
from storage.database import Database, Tx

ADMIN = "console:admin"
COUNTRIES = ("IT", "GR", "US", "DE", "GB", "CH", "FR", "BE", "CA", "AL", "XK", "AT", "SE", "NL")


def fill(path: Path, users: int, events: int, ideas: int, now: datetime) -> None:
    """Write the sample data with executemany on a plain connection (seconds, not minutes)."""
    rng = random.Random(15)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    keys = [
        f"telegram:{10_000_000 + i}"
        if i % 50 < 30
        else (f"whatsapp:+3933{i:08d}" if i % 50 < 49 else f"console:u{i}")
        for i in range(users)
    ]
    with conn:
        conn.executemany(
            "INSERT INTO users (key, channel, locale, locale_hint, country, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    key,
                    key.partition(":")[0],
                    rng.choice((*LOCALES, None)),
                    rng.choice(("it", "el", "en-US", "sq", None)),
                    rng.choice((*COUNTRIES, *COUNTRIES[:3], None)),
                    to_db(now - timedelta(minutes=rng.randrange(365 * 24 * 60))),
                )
                for key in keys
            ),
        )
        event_rows = []
        for e in range(1, events + 1):
            start = now + timedelta(days=rng.randrange(-300, 120), hours=rng.randrange(24))
            status = "draft" if e % 10 == 0 else ("cancelled" if e % 17 == 0 else "published")
            event_rows.append(
                (e, status, to_db(start), to_db(start + timedelta(hours=3)), "Europe/Rome", 80,
                 to_db(now))
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO events (id, status, starts_at, ends_at, time_zone, capacity, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7)",
            event_rows,
        )
        conn.executemany(
            "INSERT INTO event_texts (event_id, locale, title) VALUES (?, ?, ?)",
            [(e, locale, f"Meeting {e} ({locale})") for e in range(1, events + 1)
             for locale in ("en", "sq")],
        )  # fmt: skip
        registrations = []
        for e in range(1, events + 1):
            for n, key in enumerate(rng.sample(keys, 200)):
                status = "confirmed" if n < 160 else ("waitlisted" if n < 180 else "cancelled")
                checked = to_db(now) if status == "confirmed" and n % 3 else None
                registrations.append(
                    (e, key, 1 + n % 3, status, f"{e:03d}{n:04d}", f"t{e}-{n}", to_db(now),
                     checked)
                )  # fmt: skip
        conn.executemany(
            "INSERT INTO registrations (event_id, user_key, seats, status, code, token,"
            " created_at, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            registrations,
        )
        conn.executemany(
            "INSERT INTO ideas (reference, user_key, sector, direction, support, title,"
            " description, county, contact_way, locale, channel, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 'offer', 'investment', 'Idea', 'Text', ?, 'chat', 'sq', 'telegram',"
            " ?, ?, ?6)",
            (
                (
                    f"IDEA-2026-{i:05d}",
                    rng.choice(keys),
                    rng.choice(list(SECTORS)),
                    rng.choice([*COUNTIES, "all"]),
                    rng.choice(list(STATUSES)),
                    to_db(now),
                )
                for i in range(ideas)
            ),
        )
        entries = list(LIBRARY.book("en").entries)
        conn.executemany(
            "INSERT INTO faq_views (entry_id, shown, last_shown_at) VALUES (?, ?, ?)",
            [(entry, rng.randrange(5000), to_db(now)) for entry in entries],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO faq_feedback (entry_id, user_key, helpful, voted_at)"
            " VALUES (?, ?, ?, ?)",
            ((rng.choice(entries), rng.choice(keys), rng.random() < 0.8, to_db(now))
             for _ in range(20_000)),
        )  # fmt: skip
        questions, messages = [], []
        for q in range(1, 5_001):
            asked = now - timedelta(hours=rng.randrange(2_000))
            status = rng.choice(("open", "claimed", "answered", "closed"))
            questions.append((q, f"Q-2026-{q:05d}", rng.choice(keys), status, to_db(asked)))
            messages.append((q, "member", "A question", to_db(asked)))
            if status in ("answered", "closed"):
                later = asked + timedelta(minutes=rng.randrange(10, 5_000))
                messages.append((q, "officer", "An answer", to_db(later)))
        conn.executemany(
            "INSERT INTO questions (id, reference, user_key, locale, channel, status, created_at,"
            " updated_at) VALUES (?, ?, ?, 'it', 'telegram', ?, ?, ?5)",
            questions,
        )
        conn.executemany(
            "INSERT INTO question_messages (question_id, side, body, created_at)"
            " VALUES (?, ?, ?, ?)",
            messages,
        )
        for b in (1, 2, 3):
            conn.execute(
                "INSERT INTO broadcasts (id, texts, fallback, audience, status, created_at)"
                " VALUES (?, '{\"*\": \"Hello\"}', '*', '[]', 'done', ?)",
                (b, to_db(now)),
            )
            conn.executemany(
                "INSERT INTO outbox (recipient, channel, renderer, lane, idempotency_key, batch,"
                " status, not_before, next_attempt, created_at)"
                " VALUES (?, ?, 'announce', 'bulk', ?, ?, ?, ?, ?6, ?6)",
                (
                    (
                        key,
                        key.partition(":")[0],
                        f"broadcast:{b}:{key}",
                        f"broadcast:{b}",
                        rng.choice(("sent",) * 20 + ("failed", "skipped", "held")),
                        to_db(now),
                    )
                    for key in keys
                ),
            )
    conn.execute("ANALYZE")
    conn.close()


def plan(conn: sqlite3.Connection, sql: str) -> list[str]:
    """EXPLAIN QUERY PLAN as an indented tree."""
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * depth[node] + detail)
    return lines


async def traced_statements(path: Path, catalogs: Catalogs, now: datetime) -> list[str]:
    """Every statement the sections run, on a read-only connection of our own that traces."""
    seen: list[str] = []
    conn = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        await conn.set_trace_callback(seen.append)
        context = Context(catalogs.translator("en"), "Europe/Rome", now, "sq")
        for section in SECTIONS.values():
            await section(Tx(conn), context)
    finally:
        await conn.close()
    unique = []
    for sql in seen:
        if sql not in unique:
            unique.append(sql)
    return unique


async def timed(engine: Engine, text: str) -> tuple[float, int]:
    """One message through the engine; the seconds it took and the charts it carried."""
    start = time.perf_counter()
    outcome = await engine.handle(Incoming(ADMIN, kind="text", text=text))
    took = time.perf_counter() - start
    return took, sum(isinstance(r.attachment, Attachment) for r in outcome.replies)


async def main(users: int, rounds: int) -> None:
    """Fill, time, explain."""
    now = utcnow()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stats.sqlite3"
        db = await Database.open(path)
        await db.close()
        start = time.perf_counter()
        fill(path, users, 200, 20_000, now)
        print(f"filled in {time.perf_counter() - start:.1f} s: {users:,} users, 200 events,")
        print("  40,000 registrations, 20,000 ideas, 5,000 questions, 300,000 outbox rows\n")

        catalogs = Catalogs()
        db = await Database.open(path)
        engine = Engine(db, build_registry(), catalogs, Settings(default_locale="en"))
        try:
            await engine.handle(Incoming(ADMIN, kind="text", text="/start"))
            await engine.handle(Incoming(ADMIN, kind="text", text="4"))  # English
            first, charts = await timed(engine, "/stats")
            print(f"first /stats (imports matplotlib, reads the FAQ): {first * 1000:.0f} ms")
            results: dict[str, list[float]] = {}
            for _ in range(rounds):
                for label, text in [
                    ("/stats", "/stats"),
                    ("users", "/stats users"),
                    ("events", "/stats events"),
                    ("ideas", "/stats ideas"),
                    ("consular", "/stats consular"),
                    ("announcements", "/stats announcements"),
                ]:
                    took, charts = await timed(engine, text)
                    assert charts == 1, f"{label}: {charts} charts"
                    results.setdefault(label, []).append(took)
            print(f"\nthrough the engine, text and chart, best and median of {rounds}:")
            for label, times in results.items():
                best, median = min(times) * 1000, statistics.median(times) * 1000
                print(f"  {label:<14} {best:6.0f} ms  {median:6.0f} ms")

            statements = await traced_statements(path, catalogs, now)
            reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            print(f"\nquery plans of the {len(statements)} statements the sections run:")
            total = 0.0
            for sql in statements:
                start = time.perf_counter()
                reader.execute(sql).fetchall()
                took = time.perf_counter() - start
                total += took
                print(f"\n[{took * 1000:.1f} ms] {' '.join(sql.split())[:300]}")
                print("\n".join(plan(reader, sql)))
            reader.close()
            print(f"\nall statements once: {total * 1000:.0f} ms")
        finally:
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.users, options.rounds))
