"""CSV exports of the lists admins see (statistics, roles, questions, announcements, events):
read on the read-only connection after the commit, written in a worker thread, headers and
values in the admin's language, every cell safe to open in a spreadsheet (bot/spreadsheet.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import LOCALES, Translator
from bot.messages import Attachment, AttachmentSpec, Reply
from bot.registry import DbReplyRenderer
from bot.spreadsheet import csv_bytes, utc_time
from bot.turn import Turn
from handlers.announcements import short_name
from handlers.idea_terms import STATUSES
from handlers.insight_report import (
    Context,
    by_status,
    channel_name,
    country,
    county,
    event_label,
    faq_question,
    idea_status,
    named,
    sector,
    weeks,
)
from handlers.places import country_name
from storage import broadcasts, stats
from storage.clock import from_db, to_db
from storage.database import Tx

STATS, ROLES, QUESTIONS, BROADCASTS, EVENTS = (
    "exports.stats",
    "exports.roles",
    "exports.questions",
    "exports.broadcasts",
    "exports.events",
)
Rows = list[list[object]]


def attach(turn: Turn, renderer: str, args: Mapping[str, Any] | None = None) -> None:
    """Attach a CSV written after the commit (on WhatsApp, say that it cannot)."""
    if turn.refuse_files():
        return
    stamp = {"day": turn.now.date().isoformat(), "now": to_db(turn.now)}
    turn.reply(attachment=AttachmentSpec(renderer, {**(args or {}), **stamp}, export=True))


async def file_reply(text: str, filename: str, header: Sequence[str], rows: Rows) -> Reply:
    """The file, written in a worker thread (a long list is a few megabytes of text)."""
    data = await asyncio.to_thread(csv_bytes, header, rows)
    return Reply(text, attachment=Attachment(filename, "text/csv", data))


# -- statistics ------------------------------------------------------------------------------------


async def stats_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Every number behind /stats as rows of section, item and number."""
    t = i18n.t
    c = Context(i18n, str(args["zone"]), from_db(str(args["now"])), str(args["default_locale"]))
    rows: Rows = []

    def add(section: str, items: Sequence[tuple[str, int | float]]) -> None:
        rows.extend([section, name, value] for name, value in items)

    add(t("Users"), [(t("All users"), await stats.users_total(db))])
    add(
        t("Users by channel"),
        named(await stats.users_by_channel(db), lambda v: channel_name(c, v)),
    )
    add(
        t("Users by language"),
        named(
            await stats.users_by_language(db, LOCALES, c.default_locale),
            lambda v: i18n.language(v or "?"),
        ),
    )
    add(
        t("Users by country of residence"),
        named(await stats.users_by_country(db), lambda v: country(c, v)),
    )
    spans = weeks(c)
    weekly = await stats.new_users(db, spans)
    add(
        t("New users per week"),
        [
            (i18n.date(start, c.zone, "medium"), n)
            for (start, _), n in zip(spans, weekly, strict=True)
        ],
    )
    add(t("New users"), [(t("In the last {weeks} weeks", weeks=len(spans)), sum(weekly))])
    totals = await stats.event_totals(db, c.now)
    add(
        t("All events"),
        [
            (t("Upcoming events"), totals.upcoming),
            (t("Past events"), totals.past),
            (t("Registered"), totals.registered),
            (t("Seats"), totals.seats),
            (t("Checked in"), totals.attended),
            (t("On the waitlist"), totals.waiting),
        ],
    )
    for event in await stats.event_counts(db, None):
        add(
            t("Event: {event}", event=event_label(c, event)),
            [
                (t("Registered"), event.registered),
                (t("Seats"), event.seats),
                (t("Checked in"), event.attended),
                (t("On the waitlist"), event.waiting),
            ],
        )
    ideas = by_status(await stats.ideas_by(db, "status"))
    add(t("Project ideas"), [(t("All project ideas"), sum(ideas.values()))])
    add(t("Project ideas by status"), [(idea_status(c, s), ideas.get(s, 0)) for s in STATUSES])
    add(
        t("Project ideas by sector"),
        named(await stats.ideas_by(db, "sector"), lambda v: sector(c, v)),
    )
    add(
        t("Project ideas by county"),
        named(await stats.ideas_by(db, "county"), lambda v: county(c, v)),
    )
    add(
        t("FAQ answers shown"),
        [
            (t("All entries"), await stats.faq_shown(db)),
            *((faq_question(c, str(e)), n) for e, n in await stats.faq_most_used(db, None)),
        ],
    )
    unhelpful = await stats.faq_unhelpful(db, None)
    add(
        t("FAQ answers marked unhelpful"),
        [
            (t("Entries marked unhelpful"), len(unhelpful)),
            *((faq_question(c, e), bad) for e, bad, _ in unhelpful),
        ],
    )
    add(
        t("Votes on the entries marked unhelpful"),
        [(faq_question(c, e), votes) for e, _, votes in unhelpful],
    )
    questions = by_status(await stats.questions_by_status(db))
    add(
        t("Questions to officers"),
        [
            (t("open"), questions.get("open", 0)),
            (t("being handled"), questions.get("claimed", 0)),
            (t("answered"), questions.get("answered", 0)),
            (t("closed"), questions.get("closed", 0)),
            (t("Waiting for an officer"), questions.get("open", 0) + questions.get("claimed", 0)),
        ],
    )
    median, answered = await stats.median_first_reply(db)
    if median is not None:  # no reply yet: no median, and the screens show none
        add(
            t("Questions to officers"),
            [(t("Median hours to an officer's first reply"), round(median * 24, 1))],
        )
    add(t("Questions to officers"), [(t("Questions with an officer's reply"), answered)])
    sent = by_status(await stats.broadcasts_by_status(db))
    add(
        t("Announcements"),
        [
            (t("sent out"), sent.get("done", 0)),
            (t("being sent"), sent.get("sending", 0)),
            (t("scheduled"), sent.get("scheduled", 0)),
            (t("cancelled"), sent.get("cancelled", 0)),
        ],
    )
    messages = by_status(await stats.announcement_messages(db))
    add(
        t("Announcement messages"),
        [
            (t("Sent"), messages.get("sent", 0)),
            (t("Failed"), messages.get("failed", 0)),
            (t("Skipped"), messages.get("skipped", 0)),
            (t("Held"), messages.get("held", 0)),
            (t("Cancelled"), messages.get("cancelled", 0)),
            (t("Waiting"), messages.get("pending", 0) + messages.get("claimed", 0)),
        ],
    )
    return await file_reply(
        t("Every number of the statistics, as a spreadsheet file:"),
        f"statistics-{args['day']}.csv",
        [t("Section"), t("Item"), t("Number")],
        rows,
    )


