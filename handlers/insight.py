"""Statistics for admins (/stats): a text and charts per section, a CSV of every number, and the
weekly digest on the day and hour each admin chooses."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names

from bot import digests
from bot.charts import draw
from bot.digests import DIGEST, next_occurrence
from bot.flow import Answer, Flow, Next
from bot.i18n import N_, Translator
from bot.messages import Attachment, AttachmentSpec, Button, Reply
from bot.outbox import Render
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import insight_exports
from handlers.insight_report import SECTIONS, Context, Section, overview
from handlers.places import zone_label
from storage import digests as subscriptions
from storage import roles
from storage.clock import from_db, to_db
from storage.database import Tx
from storage.digests import Subscription

REPORT = "insight.report"  # a section's text and chart, written after the commit
LATE = timedelta(hours=12)  # a digest this late (the bot was down) is skipped: the next is queued
HOURS = (7, 8, 9, 12, 17, 19)  # offered as buttons; any hour can be typed
_HOUR = re.compile(r"(\d{1,2})(?:[:.]00)?\s*(am|pm|a\.m\.|p\.m\.|h)?", re.IGNORECASE)

flow = Flow("stats", entry="overview", roles=ADMIN)

SECTION_LABELS = {
    "users": N_("Users"),
    "events": N_("Events"),
    "ideas": N_("Project ideas"),
    "consular": N_("Consular questions"),
    "announcements": N_("Announcements"),
}


def zone_of(turn: Turn) -> str:
    """The admin's time zone, UTC until they set one."""
    return turn.user.time_zone or "UTC"


def zone_name(zone: str, locale: str) -> str:
    """A zone's everyday name (UTC stays UTC)."""
    return "UTC" if zone == "UTC" else zone_label(zone, locale)


def report(turn: Turn, section: str) -> None:
    """A section's text and chart, written after the commit from the read-only connection (so the
    write lock is never held for the aggregates); charts only where files can be sent."""
    turn.reply(
        attachment=AttachmentSpec(
            REPORT,
            {
                "section": section,
                "zone": zone_of(turn),
                "now": to_db(turn.now),
                "charts": turn.channel != "whatsapp",
                "default_locale": turn.settings.default_locale,
            },
        )
    )


