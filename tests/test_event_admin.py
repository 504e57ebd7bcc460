"""Events for admins: the guided creation, publish, edit, cancel, capacity, CSV, the door, links."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import outbox
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LANGUAGE_NAMES, Catalogs
from bot.messages import Attachment
from bot.runtime import engine_for, telegram_application
from bot.telegram import configure
from handlers import (
    build_registry,
    event_demo,
    event_exports,
    event_notices,
    event_views,
    when,
)
from handlers.places import zone_label
from storage import events, users
from storage.clock import to_db, utcnow
from storage.database import Database
from storage.events import Text
from tests.event_fixtures import add_event, delivered, member, rows
from tests.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.harness import Chat

ADMIN = "telegram:1"  # ADMINS in the test settings; telegram:2 is an officer


async def admin(chat: Callable[..., Chat], language: str = "English") -> Chat:
    """The admin at the main menu, speaking a language."""
    return await member(chat, ADMIN, language=language)


async def signed_up(chat: Callable[..., Chat], key: str, event: int, guests: str = "0") -> Chat:
    """A member who signed up (or joined the waitlist)."""
    person = await member(chat, key)
    await person.press(f"event:{event}")
    await person.press("signup")
    await person.send(guests)
    return person


@pytest.mark.parametrize("locale", ["sq", "it", "el", "en"])
async def test_guided_creation_in_each_language_refuses_bad_input(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs, locale: str
) -> None:
    t = catalogs.translator(locale).t
    boss = await admin(chat, LANGUAGE_NAMES[locale])
    await boss.send("/manage_events")
    assert boss.last.title == t("Manage events")
    await boss.press("create")
    assert boss.last.text == t("In which language will you write the title and description?")
    await boss.press(locale)
    await boss.send("Event 2027")  # not taken for a poster's "EVENT <id>" in a staff flow
    assert boss.last.text.startswith(
        t(
            "The description in {language} (up to {n} characters): what, for whom, the"
            " programme. Or skip it.",
            language=LANGUAGE_NAMES[locale],
            n=1000,
        )[:8]
    )
    await boss.send("back")
    await boss.send("x" * 121)
    assert boss.replies[0].text == t("Please keep the title under {n} characters.", n=120)
    await boss.send("Takim · Incontro · Συνάντηση")
    await boss.press("skip")
    other = "el" if locale != "el" else "it"
    await boss.press(other)  # a second language
    await boss.send("Incontro a Boston")
    await boss.send("Per la comunità")
    await boss.press("continue")
    await boss.press("person")
    await boss.send("Ηνωμένες Πολιτείες")  # the United States, typed in Greek
    await boss.send("Boston")
    await boss.press("skip")
    assert boss.last.text == t(
        "In which time zone are its times? Choose one or type a name like Europe/Rome."
    )
    await boss.send("Mars/Olympus")
    assert boss.replies[0].text == t(
        "I do not know that time zone. Choose one of the options or type a name like Europe/Rome."
    )
    await boss.send("America/New_York")
    zone = zone_label("America/New_York", locale)
    expected = {
        "unreadable": t(
            "I could not read that as a date and time. Please type it like {example}.",
            example="{example}",
        ),
        "bad_date": t("That date or time does not exist. Please check it."),
        "gap": t(
            "That time does not exist in {zone}: the clocks go forward then. Please choose"
            " another time.",
            zone=zone,
        ),
        "no_time": t("Please add the time too, for example {example}.", example="{example}"),
        "past": t("That is in the past. Please type a date and time still to come."),
    }
    for bad, problem in (
        ("sometime soon", "unreadable"),
        ("31.02.2031 18:00", "bad_date"),
        ("09.03.2031 02:30", "gap"),  # New York's clocks jump from 2:00 to 3:00 that night
        ("12.03.2031", "no_time"),
        ("12.03.2020 18:00", "past"),
    ):
        await boss.send(bad)
        before, _, after = expected[problem].partition("{example}")
        said = boss.replies[0].text
        assert said.startswith(before) and said.endswith(after), (bad, said)
        assert boss.last.text.startswith(
            t(
                "When does it start? Type the date and time in {zone}, for example {example}.",
                zone=zone,
                example="{example}",
            ).partition("{example}")[0]
        )
    await boss.send("12.03.2031 18:30")
    assert boss.replies[0].text.startswith(t("Start: {when}", when=""))
    await boss.send("17:00")
    assert boss.replies[0].text.startswith(
        t("The end must be after the start ({start}).", start="")[:10]
    )
    await boss.send("20:30")
    await boss.send("lots")
    assert boss.replies[0].text == t("Please type a whole number of seats (0 for no limit).")
    await boss.send("80")
    await boss.send("13.03.2031 10:00")
    assert boss.replies[0].text.startswith(t("Sign-up must close before the start ({start}).")[:8])
    await boss.press("start")
    assert boss.last.title == "Takim · Incontro · Συνάντηση"
    await boss.press("save")
    assert boss.replies[0].text == t("Saved as a draft. Publish it when it is ready.")
    stored = await rows(
        db,
        "SELECT status, starts_at, ends_at, time_zone, city, country, capacity, deadline_at,"
        " created_by FROM events",
    )
    assert stored == [
        (
            "draft",
            "2031-03-12T22:30:00.000000Z",  # 18:30 in New York, on daylight time since the 9th
            "2031-03-13T00:30:00.000000Z",
            "America/New_York",
            "Boston",
            "US",
            80,
            None,
            ADMIN,
        )
    ]
    texts = await rows(db, "SELECT locale, title, description FROM event_texts")
    assert sorted(texts) == sorted(
        [
            (other, "Incontro a Boston", "Per la comunità"),
            (locale, "Takim · Incontro · Συνάντηση", ""),
        ]
    )


# Month names typed in each language, read in Rome on a day before 28 March 2027, the Sunday the
# clocks go forward (at 2:00): 18:30 that evening is 16:30 UTC, 18:30 the day before 17:30 UTC.
TYPED_NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "local_time"),
    [
        # Italian
        ("28 marzo 2027 ore 18:30", "2027-03-28 18:30"),
        ("domenica 28 Marzo 2027 alle 18.30", "2027-03-28 18:30"),
        ("28 mar. 2027, 18h30", "2027-03-28 18:30"),
        ("3 ott 2027 9:15", "2027-10-03 09:15"),
        ("4 dicembre 2027 ore 21:00", "2027-12-04 21:00"),
        ("28 marzo 18:30", "2027-03-28 18:30"),  # no year: the next 28 March
        # Albanian (ë typed or not; p.d. is the morning, m.d. and e pasdites the afternoon)
        ("28 mars 2027 ora 18:30", "2027-03-28 18:30"),
        ("e diel, 28 mars 2027, 6:30 m.d.", "2027-03-28 18:30"),
        ("28 nëntor 2027 ora 18.30", "2027-11-28 18:30"),
        ("28 nentor 2027 18:30", "2027-11-28 18:30"),
        ("15 gush 2027 8 e pasdites", "2027-08-15 20:00"),
        ("4 dhjetor 2027 ora 9:00 p.d.", "2027-12-04 09:00"),
        ("1 maj 2027 ora 8 e paradites", "2027-05-01 08:00"),
        # Greek (genitive and nominative, with or without tonos, capitals, abbreviations)
        ("28 Μαρτίου 2027 6:30 μμ", "2027-03-28 18:30"),
        ("Κυριακή 28 Μαρτίου 2027, στις 18:30", "2027-03-28 18:30"),
        ("28 μαρτιου 2027 18:30", "2027-03-28 18:30"),
        ("28 Μάρτιος 2027 6:30 μ.μ.", "2027-03-28 18:30"),
        ("3 Οκτ 2027 9:15 π.μ.", "2027-10-03 09:15"),
        ("4 ΔΕΚΕΜΒΡΙΟΥ 2027 21:00", "2027-12-04 21:00"),
        ("28 Μαΐου 2027 18:30", "2027-05-28 18:30"),
        # English (month first or day first)
        ("March 28, 2027 6:30 pm", "2027-03-28 18:30"),
        ("Sunday, March 28, 2027 at 6:30 PM", "2027-03-28 18:30"),
        ("Mar 28th, 2027 at 6:30 p.m.", "2027-03-28 18:30"),
        ("28 March 2027 18:30", "2027-03-28 18:30"),
        ("28 March, 2028 18:30", "2028-03-28 18:30"),  # the year after the comma counts
        ("Aug. 15th, 2027 at 8 PM", "2027-08-15 20:00"),
        ("October 3, 2027 9:15 am", "2027-10-03 09:15"),
        ("March 27, 2027 12 am", "2027-03-27 00:00"),
    ],
)
def test_dates_with_month_names_in_each_language(typed: str, local_time: str) -> None:
    reading = when.read(typed, "Europe/Rome", TYPED_NOW)
    expected = datetime.fromisoformat(local_time).replace(tzinfo=ZoneInfo("Europe/Rome"))
    assert reading.problem is None, (typed, reading.problem)
    assert reading.moment == expected.astimezone(UTC), typed


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("31 febbraio 2027 ore 18:00", "bad_date"),
        ("31 aprile 2027 ore 18:00", "bad_date"),
        ("28 marzo 2027 ore 25:00", "bad_date"),
        ("28 marzo 2027 ore 18:75", "bad_date"),
        ("30 shkurt 2027 ora 18:00", "bad_date"),
        ("31 prill 2027 6:30 m.d.", "bad_date"),
        ("30 Φεβρουαρίου 2027 18:00", "bad_date"),
        ("28 Μαρτίου 2027 13:30 μ.μ.", "bad_date"),  # no 13 in the afternoon
        ("February 29, 2027 6 pm", "bad_date"),  # 2027 is no leap year
        ("April 31, 2027 6:30 pm", "bad_date"),
        ("28 marzo 2027 ore 2:30", "gap"),  # the clocks jump from 2:00 to 3:00 that night
        ("28 Μαρτίου 2027", "no_time"),
        ("March 28", "no_time"),
        ("Marchember 28, 2027 18:30", "unreadable"),
    ],
)
def test_corrupt_dates_with_month_names_are_refused_with_the_reason(
    typed: str, problem: str
) -> None:
    assert when.read(typed, "Europe/Rome", TYPED_NOW) == when.Reading(problem=problem)


def test_a_leap_day_with_a_month_name_is_read() -> None:
    reading = when.read("29 febbraio 2028 ore 18:00", "Europe/Rome", TYPED_NOW)
    assert reading.moment == datetime(2028, 2, 29, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "corrupt", "start", "end"),
    [
        ("it", "31 febbraio {year} ore 18:00", "28 marzo {year} ore 18:30", "21.00"),
        ("sq", "30 shkurt {year} ora 18:00", "28 mars {year} ora 6:30 m.d.", "9 e pasdites"),
        ("el", "30 Φεβρουαρίου {year} 18:00", "28 Μαρτίου {year} 6:30 μμ", "9:00 μ.μ."),
        ("en", "February 30, {year} 6 pm", "March 28, {year} 6:30 pm", "9 pm"),
    ],
)
async def test_an_admin_moves_an_event_with_a_month_name_in_their_language(
    chat: Callable[..., Chat],
    db: Database,
    catalogs: Catalogs,
    locale: str,
    corrupt: str,
    start: str,
    end: str,
) -> None:
    i18n = catalogs.translator(locale)
    t = i18n.t
    event = await add_event(db)
    before = await rows(db, "SELECT starts_at, ends_at, deadline_at FROM events")
    year = utcnow().year + 2
    boss = await admin(chat, LANGUAGE_NAMES[locale])
    await boss.press(f"admin_event:{event}")
    await boss.press("edit")
    await boss.press("times")
    await boss.press("Europe/Rome")
    await boss.send(corrupt.format(year=year))
    assert boss.replies[0].text == t("That date or time does not exist. Please check it.")
    asked = t(
        "When does it start? Type the date and time in {zone}, for example {example}.",
        zone=zone_label("Europe/Rome", locale),
        example="{example}",
    ).partition("{example}")[0]
    assert boss.last.text.startswith(asked)  # asked again
    assert await rows(db, "SELECT starts_at, ends_at, deadline_at FROM events") == before
    await boss.send(start.format(year=year))
    rome = ZoneInfo("Europe/Rome")
    begins = datetime(year, 3, 28, 18, 30, tzinfo=rome).astimezone(UTC)
    assert boss.replies[0].text == t(
        "Start: {when}", when=event_views.moment(i18n, begins, "Europe/Rome")
    )
    await boss.send(end)
    ends = datetime(year, 3, 28, 21, 0, tzinfo=rome).astimezone(UTC)
    assert boss.replies[0].text == t(
        "End: {when}", when=event_views.moment(i18n, ends, "Europe/Rome")
    )
    await boss.press("start")  # sign-up until the start
    assert boss.replies[0].text == t("Saved.")
    assert await rows(db, "SELECT starts_at, ends_at, deadline_at FROM events") == [
        (to_db(begins), to_db(ends), None)
    ]


async def test_the_greek_event_list_tells_the_demo_meetings_apart(
    chat: Callable[..., Chat], db: Database, catalogs: Catalogs
) -> None:
    async with db.transaction() as tx:
        await event_demo.seed(tx)
    twin = await add_event(  # a series: the same title, another month
        db, start=utcnow() + timedelta(days=40), texts={"el": Text("Προξενική ημέρα")}
    )
    again = await add_event(
        db, start=utcnow() + timedelta(days=70), texts={"el": Text("Προξενική ημέρα")}
    )
    boss = await admin(chat, "Ελληνικά")
    await boss.send("/manage_events")
    el = catalogs.translator("el")
    labels = [b.label for b in boss.buttons if b.payload.startswith("admin_event:")]
    assert len(labels) == 6 and len(set(labels)) == 6
    assert all(len(label) <= 64 for label in labels), labels  # no longer than before
    meetings = [label for label in labels if label.startswith("[Παράδειγμα] Συνάντηση")]
    assert len(meetings) == 3
    for city in ("στο Μιλάνο", "στην Αθήνα", "στη Βοστώνη"):  # the end of each title stays
        assert sum(f"… {city} · " in label for label in meetings) == 1, meetings
    async with db.transaction() as tx:
        first, second = await events.get(tx, twin), await events.get(tx, again)
    assert first is not None and second is not None
    for event in (first, second):  # the date, in Greek, as the event's zone reads it
        day = el.date(event.starts_at, event.time_zone, width="medium")
        assert f"Προξενική ημέρα · {day} ({el.t('published')})" in labels


def test_short_labels_keep_the_end_of_a_long_title() -> None:
    title = "Meeting with the Albanian community in Reggio Emilia"
    assert event_views.short(title, 60) == title
    assert event_views.short(title, 40) == "Meeting with the Albanian… Reggio Emilia"
    assert event_views.short(title, 36) == "Meeting with the… Reggio Emilia"  # between words
    assert event_views.short("x" * 90, 30) == "x" * 17 + "…" + "x" * 11


async def test_publish_edit_and_cancel_telling_everyone_once(
    chat: Callable[..., Chat], db: Database, engine: Engine, tmp_path: Path
) -> None:
    event = await add_event(db, status="draft", capacity=1)
    boss = await admin(chat)
    person = await member(chat, "telegram:7001")
    await person.press(f"event:{event}")
    assert person.replies[0].text == "I could not find that event. Here are the upcoming ones."
    await boss.press(f"admin_event:{event}")
    assert "Status: draft" in boss.last.text
    await boss.press("Publish")
    assert boss.replies[0].text == "Published: members can now find the event and sign up."
    assert "Status: published" in boss.last.text

    first = await signed_up(chat, "console:anna", event)
    second = await signed_up(chat, "console:ben", event)
    assert "on the waitlist" in second.replies[0].text
    async with db.transaction() as tx:
        await users.update(tx, "console:ben", locale="it")
    old_reminders = await rows(db, "SELECT count(*) FROM outbox WHERE renderer = 'events.reminder'")

    await boss.press(f"admin_event:{event}")
    await boss.press("Edit")
    await boss.press("Date and time")
    await boss.press("Europe/Rome")
    moved = (utcnow() + timedelta(days=10)).strftime("%d.%m.%Y")
    await boss.send(f"{moved} 19:00")
    await boss.send("21:00")
    await boss.press("start")
    assert boss.replies[0].text == "Saved."
    assert boss.replies[1].text == "2 people registered or waiting will be told the new date."
    reminders = await rows(db, "SELECT count(*) FROM outbox WHERE renderer = 'events.reminder'")
    assert reminders[0][0] == old_reminders[0][0] + 2  # anna's, for the new start
    news = await delivered(engine, "console:ben", tmp_path)
    assert "*Nuova data*" in news  # in Ben's language, waiting still
    assert "È ancora in lista d'attesa." in news
    assert "19:00" in news
    await boss.press("Edit")
    await boss.press("Title and description")
    await boss.press("el")
    await boss.send("Συνάντηση στο Μιλάνο")
    await boss.press("skip")
    await boss.press("continue")
    async with db.transaction() as tx:
        found = await events.get(tx, event)
    assert found is not None and found.text("el").title == "Συνάντηση στο Μιλάνο"
    assert found.text("it").title == "Incontro a Milano"  # the others kept

    await boss.press("Cancel the event")
    assert boss.last.text.startswith("Cancel Meeting in Milan? The 2 members registered")
    confirm = boss.button("Yes, cancel the event")
    assert confirm is not None
    await boss.press(confirm.payload)
    assert boss.replies[0].text == "The event is cancelled; 2 members will be told."
    await boss.press(confirm.payload)  # a double click
    assert boss.replies[0].text == "That menu is no longer active. Here is where we are now."
    assert "Cancel the event" not in boss.labels
    notices = await rows(
        db, "SELECT recipient FROM outbox WHERE renderer = 'events.cancelled' ORDER BY recipient"
    )
    assert notices == [("console:anna",), ("console:ben",)]

    told = await delivered(engine, "console:ben", tmp_path)
    assert told.count("*Evento annullato*") == 1  # in Ben's language, once
    assert "Nuova data" not in told  # told already, and not again
    assert "Ci dispiace: l'evento Incontro a Milano" in told
    assert "Promemoria" not in told
    await first.press(f"event:{event}")
    assert "This event has been cancelled." in first.last.text


async def test_capacity_up_promotes_and_down_below_taken_is_refused(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, capacity=3)
    await signed_up(chat, "telegram:7101", event, guests="2")  # 3 seats
    waiting = [await signed_up(chat, f"telegram:{7102 + i}", event) for i in range(3)]
    assert all("waitlist" in w.replies[0].text for w in waiting)
    boss = await admin(chat)
    await boss.press(f"admin_event:{event}")
    await boss.press("Change capacity")
    assert boss.last.text.startswith("Seats taken: 3 of 3; waitlist: 3")
    await boss.send("2")
    assert boss.replies[0].text.startswith("You cannot set 2 seats: 3 are already taken.")
    await boss.send("-5")
    assert boss.replies[0].text == "Please type a whole number of seats (0 for no limit)."
    await boss.send("5")
    assert [r.text for r in boss.replies[:2]] == [
        "Capacity: 5.",
        "2 members moved up from the waitlist and were told.",
    ]
    statuses = await rows(db, "SELECT user_key, status FROM registrations ORDER BY id")
    assert [s for _, s in statuses] == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    promoted = await rows(db, "SELECT recipient FROM outbox WHERE renderer = 'events.promoted'")
    assert promoted == [("telegram:7102",), ("telegram:7103",)]
    await boss.press("Change capacity")
    await boss.send("0")  # no limit: everyone in
    assert boss.replies[0].text == "Capacity: no limit."
    assert (await rows(db, "SELECT count(*) FROM registrations WHERE status = 'confirmed'")) == [
        (4,)
    ]


async def test_an_events_reminders_promotions_and_cancellations_are_reported_as_batches(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, capacity=1)
    other = await add_event(db, capacity=5)
    await signed_up(chat, "telegram:7201", event)
    await signed_up(chat, "telegram:7202", event)  # on the waitlist
    await signed_up(chat, "telegram:7203", other)  # another event's reminders are its own
    boss = await admin(chat)
    await boss.press(f"admin_event:{event}")
    await boss.press("Change capacity")
    await boss.send("2")  # the second moves up: told, with reminders of their own
    await boss.press("Cancel the event")
    confirm = boss.button("Yes, cancel the event")
    assert confirm is not None
    await boss.press(confirm.payload)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET status = 'sent' WHERE renderer = ?", (event_notices.PROMOTED,)
        )

    async def report(kind: str, which: int = event) -> outbox.Report:
        return await outbox.report(db, f"event:{which}:{kind}", pace=2.0)

    reminders, promotions, cancelled = [
        await report(kind) for kind in ("reminders", "promotions", "cancelled")
    ]
    assert reminders.statuses == {"pending": 4}  # a day and two hours before, for each of two
    assert promotions.statuses == {"sent": 1}
    assert (cancelled.statuses, cancelled.remaining, cancelled.seconds_left) == (
        {"pending": 2},
        2,
        1.0,
    )
    assert (await report("reminders", other)).statuses == {"pending": 2}


async def test_csv_export_is_safe_in_a_spreadsheet_with_headers_in_the_admins_language(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, capacity=2)
    cities = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tTab"]
    for index, city in enumerate(cities):
        key = f"telegram:{7200 + index}"
        await signed_up(chat, key, event)
        async with db.transaction() as tx:
            await users.update(tx, key, city=city)
    boss = await admin(chat, "Italiano")
    await boss.press(f"admin_event:{event}")
    await boss.press("Iscrizioni")
    assert "Confermate: 2 iscrizioni, 2 posti." in boss.last.text
    await boss.press("csv")
    [file] = [r.attachment for r in boss.replies if isinstance(r.attachment, Attachment)]
    assert file.media_type == "text/csv" and file.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert table[0][:4] == ["Stato", "Posto in lista d'attesa", "Identificativo", "Posti"]
    assert len(table) == 6
    cells = [cell for row in table[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert sorted(row[-1] for row in table[1:]) == sorted("'" + c for c in cities)
    assert [row[0] for row in table[1:]] == ["confermata"] * 2 + ["in lista d'attesa"] * 3
    assert [row[1] for row in table[1:]] == ["", "", "1", "2", "3"]
    assert {row[9] for row in table[1:]} == {"inglese"}  # named in the admin's language, not a code
    assert event_exports.safe(-3) == -3 and event_exports.safe("\rx") == "'\rx"


async def test_check_in_codes_valid_reused_unknown_and_others(
    chat: Callable[..., Chat], db: Database
) -> None:
    event = await add_event(db, capacity=1)
    other = await add_event(db, texts=None)
    arrived = await signed_up(chat, "telegram:7301", event, guests="0")
    waiting = await signed_up(chat, "telegram:7302", event)
    elsewhere = await signed_up(chat, "telegram:7303", other)
    codes = dict(await rows(db, "SELECT user_key, code FROM registrations"))
    boss = await admin(chat)
    await boss.press(f"admin_event:{event}")
    await boss.press("Check in at the door")
    code = codes[arrived.user]
    await boss.send(f" {code[:3].lower()}-{code[3:].lower()} ")  # as read aloud or scanned
    assert (
        boss.replies[0].text
        == f"Welcome: {code[:3]}-{code[3:]} checked in, 1 seat (telegram:7301)."
    )
    await boss.send(code)
    assert boss.replies[0].text.startswith(
        f"Already used: {code[:3]}-{code[3:]} was checked in on "
    )
    await boss.send("ZZZ-ZZZ")
    assert boss.replies[0].text == "No registration has the code ZZZ-ZZZ."
    await boss.send("hello")
    assert boss.replies[0].text == "No registration has the code hello."
    await boss.send(codes[waiting.user])
    assert boss.replies[0].text.endswith("is on the waitlist: no seat was confirmed.")
    await boss.send(codes[elsewhere.user])
    assert boss.replies[0].text.startswith("The code ")
    assert "is for another event: Meeting in Milan." in boss.replies[0].text
    assert "Checked in so far: 1." in boss.last.text
    await boss.press("Done")
    assert "Checked in: 1" in boss.last.text
    await boss.press("Registrations")
    assert boss.replies[0].text.splitlines()[0] == (
        "Confirmed: 1 registration, 1 seat. Checked in: 1."
    )  # one of each: singular forms
    await boss.send("back")
    checked = await rows(
        db, "SELECT user_key, checked_in_by FROM registrations WHERE checked_in_at IS NOT NULL"
    )
    assert checked == [("telegram:7301", ADMIN)]
    await arrived.send("/registrations")
    await arrived.press("Meeting in Milan")
    await arrived.press("Cancel my registration")
    await arrived.press("Yes, cancel my registration")
    await boss.press("Check in at the door")
    await boss.send(code)
    assert boss.replies[0].text == f"The registration {code[:3]}-{code[3:]} was cancelled."


async def test_the_new_audiences(chat: Callable[..., Chat], db: Database, engine: Engine) -> None:
    event = await add_event(db, capacity=2)
    came = await signed_up(chat, "telegram:7401", event)
    await signed_up(chat, "telegram:7402", event)
    await signed_up(chat, "telegram:7403", event)  # waitlisted: neither registered nor absent
    codes = dict(await rows(db, "SELECT user_key, code FROM registrations"))
    boss = await admin(chat)
    await boss.press(f"admin_event:{event}")
    await boss.press("Check in at the door")
    await boss.send(codes[came.user])
    registry = engine.registry

    async def keys(name: str, value: str = str(event)) -> list[str]:
        sql, params = registry.audience_query([(name, {"event": value})])
        return sorted(r[0] for r in await db.read_all(sql, params))

    assert await keys("event_registered") == ["telegram:7401", "telegram:7402"]
    assert await keys("event_attended") == ["telegram:7401"]
    assert await keys("event_absent") == ["telegram:7402"]
    assert await keys("event_registered", "nonsense") == []
    both = registry.audience_query(
        [("event_registered", {"event": str(event)}), ("event_attended", {"event": str(event)})]
    )
    assert [r[0] for r in await db.read_all(*both)] == ["telegram:7401"]
    param = registry.audiences["event_attended"].params[0]
    choices = await _choices(engine, param)
    assert choices[0][1] == str(event) and choices[0][0].startswith("Meeting in Milan – ")


async def _choices(engine: Engine, param: object) -> list[tuple[str, str]]:
    """An audience parameter's choices, as the admin would see them."""
    from bot.messages import Incoming
    from bot.registry import AudienceParam
    from bot.state import State
    from bot.turn import Turn

    assert isinstance(param, AudienceParam)
    async with engine.db.transaction() as write:
        user = await users.get(write, ADMIN)
        assert user is not None
        turn = Turn(
            incoming=Incoming(ADMIN),
            user=user,
            roles=frozenset({"admin"}),
            state=State("menu", "main"),
            db=write,
            now=utcnow(),
            settings=engine.settings,
            registry=engine.registry,
            catalogs=engine.catalogs,
            translator=engine.catalogs.translator("en"),
        )
        return await param.choices(write, turn)


