"""What announcements look like: the message members get, and the sender's progress and report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta
from babel.numbers import format_currency

from bot import broadcasts as sending
from bot.broadcasts import CANCELLED, progress
from bot.i18n import LOCALES, N_, Translator
from bot.messages import Button, Reply
from bot.outbox import Render, Report
from bot.plaintext import shorten
from bot.registry import Feature
from handlers.optout import STOP_WORD
from handlers.places import zone_label
from storage import broadcasts
from storage import roles as grants
from storage.broadcasts import ONE_TEXT, Broadcast

SHORT = 32  # characters of a text that name an announcement without a title

DRAFT = N_("draft, not sent")
STATUS = {
    "scheduled": N_("scheduled for {when}"),
    "sending": N_("being sent since {when}"),
    "done": N_("sent on {when}"),
    "cancelled": N_("cancelled on {when}"),
}

# The outbox's reasons, as an admin reads them (others are platform errors, shown as they are).
REASONS = (
    ("opted out", N_("sent STOP")),
    ("announcements off", N_("turned announcements off")),
    ("telegram: blocked by the user", N_("blocked the bot on Telegram")),
    ("whatsapp: opted out (21610)", N_("opted out on WhatsApp (21610)")),
    ("whatsapp: blocked by the user (63014)", N_("blocked us on WhatsApp (63014)")),
    ("whatsapp: invalid recipient (63024)", N_("not a WhatsApp number (63024)")),
    (
        "outside the 24-hour window",
        N_("outside the WhatsApp 24-hour window: they read it when they write"),
    ),
    (
        "no notice template configured",
        N_("outside the WhatsApp 24-hour window, and no notice template is configured"),
    ),
    ("nothing to send any more", N_("no longer to be sent")),
    (CANCELLED, N_("cancelled")),
    ("deleted", N_("their data was deleted")),
)


def number(broadcast_id: int) -> str:
    """An announcement's number as text (ids are not quantities: no thousands separator)."""
    return str(broadcast_id)


def short_name(broadcast: Broadcast) -> str:
    """The title, or the start of the text, cut between words."""
    return shorten(broadcast.title or broadcast.texts[broadcast.fallback], SHORT)


def zone_of(zone: str | None) -> str:
    """A user's time zone, UTC when they have not set one."""
    return zone or "UTC"


def zone_name(zone: str, locale: str) -> str:
    """A zone's everyday name; UTC is just UTC (CLDR calls it an unknown region)."""
    return "UTC" if zone == "UTC" else zone_label(zone, locale)


def status_text(i18n: Translator, broadcast: Broadcast, zone: str) -> str:
    """Where an announcement stands, with the moment that goes with it."""
    moment = {
        "scheduled": broadcast.scheduled_for,
        "sending": broadcast.started_at,
        "done": broadcast.finished_at,
        "cancelled": broadcast.finished_at,
    }.get(broadcast.status)
    if moment is None:  # a draft
        return i18n.t(DRAFT)
    return i18n.t(STATUS[broadcast.status], when=i18n.datetime(moment, zone))


def counts_text(i18n: Translator, report: Report) -> str:
    """Sent / failed / skipped / held / remaining."""
    statuses = report.statuses
    return i18n.t(
        "Sent: {sent} · failed: {failed} · skipped: {skipped} · held: {held}"
        " · cancelled: {cancelled} · remaining: {remaining}",
        sent=statuses.get("sent", 0),
        failed=statuses.get("failed", 0),
        skipped=statuses.get("skipped", 0),
        held=statuses.get("held", 0),
        cancelled=statuses.get("cancelled", 0),
        remaining=report.remaining,
    )


def reason_text(i18n: Translator, reason: str) -> str:
    """An outbox reason in the admin's language (a platform's own error stays as it is)."""
    plain = reason.removeprefix("unreachable: ")
    for known, label in REASONS:
        if plain == known:
            return i18n.t(label)
    return plain


def reasons_lines(i18n: Translator, report: Report) -> list[str]:
    """Why rows were not sent, the most common first."""
    if not report.reasons:
        return []
    merged: dict[str, int] = {}
    for reason, count in report.reasons.items():
        label = reason_text(i18n, reason)
        merged[label] = merged.get(label, 0) + count
    lines = [i18n.t("Why some were not sent:")]
    ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    lines += [f"– {label}: {i18n.number(count)}" for label, count in ordered]
    return lines


