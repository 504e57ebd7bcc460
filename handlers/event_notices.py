"""What events send on their own, through the outbox: reminders, promotions, a new date,
cancellations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.i18n import Translator
from bot.messages import Reply
from bot.outbox import Render
from bot.turn import Turn
from handlers import event_files, event_views
from storage import events
from storage.clock import to_db
from storage.database import Tx
from storage.events import Event, Registration

REMINDER = "events.reminder"
PROMOTED = "events.promoted"
CANCELLED = "events.cancelled"
MOVED = "events.moved"

# What an event sends, per kind, as outbox batches for `outbox.report`. Broadcasts' batches
# start with "broadcast:", so these never mix into an announcement's counts.
REMINDERS_BATCH = "event:{event}:reminders"
PROMOTIONS_BATCH = "event:{event}:promotions"
CANCELLED_BATCH = "event:{event}:cancelled"
MOVED_BATCH = "event:{event}:moved"


async def schedule_reminders(turn: Turn, reg: Registration, event: Event) -> None:
    """Queue a confirmed registration's reminders (those still in the future).

    The idempotency key names the registration, the offset and the start: a reminder goes out
    once; a new start (an edit) queues new ones, and the old ones find the start changed.
    """
    start = to_db(event.starts_at)
    for offset in turn.settings.event_reminders:
        at = event.starts_at - offset
        if at <= turn.now:
            continue
        seconds = int(offset.total_seconds())
        await turn.notify(
            reg.user_key,
            REMINDER,
            {"registration": reg.id, "start": start},
            key=f"event-reminder:{reg.id}:{seconds}:{start}",
            not_before=at,
            batch=REMINDERS_BATCH.format(event=event.id),
        )


async def promote(turn: Turn, event_id: int) -> list[Registration]:
    """Give freed seats to the waitlist in order; each promoted member is told (same
    transaction) and gets their reminders."""
    promoted = await events.promote(turn.db, event_id, turn.now)
    event = await events.get(turn.db, event_id) if promoted else None
    for reg in promoted:
        await turn.notify(
            reg.user_key,
            PROMOTED,
            {"registration": reg.id},
            key=f"event-promoted:{reg.id}",
            batch=PROMOTIONS_BATCH.format(event=event_id),
        )
        if event is not None:
            await schedule_reminders(turn, reg, event)
    return promoted


async def _confirmed(render: Render, args: Mapping[str, Any]) -> tuple[Registration, Event] | None:
    """The registration and its event, if it is still confirmed for a published, future event."""
    reg = await events.registration(render.db, int(args["registration"]))
    if reg is None or reg.status != "confirmed" or reg.user_key != render.user.key:
        return None
    event = await events.get(render.db, reg.event_id)
    if event is None or event.status != "published" or render.now >= event.starts_at:
        return None
    return reg, event


async def calendar_reply(
    i18n: Translator, db: Tx, reg: Registration, channel: str, public_url: str | None
) -> Reply | None:
    """The invitation: a file on Telegram and the console, a link on WhatsApp."""
    if channel == "whatsapp" and public_url:
        link = f"{public_url}{event_files.CALENDAR_PATH}{reg.token}.ics"
        return Reply(i18n.t("Add it to your calendar: {link}", link=link))
    attachment = await event_files.invitation(i18n, db, reg.id)
    return None if attachment is None else Reply(attachment=attachment)


async def render_reminder(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A reminder, in the member's language now; nothing if they cancelled or the event moved."""
    found = await _confirmed(render, args)
    if found is None:
        return None
    reg, event = found
    if to_db(event.starts_at) != args.get("start"):
        return None  # the start changed since this reminder was queued: a newer one is queued
    i18n = render.i18n
    lines = [
        # The day before and two hours before must not read the same: say how soon.
        i18n.t("It starts {soon}.", soon=i18n.until(event.starts_at - render.now)),
        "",
        event_views.when(i18n, event, render.user.time_zone),
        event_views.place(i18n, event),
        event_views.party(i18n, reg),
        i18n.t("Your check-in code: {code}", code=event_views.code(reg)),
        "",
        i18n.t("To see or cancel your registration, send /registrations."),
    ]
    title = i18n.t("Reminder: {title}", title=event_views.title(i18n, event))
    return [Reply("\n".join(lines), title=title)]


async def render_promoted(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A seat freed up and is now the member's: their code and the invitation."""
    found = await _confirmed(render, args)
    if found is None:
        return None
    reg, event = found
    i18n = render.i18n
    lines = [
        i18n.t(
            "Good news: a seat has freed up and you are now signed up for {title}.",
            title=event_views.title(i18n, event),
        ),
        "",
        event_views.when(i18n, event, render.user.time_zone),
        event_views.place(i18n, event),
        event_views.party(i18n, reg),
        i18n.t("Your check-in code: {code}", code=event_views.code(reg)),
    ]
    replies = [Reply("\n".join(lines), title=i18n.t("You have a seat"))]
    invite = await calendar_reply(
        i18n, render.db, reg, render.user.channel, render.settings.public_url
    )
    if invite is not None:
        replies.append(invite)
    return replies


async def render_cancelled(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The event was cancelled: everyone who was registered or waiting is told."""
    event = await events.get(render.db, int(args["event"]))
    if event is None or event.status != "cancelled":
        return None
    i18n = render.i18n
    text = i18n.t(
        "We are sorry: {title}, planned for {start}, has been cancelled."
        " Your registration no longer holds.",
        title=event_views.title(i18n, event),
        start=event_views.moment(i18n, event.starts_at, event.time_zone),
    )
    return [Reply(text, title=i18n.t("Event cancelled"))]


async def tell_moved(turn: Turn, event: Event) -> int:
    """Queue the new date for everyone registered or waiting; how many will be told."""
    told = 0
    start = to_db(event.starts_at)
    for reg in await events.registrations(turn.db, event.id):
        if reg.status in ("confirmed", "waitlisted") and await turn.notify(
            reg.user_key,
            MOVED,
            {"registration": reg.id, "start": start},
            key=f"event-moved:{reg.id}:{start}",  # moved twice to the same time: told once
            batch=MOVED_BATCH.format(event=event.id),
        ):
            told += 1
    return told


async def render_moved(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The event has a new date: the time, and for a seat its calendar file again."""
    reg = await events.registration(render.db, int(args["registration"]))
    if reg is None or reg.user_key != render.user.key or reg.status == "cancelled":
        return None
    event = await events.get(render.db, reg.event_id)
    if event is None or event.status != "published" or render.now >= event.starts_at:
        return None
    if to_db(event.starts_at) != args.get("start"):
        return None  # moved again since: the newer notice says the newer time
    i18n = render.i18n
    lines = [
        i18n.t("{title} has a new date and time:", title=event_views.title(i18n, event)),
        "",
        event_views.when(i18n, event, render.user.time_zone),
        event_views.place(i18n, event),
        "",
        i18n.t(
            "Your registration stands; your check-in code stays {code}.", code=event_views.code(reg)
        )
        if reg.status == "confirmed"
        else i18n.t("You are still on the waitlist."),
    ]
    replies = [Reply("\n".join(lines), title=i18n.t("New date"))]
    if reg.status == "confirmed":
        invite = await calendar_reply(
            i18n, render.db, reg, render.user.channel, render.settings.public_url
        )
        if invite is not None:
            replies.append(invite)
    return replies


RENDERERS = {
    REMINDER: render_reminder,
    PROMOTED: render_promoted,
    MOVED: render_moved,
    CANCELLED: render_cancelled,
}