@pytest.mark.parametrize(
    "key", ["telegram:2", "telegram:7501", "whatsapp:+393337000000", "console:ana"]
)
async def test_officers_and_members_are_refused_on_every_channel(
    chat: Callable[..., Chat], db: Database, key: str
) -> None:
    event = await add_event(db)
    person = await member(chat, key)
    assert "Manage events" not in person.labels
    refused = "That part is for staff only."
    for attempt in ("/manage_events", "Manage events"):
        await person.send("menu")
        await person.send(attempt)  # the typed label is no option here (the FAQ may answer it)
        assert all(reply.title != "Manage events" for reply in person.replies)
        assert "Status:" not in person.text
    await person.send("/manage_events")
    assert person.replies[0].text == refused
    for payload in ("manage", f"admin_event:{event}"):
        await person.press(payload)
        assert person.replies[0].text == refused
    await person.send("/help")
    assert "/manage_events" not in person.text
    assert await rows(db, "SELECT status FROM events") == [("published",)]


async def test_links_and_qr_codes_for_the_poster(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    configured = replace(
        settings, telegram_bot_username="diaspora_bot", twilio_whatsapp_from="whatsapp:+14155238886"
    )
    engine = Engine(db, build_registry(), catalogs, configured)
    event = await add_event(db)
    boss = await member(lambda k, hint: Chat(engine, k, hint), ADMIN)
    await boss.press(f"admin_event:{event}")
    await boss.press("Links and QR code")
    assert f"Telegram: https://t.me/diaspora_bot?start=event-{event}" in boss.last.text
    assert f"WhatsApp: https://wa.me/14155238886?text=EVENT%20{event}" in boss.last.text
    await boss.press("QR code for WhatsApp")
    qr = boss.replies[0]
    assert qr.text == f"https://wa.me/14155238886?text=EVENT%20{event}"
    assert isinstance(qr.attachment, Attachment) and qr.attachment.media_type == "image/png"
    assert qr.attachment.data.startswith(b"\x89PNG")

    bare = Engine(db, build_registry(), catalogs, settings)  # the console: no username, no number
    plain = Chat(bare, ADMIN)
    await plain.press(f"admin_event:{event}")
    await plain.press("Links and QR code")
    assert f"Telegram: /start event-{event}" in plain.last.text
    assert f"WhatsApp: EVENT {event}" in plain.last.text
    assert "QR code for Telegram" not in plain.labels


async def test_on_whatsapp_an_admin_is_told_files_cannot_come_there(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    phone = "whatsapp:+393330001111"
    configured = replace(
        settings,
        admins=frozenset({ADMIN, phone}),
        telegram_bot_username="diaspora_bot",
        twilio_whatsapp_from="whatsapp:+14155238886",
    )
    engine = Engine(db, build_registry(), catalogs, configured)
    event = await add_event(db)
    boss = await member(lambda k, hint: Chat(engine, k, hint), phone, language="Italiano")
    refusal = "Su WhatsApp non è possibile inviare file. La preghiamo di esportare da Telegram"
    await boss.press(f"admin_event:{event}")
    await boss.press("csv")
    assert boss.replies[0].text.startswith(refusal)
    assert all(r.attachment is None for r in boss.replies)
    await boss.press("Iscrizioni")
    await boss.press("csv")
    assert boss.replies[0].text.startswith(refusal)
    assert all(r.attachment is None for r in boss.replies)
    await boss.press(f"admin_event:{event}")
    await boss.press("links")
    assert f"WhatsApp: https://wa.me/14155238886?text=EVENT%20{event}" in boss.last.text
    assert not [label for label in boss.labels if "QR" in label]
    await boss.press("whatsapp")  # not offered here: no image comes
    assert all(r.attachment is None for r in boss.replies)


async def test_the_bots_username_comes_from_telegram_when_not_configured(
    fake: FakeTelegram, settings: Settings
) -> None:
    token = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
    configured = replace(settings, telegram_bot_token=token, telegram_api_base_url=fake.url)
    async with engine_for(configured) as engine:
        application = telegram_application(configured, polling=False)
        async with application:
            await configure(application.bot, engine)
    assert engine.settings.telegram_bot_username == BOT_USERNAME
