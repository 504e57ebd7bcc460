"""Personal data about the account itself: the user row, roles, officer settings, messages waiting
in the outbox, WhatsApp delivery statuses, the conversation record and processed message ids."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import LANGUAGE_NAMES, N_
from bot.turn import Turn
from handlers.holdings import Holding, counted
from handlers.places import country_name, zone_label
from handlers.roles import role_name
from storage import outbox, personal
from storage.broadcasts import keep_counts
from storage.clock import from_db, to_db
from storage.database import Tx

Records = Sequence[Mapping[str, Any]]

# What each outbox renderer sends, for the list of messages waiting to go out.
MESSAGE_KINDS = {
    "events.reminder": N_("an event reminder"),
    "events.promoted": N_("a seat that freed up for you"),
    "events.moved": N_("an event's new date"),
    "events.cancelled": N_("an event's cancellation"),
    "questions.answer": N_("a consular officer's message"),
    "questions.closed": N_("a question closed"),
    "questions.new": N_("a new question for officers"),
    "questions.details": N_("details added to a question"),
    "ideas.status": N_("a project idea's new status"),
    "roles.granted": N_("a role given to you"),
    outbox.COMMAND_MENU: N_("your list of commands, updated for your role and language"),
    "broadcasts.announce": N_("an announcement"),
    "broadcasts.progress": N_("an announcement's progress"),
    "broadcasts.report": N_("an announcement's report"),
}
WAITING = ("pending", "claimed", "held")


def when(turn: Turn, stamp: str | None) -> str:
    """A stored UTC time as the user reads it (date and time in their zone)."""
    if not stamp:
        return "–"
    return turn.i18n.datetime(from_db(stamp), turn.user.time_zone or "UTC")


def day(turn: Turn, stamp: str) -> str:
    """A stored UTC time as a date in the user's zone."""
    return turn.i18n.date(from_db(stamp), turn.user.time_zone or "UTC", width="medium")


# -- users -----------------------------------------------------------------------------------------


