"""Announcements in the chat: compose, audiences, preview, schedule, list, cancel, who may."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.broadcasts import BroadcastScheduler, audience_query
from bot.config import Settings
from bot.console import ConsoleChannel, ConsoleSender
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs, negotiate
from bot.messages import Attachment, Incoming
from bot.outbox import OutboxWorker
from bot.retention import Retention
from handlers import build_registry
from handlers.announcements import stop_line
from storage import stats, users
from storage.clock import utcnow
from storage.database import Database
from tests.harness import Chat
from tests.people import Person, add_people, crowd, queued

TEMPLATES = {locale: f"HX{i:032d}" for i, locale in enumerate(LOCALES)}
SUMMIT = {
    "sq": "Samiti i Diasporës mbahet në Tiranë më 5 dhjetor.",
    "it": "Il Summit della Diaspora si tiene a Tirana il 5 dicembre.",
    "en": "The Diaspora Summit takes place in Tirana on 5 December.",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Conftest's settings, with notice templates and a price per template."""
    return replace(
        settings, twilio_template_sids=TEMPLATES, whatsapp_template_price=Decimal("0.0125")
    )


async def onboarded(chat: Callable[..., Chat], key: str, language: str = "English") -> Chat:
    """A user who chose a language and declined consent, now at the main menu."""
    member = chat(key, hint="en")
    await member.send("/start")
    await member.press(language)
    await member.press("later")
    return member


async def compose(
    admin: Chat, texts: dict[str, str], title: str | None = "Diaspora Summit"
) -> None:
    """Write an announcement: one text (key "*") or a version per language, Skip for others."""
    await admin.send("/broadcast")
    await (admin.send(title) if title else admin.press("No title"))
    if "*" in texts:
        await admin.press("One text for everyone")
        await admin.send(texts["*"])
        return
    await admin.press("A version per language")
    for locale in LOCALES:  # sq, the default language, comes first
        await (admin.send(texts[locale]) if locale in texts else admin.press("Skip"))


async def broadcast_rows(db: Database) -> list[tuple[int, str, str | None]]:
    """(id, status, scheduled_for) of every broadcast."""
    found = await db.read_all("SELECT id, status, scheduled_for FROM broadcasts ORDER BY id")
    return [(r[0], r[1], r[2]) for r in found]


