"""Personal data in what the user did: event registrations, questions to officers, FAQ votes,
project ideas and drafts, the skills profile, and staff actions on others' records."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.i18n import N_
from bot.turn import Turn
from handlers import event_notices
from handlers.event_views import local_date, moment
from handlers.faq import LIBRARY
from handlers.holdings import Holding, counted
from handlers.idea_terms import status_name
from handlers.ideas import describe as describe_idea
from handlers.personal_account import day, when
from handlers.questions import status_name as question_status
from handlers.skills import describe as describe_skills
from storage import events, personal
from storage.clock import from_db, to_db
from storage.database import Tx
from storage.skills import Skills

Records = Sequence[Mapping[str, Any]]

# An event's title in the reader's language, else in the fallback order events use.
_TITLE = (
    "(SELECT t.title FROM event_texts t WHERE t.event_id = e.id"
    " ORDER BY t.locale = :locale DESC,"
    " CASE t.locale WHEN 'en' THEN 1 WHEN 'sq' THEN 2 WHEN 'it' THEN 3 ELSE 4 END LIMIT 1)"
)


# -- events ----------------------------------------------------------------------------------------


async def export_registrations(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The user's registrations with their event, and how many people the user let in at the door
    (those are the others' registrations: only the count)."""
    own = await personal.records(
        tx,
        f"SELECT r.id, r.event_id, {_TITLE} AS event_title, e.starts_at AS event_starts_at,"
        " e.time_zone AS event_time_zone,"
        " r.seats, r.status, r.code, r.token, r.created_at, r.confirmed_at, r.cancelled_at,"
        " r.checked_in_at FROM registrations r JOIN events e ON e.id = r.event_id"
        " WHERE r.user_key = :key ORDER BY r.id",
        {"key": key, "locale": locale},
    )
    door = await personal.count(tx, "registrations", "checked_in_by", key)
    return own + ([{"checked_in_by_you": door}] if door else [])


def describe_registrations(turn: Turn, rows: Records) -> list[str]:
    """Each registration: the event and when (on its own clock, as the event screens show it),
    its status, seats and code, and when they checked in."""
    lines = []
    names = {
        "confirmed": turn.t("signed up"),
        "waitlisted": turn.t("on the waitlist"),
        "cancelled": turn.t("cancelled"),
    }
    for r in rows:
        if "checked_in_by_you" in r:
            lines.append(
                turn.ngettext(
                    "You checked in {n} person at the door.",
                    "You checked in {n} people at the door.",
                    int(r["checked_in_by_you"]),
                )
            )
            continue
        zone = r["event_time_zone"]
        facts = {
            "title": r["event_title"] or f"#{r['event_id']}",
            "date": moment(turn.i18n, from_db(r["event_starts_at"]), zone),
            "status": names.get(r["status"], r["status"]),
            "seats": r["seats"],
            "code": f"{r['code'][:3]}-{r['code'][3:]}",
        }
        if r["checked_in_at"]:
            lines.append(
                turn.t(
                    "{title}, {date}: {status}; seats: {seats}; check-in code: {code};"
                    " checked in: {checked}",
                    checked=_checked(
                        turn, from_db(r["checked_in_at"]), from_db(r["event_starts_at"]), zone
                    ),
                    **facts,
                )
            )
        else:
            lines.append(
                turn.t("{title}, {date}: {status}; seats: {seats}; check-in code: {code}", **facts)
            )
    return lines


def _checked(turn: Turn, at: datetime, starts: datetime, zone: str) -> str:
    """A check-in time on the event's clock; with its date when not the event's day."""
    if local_date(at, zone) == local_date(starts, zone):
        return turn.i18n.time(at, zone)
    return turn.i18n.datetime(at, zone)


async def erase_registrations(turn: Turn) -> None:
    """Cancel what is still to come (freeing the seats: the waitlist moves up and the promoted
    are told), then delete every registration; check-ins done by the user stay, unsigned."""
    live = await turn.db.fetch_all(
        "SELECT r.id, r.event_id, r.status FROM registrations r JOIN events e ON e.id = r.event_id"
        " WHERE r.user_key = ? AND r.status != 'cancelled' AND e.starts_at > ? ORDER BY r.id",
        (turn.key, to_db(turn.now)),
    )
    for row in live:
        if await events.cancel(turn.db, row["id"], turn.now) and row["status"] == "confirmed":
            await event_notices.promote(turn, row["event_id"])
    await personal.delete(turn.db, "registrations", "user_key", turn.key)
    await personal.detach(turn.db, "registrations", "checked_in_by", turn.key)


