"""A small database with known contents, so that every statistic has one right answer.

The moment is Wednesday 18 March 2026, 10:00 UTC; the admin reads in Europe/Rome, where weeks
start on Monday at midnight (23:00 UTC on Sunday, before the clocks change on 29 March).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.faq import LIBRARY
from storage.clock import to_db
from storage.database import Database

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
ADMIN = "telegram:1"

# key, channel, locale, hint, country, created (UTC)
USERS = [
    ("telegram:101", "it", None, "IT", "2026-03-16T08:00:00"),  # this week
    ("telegram:102", "sq", None, "GR", "2026-03-15T22:30:00"),  # Sunday 23:30 in Rome: last week
    ("telegram:103", "sq", None, "GR", "2026-03-15T23:30:00"),  # Monday 00:30 in Rome: this week
    ("whatsapp:+393331110001", None, "it", "IT", "2026-03-09T12:00:00"),  # last week, Italian hint
    ("whatsapp:+306900000001", "el", None, "GR", "2026-02-01T12:00:00"),  # the first of 8 weeks
    ("console:x", None, None, None, "2026-01-10T12:00:00"),  # before the 8 weeks; default language
]
# With the admin, who writes at NOW (telegram:1, English, no country): 7 users.


def faq_ids() -> list[str]:
    """The first three FAQ entries."""
    return list(LIBRARY.book("en").entries)[:3]


def at(text: str) -> str:
    """A UTC time written without its zone, as stored."""
    return to_db(datetime.fromisoformat(text).replace(tzinfo=UTC))


async def fill(db: Database) -> None:
    """Everything the statistics read, with numbers the tests know."""
    async with db.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO users (key, channel, locale, locale_hint, country, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (key, key.partition(":")[0], locale, hint, country, at(created))
                for key, locale, hint, country, created in USERS
            ],
        )
        # Events: E1 past (published), E2 upcoming, E3 a draft, E4 cancelled.
        for event, status, start in [
            (1, "published", "2026-03-01T17:00:00"),
            (2, "published", "2026-04-10T16:00:00"),
            (3, "draft", "2026-05-01T16:00:00"),
            (4, "cancelled", "2026-02-01T16:00:00"),
        ]:
            begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
            await tx.execute(
                "INSERT INTO events (id, status, starts_at, ends_at, time_zone, city, country,"
                " capacity, created_at, updated_at) VALUES (?, ?, ?, ?, 'Europe/Rome', 'Milano',"
                " 'IT', 10, ?, ?)",
                (
                    event,
                    status,
                    to_db(begin),
                    to_db(begin + timedelta(hours=2)),
                    at(start),
                    at(start),
                ),
            )
            await tx.execute(
                "INSERT INTO event_texts (event_id, locale, title)"
                " VALUES (?, 'en', ?), (?, 'it', ?)",
                (event, f"Meeting {event}", event, f"Incontro {event}"),
            )
        registrations = [
            (1, "telegram:101", 1, "confirmed", "2026-03-01T17:05:00"),
            (1, "telegram:102", 2, "confirmed", "2026-03-01T17:10:00"),
            (1, "telegram:103", 3, "confirmed", None),
            (1, "whatsapp:+393331110001", 1, "waitlisted", None),
            (1, "whatsapp:+306900000001", 1, "cancelled", None),
            (2, "telegram:101", 2, "confirmed", None),
            (4, "telegram:102", 1, "cancelled", None),
        ]
        await tx.execute_many(
            "INSERT INTO registrations (event_id, user_key, seats, status, code, token,"
            " created_at, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    event,
                    key,
                    seats,
                    status,
                    f"CODE{n:02d}",
                    f"token{n}",
                    to_db(NOW),
                    checked and at(checked),
                )
                for n, (event, key, seats, status, checked) in enumerate(registrations)
            ],
        )
        ideas = [
            ("agriculture", "vlore", "received"),
            ("agriculture", "korce", "accepted"),
            ("health", "all", "received"),
            ("tourism", "vlore", "declined"),
        ]
        await tx.execute_many(
            "INSERT INTO ideas (reference, user_key, sector, direction, support, title,"
            " description, county, contact_way, locale, channel, status, created_at, updated_at)"
            " VALUES (?, 'telegram:101', ?, 'offer', 'investment', 'An idea', 'Its text', ?,"
            " 'chat', 'it', 'telegram', ?, ?, ?)",
            [
                (f"IDEA-2026-{n:04d}", sector, county, status, to_db(NOW), to_db(NOW))
                for n, (sector, county, status) in enumerate(ideas, 1)
            ],
        )
        first, second, third = faq_ids()
        await tx.execute_many(
            "INSERT INTO faq_views (entry_id, shown, last_shown_at) VALUES (?, ?, ?)",
            [(first, 10, to_db(NOW)), (second, 4, to_db(NOW)), (third, 1, to_db(NOW))],
        )
        await tx.execute_many(
            "INSERT INTO faq_feedback (entry_id, user_key, helpful, voted_at) VALUES (?, ?, ?, ?)",
            [
                (second, "telegram:101", 0, to_db(NOW)),
                (second, "telegram:102", 0, to_db(NOW)),
                (second, "telegram:103", 1, to_db(NOW)),
                (third, "telegram:101", 1, to_db(NOW)),
            ],
        )
        # Questions: first replies after 2, 6, 10 and 24 hours (median 8); two without a reply.
        questions = [
            (1, "closed", 2),
            (2, "answered", 6),
            (3, "answered", 24),
            (4, "open", None),
            (5, "claimed", None),
            (6, "answered", 10),
        ]
        for number, status, hours in questions:
            asked = NOW - timedelta(days=3, hours=number)
            await tx.execute(
                "INSERT INTO questions (id, reference, user_key, locale, channel, country,"
                " status, created_at, updated_at) VALUES (?, ?, 'telegram:101', 'it', 'telegram',"
                " 'IT', ?, ?, ?)",
                (number, f"Q-2026-{number:04d}", status, to_db(asked), to_db(asked)),
            )
            body = (
                '=HYPERLINK("http://x")' if number == 1 else f"Question {number} about a passport"
            )
            await tx.execute(
                "INSERT INTO question_messages (question_id, author, side, body, created_at)"
                " VALUES (?, 'telegram:101', 'member', ?, ?)",
                (number, body, to_db(asked)),
            )
            if hours is not None:
                for later in (hours, hours + 30):  # only the first reply counts
                    await tx.execute(
                        "INSERT INTO question_messages (question_id, author, side, body,"
                        " created_at) VALUES (?, NULL, 'officer', 'An answer', ?)",
                        (number, to_db(asked + timedelta(hours=later))),
                    )
        for number, status in [(1, "done"), (2, "cancelled"), (3, "draft")]:
            await tx.execute(
                "INSERT INTO broadcasts (id, title, texts, fallback, audience, status, created_at)"
                " VALUES (?, ?, '{\"*\": \"Hello\"}', '*', '[]', ?, ?)",
                (number, f"News {number}", status, to_db(NOW)),
            )
        rows = [
            *[("broadcast:1", "sent")] * 3,
            ("broadcast:1", "failed"),
            ("broadcast:1", "skipped"),
            ("broadcast:1", "held"),
            *[("broadcast:2", "cancelled")] * 2,
            ("broadcast:2", "sent"),
            ("broadcast:1:progress", "sent"),  # the sender's progress line: not an announcement
            (None, "sent"),  # a role granted: not an announcement either
        ]
        await tx.execute_many(
            "INSERT INTO outbox (recipient, channel, renderer, lane, idempotency_key, batch,"
            " status, not_before, next_attempt, created_at)"
            " VALUES ('telegram:103', 'telegram', 'announce', 'bulk', ?, ?, ?, ?, ?, ?)",
            [
                (f"row{n}", batch, status, to_db(NOW), to_db(NOW), to_db(NOW))
                for n, (batch, status) in enumerate(rows)
            ],
        )