# -- roles -----------------------------------------------------------------------------------------


async def roles_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Who holds which role, and where it was given."""
    t = i18n.t
    names = {"admin": t("administrator"), "officer": t("consular officer")}
    rows: Rows = []
    configured: Mapping[str, Sequence[str]] = args["configured"]
    for role in ("admin", "officer"):
        rows += [[key, names[role], t("configuration"), "", ""] for key in sorted(configured[role])]
    for row in await db.fetch_all(
        "SELECT user_key, role, granted_by, granted_at FROM roles ORDER BY role, user_key"
    ):
        if row["user_key"] not in configured.get(row["role"], ()):
            rows.append(
                [
                    row["user_key"],
                    names.get(row["role"], row["role"]),
                    t("chat"),
                    row["granted_by"] or "",
                    utc_time(row["granted_at"]),
                ]
            )
    return await file_reply(
        t("The roles, as a spreadsheet file:"),
        f"roles-{args['day']}.csv",
        [t("Key"), t("Role"), t("Given in"), t("Granted by"), t("Granted at (UTC)")],
        rows,
    )


# -- questions to officers -------------------------------------------------------------------------


async def questions_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Every question to the officers, with its state and the first message."""
    t = i18n.t
    names = {
        "open": t("open"),
        "claimed": t("being handled"),
        "answered": t("answered"),
        "closed": t("closed"),
    }
    found = await db.fetch_all(
        "SELECT q.reference, q.status, q.created_at, q.updated_at, q.closed_at, q.user_key,"
        " q.locale, q.country, q.channel, q.about, q.claimed_by,"
        " (SELECT min(created_at) FROM question_messages m"
        "   WHERE m.question_id = q.id AND m.side = 'officer') AS first_reply,"
        " (SELECT count(*) FROM question_messages m WHERE m.question_id = q.id) AS messages,"
        " (SELECT body FROM question_messages m WHERE m.question_id = q.id"
        "   ORDER BY m.id LIMIT 1) AS question"
        " FROM questions q ORDER BY q.id"
    )
    rows: Rows = [
        [
            r["reference"],
            names.get(r["status"], r["status"]),
            utc_time(r["created_at"]),
            utc_time(r["first_reply"]),
            utc_time(r["updated_at"]),
            utc_time(r["closed_at"]),
            r["user_key"],
            i18n.language(r["locale"]),
            country_name(r["country"], i18n.locale) if r["country"] else "",
            r["channel"],
            r["about"] or "",
            r["claimed_by"] or "",
            r["messages"],
            r["question"] or "",
        ]
        for r in found
    ]
    return await file_reply(
        t("The questions to officers, as a spreadsheet file:"),
        f"questions-{args['day']}.csv",
        [
            t("Reference"),
            t("Status"),
            t("Asked (UTC)"),
            t("First reply from an officer (UTC)"),
            t("Last change (UTC)"),
            t("Closed (UTC)"),
            t("Member"),
            t("Language"),
            t("Country of residence"),
            t("Channel"),
            t("It concerns"),
            t("Claimed by"),
            t("Messages"),
            t("Question"),
        ],
        rows,
    )