async def export_user(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """The user's row, every column."""
    return await personal.rows_of(tx, "users", "key", key)


def describe_user(turn: Turn, rows: Records) -> list[str]:
    """Profile, language, consent, announcements, opt-out (or opt-in) and reachability."""
    if not rows:
        return []
    row = rows[0]
    unknown = turn.t("not given")
    lines = [
        turn.t("Your key: {key}", key=row["key"]),
        turn.t("Language: {language}", language=LANGUAGE_NAMES.get(row["locale"] or "", unknown)),
        turn.t(
            "Country: {country}",
            country=country_name(row["country"], turn.locale) if row["country"] else unknown,
        ),
        turn.t("City: {city}", city=row["city"] or unknown),
        turn.t(
            "Time zone: {zone}",
            zone=zone_label(row["time_zone"], turn.locale) if row["time_zone"] else unknown,
        ),
    ]
    if row["consent_version"]:
        lines.append(
            turn.t(
                "Privacy notice: version {version} agreed on {date}",
                version=row["consent_version"],
                date=when(turn, row["consent_at"]),
            )
        )
    else:
        lines.append(turn.t("Privacy notice: not agreed"))
    lines.append(
        turn.t(
            "Announcements: {state}", state=turn.t("on") if row["announcements"] else turn.t("off")
        )
    )
    if row["opted_out_at"]:
        lines.append(
            turn.t(
                "Messages we send on our own: stopped on {date}",
                date=when(turn, row["opted_out_at"]),
            )
        )
    elif row["opted_in_at"]:
        lines.append(
            turn.t(
                "Messages we send on our own: on again since {date}",
                date=when(turn, row["opted_in_at"]),
            )
        )
    if row["unreachable_at"]:
        lines.append(
            turn.t(
                "Marked unreachable on {date} ({reason})",
                date=when(turn, row["unreachable_at"]),
                reason=row["unreachable_reason"] or "–",
            )
        )
    lines += [
        turn.t("First message: {date}", date=when(turn, row["created_at"])),
        turn.t(
            "Last message: {date} (kept to the minute)", date=when(turn, row["last_inbound_at"])
        ),
    ]
    if row["notice_sent_at"]:
        lines.append(
            turn.t(
                "Last WhatsApp notice that messages were waiting: {date}",
                date=when(turn, row["notice_sent_at"]),
            )
        )
    return lines


async def erase_user(turn: Turn) -> None:
    """Delete the row; after a STOP keep only the key and the opt-out with its time, so that
    nothing is sent to them unasked even if someone else's action would (a waitlist, a role)."""
    row = await turn.db.fetch_one("SELECT opted_out_at FROM users WHERE key = ?", (turn.key,))
    if row is None:
        return
    if row["opted_out_at"] is None:
        await turn.db.execute("DELETE FROM users WHERE key = ?", (turn.key,))
        return
    await turn.db.execute(
        "UPDATE users SET locale = NULL, locale_hint = NULL, country = NULL, city = NULL,"
        " time_zone = NULL, consent_version = NULL, consent_at = NULL,"
        " consent_asked_version = NULL, announcements = 1, unreachable_at = NULL,"
        " unreachable_reason = NULL, last_inbound_at = NULL, notice_sent_at = NULL,"
        " opted_in_at = NULL, created_at = ? WHERE key = ?",
        (to_db(turn.now), turn.key),
    )


# -- roles and officer settings ----------------------------------------------------------------


async def export_roles(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Roles granted to the user in the chat, and those the user granted (without the others'
    keys, which are theirs)."""
    held = await personal.records(
        tx, "SELECT role, granted_at FROM roles WHERE user_key = ? ORDER BY role", (key,)
    )
    given = await personal.records(
        tx,
        "SELECT role, granted_at FROM roles WHERE granted_by = ? AND user_key != ? ORDER BY rowid",
        (key, key),
    )
    return [{"held": 1, **r} for r in held] + [{"held": 0, **r} for r in given]


def describe_roles(turn: Turn, rows: Records) -> list[str]:
    """Each role held, and how many the user granted to others."""
    lines = [
        turn.t(
            "Role given to you in the chat: {role}, on {date}",
            role=role_name(turn, r["role"]),
            date=when(turn, r["granted_at"]),
        )
        for r in rows
        if r["held"]
    ]
    given = sum(1 for r in rows if not r["held"])
    if given:
        lines.append(
            turn.ngettext(
                "You gave {n} role to other people.", "You gave {n} roles to other people.", given
            )
        )
    return lines


async def erase_roles(turn: Turn) -> None:
    """Roles granted in the chat go; roles the user granted stay with the others, unsigned."""
    await personal.delete(turn.db, "roles", "user_key", turn.key)
    await personal.detach(turn.db, "roles", "granted_by", turn.key)


async def export_officer_settings(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Whether new questions are announced to this officer."""
    return await personal.rows_of(tx, "officer_settings", "user_key", key)


def describe_officer_settings(turn: Turn, rows: Records) -> list[str]:
    """The officer's notices setting."""
    return [
        turn.t(
            "New-question notices: {state}",
            state=turn.t("on") if r["notify_new"] else turn.t("off"),
        )
        for r in rows
    ]


async def erase_officer_settings(turn: Turn) -> None:
    """Forget the setting."""
    await personal.delete(turn.db, "officer_settings", "user_key", turn.key)


# -- the outbox and WhatsApp statuses --------------------------------------------------------------


async def export_outbox(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Every message queued for the user: waiting ones and those already sent or given up."""
    found = await personal.records(
        tx,
        "SELECT id, renderer, args, lane, status, not_before, created_at, finished_at, reason"
        " FROM outbox WHERE recipient = ? ORDER BY id",
        (key,),
    )
    for row in found:
        row["args"] = json.loads(row["args"])
    return found


def describe_outbox(turn: Turn, rows: Records) -> list[str]:
    """Messages waiting to go out, one a line, and how many went out before."""
    lines = []
    for r in rows:
        if r["status"] in WAITING:
            kind = MESSAGE_KINDS.get(r["renderer"])
            lines.append(
                turn.t(
                    "Waiting to be sent: {what} (due {date})",
                    what=turn.t(kind) if kind else r["renderer"],
                    date=when(turn, r["not_before"]),
                )
            )
    # A command list redrawn is no message: it is named while it waits, and not counted after.
    done = sum(
        1 for r in rows if r["status"] not in WAITING and r["renderer"] != outbox.COMMAND_MENU
    )
    if done:
        lines.append(
            turn.ngettext(
                "A record of {n} message sent to you earlier (or not sent, with the reason).",
                "A record of {n} messages sent to you earlier (or not sent, with the reason).",
                done,
            )
        )
    return lines


async def erase_outbox(turn: Turn) -> None:
    """Nothing more is sent to the user, and the record of what was sent goes."""
    # An announcement's counts are numbers about no one: they keep the user's finished rows.
    await keep_counts(turn.db, "SELECT id FROM outbox WHERE recipient = ?", (turn.key,))
    await personal.delete(turn.db, "outbox", "recipient", turn.key)


async def export_statuses(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Delivery statuses Twilio reported for messages to the user."""
    return await personal.records(
        tx,
        "SELECT message_sid, status, error_code, updated_at FROM whatsapp_statuses"
        " WHERE user_key = ? ORDER BY updated_at",
        (key,),
    )


describe_statuses = counted(
    "The delivery status of {n} WhatsApp message we sent you.",
    "The delivery statuses of {n} WhatsApp messages we sent you.",
)


async def erase_statuses(turn: Turn) -> None:
    """Forget them."""
    await personal.delete(turn.db, "whatsapp_statuses", "user_key", turn.key)


# -- the conversation and processed messages -------------------------------------------------------


async def export_conversation(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Where the user is in the conversation, with what they typed into a form so far."""
    found = await personal.rows_of(tx, "conversations", "user_key", key)
    for row in found:
        row["state"] = json.loads(row["state"])
    return found


def describe_conversation(turn: Turn, rows: Records) -> list[str]:
    """Where the user is in the conversation, with answers to an unfinished form, and for how
    long it is kept."""
    if not rows:
        return []
    return [
        turn.ngettext(
            "Where you are in our conversation, with what you typed into a form you have not"
            " finished (last changed {date}); deleted after {n} day without a message.",
            "Where you are in our conversation, with what you typed into a form you have not"
            " finished (last changed {date}); deleted after {n} days without a message.",
            turn.settings.retention_draft_days,
            date=when(turn, rows[0]["updated_at"]),
        )
    ]


async def erase_conversation(turn: Turn) -> None:
    """The next message starts afresh, as a first contact."""
    await personal.delete(turn.db, "conversations", "user_key", turn.key)


async def export_processed(tx: Tx, key: str, locale: str) -> list[dict[str, Any]]:
    """Recent message ids with the replies kept to answer a repeated delivery."""
    found = await personal.records(
        tx,
        "SELECT channel, message_id, delivered, created_at, replies FROM processed_messages"
        " WHERE user_key = ? ORDER BY created_at",
        (key,),
    )
    for row in found:
        row["replies"] = json.loads(row["replies"])
    return found


def describe_processed(turn: Turn, rows: Records) -> list[str]:
    """How many, and why they are kept."""
    if not rows:
        return []
    return [
        turn.ngettext(
            "The id of your last message and our reply, so that a message delivered twice is"
            " answered once.",
            "The ids of your last {n} messages and our replies, so that a message delivered twice"
            " is answered once.",
            len(rows),
        ),
        turn.ngettext(
            "Each is deleted after {n} day.",
            "Each is deleted after {n} days.",
            turn.settings.retention_processed_days,
        ),
    ]


async def erase_processed(turn: Turn) -> None:
    """Forget the user's messages and our replies."""
    await personal.delete(turn.db, "processed_messages", "user_key", turn.key)


HOLDINGS = [
    Holding(
        "users",
        frozenset({"key"}),
        N_("Profile and settings"),
        export_user,
        describe_user,
        erase_user,
        order=0,
    ),
    Holding(
        "roles",
        frozenset({"user_key", "granted_by"}),
        N_("Roles"),
        export_roles,
        describe_roles,
        erase_roles,
        order=10,
    ),
    Holding(
        "officer_settings",
        frozenset({"user_key"}),
        N_("Consular officer settings"),
        export_officer_settings,
        describe_officer_settings,
        erase_officer_settings,
        order=15,
    ),
    Holding(
        "outbox",
        frozenset({"recipient"}),
        N_("Messages to you"),
        export_outbox,
        describe_outbox,
        erase_outbox,
        order=70,
    ),
    Holding(
        "whatsapp_statuses",
        frozenset({"user_key"}),
        N_("WhatsApp delivery statuses"),
        export_statuses,
        describe_statuses,
        erase_statuses,
        order=75,
    ),
    Holding(
        "conversations",
        frozenset({"user_key"}),
        N_("Unfinished conversation"),
        export_conversation,
        describe_conversation,
        erase_conversation,
        order=80,
    ),
    Holding(
        "processed_messages",
        frozenset({"user_key"}),
        N_("Recent messages"),
        export_processed,
        describe_processed,
        erase_processed,
        order=85,
    ),
]