async def test_compose_per_language_preview_and_send_now(
    engine: Engine, db: Database, chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    people = crowd(telegram=40, whatsapp=40, outside_every=4)
    people += [
        Person("telegram:900001", "it", "IT", opted_out=True),
        Person("telegram:900002", "el", "GR", announcements=False),
        Person("whatsapp:+393339000003", "sq", "AL", unreachable=True),
    ]
    await add_people(db, people, utcnow())
    admin = await onboarded(chat, "telegram:1")  # English, announcements on: a recipient too
    await compose(admin, SUMMIT)
    assert admin.last.text.startswith("Who should receive it?")
    assert "That is 81 people." in admin.last.text  # 80 reachable and the admin
    await admin.press("Continue to the preview")

    previews = {(r.title or "").split(" readers")[0][3:]: r for r in admin.replies[:-1]}
    assert list(previews) == ["Albanian", "Italian", "Greek", "English"]  # in the admin's words
    greek = catalogs.translator("el")
    assert previews["Greek"].text == f"{SUMMIT['sq']}\n\n{stop_line(greek, 'telegram')}"
    assert previews["Greek"].title == "As Greek readers see it (20 recipients): Diaspora Summit"
    english = catalogs.translator("en")
    assert previews["English"].text == f"{SUMMIT['en']}\n\n{stop_line(english, 'telegram')}"
    assert "(21 recipients)" in (previews["English"].title or "")

    stats = admin.last.text
    assert admin.last.title == "Preview of announcement 1"
    assert "81 recipients:" in stats
    assert "Telegram: 41 (Albanian 10, Italian 10, Greek 10, English 11)" in stats
    assert "WhatsApp: 40 (Albanian 10, Italian 10, Greek 10, English 10)" in stats
    assert "10 WhatsApp users are outside the 24-hour window." in stats
    assert "Notice templates: 10 needed, 250 left today (daily cap 250)." in stats
    assert "Cost: about $0.12 ($0.0125 each)." in stats
    assert (
        "Versions: Albanian, Italian, English; the other languages get the Albanian version."
        in stats
    )
    assert "Sending takes about 4 seconds at the configured pace." in stats  # 40 WhatsApp at 10/s
    assert admin.labels == ["Send now", "Schedule", "Change the audience", "Cancel"]

    send = admin.button("Send now")
    assert send is not None
    await admin.press("Send now")
    assert admin.replies[0].text == (
        "Announcement 1 is on its way. You will see its progress here."
    )
    [(number, status, at)] = await broadcast_rows(db)
    assert (number, status) == (1, "scheduled") and at is not None
    # The step only schedules it: the fan-out (100k rows at worst) runs outside the step.
    assert await queued(db) == 0

    await admin.incoming(Incoming(admin.user, "button", payload=send.payload, message_id="dup"))
    assert admin.replies[0].text == "That menu is no longer active. Here is where we are now."
    await admin.send("1")  # Send was option 1: typed again it is the main menu's first entry
    assert [r[:2] for r in await broadcast_rows(db)] == [(1, "scheduled")]  # nothing sent twice
    assert await broadcast_rows(db) == [(1, "scheduled", at)]


async def test_one_text_for_everyone_and_the_stop_line_per_channel(
    engine: Engine, db: Database, chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    await add_people(db, crowd(telegram=0, whatsapp=8), utcnow())
    admin = await onboarded(chat, "whatsapp:+393330000001")
    async with db.transaction() as tx:  # an admin on WhatsApp, granted in the chat
        await tx.execute(
            "INSERT INTO roles (user_key, role, granted_at) VALUES (?, 'admin', ?)",
            (admin.user, "2026-01-01T00:00:00.000000Z"),
        )
    await compose(admin, {"*": "Takim me komunitetin në Bari."}, title=None)
    await admin.press("Continue to the preview")
    italian = catalogs.translator("it")
    by_language = {r.title: r.text for r in admin.replies[:-1]}
    assert by_language["As Italian readers see it (2 recipients)"] == (
        f"Takim me komunitetin në Bari.\n\n{stop_line(italian, 'whatsapp')}"
    )
    assert italian.t("STOP") in stop_line(italian, "whatsapp")
    assert "STOP" not in stop_line(catalogs.translator("en"), "telegram")
    assert "One text for every language." in admin.last.text


async def test_each_audience_and_a_combination(
    engine: Engine, db: Database, chat: Callable[..., Chat], settings: Settings
) -> None:
    people = crowd(telegram=30, whatsapp=30)
    await add_people(db, people, utcnow())
    admin = await onboarded(chat, "telegram:1")
    await compose(admin, {"*": "Hello"})

    def expected(country: str | None = None, locale: str | None = None) -> set[str]:
        everyone = [*people, Person("telegram:1", "en", "")]
        return {
            p.key
            for p in everyone
            if p.reachable
            and (country is None or p.country == country)
            and (locale is None or p.locale == locale)
        }

    async def selected(chosen: list[tuple[str, dict[str, str]]]) -> set[str]:
        sql, params = audience_query(engine.registry, chosen, settings)
        return {r[0] for r in await db.read_all(sql, params)}

    def shown() -> int:
        line = next(x for x in admin.last.text.splitlines() if x.startswith("That is"))
        return int(line.split()[2])

    assert shown() == len(expected()) == 61
    await admin.press("By country of residence")
    assert sorted(admin.labels) == ["Albania", "Germany", "Greece", "Italy", "United States"]
    await admin.press("Italy")
    assert shown() == len(expected(country="IT")) == 12
    assert "Now: Everyone with announcements on · By country of residence: Italy." in admin.text
    await admin.press("By language")
    assert admin.labels == ["Shqip", "Italiano", "Ελληνικά", "English"]
    await admin.press("Italiano")
    both = expected(country="IT", locale="it")
    assert shown() == len(both) == 3  # country AND language
    assert await selected([("country", {"country": "IT"}), ("language", {"language": "it"})]) == (
        both
    )
    await admin.press("By country of residence")
    await admin.press("Greece")  # the same filter again replaces it
    assert shown() == len(expected(country="GR", locale="it")) == 3
    await admin.press("Remove the filters")
    await admin.press("By language")
    await admin.press("English")
    assert shown() == len(expected(locale="en")) == 16
    assert await selected([("language", {"language": "en"})]) == expected(locale="en")
    assert await selected([]) == expected()


async def test_the_language_audience_agrees_with_the_language_messages_are_sent_in(
    db: Database, settings: Settings
) -> None:
    hints = [None, "it-IT", "IT", "en_US", "de", "EL_gr", "sq-AL", "_x", "", "pt-BR", "el"]
    async with db.transaction() as tx:
        for index, hint in enumerate(hints):
            await users.create(tx, f"telegram:{5000 + index}", locale_hint=hint, now=utcnow())
        await users.create(tx, "telegram:5100", locale_hint="de", now=utcnow())
        await users.update(tx, "telegram:5100", locale="el")
    registry = build_registry()
    rows = await db.read_all("SELECT key, locale, locale_hint FROM users")
    for default in ("sq", "en"):
        custom = replace(settings, default_locale=default)
        for locale in LOCALES:
            sql, params = audience_query(registry, [("language", {"language": locale})], custom)
            found = {r[0] for r in await db.read_all(sql, params)}
            wanted = {r[0] for r in rows if negotiate(r[1], r[2], default) == locale}
            assert found == wanted, (default, locale)


async def test_bad_input_gets_a_clear_reply_and_nothing_is_sent(
    engine: Engine, db: Database, chat: Callable[..., Chat]
) -> None:
    admin = await onboarded(chat, "telegram:1")
    await admin.send("/broadcast 999")
    assert admin.replies[0].text == "There is no announcement 999."
    assert admin.last.title == "Announcements"
    await admin.send("/broadcast next-week")
    assert admin.replies[0].text == "There is no announcement next-week."
    await admin.press("broadcast-cancel:12345678901234567890")  # a forged, absurd number
    assert admin.last.title == "Announcements"
    await admin.send("/broadcast")
    await admin.send("T" * 121)
    assert admin.replies[0].text == "That title has 121 characters; please keep it to 120."
    assert admin.last.buttons and admin.labels == ["No title"]  # asked again
    await admin.press("No title")
    await admin.press("A version per language")
    await admin.send("x" * 3501)
    assert admin.replies[0].text == "That text has 3,501 characters; please keep it to 3,500."
    await admin.send("x" * 5000)  # over what any message may be: still this step's own limit
    assert admin.replies[0].text == (
        "That message is too long: please keep it under 3,500 characters."
    )
    assert admin.last.text.startswith("Write the Albanian version")
    await admin.press("Skip")  # the default language's version cannot be skipped: no such option
    assert admin.last.text.startswith("Write the Albanian version")
    await admin.send("Përshëndetje")
    await admin.send("y" * 5000)  # over Telegram's own limit: the engine refuses it first
    assert admin.replies[0].text.startswith("That message is too long")
    assert admin.last.text.startswith("Write the Italian version")
    for _ in range(3):
        await admin.press("Skip")
    await admin.press("Continue to the preview")
    await admin.press("Schedule")
    for typed, answer in [
        ("next friday at six", "I could not read that as a date and time."),
        ("2026-02-30 10:00", "That date or time does not exist. Please check it."),
        ("31.02.2027 18:30", "That date or time does not exist. Please check it."),
        ("31/12/2026 25:00", "That date or time does not exist. Please check it."),
        ("31/12/2026", "Please add the time too, for example"),
        ("2020-01-01 10:00", "has already passed. Please type a time in the future."),
        ("2099-01-01 10:00", "That is more than a year away."),
    ]:
        await admin.send(typed)
        assert answer in admin.replies[0].text, typed
        assert admin.last.text.startswith("When should it go out?")
    assert await broadcast_rows(db) == [(1, "draft", None)]
    await admin.send("cancel")  # the global word leaves the flow; the draft stays a draft
    assert admin.last.title == "Main menu"
    assert await broadcast_rows(db) == [(1, "draft", None)]


@pytest.fixture
def clock() -> datetime:
    """A fixed moment: Friday 27 November 2026, 10:00 UTC."""
    return datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def test_scheduling_in_the_admins_time_zone(
    db: Database, catalogs: Catalogs, settings: Settings, clock: datetime
) -> None:
    engine = Engine(db, build_registry(), catalogs, settings, clock=lambda: clock)
    admin = Chat(engine, "telegram:1", hint="it")
    await admin.send("/start")
    await admin.press("it")
    await admin.press("later")
    await admin.send("/settings")
    await admin.press("zone")
    await admin.press("agree")
    await admin.send("Europe/Rome")
    await admin.send("/broadcast")
    await admin.press("none")
    await admin.press("one")
    await admin.send("Incontro con la comunità a Bari.")
    await admin.press("preview")
    await admin.press("schedule")
    assert admin.last.text.startswith(
        "Quando deve partire? Scriva la data e l'ora nel Suo fuso orario,"
    )
    assert "2026-11-28 18:00" in admin.last.text  # tomorrow at six, as it is typed
    await admin.send("15.03.2026 09:00")
    assert admin.replies[0].text == (
        "L'orario indicato (dom 15 mar 2026, 09:00) è già passato. Scriva un momento nel futuro."
    )
    await admin.send("28.03.2027 02:30")  # the night Italy moves its clocks forward
    assert admin.replies[0].text.startswith("Questo orario non esiste nel Suo fuso orario")
    await admin.send("1.12.2026 18:30")
    assert admin.last.text.startswith("Inviare la comunicazione 1 il mar 1 dic 2026, 18:30")
    await admin.press("yes")
    assert admin.replies[0].text.startswith(
        "Programmata: la comunicazione 1 partirà il mar 1 dic 2026, 18:30"
    )
    assert await broadcast_rows(db) == [(1, "scheduled", "2026-12-01T17:30:00.000000Z")]


async def test_a_scheduled_announcement_is_listed_and_can_be_cancelled(
    engine: Engine, db: Database, chat: Callable[..., Chat], settings: Settings
) -> None:
    await add_people(db, crowd(telegram=3, whatsapp=0), utcnow())
    admin = await onboarded(chat, "telegram:1")
    await compose(admin, {"*": "Consular day in Athens"}, title="Consular day")
    await admin.press("Continue to the preview")
    await admin.press("Schedule")
    soon = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    await admin.send(soon)
    await admin.press("Schedule it")
    await admin.send("/broadcasts")
    assert admin.last.title == "Announcements"
    assert admin.last.text.startswith("1 · Consular day · scheduled for ")
    await admin.press("1 · Consular day")
    assert admin.last.title == "Announcement 1: Consular day"
    await admin.press("Cancel the announcement")
    await admin.press("No, keep it")
    assert (await broadcast_rows(db))[0][1] == "scheduled"
    await admin.press("Cancel the announcement")
    await admin.press("Yes, cancel it")
    assert admin.replies[0].text == "Cancelled: announcement 1 will not be sent."
    assert (await broadcast_rows(db))[0][1] == "cancelled"
    await admin.press("broadcast-cancel:1")  # an old cancel button
    assert admin.replies[0].text.startswith("Announcement 1 is already cancelled on")

    later = BroadcastScheduler(
        db, engine.registry, settings, lambda: None, clock=lambda: utcnow() + timedelta(days=3)
    )
    await later.tick()  # its time has come: a cancelled one is not sent
    assert await queued(db) == 0


@pytest.mark.parametrize(
    "key",
    ["telegram:400", "telegram:2", "whatsapp:+393331230000", "console:guest"],
    ids=["member on Telegram", "officer", "member on WhatsApp", "console"],
)
async def test_members_and_officers_cannot_reach_any_of_it(
    chat: Callable[..., Chat], db: Database, key: str
) -> None:
    admin = await onboarded(chat, "telegram:1")
    await compose(admin, {"*": "Scheduled news"})
    await admin.press("Continue to the preview")
    await admin.press("Schedule")
    await admin.send((utcnow() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    await admin.press("Schedule it")
    await admin.send("/broadcast")  # a second one, left as a draft
    await admin.press("No title")
    await admin.press("One text for everyone")
    await admin.send("Draft")
    await admin.press("Continue to the preview")
    before = await broadcast_rows(db)

    someone = await onboarded(chat, key)
    assert "Announcements" not in someone.labels
    refused = "That part is for staff only."
    for command in ("/broadcast", "/broadcasts", "/broadcast 1", "/broadcast 2"):
        await someone.send(command)
        assert someone.replies[0].text == refused, command
    for payload in ("broadcast", "broadcasts", "broadcast:1", "broadcast-cancel:1", "broadcast:2"):
        await someone.press(payload)  # forged route payloads
        assert someone.replies[0].text == refused, payload
    await someone.send("Announcements")  # the admin entry's label typed at the menu
    assert (
        all(r.title != "New announcement" for r in someone.replies) and refused not in someone.text
    )
    await someone.send("/help")
    assert "/broadcast" not in someone.text
    assert await broadcast_rows(db) == before  # nothing sent, scheduled or cancelled


async def test_an_admin_whose_role_is_revoked_is_put_out_mid_compose(
    chat: Callable[..., Chat], db: Database
) -> None:
    second = await onboarded(chat, "telegram:401")
    admin = await onboarded(chat, "telegram:1")
    await admin.press("Roles")
    await admin.press("Grant a role")
    await admin.send("telegram:401")
    await admin.press("administrator")
    await second.send("/broadcast")
    await second.send("A title")
    await admin.press("Revoke a role")
    await admin.press("telegram:401 – administrator")
    await second.press("One text for everyone")
    assert second.replies[0].text == "That part is for staff only. Here is the main menu."
    assert await broadcast_rows(db) == []


async def test_the_preview_counts_notices_against_todays_cap(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    now = utcnow()
    people = crowd(telegram=0, whatsapp=12, outside_every=1)  # all twelve outside the window
    await add_people(db, people, now)
    async with db.transaction() as tx:  # two were told today already: no second notice for them
        for person in people[:2]:
            # midnight UTC: "today" whenever the test runs (an hour ago is yesterday at 00:30)
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            await users.update(tx, person.key, notice_sent_at=today)
    engine = Engine(
        db, build_registry(), catalogs, replace(settings, whatsapp_daily_template_cap=6)
    )
    admin = Chat(engine, "telegram:1", hint="en")
    await admin.send("/start")
    await admin.press("English")
    await admin.press("later")
    await compose(admin, {"*": "Summit registrations close on Friday."})
    await admin.press("Continue to the preview")
    stats = admin.last.text
    assert "12 WhatsApp users are outside the 24-hour window." in stats
    assert "Notice templates: 10 needed, 4 left today (daily cap 6)." in stats
    assert "Over the cap: 6 notices wait for the following days." in stats
    assert "Cost: about $0.12 ($0.0125 each)." in stats


async def send_to(engine: Engine, keys: list[str], tmp_path: Path) -> None:
    """The outbox sends what is due to these console users, each at their own console."""
    for key in keys:
        console = ConsoleChannel(engine, key, io.StringIO(), interactive=False, files=tmp_path)
        sender = ConsoleSender(console)
        settings = engine.settings
        worker = OutboxWorker(engine.db, engine.registry, engine.catalogs, settings, [sender])
        while await worker.run_once(sender):
            pass


def csv_rows(admin: Chat) -> list[list[str]]:
    """The CSV the last replies carried, read back."""
    [attachment] = [r.attachment for r in admin.replies if isinstance(r.attachment, Attachment)]
    return list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))


async def what_the_admin_sees(admin: Chat, db: Database) -> dict[str, object]:
    """Announcement 1's counts wherever an admin reads them."""
    await admin.send("/broadcasts")
    listed = admin.last.text
    await admin.press("Export as CSV")
    exported = csv_rows(admin)
    await admin.send("/broadcasts")
    await admin.press("1 · Consular day")
    detail = admin.last.text
    await admin.send("/stats announcements")
    return {
        "list": listed,
        "csv": exported,
        "detail": detail,
        "stats": admin.replies[0].text.splitlines()[2:],
        "numbers": await stats.announcement_messages(db.reader()),
    }


async def test_an_announcements_counts_outlive_the_purge_of_its_rows(
    engine: Engine, db: Database, chat: Callable[..., Chat], tmp_path: Path
) -> None:
    members = [Person(f"console:m{n}", "en", "IT") for n in range(1, 5)]
    await add_people(db, members, utcnow())
    admin = await onboarded(chat, "console:admin")  # a recipient too
    await compose(admin, {"*": "Consular day in Athens"}, title="Consular day")
    await admin.press("Continue to the preview")
    await admin.press("Send now")
    scheduler = BroadcastScheduler(db, engine.registry, engine.settings, lambda: None)
    await scheduler.tick()  # started and fanned out
    assert await queued(db) == 5
    async with db.transaction() as tx:  # m4 turns announcements off before theirs goes
        await users.update(tx, "console:m4", announcements=False)
    await send_to(engine, ["console:admin", *(m.key for m in members)], tmp_path)
    await scheduler.tick()  # nothing left: done, and the report is queued
    assert (await broadcast_rows(db))[0][1] == "done"

    before = await what_the_admin_sees(admin, db)
    assert before["numbers"] == [("sent", 4), ("skipped", 1)]
    assert (
        "Their messages: sent 4 · failed 0 · skipped 1 · held 0 · cancelled 0 · waiting 0"
        in str(before["stats"])
    )
    assert "Sent: 4 · failed: 0 · skipped: 1 · held: 0" in str(before["list"])
    assert "Sent: 4 · failed: 0 · skipped: 1 · held: 0" in str(before["detail"])
    assert "announcements off" in str(before["detail"])  # the reason some were not sent

    # A member deletes their data, and months later the purge takes every finished row.
    member = await onboarded(chat, "console:m1")
    await member.send("/settings")
    await member.press("Delete my data")
    await member.press("Yes, delete everything")
    assert await queued(db) == 4
    later = utcnow() + timedelta(days=engine.settings.retention_outbox_days + 30)
    await Retention(db, engine.settings, clock=lambda: later).purge()
    assert await queued(db) == 0
    await admin.send("menu")  # the purge took the admin's conversation too: back at the menu

    assert await what_the_admin_sees(admin, db) == before


async def test_a_broadcast_that_finished_before_the_counts_were_kept_reads_its_rows(
    engine: Engine, db: Database, chat: Callable[..., Chat], tmp_path: Path
) -> None:
    # A database from before migration 0014 keeps nothing in broadcast_counts: its live rows
    # still count, and a purge after the upgrade keeps them.
    await add_people(db, [Person("console:m1", "en", "IT")], utcnow())
    admin = await onboarded(chat, "console:admin")
    await compose(admin, {"*": "Consular day in Athens"}, title="Consular day")
    await admin.press("Continue to the preview")
    await admin.press("Send now")
    scheduler = BroadcastScheduler(db, engine.registry, engine.settings, lambda: None)
    await scheduler.tick()
    await send_to(engine, ["console:admin", "console:m1"], tmp_path)
    await scheduler.tick()
    assert await db.read_one("SELECT 1 FROM broadcast_counts") is None
    assert await stats.announcement_messages(db.reader()) == [("sent", 2)]
    await Retention(db, engine.settings, clock=lambda: utcnow() + timedelta(days=400)).purge()
    assert await queued(db) == 0
    assert await stats.announcement_messages(db.reader()) == [("sent", 2)]