def duration(i18n: Translator, seconds: float) -> str:
    """A duration in words ("3 minutes"), rounded as people say it."""
    return str(format_timedelta(timedelta(seconds=max(1.0, seconds)), locale=i18n.locale))


def money(i18n: Translator, amount: Decimal, currency: str, exact: bool = False) -> str:
    """An amount in a currency; `exact` keeps every decimal (a price per template)."""
    return str(
        format_currency(amount, currency, locale=i18n.locale, decimal_quantization=not exact)
    )


def stop_line(i18n: Translator, channel: str) -> str:
    """How to stop announcements, as the recipient's channel allows."""
    if channel == "whatsapp":
        return i18n.t(
            "You receive this because announcements are on. To turn them off: Settings"
            " (/settings); or send {stop} to stop every message we send on our own.",
            stop=i18n.t(STOP_WORD),
        )
    return i18n.t(
        "You receive this because announcements are on. To turn them off: Settings (/settings)."
    )


def announcement(
    i18n: Translator, broadcast: Broadcast, channel: str, title: str | None = None
) -> Reply:
    """The announcement as one language reads it on one channel."""
    text = broadcast.text_for(i18n.locale)
    return Reply(f"{text}\n\n{stop_line(i18n, channel)}", title=title or broadcast.title)


def versions_text(i18n: Translator, broadcast: Broadcast) -> str:
    """Which languages have their own version."""
    if broadcast.fallback == ONE_TEXT:
        return i18n.t("One text for every language.")
    own = ", ".join(i18n.language(locale) for locale in LOCALES if locale in broadcast.texts)
    return i18n.t(
        "Versions: {languages}; the other languages get the {fallback} version.",
        languages=own,
        fallback=i18n.language(broadcast.fallback),
    )


async def is_admin(render: Render) -> bool:
    """Progress and reports go to admins only (someone whose role was revoked gets nothing)."""
    key = render.user.key
    held = render.settings.static_roles(key) | await grants.of(render.db, key)
    return "admin" in held


async def render_announcement(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The recipient's version (or the fallback) with the line on how to stop; nothing if it
    was cancelled meanwhile."""
    found = await broadcasts.get(render.db, int(args["id"]))
    if found is None or found.status == "cancelled":
        return None
    return [announcement(render.i18n, found, render.user.channel)]


async def render_progress(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """Counts and the time left, at send time; on Telegram the same message is edited."""
    found = await broadcasts.get(render.db, int(args["id"]))
    if found is None or not await is_admin(render):
        return None
    report = await progress(render.db, found, render.settings)
    i18n, name = render.i18n, number(found.id)
    titles = {
        "sending": N_("Announcement {number} is being sent"),
        "done": N_("Announcement {number} has been sent"),
        "cancelled": N_("Announcement {number} was cancelled"),
    }
    title = i18n.t(titles.get(found.status, titles["sending"]), number=name)
    lines = [counts_text(i18n, report)]
    buttons: tuple[Button, ...] = ()
    if found.status == "sending":
        if report.seconds_left >= 1:
            lines.append(
                i18n.t("About {duration} left.", duration=duration(i18n, report.seconds_left))
            )
        if render.user.channel == "telegram":
            buttons = (
                Button(i18n.t("Cancel the announcement"), f"broadcast-cancel:{found.id}", True),
            )
        else:
            lines.append(i18n.t("To cancel it, send /broadcast {number}.", number=name))
    return [Reply("\n".join(lines), title=title, buttons=buttons)]


async def render_report(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The final report: counts and why some were not sent."""
    found = await broadcasts.get(render.db, int(args["id"]))
    if found is None or not await is_admin(render):
        return None
    report = await progress(render.db, found, render.settings)
    i18n = render.i18n
    zone = zone_of(render.user.time_zone)
    lines = [
        f"{short_name(found)}: {status_text(i18n, found, zone)}.",
        counts_text(i18n, report),
        *reasons_lines(i18n, report),
    ]
    held = report.statuses.get("held", 0)
    if held:
        lines.append(
            i18n.ngettext(
                "{n} WhatsApp user was outside the 24-hour window: they got a notice and read"
                " the announcement when they write.",
                "{n} WhatsApp users were outside the 24-hour window: they got a notice and read"
                " the announcement when they write.",
                held,
            )
        )
    title = i18n.t("Report on announcement {number}", number=number(found.id))
    return [Reply("\n".join(lines), title=title)]


FEATURE = Feature(
    renderers={
        sending.ANNOUNCE: render_announcement,
        sending.PROGRESS: render_progress,
        sending.REPORT: render_report,
    }
)
