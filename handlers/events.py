"""Events for members: find them, sign up (with guests), the waitlist, my registrations."""

from __future__ import annotations

from bot.flow import Answer, Flow, Next
from bot.i18n import N_
from bot.messages import AttachmentSpec, Button
from bot.registry import Command, DeepLink, Feature, MenuEntry
from bot.turn import Turn
from handlers import consent, event_demo, event_files, event_notices, event_views
from storage import events
from storage.events import Event, Registration

flow = Flow("events", entry="list")

PAGE = 5  # events shown at a time


def _number(arg: str) -> int | None:
    """A route argument that should be an id."""
    arg = arg.strip()
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 12 else None


@flow.route("registrations")
async def open_registrations(turn: Turn, arg: str) -> Next:
    """`/registrations`: the member's registrations."""
    return "mine"


@flow.route("event")
async def open_event(turn: Turn, arg: str) -> Next:
    """`event:42` (a button, a poster's link, "EVENT 42"): the event's card."""
    turn.data["event"] = _number(arg)
    return "card"


@flow.route("registration")
async def open_registration(turn: Turn, arg: str) -> Next:
    """`registration:7`: one of the member's own registrations."""
    turn.data["registration"] = _number(arg)
    return "registration"


# -- finding events ------------------------------------------------------------------------------


