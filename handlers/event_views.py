"""How an event reads in a user's language: title, date and time in its zone, place, seats."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from handlers.places import country_name, zone_label
from storage.events import Event, Registration


def short(text: str, limit: int = 60) -> str:
    """A text short enough for a button label, cut in the middle so that its end stays."""
    text = text.strip()
    if len(text) <= limit:
        return text
    # Titles of a series differ at the end ("… in Milan", "… in Athens", "… 2027"), so the end
    # is kept as well as the beginning, and the middle gives way; cuts fall between words when
    # a word boundary is near.
    keep = limit - 2  # the ellipsis and a space
    tail = text[len(text) - keep * 2 // 5 :]
    if not text[len(text) - len(tail) - 1].isspace() and " " in tail:
        tail = tail.split(" ", 1)[1]
    whole = text[len(text) - len(tail) - 1].isspace()  # the tail starts a word: set it apart
    head = text[: keep - len(tail)]
    if not text[len(head)].isspace() and " " in head[-10:]:
        head = head[: head.rindex(" ")]
    return f"{head.rstrip()}…{' ' if whole else ''}{tail.lstrip()}"


def title(i18n: Translator, event: Event) -> str:
    """The title in the reader's language (or a fallback), marked when it is a sample."""
    text = event.text(i18n.locale).title
    return i18n.t("[Sample] {title}", title=text) if event.sample else text


def moment(i18n: Translator, when: datetime, zone: str) -> str:
    """A date and time as read in a zone, with the zone's name."""
    return f"{i18n.datetime(when, zone)}, {zone_label(zone, i18n.locale)}"


def day(i18n: Translator, event: Event) -> str:
    """The event's start date, short, as read in its zone ("12 Μαρ 2026")."""
    return i18n.date(event.starts_at, event.time_zone, width="medium")


def local_date(moment: datetime, zone: str) -> date:
    """The calendar day of a moment in a zone."""
    return moment.astimezone(ZoneInfo(zone)).date()


def when(i18n: Translator, event: Event, user_zone: str | None = None) -> str:
    """Start and end in the event's zone, and in the reader's zone when their clocks differ."""
    zone = ZoneInfo(event.time_zone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    if start.date() == end.date():
        until = i18n.time(event.ends_at, zone)
    else:
        until = i18n.datetime(event.ends_at, zone)
    lines = [
        i18n.t(
            "When: {start} – {end}, {zone}",
            start=i18n.datetime(event.starts_at, zone),
            end=until,
            zone=zone_label(event.time_zone, i18n.locale),
        )
    ]
    if user_zone and user_zone != event.time_zone:
        mine = event.starts_at.astimezone(ZoneInfo(user_zone))
        if mine.replace(tzinfo=None) != start.replace(tzinfo=None):
            lines.append(
                i18n.t("Your time: {start}", start=moment(i18n, event.starts_at, user_zone))
            )
    return "\n".join(lines)


def place(i18n: Translator, event: Event) -> str:
    """Where: the venue, city and country, or the online link."""
    if event.online_url:
        return i18n.t("Online: {link}", link=event.online_url)
    parts = [p for p in (event.venue, event.city) if p]
    if event.country:
        parts.append(country_name(event.country, i18n.locale))
    if not parts:
        return i18n.t("Place: to be announced")
    if not event.venue:
        parts.insert(0, i18n.t("venue to be announced"))
    return i18n.t("Place: {place}", place=", ".join(parts))


def seats(i18n: Translator, event: Event) -> str:
    """Seats left, unlimited, or full with the waitlist."""
    left = event.left
    if left is None:
        return i18n.t("Seats: no limit")
    if left == 0:
        return i18n.t("Full: you can join the waitlist")
    return i18n.ngettext("{n} seat left", "{n} seats left", left)


def summary(i18n: Translator, event: Event, user_zone: str | None) -> str:
    """The lines of an event in a list: when, where, seats."""
    return "\n".join([when(i18n, event, user_zone), place(i18n, event), seats(i18n, event)])


def code(reg: Registration) -> str:
    """A check-in code as shown: two groups of three ("K7Q-4MX")."""
    return f"{reg.code[:3]}-{reg.code[3:]}"


def party(i18n: Translator, reg: Registration) -> str:
    """How many seats a registration holds, and who for."""
    guests = reg.seats - 1
    if guests == 0:
        return i18n.t("Seats: 1 (just you)")
    return i18n.ngettext(
        "Seats: {seats} (you and {n} guest)",
        "Seats: {seats} (you and {n} guests)",
        guests,
        seats=reg.seats,
    )
