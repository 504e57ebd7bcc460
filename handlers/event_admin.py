"""Events for admins: the list, an event's page, publish, cancel, registrations and export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.flow import Answer, Next
from bot.i18n import LANGUAGE_NAMES, LOCALES, N_
from bot.messages import AttachmentSpec, Button
from bot.registry import ADMIN, Audience, AudienceParam, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import (
    event_door,
    event_exports,
    event_form,
    event_notices,
    event_views,
    insight_exports,
)
from handlers.event_manage import current_event, flow, parse_id, seats_line, status_name
from storage import events
from storage.database import Tx
from storage.events import Event

LISTED = 30  # registrations listed in the chat; the CSV has them all
PAST = timedelta(days=60)  # events that ended this long ago still show in the admin list


@flow.route("admin_event")
async def open_event(turn: Turn, arg: str) -> Next:
    """`admin_event:42`: an event's page for admins."""
    turn.data["event"] = parse_id(arg)
    return "event"


# -- the list ------------------------------------------------------------------------------------


@flow.ask("events")
async def ask_events(turn: Turn) -> None:
    """Drafts, published and cancelled events that have not long ended, and Create."""
    found = await events.listing(turn.db, turn.now - PAST)
    blocks = [
        f"{event_views.title(turn.i18n, e)} ({status_name(turn, e.status)})\n"
        f"{event_views.moment(turn.i18n, e.starts_at, e.time_zone)}\n{seats_line(turn, e)}"
        for e in found
    ]
    text = "\n\n".join(blocks) if blocks else turn.t("There are no events yet.")
    buttons = [
        Button(  # the date too: events of a series may share their title
            f"{event_views.short(event_views.title(turn.i18n, e), 36)}"
            f" · {event_views.day(turn.i18n, e)} ({status_name(turn, e.status)})",
            f"admin_event:{e.id}",
            route=True,
        )
        for e in found
    ]
    buttons += [
        Button(turn.t("Create an event"), "create"),
        Button(turn.t("Export as CSV"), "csv"),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(text, title=turn.t("Manage events"), buttons=buttons)


@flow.answer("events")
async def take_events(turn: Turn, answer: Answer) -> Next:
    """Start the guided creation, or export every event."""
    if answer.choice == "create":
        turn.data.update(doing="create", draft={"texts": {}}, event=None)
        return "language"
    if answer.choice == "csv":
        insight_exports.attach(turn, insight_exports.EVENTS)
    return flow.again


# -- one event -----------------------------------------------------------------------------------


@flow.ask("event")
async def ask_event(turn: Turn) -> Next | None:
    """Everything about one event, and what can be done with it."""
    event = await current_event(turn)
    if event is None:
        turn.reply(turn.t("I could not find that event."))
        return "events"
    i18n = turn.i18n
    checked = await events.checked_in(turn.db, event.id)
    lines = [
        turn.t("Status: {status}", status=status_name(turn, event.status)),
        event_views.when(i18n, event),
        event_views.place(i18n, event),
        seats_line(turn, event),
        turn.t(
            "Sign-up closes: {date}",
            date=event_views.moment(i18n, event.closes_at, event.time_zone),
        ),
        turn.t("Checked in: {n}", n=checked),
        "",
    ]
    for locale in LOCALES:
        if locale in event.texts:
            text = event.texts[locale]
            lines.append(f"{LANGUAGE_NAMES[locale]}: {text.title}")
            if text.description:
                lines.append(text.description)
    buttons = []
    if event.status == "draft":
        buttons.append(Button(turn.t("Publish"), "publish"))
    if event.status != "cancelled":
        buttons += [
            Button(turn.t("Edit"), "edit"),
            Button(turn.t("Change capacity"), "capacity"),
        ]
    buttons += [
        Button(turn.t("Registrations"), "registrations"),
        Button(turn.t("Export as CSV"), "csv"),
    ]
    if event.status == "published":
        buttons += [
            Button(turn.t("Check in at the door"), "checkin"),
            Button(turn.t("Links and QR code"), "links"),
        ]
    if event.status != "cancelled":
        buttons.append(Button(turn.t("Cancel the event"), "cancel"))
    buttons += [
        Button(turn.t("All events"), "manage", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply("\n".join(lines).strip(), title=event_views.title(i18n, event), buttons=buttons)
    return None


@flow.answer("event")
async def take_event(turn: Turn, answer: Answer) -> Next:
    """Each action on the event."""
    event = await current_event(turn)
    if event is None:
        return "events"
    match answer.choice:
        case "publish":
            return await _publish(turn, event)
        case "edit" if event.status != "cancelled":
            return "edit"
        case "capacity" if event.status != "cancelled":
            turn.data["doing"] = "capacity"
            return "capacity"
        case "registrations":
            return "registrations"
        case "csv":
            _export(turn, event)
            return flow.again
        case "checkin" if event.status == "published":
            return "checkin"
        case "links" if event.status == "published":
            return "links"
        case "cancel" if event.status != "cancelled":
            return "cancel"
    return flow.again


async def _publish(turn: Turn, event: Event) -> Next:
    """Publish a draft, unless it has already started."""
    if event.status != "draft":
        return flow.again
    if turn.now >= event.starts_at:
        turn.reply(turn.t("This event has already started: change its date before publishing."))
        return flow.again
    await events.set_status(turn.db, event.id, "published", turn.now)
    turn.reply(turn.t("Published: members can now find the event and sign up."))
    return flow.again


# -- cancelling ----------------------------------------------------------------------------------


@flow.ask("cancel")
async def ask_cancel(turn: Turn) -> Next | None:
    """Ask before cancelling, with how many will be told."""
    event = await current_event(turn)
    if event is None or event.status == "cancelled":
        return "event"
    live = [r for r in await events.registrations(turn.db, event.id) if r.status != "cancelled"]
    turn.reply(
        turn.ngettext(
            "Cancel {title}? The {n} member registered or on the waitlist will be told.",
            "Cancel {title}? The {n} members registered or on the waitlist will be told.",
            len(live),
            title=event_views.title(turn.i18n, event),
        ),
        buttons=[
            Button(turn.t("Yes, cancel the event"), "yes"),
            Button(turn.t("No, keep it"), "no"),
        ],
    )
    return None


@flow.answer("cancel")
async def take_cancel(turn: Turn, answer: Answer) -> Next:
    """Cancel and tell everyone registered or waiting, once, in this transaction."""
    event = await current_event(turn)
    if answer.choice != "yes" or event is None:
        return "event"
    if await events.set_status(turn.db, event.id, "cancelled", turn.now):
        told = 0
        for reg in await events.registrations(turn.db, event.id):
            if reg.status != "cancelled":
                key = f"event-cancelled:{event.id}:{reg.user_key}"
                if await turn.notify(
                    reg.user_key,
                    event_notices.CANCELLED,
                    {"event": event.id},
                    key=key,
                    batch=event_notices.CANCELLED_BATCH.format(event=event.id),
                ):
                    told += 1
        turn.reply(
            turn.ngettext(
                "The event is cancelled; {n} member will be told.",
                "The event is cancelled; {n} members will be told.",
                told,
            )
        )
    return "event"


# -- registrations and export --------------------------------------------------------------------


@flow.ask("registrations")
async def ask_registrations(turn: Turn) -> Next | None:
    """Confirmed and waitlisted registrations with counts (the CSV has every one)."""
    event = await current_event(turn)
    if event is None:
        return "events"
    regs = await events.registrations(turn.db, event.id)
    confirmed = [r for r in regs if r.status == "confirmed"]
    waiting = [r for r in regs if r.status == "waitlisted"]
    zone = event.time_zone
    lines = [
        turn.t(
            "Confirmed: {registrations}, {seats}. Checked in: {checked}.",
            registrations=_registrations(turn, len(confirmed)),
            seats=_seats(turn, sum(r.seats for r in confirmed)),
            checked=sum(1 for r in confirmed if r.checked_in_at),
        ),
        turn.t(
            "Waitlist: {registrations}, {seats}.",
            registrations=_registrations(turn, len(waiting)),
            seats=_seats(turn, sum(r.seats for r in waiting)),
        ),
    ]
    for heading, group in ((turn.t("Confirmed"), confirmed), (turn.t("Waitlist"), waiting)):
        if not group:
            continue
        lines += ["", f"{heading}:"]
        for number, reg in enumerate(group[:LISTED], start=1):
            line = f"{number}. {reg.user_key} · {event_views.code(reg)} · " + turn.ngettext(
                "{n} seat", "{n} seats", reg.seats
            )
            if reg.checked_in_at:
                line += " · " + turn.t(
                    "checked in {time}", time=turn.i18n.time(reg.checked_in_at, zone)
                )
            lines.append(line)
        if len(group) > LISTED:
            lines.append(
                turn.t("… and {n} more: export the CSV to see all.", n=len(group) - LISTED)
            )
    turn.reply(
        "\n".join(lines),
        title=turn.t("Registrations: {title}", title=event_views.title(turn.i18n, event)),
        buttons=[
            Button(turn.t("Export as CSV"), "csv"),
            Button(turn.t("Back to the event"), "back"),
        ],
    )
    return None


@flow.answer("registrations")
async def take_registrations(turn: Turn, answer: Answer) -> Next:
    """The CSV, or back."""
    event = await current_event(turn)
    if answer.choice == "csv" and event is not None:
        _export(turn, event)
        return flow.again
    return "event"


def _export(turn: Turn, event: Event) -> None:
    """The registrations as a CSV, its headers in the admin's language (not on WhatsApp)."""
    if turn.refuse_files():
        return
    spec = AttachmentSpec(
        event_exports.CSV,
        {
            "event": event.id,
            "zone": event.time_zone,
            "headers": [turn.t(h) for h in event_exports.HEADERS],
            "statuses": {s: turn.t(s) for s in event_exports.STATUSES},
            "languages": {code: turn.i18n.language(code) for code in LOCALES},
        },
        export=True,
    )
    turn.reply(attachment=spec)


# -- audiences for announcements -----------------------------------------------------------------


async def _event_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """Events to choose from: published or cancelled, recent first."""
    found = await events.listing(tx, turn.now - timedelta(days=365), limit=200)
    chosen = [e for e in found if e.status != "draft"]
    chosen.sort(key=lambda e: e.starts_at, reverse=True)
    return [
        (
            f"{event_views.title(turn.i18n, e)} – "
            f"{turn.i18n.date(e.starts_at, e.time_zone, 'medium')}",
            str(e.id),
        )
        for e in chosen
    ]


EVENT_PARAM = AudienceParam("event", N_("Which event?"), _event_choices)


def _select(condition: str) -> Callable[[Mapping[str, str]], tuple[str, tuple[Any, ...]]]:
    """An audience's select: the registrations of the chosen event meeting a condition."""

    def select(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
        event_id = parse_id(values.get("event", ""))
        return (
            "SELECT DISTINCT user_key AS key FROM registrations"
            f" WHERE event_id = ? AND status = 'confirmed' AND {condition}",
            (event_id if event_id is not None else -1,),
        )

    return select


AUDIENCES = [
    Audience("event_registered", N_("Registered for an event"), _select("1"), (EVENT_PARAM,)),
    Audience(
        "event_attended",
        N_("Attended an event"),
        _select("checked_in_at IS NOT NULL"),
        (EVENT_PARAM,),
    ),
    Audience(
        "event_absent",
        N_("Registered for an event but did not attend"),
        _select("checked_in_at IS NULL"),
        (EVENT_PARAM,),
    ),
]


# The form and the door add their steps to the same flow.
STEPS_FROM = (event_form, event_door)


def _registrations(turn: Turn, n: int) -> str:
    """ "1 registration", "3 registrations", in the admin's language."""
    return turn.ngettext("{n} registration", "{n} registrations", n)


def _seats(turn: Turn, n: int) -> str:
    """ "1 seat", "3 seats", in the admin's language."""
    return turn.ngettext("{n} seat", "{n} seats", n)


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Manage events"), "manage", roles=ADMIN, order=790)],
    commands=[Command("manage_events", N_("Create and run events"), "manage", roles=ADMIN)],
    audiences=AUDIENCES,
    db_attachments={event_exports.CSV: event_exports.render_csv},
)