async def write_report(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Read one section's numbers and draw its chart (in a worker thread)."""
    name = str(args.get("section"))
    context = Context(
        i18n, str(args["zone"]), from_db(str(args["now"])), str(args["default_locale"])
    )
    section = await SECTIONS.get(name, overview)(db, context)
    return await as_reply(section, name, context, charts=bool(args.get("charts")))


async def as_reply(section: Section, name: str, context: Context, *, charts: bool) -> Reply:
    """A section as one message, its chart attached as a PNG when wanted and there is one."""
    attachment = None
    if charts and section.chart is not None:
        picture = await asyncio.to_thread(draw, section.chart)
        day = context.now.astimezone(ZoneInfo(context.zone)).date().isoformat()
        attachment = Attachment(f"stats-{name}-{day}.png", "image/png", picture.png)
    return Reply(section.text, title=section.title, attachment=attachment)


@flow.route("stats")
async def open_stats(turn: Turn, arg: str) -> Next:
    """`stats` opens the overview; `stats:users` (or /stats users) a section."""
    if arg in SECTION_LABELS:
        turn.data["section"] = arg
        return "section"
    return "overview"


@flow.ask("overview")
async def show_overview(turn: Turn) -> Next:
    """Every part in a line or two, with the new users per week."""
    report(turn, "overview")
    return "choose"


@flow.ask("section")
async def show_section(turn: Turn) -> Next:
    """One section in detail."""
    section = str(turn.data.get("section"))
    report(turn, section if section in SECTION_LABELS else "overview")
    return "choose"


@flow.ask("choose")
async def ask_choose(turn: Turn) -> None:
    """The sections, the CSV of every number, the digest."""
    buttons = [Button(turn.t(label), name) for name, label in SECTION_LABELS.items()]
    buttons += [
        Button(turn.t("Overview"), "overview"),
        Button(turn.t("Export the statistics (CSV)"), "csv"),
        Button(turn.t("Weekly digest"), "digest"),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(turn.t("What would you like to see?"), buttons=buttons)


@flow.answer("choose")
async def take_choose(turn: Turn, answer: Answer) -> Next:
    """A section, the overview, the CSV, or the digest's settings."""
    choice = answer.choice or ""
    if choice in SECTION_LABELS:
        turn.data["section"] = choice
        return "section"
    if choice == "overview":
        return "overview"
    if choice == "csv":
        insight_exports.attach(
            turn,
            insight_exports.STATS,
            {"zone": zone_of(turn), "default_locale": turn.settings.default_locale},
        )
    elif choice == "digest":
        return "digest"
    return flow.again


# -- the weekly digest ---------------------------------------------------------------------------


def day_names(turn: Turn) -> dict[int, str]:
    """Monday (0) to Sunday (6) in the reader's language."""
    names = get_day_names("wide", context="stand-alone", locale=turn.i18n.locale)
    return {day: str(names[day]) for day in range(7)}


def hour_text(turn: Turn, hour: int) -> str:
    """An hour as the reader's clock shows it ("09:00", "9:00 AM")."""
    return str(format_time(time(hour), "short", locale=turn.i18n.locale))


def schedule_line(turn: Turn, sub: Subscription, due: datetime) -> str:
    """When the digest comes, and the next one."""
    return turn.t(
        "The weekly digest comes every week: {weekday}, {time} ({zone}). The next one: {next}",
        weekday=day_names(turn)[sub.weekday],
        time=hour_text(turn, sub.hour),
        zone=zone_name(sub.time_zone, turn.locale),
        next=turn.i18n.datetime(due, sub.time_zone),
    )


@flow.ask("digest")
async def ask_digest(turn: Turn) -> None:
    """Whether the digest is on and when; the days to choose from."""
    sub = await subscriptions.get(turn.db, turn.key)
    if sub is None:
        text = turn.t(
            "The weekly digest brings you the overview (with its chart on Telegram) once a week,"
            " on the day and at the hour you choose. Which day?"
        )
    else:
        # The row that waits says when it goes (this week's may have gone already).
        due = await subscriptions.next_due(turn.db, turn.key, DIGEST) or next_occurrence(
            sub.weekday, sub.hour, ZoneInfo(sub.time_zone), turn.now
        )
        text = schedule_line(turn, sub, due) + "\n" + turn.t("Choose another day, or turn it off.")
    if zone_of(turn) == "UTC":
        text += "\n" + turn.t("Times are in UTC: set your time zone in Settings to use your clock.")
    buttons = [Button(name, f"day:{day}") for day, name in day_names(turn).items()]
    if sub is not None:
        buttons.append(Button(turn.t("Turn the digest off"), "off"))
    buttons.append(Button(turn.t("Back to the statistics"), "back"))
    turn.reply(text, title=turn.t("Weekly digest"), buttons=buttons)


@flow.answer("digest")
async def take_digest(turn: Turn, answer: Answer) -> Next:
    """A day, off, or back."""
    choice = answer.choice or ""
    if choice.startswith("day:") and choice[4:].isdigit() and int(choice[4:]) < 7:
        turn.data["weekday"] = int(choice[4:])
        return "digest_hour"
    if choice == "off":
        if await digests.stop(turn.db, turn.key):
            turn.reply(turn.t("The weekly digest is off."))
        return "choose"
    if choice == "back":
        return "choose"
    return flow.again


@flow.ask("digest_hour")
async def ask_hour(turn: Turn) -> None:
    """The hour, on the admin's clock."""
    weekday = day_names(turn)[int(turn.data.get("weekday", 0))]
    turn.reply(
        turn.t(
            "At what hour on {weekday}? Choose, or type an hour from 0 to 23 ({zone}).",
            weekday=weekday,
            zone=zone_name(zone_of(turn), turn.locale),
        ),
        buttons=[Button(hour_text(turn, hour), f"hour:{hour}") for hour in HOURS],
    )


def parse_hour(text: str) -> int | None:
    """A whole hour typed as 9, 09, 9:00, 21h or 9 pm; None if it is not one."""
    found = _HOUR.fullmatch(text.strip())
    if found is None:
        return None
    hour, suffix = int(found.group(1)), (found.group(2) or "").lower().replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    return hour if 0 <= hour <= 23 else None


@flow.answer("digest_hour", text=True)
async def take_hour(turn: Turn, answer: Answer) -> Next:
    """Store the day and hour; the row waiting for the old ones makes way for the next one."""
    choice = answer.choice or ""
    hour = int(choice[5:]) if choice.startswith("hour:") else parse_hour(answer.text)
    if hour is None:
        turn.reply(turn.t("Please type a whole hour from 0 to 23, such as 9 or 18."))
        return flow.again
    sub = Subscription(turn.key, int(turn.data.get("weekday", 0)), hour, zone_of(turn))
    due = await digests.replace(turn.db, sub, turn.now)
    turn.notified = True  # the outbox worker learns of the row when this step commits
    turn.reply(turn.t("Done.") + " " + schedule_line(turn, sub, due))
    return "choose"


async def render_digest(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The overview at send time, in the admin's language then (the chart where files go); none
    for someone who is no longer an admin, stopped the digest, or moved it."""
    key = render.user.key
    if "admin" not in render.settings.static_roles(key) | await roles.of(render.db, key):
        return None
    sub = await subscriptions.get(render.db, key)
    due = from_db(str(args["due"]))
    if sub is None or render.now - due > LATE:
        return None
    zone = ZoneInfo(sub.time_zone)
    if next_occurrence(sub.weekday, sub.hour, zone, due - timedelta(microseconds=1)) != due:
        return None  # queued for a day or hour the admin has changed since
    context = Context(render.i18n, sub.time_zone, render.now, render.settings.default_locale)
    reply = await as_reply(
        await overview(render.db, context),
        "weekly",
        context,
        charts=render.user.channel != "whatsapp",
    )
    return [
        Reply(
            reply.text,
            title=render.t("Your weekly statistics"),
            buttons=(Button(render.t("Statistics"), "stats", route=True),),
            attachment=reply.attachment,
        )
    ]


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Statistics"), "stats", roles=ADMIN, order=780)],
    commands=[
        Command(
            "stats",
            N_("Statistics with charts, CSV exports and the weekly digest"),
            "stats",
            roles=ADMIN,
        )
    ],
    db_replies={REPORT: write_report, **insight_exports.RENDERERS},
    renderers={DIGEST: render_digest},
)