@flow.ask("list")
async def ask_list(turn: Turn) -> None:
    """Upcoming events, the member's country and online ones first, five at a time."""
    page = int(turn.data.get("page", 0))
    found, total = await events.upcoming(turn.db, turn.now, turn.user.country, page * PAGE, PAGE)
    if not found and page:
        turn.data["page"] = page = 0
        found, total = await events.upcoming(turn.db, turn.now, turn.user.country, 0, PAGE)
    buttons = [
        Button(event_views.short(event_views.title(turn.i18n, e)), f"event:{e.id}", route=True)
        for e in found
    ]
    if not found:
        text = turn.t("There are no upcoming events at the moment. Please look again soon.")
    else:
        blocks = [
            f"{event_views.title(turn.i18n, e)}\n"
            f"{event_views.summary(turn.i18n, e, turn.user.time_zone)}"
            for e in found
        ]
        first = page * PAGE + 1
        heading = turn.t(
            "Events {first}–{last} of {total}. Choose one to see it and sign up.",
            first=first,
            last=first + len(found) - 1,
            total=total,
        )
        text = "\n\n".join([heading, *blocks])
        if (page + 1) * PAGE < total:
            buttons.append(Button(turn.t("More events"), "more"))
    buttons += [
        Button(turn.t("My registrations"), "registrations", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(text, title=turn.t("Upcoming events"), buttons=buttons)


@flow.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """The next five."""
    if answer.choice == "more":
        turn.data["page"] = int(turn.data.get("page", 0)) + 1
    return flow.again


# -- one event -----------------------------------------------------------------------------------


async def _visible(turn: Turn) -> Event | None:
    """The event in the flow's data, if a member may see it (drafts are for admins)."""
    event_id = turn.data.get("event")
    event = await events.get(turn.db, event_id) if isinstance(event_id, int) else None
    if event is None or event.status == "draft":
        return None
    return event


def closed_reason(turn: Turn, event: Event) -> str | None:
    """Why members cannot sign up for an event now, in their language (None: they can)."""
    if event.status == "cancelled":
        return turn.t("This event has been cancelled.")
    if turn.now >= event.starts_at:
        return turn.t("This event has already started, so sign-up is closed.")
    if turn.now >= event.closes_at:
        return turn.t(
            "Sign-up for this event closed on {date}.",
            date=event_views.moment(turn.i18n, event.closes_at, event.time_zone),
        )
    return None


@flow.ask("card")
async def ask_card(turn: Turn) -> Next | None:
    """The event: when, where, seats, description, and what the member can do."""
    event = await _visible(turn)
    if event is None:
        turn.reply(turn.t("I could not find that event. Here are the upcoming ones."))
        return "list"
    i18n = turn.i18n
    lines = [event_views.summary(i18n, event, turn.user.time_zone)]
    if event.status == "published" and event.deadline_at and turn.now < event.deadline_at:
        lines.append(
            turn.t(
                "Sign up by: {date}",
                date=event_views.moment(i18n, event.deadline_at, event.time_zone),
            )
        )
    description = event.text(turn.locale).description
    if description:
        lines += ["", description]
    if event.sample:
        lines += ["", turn.t("This is a sample event for the demo; it is not real.")]
    mine = await events.live(turn.db, event.id, turn.key)
    reason = closed_reason(turn, event)
    buttons = []
    if event.status == "cancelled" and reason is not None:
        lines += ["", reason]
    elif mine is not None:
        lines += ["", _status(turn, mine, await _place(turn, mine))]
        buttons.append(Button(turn.t("My registration"), f"registration:{mine.id}", route=True))
    elif reason is not None:
        lines += ["", reason]
    elif event.left == 0:
        buttons.append(Button(turn.t("Join the waitlist"), "signup"))
    else:
        buttons.append(Button(turn.t("Sign up"), "signup"))
    buttons += [
        Button(turn.t("All events"), "events", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply("\n".join(lines), title=event_views.title(i18n, event), buttons=buttons)
    return None


@flow.answer("card")
async def take_card(turn: Turn, answer: Answer) -> Next:
    """Sign up."""
    return "signup" if answer.choice == "signup" else flow.again


# -- signing up ----------------------------------------------------------------------------------


@flow.ask("signup")
async def ask_signup(turn: Turn) -> Next:
    """Consent first; then the number of guests, or straight to the registration."""
    if not consent.given(turn):
        return consent.require(then="signup", refused="card")  # Not now: back to the event
    if turn.settings.event_max_guests > 0:
        event = await _visible(turn)
        open_now = event is not None and closed_reason(turn, event) is None
        if open_now and event is not None and not await events.live(turn.db, event.id, turn.key):
            return "guests"
    return await _register(turn, guests=0)


@flow.ask("guests")
async def ask_guests(turn: Turn) -> None:
    """How many guests (a typed number: 0 and 2 are answers here, not options)."""
    limit = turn.settings.event_max_guests
    text = turn.t(
        "How many guests will you bring? Type a number from 0 to {n} (0: just you).", n=limit
    )
    event = await _visible(turn)
    left = event.left if event is not None else None
    if left is not None and 0 < left < 1 + limit:  # the largest party would not fit: say so now
        text += "\n\n" + turn.ngettext(
            "Only {n} seat is left: a larger party goes on the waitlist.",
            "Only {n} seats are left: a larger party goes on the waitlist.",
            left,
        )
    turn.reply(text)


@flow.answer("guests", text=True)
@consent.needed
async def take_guests(turn: Turn, answer: Answer) -> Next:
    """Register with the guests, or ask again for a number in range."""
    text = answer.text.strip()
    limit = turn.settings.event_max_guests
    if not (text.isascii() and text.isdigit() and len(text) <= 3) or int(text) > limit:
        turn.reply(turn.t("Please type a whole number from 0 to {n}.", n=limit))
        return flow.again
    return await _register(turn, guests=int(text))


async def _register(turn: Turn, guests: int) -> Next:
    """Sign up in this transaction: a seat, or a place on the waitlist; told either way."""
    event = await _visible(turn)
    if event is None:
        turn.reply(turn.t("I could not find that event. Here are the upcoming ones."))
        return "list"
    reason = closed_reason(turn, event)
    if reason is not None:
        turn.reply(reason)
        return "card"
    left = event.left  # read in this transaction, before this registration
    reg = await events.register(turn.db, event.id, turn.key, 1 + guests, turn.now)
    if reg is None:  # a second click, or a second device: the first registration stands
        existing = await events.live(turn.db, event.id, turn.key)
        turn.reply(turn.t("You are already signed up for this event."))
        turn.data["registration"] = existing.id if existing else None
        return "registration"
    turn.data["registration"] = reg.id
    title = event_views.title(turn.i18n, event)
    if reg.status == "confirmed":
        await event_notices.schedule_reminders(turn, reg, event)
        turn.reply(
            turn.t(
                "You are signed up for {title}. Show your check-in code at the door: {code}",
                title=title,
                code=event_views.code(reg),
            )
        )
        _calendar(turn, reg, event)
    elif left:  # seats remain, just not enough for the whole party (it is booked all or nothing)
        turn.reply(
            turn.ngettext(
                "There are not enough seats left for your party of {seats} (only {n} seat left),"
                " so you are on the waitlist, number {place}. We will tell you as soon as enough"
                " seats free up.",
                "There are not enough seats left for your party of {seats} (only {n} seats left),"
                " so you are on the waitlist, number {place}. We will tell you as soon as enough"
                " seats free up.",
                left,
                seats=reg.seats,
                place=await events.position(turn.db, reg),
            )
        )
    else:
        turn.reply(
            turn.t(
                "{title} is full, so you are on the waitlist, number {n}. We will tell you as"
                " soon as a seat frees up.",
                title=title,
                n=await events.position(turn.db, reg),
            )
        )
    return "registration"


def _calendar(turn: Turn, reg: Registration, event: Event) -> None:
    """The .ics invitation: attached on Telegram and the console, a link on WhatsApp."""
    if turn.channel == "whatsapp" and turn.settings.public_url:
        link = f"{turn.settings.public_url}{event_files.CALENDAR_PATH}{reg.token}.ics"
        turn.reply(turn.t("Add it to your calendar: {link}", link=link))
    else:
        turn.reply(
            attachment=AttachmentSpec(INVITATION, event_files.invitation_args(turn.i18n, event))
        )


# -- my registrations ----------------------------------------------------------------------------


async def _place(turn: Turn, reg: Registration) -> int:
    """A waitlisted registration's place in line (0 when it is not waiting)."""
    return await events.position(turn.db, reg) if reg.status == "waitlisted" else 0


def _status(turn: Turn, reg: Registration, place: int) -> str:
    """Where a registration stands."""
    if reg.status == "confirmed":
        return turn.t("You are signed up. Your check-in code: {code}", code=event_views.code(reg))
    if reg.status == "waitlisted":
        return turn.t("You are on the waitlist, number {n}.", n=place)
    return turn.t("This registration was cancelled.")


@flow.ask("mine")
async def ask_mine(turn: Turn) -> None:
    """The member's registrations for events that have not ended."""
    found = await events.of_user(turn.db, turn.key, turn.now)
    buttons = [
        Button(
            event_views.short(event_views.title(turn.i18n, event)),
            f"registration:{reg.id}",
            route=True,
        )
        for reg, event in found
    ]
    if found:
        blocks = []
        for reg, event in found:
            status = _status(turn, reg, await _place(turn, reg))
            if event.status == "cancelled":
                status = turn.t("This event has been cancelled.")
            blocks.append(
                f"{event_views.title(turn.i18n, event)}\n"
                f"{event_views.when(turn.i18n, event, turn.user.time_zone)}\n{status}"
            )
        text = "\n\n".join(blocks)
    else:
        text = turn.t("You have not signed up for any upcoming event.")
    buttons += [
        Button(turn.t("All events"), "events", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(text, title=turn.t("My registrations"), buttons=buttons)


@flow.answer("mine")
async def take_mine(turn: Turn, answer: Answer) -> Next:
    """Only route buttons here."""
    return flow.again


async def _own(turn: Turn) -> tuple[Registration, Event] | None:
    """The registration in the flow's data, if it is this member's."""
    reg_id = turn.data.get("registration")
    reg = await events.registration(turn.db, reg_id) if isinstance(reg_id, int) else None
    if reg is None or reg.user_key != turn.key:
        return None
    event = await events.get(turn.db, reg.event_id)
    return None if event is None else (reg, event)


@flow.ask("registration")
async def ask_registration(turn: Turn) -> Next | None:
    """One registration: the event, the seats, the code or the place in line, and actions."""
    found = await _own(turn)
    if found is None:
        turn.reply(turn.t("I could not find that registration."))
        return "mine"
    reg, event = found
    i18n = turn.i18n
    status = _status(turn, reg, await _place(turn, reg))
    if event.status == "cancelled":
        status = turn.t("This event has been cancelled.")
    lines = [
        event_views.when(i18n, event, turn.user.time_zone),
        event_views.place(i18n, event),
        event_views.party(i18n, reg),
        status,
    ]
    buttons = []
    live = reg.status != "cancelled" and event.status != "cancelled"
    if live and reg.status == "confirmed":
        buttons.append(Button(turn.t("Add to calendar"), "calendar"))
        if turn.channel != "whatsapp":
            buttons.append(Button(turn.t("Check-in code as a QR image"), "qr"))
    if live and turn.now < event.starts_at:
        buttons.append(Button(turn.t("Cancel my registration"), "cancel"))
    buttons += [
        Button(turn.t("Event details"), f"event:{event.id}", route=True),
        Button(turn.t("My registrations"), "registrations", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply("\n".join(lines), title=event_views.title(i18n, event), buttons=buttons)
    return None


@flow.answer("registration")
async def take_registration(turn: Turn, answer: Answer) -> Next:
    """The calendar file, the QR image of the code, or cancelling."""
    found = await _own(turn)
    if found is None:
        return flow.again
    reg, event = found
    if answer.choice == "calendar" and reg.status == "confirmed":
        _calendar(turn, reg, event)
    elif answer.choice == "qr" and reg.status == "confirmed":
        turn.reply(
            turn.t("Show this at the door: {code}", code=event_views.code(reg)),
            attachment=AttachmentSpec(
                QR, {"text": event_views.code(reg), "name": f"check-in-{event.id}"}
            ),
        )
    elif answer.choice == "cancel":
        return "cancel"
    return flow.again


@flow.ask("cancel")
async def ask_cancel(turn: Turn) -> Next | None:
    """Ask before cancelling: the seats go to the next in line."""
    found = await _own(turn)
    if found is None or found[0].status == "cancelled":
        return "registration"
    reg, event = found
    title = event_views.title(turn.i18n, event)
    if reg.status != "confirmed":  # waiting: no seat to hand on
        question = turn.t("Leave the waitlist for {title}?", title=title)
    else:
        question = turn.ngettext(
            "Cancel your registration for {title}? Your seat will go to the next person on the"
            " waitlist.",
            "Cancel your registration for {title}? Your {n} seats will go to the next people on"
            " the waitlist.",
            reg.seats,
            title=title,
        )
    turn.reply(
        question,
        buttons=[
            Button(turn.t("Yes, cancel my registration"), "yes"),
            Button(turn.t("No, keep it"), "no"),
        ],
    )
    return None


@flow.answer("cancel")
async def take_cancel(turn: Turn, answer: Answer) -> Next:
    """Cancel, free the seats and promote from the waitlist, in this one transaction."""
    found = await _own(turn)
    if answer.choice != "yes" or found is None:
        return "registration"
    reg, event = found
    if await events.cancel(turn.db, reg.id, turn.now):
        if reg.status == "confirmed":
            await event_notices.promote(turn, event.id)
        turn.reply(
            turn.t(
                "Your registration for {title} is cancelled.",
                title=event_views.title(turn.i18n, event),
            )
        )
    return "mine"


# -- files ---------------------------------------------------------------------------------------

INVITATION = event_files.INVITATION_RENDERER
QR = event_files.QR_RENDERER


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Events"), "events", order=10)],
    commands=[
        Command("events", N_("Upcoming events"), "events"),
        Command("registrations", N_("Your event registrations"), "registrations"),
    ],
    deeplinks=[DeepLink("event-", "event", word=N_("EVENT"))],
    attachments={INVITATION: event_files.render_invitation, QR: event_files.render_qr},
    renderers=event_notices.RENDERERS,
    demo=event_demo.seed,
)