# -- announcements ---------------------------------------------------------------------------------


async def broadcasts_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Every announcement with its times and its messages by status."""
    t = i18n.t
    names = {
        "draft": t("draft"),
        "scheduled": t("scheduled"),
        "sending": t("being sent"),
        "done": t("sent out"),
        "cancelled": t("cancelled"),
    }
    found = await broadcasts.recent(db, -1)  # LIMIT -1: all of them
    counts = await broadcasts.message_counts(db, [b.id for b in found])
    rows: Rows = []
    for b in sorted(found, key=lambda b: b.id):
        by = counts.get(b.id, {})
        rows.append(
            [
                b.id,
                short_name(b),
                names.get(b.status, b.status),
                b.sender or "",
                *(
                    utc_time(_stored(m))
                    for m in (b.created_at, b.scheduled_for, b.started_at, b.finished_at)
                ),
                by.get("sent", 0),
                by.get("failed", 0),
                by.get("skipped", 0),
                by.get("held", 0),
                by.get("cancelled", 0),
                by.get("pending", 0) + by.get("claimed", 0),
            ]
        )
    return await file_reply(
        t("The announcements, as a spreadsheet file:"),
        f"announcements-{args['day']}.csv",
        [
            t("Number"),
            t("Announcement"),
            t("Status"),
            t("Sent by"),
            t("Created (UTC)"),
            t("Scheduled for (UTC)"),
            t("Started (UTC)"),
            t("Finished (UTC)"),
            t("Sent"),
            t("Failed"),
            t("Skipped"),
            t("Held"),
            t("Cancelled"),
            t("Waiting"),
        ],
        rows,
    )


def _stored(moment: datetime | None) -> str | None:
    """A datetime as stored text (what utc_time reads), or None."""
    return None if moment is None else to_db(moment)


# -- events ----------------------------------------------------------------------------------------


async def events_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Every event (drafts too) with its registrations, attendance and waitlist."""
    t = i18n.t
    names = {"draft": t("draft"), "published": t("published"), "cancelled": t("cancelled")}
    rows: Rows = []
    for e in await stats.event_counts(db, None, drafts=True):
        zone = ZoneInfo(e.time_zone)
        rows.append(
            [
                e.id,
                e.title(i18n.locale),
                names.get(e.status, e.status),
                e.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                e.time_zone,
                e.city or "",
                country_name(e.country, i18n.locale) if e.country else "",
                t("yes") if e.online else t("no"),
                "" if e.capacity is None else e.capacity,
                e.registered,
                e.seats,
                e.attended,
                e.waiting,
            ]
        )
    return await file_reply(
        t("The events, as a spreadsheet file:"),
        f"events-{args['day']}.csv",
        [
            t("Number"),
            t("Title"),
            t("Status"),
            t("Starts (the event's time)"),
            t("Time zone"),
            t("City"),
            t("Country"),
            t("Online"),
            t("Seats (empty: no limit)"),
            t("Registered"),
            t("Seats taken"),
            t("Checked in"),
            t("On the waitlist"),
        ],
        rows,
    )


RENDERERS: dict[str, DbReplyRenderer] = {
    STATS: stats_csv,
    ROLES: roles_csv,
    QUESTIONS: questions_csv,
    BROADCASTS: broadcasts_csv,
    EVENTS: events_csv,
}
