"""Retention: the worker purges only what is older than the configured ages, in chunks, and the
ages are settings validated at start."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot import config
from bot.config import Settings
from bot.engine import Engine
from bot.outbox import OutboxWorker
from bot.retention import Retention
from storage import users
from storage.clock import to_db, utcnow
from storage.database import Database
from tests.harness import Chat
from tests.personal_fixtures import onboard

NOW = utcnow().replace(microsecond=0)


def ago(days: float) -> str:
    """A stored time some days before NOW."""
    return to_db(NOW - timedelta(days=days))


async def seed(db: Database) -> None:
    """Rows just over and just under each age (drafts 90 days, processed 7, outbox 90)."""
    async with db.transaction() as tx:
        for key in ("telegram:1", "telegram:2"):
            await users.create(tx, key, locale_hint=None, now=NOW)
        for key, days in (("telegram:1", 91), ("telegram:2", 89)):
            await tx.execute(
                "INSERT INTO idea_drafts (user_key, fields, created_at, updated_at)"
                " VALUES (?, '{}', ?, ?)",
                (key, ago(days), ago(days)),
            )
            await tx.execute(
                "INSERT INTO conversations (user_key, state, updated_at) VALUES (?, '{}', ?)",
                (key, ago(days)),
            )
        for number, days in enumerate([8, 8, 8, 8, 8, 6]):
            await tx.execute(
                "INSERT INTO processed_messages (channel, message_id, user_key, replies,"
                " created_at) VALUES ('telegram', ?, 'telegram:1', '[]', ?)",
                (f"m{number}-{days}", ago(days)),
            )
        rows = [
            ("sent", 91, 91),
            ("failed", 91, 91),
            ("skipped", 91, 91),
            ("cancelled", 91, 91),
            ("sent", 95, 89),  # queued long ago, finished recently: kept
            ("pending", 200, None),  # never finished (a reminder far ahead): kept
            ("held", 200, None),
            ("claimed", 200, None),
        ]
        for number, (status, created, finished) in enumerate(rows):
            await tx.execute(
                "INSERT INTO outbox (id, recipient, channel, renderer, lane, idempotency_key,"
                " status, not_before, next_attempt, created_at, finished_at)"
                " VALUES (?, 'telegram:1', 'telegram', 'x', 'direct', ?, ?, ?, ?, ?, ?)",
                (
                    number + 1,
                    f"k{number}",
                    status,
                    ago(created),
                    ago(created),
                    ago(created),
                    ago(finished) if finished is not None else None,
                ),
            )
        statuses = [
            ("SM1", 1, 5),  # the message of an old row, updated lately: goes with its row
            ("SM5", 5, 89),  # the message of a row kept: kept
            ("SM9", None, 91),  # a notice template, old: purged by its own age
            ("SM8", None, 89),
        ]
        for sid, row, days in statuses:
            await tx.execute(
                "INSERT INTO whatsapp_statuses (message_sid, user_key, status, updated_at,"
                " outbox_id) VALUES (?, 'telegram:1', 'delivered', ?, ?)",
                (sid, ago(days), row),
            )


async def left(db: Database) -> dict[str, list[object]]:
    """What each purged table still holds."""
    queries = {
        "drafts": "SELECT user_key FROM idea_drafts ORDER BY 1",
        "conversations": "SELECT user_key FROM conversations ORDER BY 1",
        "processed": "SELECT message_id FROM processed_messages ORDER BY 1",
        "outbox": "SELECT id FROM outbox ORDER BY 1",
        "statuses": "SELECT message_sid FROM whatsapp_statuses ORDER BY 1",
    }
    return {name: [r[0] for r in await db.read_all(sql)] for name, sql in queries.items()}


async def test_only_what_is_older_than_its_age_is_purged(db: Database, settings: Settings) -> None:
    await seed(db)
    deleted = await Retention(db, settings, clock=lambda: NOW, chunk=2).purge()
    assert await left(db) == {
        "drafts": ["telegram:2"],
        "conversations": ["telegram:2"],
        "processed": ["m5-6"],
        "outbox": [5, 6, 7, 8],
        "statuses": ["SM5", "SM8"],
    }
    assert deleted == {
        "idea drafts": 1,
        "conversations": 1,
        "processed messages": 5,  # three chunks of two
        "outbox rows": 4,
        "whatsapp statuses": 1,
    }
    assert await Retention(db, settings, clock=lambda: NOW).purge() == dict.fromkeys(deleted, 0)


async def test_the_ages_come_from_the_settings(db: Database, settings: Settings) -> None:
    await seed(db)
    shorter = replace(settings, retention_draft_days=30, retention_outbox_days=400)
    await Retention(db, shorter, clock=lambda: NOW).purge()
    found = await left(db)
    assert found["drafts"] == [] and found["conversations"] == []
    assert found["outbox"] == [1, 2, 3, 4, 5, 6, 7, 8]


async def test_the_outbox_worker_purges_in_the_background(
    db: Database, engine: Engine, settings: Settings
) -> None:
    await seed(db)

    def clock() -> datetime:
        return NOW

    worker = OutboxWorker(db, engine.registry, engine.catalogs, settings, [], clock=clock)
    await worker.start()
    try:
        await worker.purged.wait()  # the first pass, at start
    finally:
        await worker.stop()
    assert (await left(db))["drafts"] == ["telegram:2"]


async def test_a_user_whose_conversation_was_purged_comes_back_to_the_menu(
    db: Database, engine: Engine, settings: Settings
) -> None:

    member = await onboard(lambda key, hint=None: Chat(engine, key, hint), "telegram:6401")
    await member.send("/newidea")
    later = NOW + timedelta(days=120)
    await Retention(db, settings, clock=lambda: later).purge()
    assert await db.read_one("SELECT 1 FROM conversations WHERE user_key = 'telegram:6401'") is None
    assert await db.read_one("SELECT 1 FROM idea_drafts WHERE user_key = 'telegram:6401'") is None
    await member.send("hello")
    assert member.last.title == "Main menu"  # not the first-contact questions again


def test_retention_settings() -> None:
    settings = config.load({}, dotenv=None)
    assert (
        settings.retention_draft_days,
        settings.retention_processed_days,
        settings.retention_outbox_days,
    ) == (90, 7, 90)
    custom = config.load({"RETENTION_PROCESSED_DAYS": "2"}, dotenv=None)
    assert custom.retention_processed_days == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RETENTION_DRAFT_DAYS": "0"}, "RETENTION_DRAFT_DAYS: must be between 1 and 3650"),
        ({"RETENTION_PROCESSED_DAYS": "week"}, "RETENTION_PROCESSED_DAYS: must be a whole number"),
        ({"RETENTION_OUTBOX_DAYS": "-5"}, "RETENTION_OUTBOX_DAYS: must be between 1 and 3650"),
    ],
)
def test_a_bad_retention_setting_is_one_line_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(env, dotenv=None)
    assert str(caught.value) == message
