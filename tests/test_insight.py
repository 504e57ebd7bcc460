"""/stats: exact numbers on known data, the text and charts per section, who may see them, and the
CSV exports of every list an admin sees."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.charts import draw
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Attachment
from handlers import build_registry, insight_report
from handlers.insight_report import Context
from storage import stats, users
from storage.database import Database
from storage.stats import Totals
from tests.harness import Chat
from tests.insight_data import ADMIN, NOW, faq_ids, fill
from tests.png import png_size

ROOT = Path(__file__).resolve().parent.parent
ROME = "Europe/Rome"


@pytest.fixture
def engine(db: Database, catalogs: Catalogs, settings: Settings) -> Engine:
    """The real flows on a clock stopped at the known data's moment."""
    return Engine(db, build_registry(), catalogs, settings, clock=lambda: NOW)


async def onboarded(
    chat: Callable[..., Chat], key: str, language: str = "English", zone: str | None = ROME
) -> Chat:
    """Someone who chose a language and said "Not now" to the privacy notice, with a zone."""
    person = chat(key, hint="en")
    await person.send("/start")
    await person.press(language)
    await person.press("later")
    assert person.buttons, person.text
    if zone is not None:
        async with person.engine.db.transaction() as tx:
            await users.update(tx, key, time_zone=zone)
    return person


def files(person: Chat) -> list[Attachment]:
    """The files the last replies carried."""
    return [r.attachment for r in person.replies if isinstance(r.attachment, Attachment)]


def table(attachment: Attachment) -> list[list[str]]:
    """A CSV attachment read back (it starts with a byte-order mark, for spreadsheets)."""
    assert attachment.media_type == "text/csv" and attachment.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))


# -- the numbers -----------------------------------------------------------------------------------


