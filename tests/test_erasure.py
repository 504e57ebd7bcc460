"""/delete: what it says it will do, then no personal data left anywhere, counts kept consistent,
the promoted member told, staff records detached, and a fresh start afterwards."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from bot.console import ConsoleChannel, ConsoleSender
from bot.engine import Engine
from bot.outbox import OutboxWorker
from handlers.holdings import holdings
from storage import events, personal
from storage.database import Database
from tests.harness import Chat
from tests.personal_fixtures import ADMIN, OFFICER, Person, found_anywhere, onboard, rich_member

PICKER = "Gjuha · Lingua · Γλώσσα · Language"


async def test_delete_says_what_will_happen_then_leaves_nothing_behind(
    chat: Callable[..., Chat], db: Database, engine: Engine, tmp_path: Path
) -> None:
    person = Person()
    event = await rich_member(chat, db, person)
    assert len(await found_anywhere(db, person.marks)) > 10  # the search finds what is there
    member = chat(person.key, hint="en")
    await member.send("/delete")
    said = member.last.text
    for part in (
        "Your registration for an upcoming event is cancelled",
        "Your question to the consular officers is deleted, with its answers",
        "Your 2 project ideas are deleted, with their history",
        "Your unfinished project idea is deleted.",
        "Your skills profile is deleted, with its languages and offers of help.",
        "messages waiting to be sent to you are not sent.",
        "Your language, profile, agreement to the privacy notice",
        "This cannot be undone.",
    ):
        assert part in said, said
    assert "STOP" not in said  # she never sent it: nothing is kept
    await member.press("Yes, delete everything")
    assert member.last.title == "Your data is deleted"
    assert member.last.text.startswith("Done: everything we stored about you is deleted.")

    assert await found_anywhere(db, person.marks) == []
    for table, columns in (await personal.user_key_columns(db.reader())).items():
        for column in columns:
            assert await personal.count(db.reader(), table, column, person.key) == 0, table

    # Seats and waitlist: her seat went to the one waiting, who is told through the outbox.
    regs = [tuple(r) for r in await db.read_all("SELECT user_key, status FROM registrations")]
    assert regs == [("console:waiting", "confirmed")]
    assert await events.taken(db.reader(), event) == 1
    out = io.StringIO()
    sender = ConsoleSender(
        ConsoleChannel(engine, "console:waiting", out, interactive=False, files=tmp_path / "f")
    )
    worker = OutboxWorker(db, engine.registry, engine.catalogs, engine.settings, [sender])
    assert await worker.run_once(sender)
    assert "a seat has freed up and you are now signed up for Meeting in Milan" in out.getvalue()

    # What staff did stays, detached from nobody: the officer's and admin's records are theirs.
    counts = await db.read_one(
        "SELECT (SELECT count(*) FROM questions), (SELECT count(*) FROM ideas),"
        " (SELECT count(*) FROM idea_status_changes), (SELECT count(*) FROM faq_feedback),"
        " (SELECT count(*) FROM skills_profiles), (SELECT count(*) FROM idea_drafts)"
    )
    assert counts is not None and tuple(counts) == (0, 0, 0, 0, 0, 0)
    assert await db.read_one("SELECT 1 FROM users WHERE key IN (?, ?)", (ADMIN, OFFICER))


async def test_a_deleted_user_who_writes_again_starts_fresh(
    chat: Callable[..., Chat], engine: Engine, db: Database
) -> None:
    member = await onboard(chat, "telegram:6101", country="IT")
    await member.send("/settings")
    await member.press("Delete my data")
    assert member.last.title == "Delete my data"
    await member.press("Yes, delete everything")
    assert member.last.title == "Your data is deleted"
    assert await db.read_one("SELECT 1 FROM users WHERE key = 'telegram:6101'") is None
    assert (
        await db.read_one("SELECT 1 FROM processed_messages WHERE user_key = 'telegram:6101'")
        is None
    )
    await member.send("hello again")
    assert member.last.title == PICKER  # a first contact: the language first
    row = await db.read_one(
        "SELECT locale, country, consent_version FROM users WHERE key = 'telegram:6101'"
    )
    assert row is not None and tuple(row) == (None, None, None)


async def test_no_changes_nothing_and_returns(chat: Callable[..., Chat], db: Database) -> None:
    member = await onboard(chat, "telegram:6102", country="IT")
    await member.send("/settings")
    await member.press("Delete my data")
    await member.press("No, keep my data")
    assert member.replies[0].text == "Nothing was deleted."
    assert member.last.title == "Settings"
    row = await db.read_one("SELECT city FROM users WHERE key = 'telegram:6102'")
    assert row is not None and row[0] == "Milano"


async def test_after_stop_only_the_key_and_the_opt_out_stay(
    chat: Callable[..., Chat], db: Database
) -> None:
    member = await onboard(chat, "whatsapp:+393337770001", country="IT")
    await member.send("STOP")
    await member.send("/delete")
    assert "Because you sent STOP, we keep only your key and the date you sent it" in (
        member.last.text
    )
    await member.press("Yes, delete everything")
    row = await db.read_one("SELECT * FROM users WHERE key = 'whatsapp:+393337770001'")
    assert row is not None
    kept = {name: value for name, value in dict(row).items() if value is not None}
    assert set(kept) == {"key", "channel", "opted_out_at", "created_at", "announcements"}
    for table, columns in (await personal.user_key_columns(db.reader())).items():
        for column in columns - {"key"}:
            assert await personal.count(db.reader(), table, column, member.user) == 0, table
    await member.send("hello")
    assert member.last.title == PICKER
    row = await db.read_one("SELECT opted_out_at FROM users WHERE key = 'whatsapp:+393337770001'")
    assert row is not None and row[0] is not None  # still respected after the fresh start


async def test_staff_lose_chat_roles_and_their_actions_stay_unsigned(
    chat: Callable[..., Chat], db: Database, engine: Engine
) -> None:
    staff = "telegram:6103"
    person = await onboard(chat, "telegram:6104")
    for text in ("Where do I legalise a birth certificate?", "How do I renew my ID card?"):
        await person.send("/ask")
        await person.send(text)
        await person.press("skip")
        await person.press("send")
    admin = await onboard(chat, ADMIN)
    officer = await onboard(chat, staff)
    await admin.send("/roles")
    await admin.press("Grant a role")
    await admin.send(staff)
    await admin.press("consular officer")
    assert admin.replies[0].text == f"Done: {staff} is now consular officer."
    await officer.press("officer-question:1")
    await officer.press("Claim it")
    await officer.press("Answer")
    await officer.send("At the registry office of the municipality, then an apostille.")
    await officer.press("officer-question:2")
    await officer.press("Claim it")
    await officer.send("/delete")
    assert "Your role given in the chat is removed: consular officer." in officer.last.text
    assert "stays with those records, without your key" in officer.last.text
    await officer.press("Yes, delete everything")
    assert await db.read_one("SELECT 1 FROM roles WHERE user_key = ?", (staff,)) is None
    found = [tuple(r) for r in await db.read_all("SELECT status, claimed_by FROM questions")]
    assert found == [("answered", None), ("open", None)]  # the claimed one back to the others
    answer = await db.read_one("SELECT author, body FROM question_messages WHERE side = 'officer'")
    assert answer is not None and answer[0] is None and answer[1].startswith("At the registry")
    configured = await onboard(chat, OFFICER)
    await configured.send("/delete")
    assert "Your role from the service's configuration (consular officer) stays" in (
        configured.last.text
    )


def test_erasure_runs_in_reverse_order_with_the_users_row_last() -> None:
    order = [h.table for h in reversed(holdings())]
    assert order[-1] == "users"
    assert order.index("outbox") < order.index("registrations")  # her reminders go first
