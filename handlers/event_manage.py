"""The admins' events flow and what its parts share: the event at hand, its status and seats."""

from __future__ import annotations

from bot.flow import Flow
from bot.registry import ADMIN
from bot.turn import Turn
from storage import events
from storage.events import Event

flow = Flow("manage", entry="events", roles=ADMIN)


def parse_id(arg: str) -> int | None:
    """A route argument that should be an id."""
    arg = arg.strip()
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 12 else None


def status_name(turn: Turn, status: str) -> str:
    """An event status in the admin's language."""
    return {
        "draft": turn.t("draft"),
        "published": turn.t("published"),
        "cancelled": turn.t("cancelled"),
    }[status]


def seats_line(turn: Turn, event: Event) -> str:
    """Seats taken, capacity and the waitlist."""
    capacity = turn.t("no limit") if event.capacity is None else turn.i18n.number(event.capacity)
    return turn.t(
        "Seats taken: {taken} of {capacity}; waitlist: {waiting}",
        taken=event.taken,
        capacity=capacity,
        waiting=event.waiting,
    )


async def current_event(turn: Turn) -> Event | None:
    """The event this flow is about."""
    event_id = turn.data.get("event")
    return await events.get(turn.db, event_id) if isinstance(event_id, int) else None