async def test_every_statistic_is_exactly_right_on_known_data(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    await fill(engine.db)
    await onboarded(chat, ADMIN)  # the seventh user, created now, reading English
    r = engine.db.reader()
    assert await stats.users_total(r) == 7
    assert await stats.users_by_channel(r) == [("telegram", 4), ("whatsapp", 2), ("console", 1)]
    # console:x chose nothing and has no hint: the default language (sq in the test settings).
    assert await stats.users_by_language(r, LOCALES, "sq") == [
        ("sq", 3),
        ("it", 2),
        ("el", 1),
        ("en", 1),
    ]
    assert await stats.users_by_country(r) == [("GR", 3), (None, 2), ("IT", 2)]
    context = Context(catalogs.translator("en"), ROME, NOW, "sq")
    spans = insight_report.weeks(context)
    assert [insight_report.day_label(context, start) for start, _ in spans] == [
        "Jan 26", "Feb 2", "Feb 9", "Feb 16", "Feb 23", "Mar 2", "Mar 9", "Mar 16"
    ]  # fmt: skip
    # Sunday 23:30 in Rome is last week, Monday 00:30 this week, whatever the UTC date says.
    assert await stats.new_users(r, spans) == [1, 0, 0, 0, 0, 0, 2, 3]

    found = await stats.event_counts(r, None)
    assert [(e.id, e.registered, e.seats, e.attended, e.waiting) for e in found] == [
        (2, 1, 2, 0, 0),
        (1, 3, 6, 2, 1),
        (4, 0, 0, 0, 0),
    ]  # the draft (3) is left out; the latest start first
    assert [e.id for e in await stats.event_counts(r, None, drafts=True)] == [3, 2, 1, 4]
    assert await stats.event_totals(r, NOW) == Totals(4, 8, 2, 1, upcoming=1, past=1)

    assert await stats.ideas_by(r, "status") == [("received", 2), ("accepted", 1), ("declined", 1)]
    assert await stats.ideas_by(r, "sector") == [("agriculture", 2), ("health", 1), ("tourism", 1)]
    assert await stats.ideas_by(r, "county") == [("vlore", 2), ("all", 1), ("korce", 1)]
    with pytest.raises(ValueError, match="title"):
        await stats.ideas_by(r, "title")

    first, second, _ = faq_ids()
    assert await stats.faq_shown(r) == 15
    assert await stats.faq_most_used(r, 2) == [(first, 10), (second, 4)]
    assert await stats.faq_unhelpful(r, None) == [(second, 2, 3)]
    assert await stats.questions_by_status(r) == [
        ("answered", 3),
        ("claimed", 1),
        ("closed", 1),
        ("open", 1),
    ]
    median, answered = await stats.median_first_reply(r)
    assert answered == 4 and median == pytest.approx(8 / 24)  # between 6 and 10 hours

    assert await stats.broadcasts_by_status(r) == [("cancelled", 1), ("done", 1), ("draft", 1)]
    # Progress lines and other rows are not announcements.
    assert await stats.announcement_messages(r) == [
        ("sent", 4),
        ("cancelled", 2),
        ("failed", 1),
        ("held", 1),
        ("skipped", 1),
    ]

    async with engine.db.transaction() as tx:  # an odd number of replies: the middle one
        await tx.execute("DELETE FROM question_messages WHERE question_id = 6 AND side = 'officer'")
    median, answered = await stats.median_first_reply(r)
    assert answered == 3 and median == pytest.approx(6 / 24)


async def test_an_empty_database_gives_zeros_and_no_charts(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    admin = await onboarded(chat, ADMIN, zone=None)
    r = engine.db.reader()
    assert await stats.median_first_reply(r) == (None, 0)
    assert await stats.event_counts(r, 5) == []
    assert await stats.announcement_messages(r) == []
    for section in ("events", "ideas", "consular", "announcements"):
        await admin.send(f"/stats {section}")
        assert files(admin) == [], section  # nothing to draw: no empty chart
    assert "No published events yet." in (await admin.send("/stats events"))[0].text
    await admin.send("/stats consular")
    assert "Median time to an officer's first reply: no replies yet" in admin.text
    assert "As of Wed, Mar 18, 2026, 10:00\u202fAM (UTC)" in admin.text


# -- what the admin reads ------------------------------------------------------------------------


async def test_the_overview_says_every_part_in_the_admins_words(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    await fill(engine.db)
    admin = await onboarded(chat, ADMIN)
    assert "Statistics" in admin.labels
    await admin.press("Statistics")
    report, prompt = admin.replies
    assert report.title == "Statistics"
    assert report.text.splitlines() == [
        "As of Wed, Mar 18, 2026, 11:00\u202fAM (Central European Time (Rome))",
        "",
        "Users: 7 (Telegram 4 · WhatsApp 2 · console 1)",
        "New users: this week 3 · in the last 8 weeks 6",
        "Events: upcoming 1 · past 1 · registrations 4 (seats 8) · checked in 2 · on waitlists 1",
        "Project ideas: 4 (received 2 · under review 0 · shortlisted 0 · accepted 1 · declined 1)",
        "Consular: FAQ answers shown 15 · entries marked unhelpful 1 · questions waiting for an"
        " officer 2",
        "Median time to an officer's first reply: 8 hours (over 4 questions)",
        "Announcements sent out: 1",
        "Their messages: sent 4 · failed 1 · skipped 1 · held 1 · cancelled 2 · waiting 0",
    ]
    assert isinstance(report.attachment, Attachment)
    assert report.attachment.filename == "stats-overview-2026-03-18.png"
    assert png_size(report.attachment.data)[0] == 1080
    assert prompt.text == "What would you like to see?"
    assert admin.labels[:5] == [
        "Users",
        "Events",
        "Project ideas",
        "Consular questions",
        "Announcements",
    ]


async def test_each_section_in_detail_with_its_chart(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    await fill(engine.db)
    admin = await onboarded(chat, ADMIN)
    await admin.send("/stats")
    await admin.press("Users")
    assert admin.replies[0].text.splitlines()[2:] == [
        "Users: 7",
        "By channel: Telegram 4 · WhatsApp 2 · console 1",
        "By language: Albanian 3 · Italian 2 · Greek 1 · English 1",
        "By country of residence: Greece 3 · not given 2 · Italy 2",
        "New users per week (weeks from Monday):",
        "  Jan 26: 1",
        "  Feb 2: 0",
        "  Feb 9: 0",
        "  Feb 16: 0",
        "  Feb 23: 0",
        "  Mar 2: 0",
        "  Mar 9: 2",
        "  Mar 16: 3",
    ]
    await admin.press("Events")
    assert admin.replies[0].text.splitlines()[2:] == [
        "All events: registrations 4 (seats 8) · checked in 2 · on waitlists 1",
        "",
        "The latest events:",
        "• Meeting 2, Apr 10, 2026: registered 1 (seats 2) · checked in 0 · on the waitlist 0",
        "• Meeting 1, Mar 1, 2026: registered 3 (seats 6) · checked in 2 · on the waitlist 1",
        "• Meeting 4 (cancelled), Feb 1, 2026: registered 0 (seats 0) · checked in 0"
        " · on the waitlist 0",
    ]
    await admin.press("Project ideas")
    assert admin.replies[0].text.splitlines()[2:] == [
        "Project ideas: 4",
        "By status: received 2 · under review 0 · shortlisted 0 · accepted 1 · declined 1",
        "By sector: Agriculture and food 2 · Health 1 · Tourism 1",
        "By county: Vlorë 2 · Nationwide 1 · Korçë 1",
    ]
    await admin.press("Consular questions")
    text = admin.replies[0].text
    assert "FAQ answers shown: 15\nMost used:\n" in text
    assert "Marked unhelpful:\n" in text and ": 2 of 3 votes" in text
    assert "Questions to officers: open 1 · being handled 1 · answered 3 · closed 1" in text
    assert "Waiting for an officer: 2" in text
    await admin.press("Announcements")
    assert admin.replies[0].text.splitlines()[2:] == [
        "Announcements: sent out 1 · being sent 0 · scheduled 0 · cancelled 1",
        "Their messages: sent 4 · failed 1 · skipped 1 · held 1 · cancelled 2 · waiting 0",
    ]
    for section in ("users", "events", "ideas", "consular", "announcements"):
        await admin.send(f"/stats {section}")
        [chart] = files(admin)
        width, height = png_size(chart.data)
        assert (
            chart.filename == f"stats-{section}-2026-03-18.png" and chart.media_type == "image/png"
        )
        assert width == 1080 and 600 <= height <= 2000, (section, height)  # a phone's screen
        assert 10_000 < len(chart.data) < 400_000


async def test_the_charts_and_texts_speak_the_admins_language(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    await fill(engine.db)
    t = catalogs.translator("it").t
    admin = await onboarded(chat, ADMIN, language="Italiano")
    await admin.send("/stats users")
    assert t("By country of residence: {list}", list="Grecia 3 · non indicato 2 · Italia 2") in (
        admin.replies[0].text
    )
    assert admin.replies[0].title == t("Users") != "Users"
    # The chart the admin got was drawn from these words: rebuilt here, its texts are Italian.
    context = Context(catalogs.translator("it"), ROME, NOW, "sq")
    chart = (await insight_report.users(engine.db.reader(), context)).chart
    assert chart is not None
    picture = draw(chart)
    assert picture.png == files(admin)[0].data  # the same picture, byte for byte
    assert chart.labels == ("Grecia", "non indicato", "Italia")
    assert picture.texts[0] == t("Users by country of residence") != "Users by country of residence"
    assert {"Grecia", "Italia", "3", "2"} <= set(picture.texts)

    greek = catalogs.translator("el")
    events = await insight_report.events(engine.db.reader(), Context(greek, ROME, NOW, "sq"))
    assert events.chart is not None
    assert [s.name for s in events.chart.series] == [
        greek.t("Registered"),
        greek.t("Checked in"),
        greek.t("On the waitlist"),
    ]
    assert greek.t("On the waitlist") != "On the waitlist"
    assert set(draw(events.chart).texts) >= {greek.t("Registrations per event"), "Meeting 1"}


async def test_whatsapp_admins_get_the_text_without_charts(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    await fill(engine.db)
    key = "whatsapp:+355691234567"
    admin = await onboarded(chat, key)
    async with engine.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO roles (user_key, role, granted_at) VALUES (?, 'admin', ?)",
            (key, "2026-01-01T00:00:00.000000Z"),
        )
    await admin.send("/stats")
    assert admin.replies[0].text.splitlines()[2] == "Users: 7 (Telegram 3 · WhatsApp 3 · console 1)"
    for section in ("", " users", " events", " ideas", " consular", " announcements"):
        await admin.send(f"/stats{section}")
        assert files(admin) == [] and admin.replies[0].text
    await admin.press("csv")
    assert admin.replies[0].text.startswith("Files cannot be sent on WhatsApp.")


async def test_nobody_but_an_admin_reaches_the_statistics(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    refused = "That part is for staff only."
    for key in ("telegram:500", "telegram:2"):  # a member, and an officer (no admin)
        person = await onboarded(chat, key)
        assert "Statistics" not in person.labels
        for attempt in ("/stats", "/stats users"):
            await person.send(attempt)
            assert person.replies[0].text == refused, attempt
        for payload in ("stats", "stats:users", "stats:overview"):  # forged route payloads
            await person.press(payload)
            assert person.replies[0].text == refused, payload
        await person.send("Statistics")  # the admin entry's label, typed
        assert all(r.title != "Statistics" for r in person.replies)
        await person.send("/help")
        assert "/stats" not in person.text
        rows = await engine.db.read_all(  # a staff member's first language: their command list
            "SELECT * FROM outbox WHERE renderer != 'command-menu'"
        )
        assert rows == []

    second = await onboarded(chat, "telegram:501")
    async with engine.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO roles (user_key, role, granted_at) VALUES ('telegram:501', 'admin', ?)",
            ("2026-01-01T00:00:00.000000Z",),
        )
    await second.send("/stats")
    assert second.replies[0].title == "Statistics"
    async with engine.db.transaction() as tx:
        await tx.execute("DELETE FROM roles WHERE user_key = 'telegram:501'")
    await second.press("csv")  # still at the prompt, but no longer an admin
    assert second.replies[0].text == "That part is for staff only. Here is the main menu."
    assert files(second) == []


async def test_the_admin_help_lists_stats(chat: Callable[..., Chat]) -> None:
    admin = await onboarded(chat, ADMIN)
    await admin.send("/help")
    assert "/stats – Statistics with charts, CSV exports and the weekly digest" in admin.text


# -- exports ---------------------------------------------------------------------------------------


async def test_the_statistics_as_csv(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    await fill(engine.db)
    admin = await onboarded(chat, ADMIN)
    await admin.send("/stats")
    await admin.press("Export the statistics (CSV)")
    assert admin.replies[0].text == "Every number of the statistics, as a spreadsheet file:"
    [attachment] = files(admin)
    assert attachment.filename == "statistics-2026-03-18.csv"
    rows = table(attachment)
    assert rows[0] == ["Section", "Item", "Number"]
    for expected in [
        ["Users", "All users", "7"],
        ["Users by channel", "console", "1"],
        ["Users by language", "Albanian", "3"],
        ["Users by country of residence", "not given", "2"],
        ["New users per week", "Mar 16, 2026", "3"],
        ["Event: Meeting 1, Mar 1, 2026", "Checked in", "2"],
        ["Event: Meeting 1, Mar 1, 2026", "On the waitlist", "1"],
        ["Project ideas by county", "Nationwide", "1"],
        ["FAQ answers marked unhelpful", rows_question(faq_ids()[1]), "2"],
        ["Questions to officers", "Median hours to an officer's first reply", "8.0"],
        ["Questions to officers", "Waiting for an officer", "2"],
        ["New users", "In the last 8 weeks", "6"],
        ["All events", "Upcoming events", "1"],
        ["All events", "Past events", "1"],
        ["All events", "Seats", "8"],
        ["Event: Meeting 4 (cancelled), Feb 1, 2026", "Registered", "0"],
        ["Project ideas", "All project ideas", "4"],
        ["FAQ answers shown", "All entries", "15"],
        ["FAQ answers marked unhelpful", "Entries marked unhelpful", "1"],
        ["Votes on the entries marked unhelpful", rows_question(faq_ids()[1]), "3"],
        ["Announcements", "sent out", "1"],
        ["Announcement messages", "Held", "1"],
    ]:
        assert expected in rows, expected
    assert admin.last.text == "What would you like to see?"  # back at the prompt

    await admin.send("language")
    await admin.press("Ελληνικά")
    await admin.send("/stats")
    await admin.press("csv")
    greek = catalogs.translator("el").t
    assert table(files(admin)[0])[0] == [greek("Section"), greek("Item"), greek("Number")]
    assert greek("Section") != "Section"
    assert [greek("Users by language"), "αλβανικά", "3"] in table(files(admin)[0])
    await admin.send("/stats users")
    # Language names as Greek writes them, not each language's own name mixed into Greek.
    assert "Ανά γλώσσα: αλβανικά 3 · ελληνικά 2 · ιταλικά 2" in admin.replies[0].text


async def test_every_number_a_section_shows_is_in_the_csv(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    await fill(engine.db)
    admin = await onboarded(chat, ADMIN)
    await admin.send("/stats")
    await admin.press("csv")
    rows = table(files(admin)[0])[1:]
    exported = Counter(float(number) for _, _, number in rows)
    english = catalogs.translator("en")
    questions = [rows_question(e) for e in faq_ids()]
    context = Context(english, ROME, NOW, "sq")
    for name, section in insight_report.SECTIONS.items():
        text = (await section(engine.db.reader(), context)).text.split("\n", 1)[1]  # not "As of"
        # Names with digits in them are not numbers: dates, event titles, the weeks' span.
        labels = [*map(re.escape, questions), r"\b[A-Z][a-z]{2} \d{1,2}(, \d{4})?", r"Meeting \d"]
        for label in [*labels, r"last 8 weeks"]:
            text = re.sub(label, "", text)
        shown = Counter(float(n) for n in re.findall(r"\d+(?:\.\d+)?", text))
        missing = shown - exported  # each number as often as the section shows it
        assert not missing, (name, missing, text)


def rows_question(entry: str) -> str:
    """An FAQ entry's English question, as the CSV names it."""
    from handlers.faq import LIBRARY

    return LIBRARY.book("en").entries[entry].question


async def test_every_admin_list_exports_as_csv(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    await fill(engine.db)
    admin = await onboarded(chat, ADMIN)
    await admin.send("/roles")
    await admin.press("Export as CSV")
    rows = table(files(admin)[0])
    assert rows[0] == ["Key", "Role", "Given in", "Granted by", "Granted at (UTC)"]
    assert ["telegram:1", "administrator", "configuration", "", ""] in rows
    assert ["telegram:2", "consular officer", "configuration", "", ""] in rows
    assert admin.last.title == "Roles"

    await admin.send("/broadcasts")
    await admin.press("Export as CSV")
    rows = table(files(admin)[0])
    assert rows[0][:3] == ["Number", "Announcement", "Status"]
    assert [r[:3] + r[8:] for r in rows[1:]] == [
        ["1", "News 1", "sent out", "3", "1", "1", "1", "0", "0"],
        ["2", "News 2", "cancelled", "1", "0", "0", "0", "2", "0"],
        ["3", "News 3", "draft", "0", "0", "0", "0", "0", "0"],
    ]

    await admin.send("/manage_events")
    await admin.press("Export as CSV")
    rows = table(files(admin)[0])
    assert rows[0][:4] == ["Number", "Title", "Status", "Starts (the event's time)"]
    assert [r[0] for r in rows[1:]] == ["3", "2", "1", "4"]  # drafts too
    assert rows[3] == [
        "1", "Meeting 1", "published", "2026-03-01 18:00", "Europe/Rome", "Milano", "Italy",
        "no", "10", "3", "6", "2", "1",
    ]  # fmt: skip

    officer = await onboarded(chat, "telegram:2", language="Italiano")  # officers see the list
    await officer.send("/questions")
    await officer.press("csv")
    rows = table(files(officer)[0])
    t = catalogs.translator("it").t
    assert rows[0][:3] == [t("Reference"), t("Status"), t("Asked (UTC)")]
    first = rows[1]
    assert first[0] == "Q-2026-0001" and first[1] == t("closed")
    assert first[2] == "2026-03-15 09:00" and first[3] == "2026-03-15 11:00"  # two hours later
    assert first[-1] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert first[7] == "italiano"  # the member's language in the officer's
    assert first[-2] == "3"  # the question and two replies


async def test_exports_on_whatsapp_are_refused_with_a_reason(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    key = "whatsapp:+355691234568"
    admin = await onboarded(chat, key)
    async with engine.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO roles (user_key, role, granted_at) VALUES (?, 'admin', ?)",
            (key, "2026-01-01T00:00:00.000000Z"),
        )
    for command in ("/roles", "/broadcasts", "/manage_events", "/questions"):
        await admin.send(command)
        await admin.press("csv")
        assert admin.replies[0].text.startswith("Files cannot be sent on WhatsApp."), command
        assert files(admin) == []


# -- the FAQ's view counter ----------------------------------------------------------------------


async def test_answers_shown_are_counted_once_per_showing(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    entry = faq_ids()[0]
    member = await onboarded(chat, "telegram:600")
    await member.press(f"faq:{entry}")
    await member.press(f"faq:{entry}")  # opened again from a link: shown again
    await member.send("/help")  # help comes back to the answer: not shown anew
    await member.send("back")
    counted = await engine.db.read_all("SELECT entry_id, shown FROM faq_views")
    assert [tuple(r) for r in counted] == [(entry, 2)]
    columns = await engine.db.read_all("SELECT name FROM pragma_table_info('faq_views')")
    assert "user_key" not in {c[0] for c in columns}  # a counter, not a record of who read what


# -- the console --------------------------------------------------------------------------------


def test_the_console_saves_the_charts_and_prints_their_paths(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--user", "admin", "--db", str(tmp_path / "demo.sqlite3")],
        input="4\n/stats\n/stats users\n/stats events\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**_environment(), "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    paths = [line[2:] for line in done.stdout.splitlines() if line.startswith("📎 ")]
    # The demo's sample events have no registrations yet: nothing to draw for them.
    assert [Path(p).name[:-15] for p in paths] == ["stats-overview", "stats-users"]
    for path in paths:
        assert Path(path).parent == tmp_path / "files"
        assert png_size(Path(path).read_bytes())[0] == 1080
    assert "[Sample]" in done.stdout  # the demo's events, in the events section
    assert done.stderr == ""


def _environment() -> dict[str, str]:
    """This process's environment without settings that would change the console's roles."""
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("ADMINS", "OFFICERS"))}
