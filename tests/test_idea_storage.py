"""Storage of ideas and skills: keys reference users, statuses change once, exports read apart."""

from __future__ import annotations

import asyncio
from typing import Any

from storage import exports, ideas, skills, users
from storage.clock import utcnow
from storage.database import Database

ANSWERS: dict[str, Any] = {
    "sector": "health",
    "direction": "offer",
    "support": "expertise",
    "title": "Telemedicine for Kukës",
    "description": "A link between hospitals.",
    "county": "kukes",
    "contact_way": "chat",
}


async def test_every_user_key_of_the_new_tables_references_users(db: Database) -> None:
    expected = {
        ("ideas", "user_key"),
        ("idea_status_changes", "changed_by"),
        ("idea_drafts", "user_key"),
        ("skills_profiles", "user_key"),
    }
    found = set()
    for table, _ in expected:
        for fk in await db.read_all(f"PRAGMA foreign_key_list({table})"):
            if fk["table"] == "users" and fk["to"] == "key":
                found.add((table, fk["from"]))
    assert found == expected


async def test_a_status_is_changed_once_and_erasing_a_user_erases_their_ideas(
    db: Database,
) -> None:
    now = utcnow()
    async with db.transaction() as tx:
        for key in ("telegram:8001", "telegram:8002"):
            await users.create(tx, key, locale_hint="en", now=now)
        idea = await ideas.create(
            tx,
            reference="IDEA-2026-0001",
            user_key="telegram:8001",
            answers=ANSWERS,
            locale="en",
            channel="telegram",
            country=None,
            now=now,
        )
        first = await ideas.change_status(
            tx, idea.id, "shortlisted", "Well done", "telegram:8002", now
        )
        again = await ideas.change_status(tx, idea.id, "shortlisted", None, "telegram:8002", now)
        assert first is not None and again is None
        assert [c.status for c in await ideas.history(tx, idea.id)] == ["received", "shortlisted"]
        await skills.save(
            tx,
            "telegram:8001",
            profession="Nurse",
            sector="health",
            years=4,
            languages=["sq"],
            willing=["volunteer"],
            now=now,
        )
        await ideas.save_draft(tx, "telegram:8001", {"sector": "health"}, now)
        await tx.execute("DELETE FROM users WHERE key = 'telegram:8001'")
        for table in ("ideas", "idea_status_changes", "idea_drafts", "skills_profiles"):
            assert await tx.fetch_value(f"SELECT count(*) FROM {table}") == 0, table


async def test_the_export_reads_a_committed_snapshot_on_its_own_connection(db: Database) -> None:
    now = utcnow()
    async with db.transaction() as tx:
        await users.create(tx, "telegram:8003", locale_hint="en", now=now)
        await ideas.create(
            tx,
            reference="IDEA-2026-0001",
            user_key="telegram:8003",
            answers={**ANSWERS, "contact_way": "email", "contact": "ana@example.org"},
            locale="en",
            channel="telegram",
            country="IT",
            now=now,
        )
        path = await exports.database_file(tx)
    async with db.transaction() as tx:  # a writer holds the lock: the export neither waits nor
        await tx.execute("UPDATE ideas SET title = 'not committed yet'")  # sees this
        rows = await asyncio.to_thread(ideas.export, path, {"county": "kukes"})
    assert [(r["reference"], r["title"], r["contact"]) for r in rows] == [
        ("IDEA-2026-0001", "Telemedicine for Kukës", "ana@example.org")
    ]
    assert await asyncio.to_thread(ideas.export, path, {"county": "berat"}) == []
