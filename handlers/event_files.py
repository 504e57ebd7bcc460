"""Files for events: the .ics invitation (icalendar) and QR code images (segno)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import segno

from bot.i18n import Catalogs, Translator, negotiate
from bot.messages import Attachment
from handlers import event_views
from handlers.places import country_name
from storage import events
from storage.clock import from_db, to_db, utcnow
from storage.database import Tx
from storage.events import Event

# The web process serves a registration's invitation here, under its unguessable token.
CALENDAR_PATH = "/calendar/"
INVITATION_RENDERER = "events.ics"
QR_RENDERER = "events.qr"
ICS_TYPE = "text/calendar"
PRODID = "-//diaspora-bot//events//EN"
# SEQUENCE counts seconds from here to the event's last edit: it only ever grows, as RFC 5545
# asks, without a counter of its own in the database.
SEQUENCE_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


def invitation_args(i18n: Translator, event: Event) -> dict[str, Any]:
    """What the invitation says, in the reader's language: small, so a step can attach it."""
    description = event.text(i18n.locale).description
    if event.sample:
        note = i18n.t("This is a sample event for the demo; it is not real.")
        description = f"{note}\n\n{description}"
    if event.online_url:
        location = event.online_url
    else:
        parts = [p for p in (event.venue, event.city) if p]
        if event.country:
            parts.append(country_name(event.country, i18n.locale))
        location = ", ".join(parts)
    return {
        "event": event.id,
        "title": event_views.title(i18n, event),
        "description": description.strip(),
        "start": to_db(event.starts_at),
        "end": to_db(event.ends_at),
        "zone": event.time_zone,
        "location": location,
        "url": event.online_url,
        "cancelled": event.status == "cancelled",
        "changed": to_db(event.updated_at or event.created_at),
    }


def ics(args: Mapping[str, Any], now: datetime | None = None) -> bytes:
    """An iCalendar file with the event in its own time zone (VTIMEZONE included)."""
    zone = ZoneInfo(str(args["zone"]))
    start = from_db(str(args["start"])).astimezone(zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    # One UID per event: a second download updates the same calendar entry.
    entry.add("uid", f"event-{args['event']}@diaspora-bot")
    entry.add("dtstamp", now or utcnow())
    if args.get("changed"):  # a later edit gives a higher SEQUENCE: calendars take the update
        changed = from_db(str(args["changed"]))
        entry.add("last-modified", changed)
        entry.add("sequence", int(changed.timestamp()) - SEQUENCE_EPOCH)
    entry.add("summary", str(args["title"]))
    entry.add("dtstart", start)
    entry.add("dtend", from_db(str(args["end"])).astimezone(zone))
    if args.get("description"):
        entry.add("description", str(args["description"]))
    if args.get("location"):
        entry.add("location", str(args["location"]))
    if args.get("url"):
        entry.add("url", str(args["url"]))
    entry.add("status", "CANCELLED" if args.get("cancelled") else "CONFIRMED")
    calendar.add_component(entry)
    day = start.date()
    calendar.add_missing_timezones(
        first_date=day.replace(year=day.year - 1, day=1),
        last_date=day.replace(year=day.year + 2, day=1),
    )
    return bytes(calendar.to_ical())


def render_invitation(args: Mapping[str, Any]) -> Attachment:
    """An attachment renderer (after the commit, off the event loop): the .ics."""
    return Attachment(f"event-{args['event']}.ics", ICS_TYPE, ics(args))


async def invitation(i18n: Translator, db: Tx, registration_id: int) -> Attachment | None:
    """A registration's invitation, as its event is now (None: no such registration)."""
    reg = await events.registration(db, registration_id)
    event = None if reg is None else await events.get(db, reg.event_id)
    if event is None:
        return None
    return await asyncio.to_thread(render_invitation, invitation_args(i18n, event))


async def invitation_by_token(
    db: Tx, catalogs: Catalogs, default_locale: str, token: str
) -> Attachment | None:
    """The invitation behind a calendar link, in its member's language (None: unknown token or
    a cancelled registration)."""
    reg = await events.by_token(db, token)
    if reg is None or reg.status == "cancelled":
        return None
    row = await db.fetch_one("SELECT locale, locale_hint FROM users WHERE key = ?", (reg.user_key,))
    stored, hint = (row["locale"], row["locale_hint"]) if row else (None, None)
    locale = negotiate(stored, hint, default_locale)
    return await invitation(catalogs.translator(locale), db, reg.id)


def qr_png(text: str) -> bytes:
    """A QR code image (PNG) holding a text or a link: always a full QR code, never the Micro QR
    segno would choose for a short check-in code, which phone cameras and door apps do not read."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def render_qr(args: Mapping[str, Any]) -> Attachment:
    """An attachment renderer: the QR code of `text`, saved as `name`.png."""
    return Attachment(f"{args.get('name', 'qr')}.png", "image/png", qr_png(str(args["text"])))