async def export_events_created(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Events the user created as an administrator."""
    return await personal.records(
        tx,
        f"SELECT e.id, {_TITLE} AS title, e.status, e.starts_at, e.created_at FROM events e"
        " WHERE e.created_by = :key ORDER BY e.id",
        {"key": key, "locale": locale},
    )


describe_events_created = counted(
    "You created {n} event as an administrator.",
    "You created {n} events as an administrator.",
)


async def erase_events_created(turn: Turn) -> None:
    """The events stay for their members; who created them is forgotten."""
    await personal.detach(turn.db, "events", "created_by", turn.key)


# -- questions to officers -------------------------------------------------------------------------


async def export_questions(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The user's questions, each with its whole conversation (officers unnamed), and how many
    questions the user claimed as an officer."""
    own = await personal.records(
        tx,
        "SELECT id, reference, about, locale, channel, country, status, faq_id, created_at,"
        " updated_at, closed_at FROM questions WHERE user_key = ? ORDER BY id",
        (key,),
    )
    for question in own:
        question["messages"] = await personal.records(
            tx,
            "SELECT side, body, created_at FROM question_messages WHERE question_id = ?"
            " ORDER BY id",
            (question["id"],),
        )
    claimed = await personal.count(tx, "questions", "claimed_by", key)
    return own + ([{"claimed_by_you": claimed}] if claimed else [])


def describe_questions(turn: Turn, rows: Records) -> list[str]:
    """Each question with its state and every message."""
    lines: list[str] = []
    for q in rows:
        if "claimed_by_you" in q:
            lines.append(
                turn.ngettext(
                    "You are handling {n} member's question as an officer.",
                    "You are handling {n} members' questions as an officer.",
                    int(q["claimed_by_you"]),
                )
            )
            continue
        if lines:
            lines.append("")
        lines.append(
            turn.t(
                "{reference} ({status}), asked on {date}",
                reference=q["reference"],
                status=question_status(turn, q["status"]),
                date=when(turn, q["created_at"]),
            )
        )
        if q["about"]:
            lines.append(turn.t("It concerns: {about}", about=q["about"]))
        for m in q["messages"]:
            who = turn.t("You") if m["side"] == "member" else turn.t("Officer")
            lines.append(f"{who}, {when(turn, m['created_at'])}: {m['body']}")
    return lines


async def erase_questions(turn: Turn) -> None:
    """Delete the user's questions with their whole conversation; questions an officer had
    claimed go back to the others, open."""
    await personal.delete(turn.db, "questions", "user_key", turn.key)
    await turn.db.execute(
        "UPDATE questions SET claimed_by = NULL, claimed_at = NULL,"
        " status = CASE status WHEN 'claimed' THEN 'open' ELSE status END WHERE claimed_by = ?",
        (turn.key,),
    )


async def export_officer_messages(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """What the user wrote as an officer on members' questions (their own are in `questions`)."""
    return await personal.records(
        tx,
        "SELECT q.reference, m.body, m.created_at FROM question_messages m"
        " JOIN questions q ON q.id = m.question_id"
        " WHERE m.author = ? AND q.user_key != ? ORDER BY m.id",
        (key, key),
    )


describe_officer_messages = counted(
    "You wrote {n} message to members as an officer.",
    "You wrote {n} messages to members as an officer.",
)


async def erase_officer_messages(turn: Turn) -> None:
    """Answers to members stay on their questions; who wrote them is forgotten."""
    await personal.detach(turn.db, "question_messages", "author", turn.key)


async def export_votes(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The user's votes on FAQ answers."""
    return await personal.records(
        tx,
        "SELECT entry_id, helpful, voted_at FROM faq_feedback WHERE user_key = ? ORDER BY voted_at",
        (key,),
    )


def describe_votes(turn: Turn, rows: Records) -> list[str]:
    """Each vote, with the question in the user's language."""
    if not rows:
        return []
    book = LIBRARY.book(turn.locale)
    lines = []
    for r in rows:
        entry = book.entries.get(r["entry_id"])
        lines.append(
            turn.t(
                "{question}: {vote}",
                question=entry.question if entry else r["entry_id"],
                vote=turn.t("it helped") if r["helpful"] else turn.t("it did not help"),
            )
        )
    return lines


async def erase_votes(turn: Turn) -> None:
    """Forget the votes (the counts per answer go down)."""
    await personal.delete(turn.db, "faq_feedback", "user_key", turn.key)


# -- project ideas, drafts and skills --------------------------------------------------------------


async def export_ideas(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The user's ideas, each with the statuses it went through (admins unnamed)."""
    found = await personal.records(
        tx,
        "SELECT id, reference, sector, direction, support, title, description, county,"
        " contact_way, contact, locale, channel, country, status, created_at, updated_at"
        " FROM ideas WHERE user_key = ? ORDER BY id",
        (key,),
    )
    for idea in found:
        idea["history"] = await personal.records(
            tx,
            "SELECT status, message, changed_at FROM idea_status_changes WHERE idea_id = ?"
            " ORDER BY id",
            (idea["id"],),
        )
    return found


def describe_ideas(turn: Turn, rows: Records) -> list[str]:
    """Each idea in full, with its reference, status and history."""
    lines: list[str] = []
    for idea in rows:
        if lines:
            lines.append("")
        lines.append(
            turn.t(
                "{reference} ({status}), sent on {date}",
                reference=idea["reference"],
                status=status_name(turn, idea["status"]),
                date=day(turn, idea["created_at"]),
            )
        )
        lines.append(describe_idea(turn, idea))
        for change in idea["history"]:
            if change["message"]:
                lines.append(turn.t("Message from the team: {message}", message=change["message"]))
    return lines


async def erase_ideas(turn: Turn) -> None:
    """Delete the user's ideas with their history."""
    await personal.delete(turn.db, "ideas", "user_key", turn.key)


async def export_idea_changes(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Statuses the user gave to others' ideas as an administrator."""
    return await personal.records(
        tx,
        "SELECT i.reference, c.status, c.message, c.changed_at FROM idea_status_changes c"
        " JOIN ideas i ON i.id = c.idea_id WHERE c.changed_by = ? ORDER BY c.id",
        (key,),
    )


describe_idea_changes = counted(
    "You changed the status of project ideas {n} time as an administrator.",
    "You changed the status of project ideas {n} times as an administrator.",
)


async def erase_idea_changes(turn: Turn) -> None:
    """The history stays with the ideas; who changed them is forgotten."""
    await personal.detach(turn.db, "idea_status_changes", "changed_by", turn.key)


async def export_draft(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The unfinished idea."""
    found = await personal.rows_of(tx, "idea_drafts", "user_key", key)
    for row in found:
        row["fields"] = json.loads(row["fields"])
    return found


def describe_draft(turn: Turn, rows: Records) -> list[str]:
    """The draft's answers so far."""
    lines = []
    for r in rows:
        answers = r["fields"]
        lines.append(
            turn.ngettext(
                "An unfinished idea, last changed on {date}; it is deleted after {n} day"
                " without changes.",
                "An unfinished idea, last changed on {date}; it is deleted after {n} days"
                " without changes.",
                turn.settings.retention_draft_days,
                date=day(turn, r["updated_at"]),
            )
        )
        for name in ("title", "description", "contact"):
            if answers.get(name):
                lines.append(str(answers[name]))
    return lines


async def erase_draft(turn: Turn) -> None:
    """Delete it."""
    await personal.delete(turn.db, "idea_drafts", "user_key", turn.key)


async def export_skills(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The skills profile."""
    return await personal.rows_of(tx, "skills_profiles", "user_key", key)


def describe_skills_profile(turn: Turn, rows: Records) -> list[str]:
    """The profile as the member sees it in Settings."""
    lines = []
    for r in rows:
        profile = Skills(
            user_key=r["user_key"],
            profession=r["profession"],
            sector=r["sector"],
            years=int(r["years"]),
            languages=tuple(str(r["languages"]).split()),
            mentor=bool(r["mentor"]),
            volunteer=bool(r["volunteer"]),
            invest=bool(r["invest"]),
            updated_at=from_db(r["updated_at"]),
        )
        lines.append(describe_skills(turn, profile))
    return lines


async def erase_skills(turn: Turn) -> None:
    """Delete it."""
    await personal.delete(turn.db, "skills_profiles", "user_key", turn.key)


# -- announcements ---------------------------------------------------------------------------------


async def export_broadcasts(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Announcements the user composed as an administrator."""
    found = await personal.records(
        tx,
        "SELECT id, title, texts, status, created_at, finished_at FROM broadcasts"
        " WHERE sender_user = ? ORDER BY id",
        (key,),
    )
    for row in found:
        row["texts"] = json.loads(row["texts"])
    return found


describe_broadcasts = counted(
    "You composed {n} announcement as an administrator.",
    "You composed {n} announcements as an administrator.",
)


async def erase_broadcasts(turn: Turn) -> None:
    """Announcements stay (they went to others); who composed them is forgotten."""
    await personal.detach(turn.db, "broadcasts", "sender_user", turn.key)


# -- the audit log -----------------------------------------------------------------------------


async def export_audit(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """What the user did as staff, as the audit log recorded it."""
    return await personal.records(
        tx, "SELECT action, subject, at FROM audit_log WHERE actor = ? ORDER BY id", (key,)
    )


describe_audit = counted(
    "{n} action of yours as staff is in the audit log.",
    "{n} actions of yours as staff are in the audit log.",
)


async def erase_audit(turn: Turn) -> None:
    """The log stays (it is the ministry's record of staff actions); who did them, and any
    mention of the user as the subject of someone else's action, is forgotten."""
    await personal.detach(turn.db, "audit_log", "actor", turn.key)
    await turn.db.execute(
        "UPDATE audit_log SET subject = NULL WHERE instr(subject, ?) > 0", (turn.key,)
    )


# -- the weekly digest ----------------------------------------------------------------------------


async def export_digest(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """When an administrator gets the weekly digest."""
    return await personal.records(
        tx,
        "SELECT weekday, hour, time_zone, created_at, updated_at FROM digest_subscriptions"
        " WHERE user_key = ?",
        (key,),
    )


def describe_digest(turn: Turn, rows: Records) -> list[str]:
    """That the digest is on."""
    return [turn.t("You receive the weekly statistics digest.")] if rows else []


async def erase_digest(turn: Turn) -> None:
    """Stop it (its waiting outbox row goes with the user's other pending messages)."""
    await personal.delete(turn.db, "digest_subscriptions", "user_key", turn.key)


HOLDINGS = [
    Holding(
        "registrations",
        frozenset({"user_key", "checked_in_by"}),
        N_("Event registrations"),
        export_registrations,
        describe_registrations,
        erase_registrations,
        order=20,
    ),
    Holding(
        "events",
        frozenset({"created_by"}),
        N_("Events you created"),
        export_events_created,
        describe_events_created,
        erase_events_created,
        order=25,
    ),
    Holding(
        "questions",
        frozenset({"user_key", "claimed_by"}),
        N_("Questions to consular officers"),
        export_questions,
        describe_questions,
        erase_questions,
        order=30,
    ),
    Holding(
        "question_messages",
        frozenset({"author"}),
        N_("Your messages as an officer"),
        export_officer_messages,
        describe_officer_messages,
        erase_officer_messages,
        order=35,
    ),
    Holding(
        "faq_feedback",
        frozenset({"user_key"}),
        N_("Votes on consular answers"),
        export_votes,
        describe_votes,
        erase_votes,
        order=38,
    ),
    Holding(
        "ideas",
        frozenset({"user_key"}),
        N_("Project ideas"),
        export_ideas,
        describe_ideas,
        erase_ideas,
        order=40,
    ),
    Holding(
        "idea_status_changes",
        frozenset({"changed_by"}),
        N_("Project ideas you reviewed"),
        export_idea_changes,
        describe_idea_changes,
        erase_idea_changes,
        order=45,
    ),
    Holding(
        "idea_drafts",
        frozenset({"user_key"}),
        N_("Unfinished project idea"),
        export_draft,
        describe_draft,
        erase_draft,
        order=50,
    ),
    Holding(
        "skills_profiles",
        frozenset({"user_key"}),
        N_("Skills profile"),
        export_skills,
        describe_skills_profile,
        erase_skills,
        order=55,
    ),
    Holding(
        "digest_subscriptions",
        frozenset({"user_key"}),
        N_("Weekly digest"),
        export_digest,
        describe_digest,
        erase_digest,
        order=68,
    ),
    Holding(
        "audit_log",
        frozenset({"actor"}),
        N_("Your actions as staff"),
        export_audit,
        describe_audit,
        erase_audit,
        order=70,
    ),
    Holding(
        "broadcasts",
        frozenset({"sender_user"}),
        N_("Announcements you composed"),
        export_broadcasts,
        describe_broadcasts,
        erase_broadcasts,
        order=65,
    ),
]
