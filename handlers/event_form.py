"""The admins' event form: create an event as a draft, or edit one part of it, then save."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.flow import Answer, Next
from bot.i18n import LANGUAGE_NAMES, LOCALES
from bot.messages import Button
from bot.turn import Turn
from handlers import event_notices, event_views, when
from handlers.event_manage import current_event, flow, seats_line
from handlers.places import COUNTRIES, country_name, find_country, find_zone, zone_label, zones_for
from storage import events
from storage.clock import from_db, to_db
from storage.events import Event, Text

MAX_TITLE = 120
MAX_DESCRIPTION = 1000
MAX_PLACE = 120
MAX_LINK = 300
MAX_SEATS = 100_000
ONLINE_ZONES = ("Europe/Tirane", "Europe/Rome", "Europe/Athens", "America/New_York")

# What comes after each part of the form, when creating and when editing one part.
SEQUENCES = {
    "create": {
        "texts": "mode",
        "place": "zone",
        "zone": "start",
        "start": "end",
        "end": "capacity",
        "capacity": "deadline",
        "deadline": "review",
    },
    "texts": {"texts": "save"},
    "place": {"place": "save"},
    "times": {"zone": "start", "start": "end", "end": "deadline", "deadline": "save"},
}


def _after(turn: Turn, part: str) -> str:
    """The step after a part of the form, for what the admin is doing."""
    return SEQUENCES[turn.data.get("doing", "create")][part]


def _draft(turn: Turn) -> dict[str, Any]:
    """The event being created or edited, as JSON-safe values."""
    draft: dict[str, Any] = turn.data.setdefault("draft", {"texts": {}})
    return draft


# -- the form: texts -----------------------------------------------------------------------------


@flow.ask("language")
async def ask_language(turn: Turn) -> None:
    """Which language to write the title and description in (several may be given)."""
    texts: dict[str, Any] = _draft(turn)["texts"]
    buttons = [
        Button(f"✓ {LANGUAGE_NAMES[locale]}" if locale in texts else LANGUAGE_NAMES[locale], locale)
        for locale in LOCALES
    ]
    if texts:
        buttons.append(Button(turn.t("Continue"), "continue"))
        question = turn.t(
            "Add or change the title in another language, or continue."
            " Members see their own language, or else English, Albanian, Italian, Greek."
        )
    else:
        question = turn.t("In which language will you write the title and description?")
    turn.reply(question, buttons=buttons)


@flow.answer("language")
async def take_language(turn: Turn, answer: Answer) -> Next:
    """A language to write in, or on to the next part."""
    if answer.choice == "continue" and _draft(turn)["texts"]:
        return _after(turn, "texts")
    if answer.choice in LOCALES:
        turn.data["lang"] = answer.choice
        return "title"
    return flow.again


@flow.ask("title")
async def ask_title(turn: Turn) -> None:
    """The title in the chosen language."""
    turn.reply(
        turn.t(
            "The title in {language} (up to {n} characters):",
            language=turn.i18n.language(turn.data["lang"]),
            n=MAX_TITLE,
        )
    )


@flow.answer("title", text=True, longest=MAX_TITLE)
async def take_title(turn: Turn, answer: Answer) -> Next:
    """Keep a title of sensible length."""
    title = " ".join(answer.text.split())
    if not title or len(title) > MAX_TITLE:
        turn.reply(turn.t("Please keep the title under {n} characters.", n=MAX_TITLE))
        return flow.again
    texts = _draft(turn)["texts"]
    old = texts.get(turn.data["lang"], ["", ""])
    texts[turn.data["lang"]] = [title, old[1]]
    return "description"


@flow.ask("description")
async def ask_description(turn: Turn) -> None:
    """The description in the chosen language, which may be skipped."""
    turn.reply(
        turn.t(
            "The description in {language} (up to {n} characters): what, for whom, the"
            " programme. Or skip it.",
            language=turn.i18n.language(turn.data["lang"]),
            n=MAX_DESCRIPTION,
        ),
        buttons=[Button(turn.t("Skip"), "skip")],
    )


@flow.answer("description", text=True, longest=MAX_DESCRIPTION)
async def take_description(turn: Turn, answer: Answer) -> Next:
    """Keep the description, then back to the languages."""
    if answer.choice != "skip":
        text = answer.text.strip()
        if len(text) > MAX_DESCRIPTION:
            turn.reply(
                turn.t("Please keep the description under {n} characters.", n=MAX_DESCRIPTION)
            )
            return flow.again
        _draft(turn)["texts"][turn.data["lang"]][1] = text
    return "language"


# -- the form: place -----------------------------------------------------------------------------


@flow.ask("mode")
async def ask_mode(turn: Turn) -> None:
    """In person or online."""
    turn.reply(
        turn.t("Where does the event take place?"),
        buttons=[Button(turn.t("In person"), "person"), Button(turn.t("Online"), "online")],
    )


@flow.answer("mode")
async def take_mode(turn: Turn, answer: Answer) -> Next:
    """Ask the link, or the country."""
    if answer.choice == "online":
        return "link"
    if answer.choice == "person":
        return "country"
    return flow.again


@flow.ask("link")
async def ask_link(turn: Turn) -> None:
    """The link to join online."""
    turn.reply(turn.t("Send the link to join the event (it starts with https://)."))


@flow.answer("link", text=True)
async def take_link(turn: Turn, answer: Answer) -> Next:
    """Keep an https link."""
    link = answer.text.strip()
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.netloc or len(link) > MAX_LINK or " " in link:
        turn.reply(turn.t("That is not a link I can use: it must start with https://."))
        return flow.again
    _draft(turn).update(online_url=link, venue=None, city=None, country=None)
    return _after(turn, "place")


@flow.ask("country")
async def ask_country(turn: Turn) -> None:
    """The country, from the usual ones or typed by name."""
    turn.reply(
        turn.t("In which country? Choose one or type its name."),
        buttons=[Button(country_name(code, turn.locale), code) for code in COUNTRIES],
    )


@flow.answer("country", text=True)
async def take_country(turn: Turn, answer: Answer) -> Next:
    """Keep the country."""
    code = answer.choice if answer.choice in COUNTRIES else find_country(answer.text)
    if code is None:
        turn.reply(
            turn.t(
                "I could not find a country called “{name}”. Please check the spelling.",
                name=answer.text[:60],
            )
        )
        return flow.again
    _draft(turn).update(country=code, online_url=None)
    return "city"


@flow.ask("city")
async def ask_city(turn: Turn) -> None:
    """The city."""
    turn.reply(turn.t("In which city?"))


@flow.answer("city", text=True)
async def take_city(turn: Turn, answer: Answer) -> Next:
    """Keep the city."""
    city = " ".join(answer.text.split())
    if len(city) > MAX_PLACE or not any(ch.isalpha() for ch in city):
        turn.reply(
            turn.t("Please type just the name of the city (up to {n} characters).", n=MAX_PLACE)
        )
        return flow.again
    _draft(turn)["city"] = city
    return "venue"


@flow.ask("venue")
async def ask_venue(turn: Turn) -> None:
    """The venue, as the organisers name it, which may come later."""
    turn.reply(
        turn.t("The venue: its name and address, as members should find it. Or skip it for now."),
        buttons=[Button(turn.t("Skip"), "skip")],
    )


@flow.answer("venue", text=True)
async def take_venue(turn: Turn, answer: Answer) -> Next:
    """Keep the venue."""
    venue = None if answer.choice == "skip" else " ".join(answer.text.split())
    if venue is not None and (not venue or len(venue) > MAX_PLACE):
        turn.reply(turn.t("Please keep the venue under {n} characters.", n=MAX_PLACE))
        return flow.again
    _draft(turn)["venue"] = venue
    return _after(turn, "place")


# -- the form: time zone and times ---------------------------------------------------------------


@flow.ask("zone")
async def ask_zone(turn: Turn) -> Next | None:
    """The event's time zone: the country's only one, else a choice or a typed IANA name."""
    draft = _draft(turn)
    zones = zones_for(draft["country"]) if draft.get("country") else list(ONLINE_ZONES)
    if len(zones) == 1 and turn.data.get("doing") == "create":
        draft["zone"] = zones[0]
        return _after(turn, "zone")
    turn.reply(
        turn.t("In which time zone are its times? Choose one or type a name like Europe/Rome."),
        buttons=[Button(zone_label(zone, turn.locale), zone) for zone in zones],
    )
    return None


@flow.answer("zone", text=True)
async def take_zone(turn: Turn, answer: Answer) -> Next:
    """Keep a known zone."""
    zone = find_zone(answer.choice or answer.text)
    if zone is None:
        turn.reply(
            turn.t(
                "I do not know that time zone. Choose one of the options"
                " or type a name like Europe/Rome."
            )
        )
        return flow.again
    _draft(turn)["zone"] = zone
    return _after(turn, "zone")


def _example(turn: Turn) -> str:
    """An example of a date and time, next month at 18:30."""
    sample = (turn.now + timedelta(days=30)).strftime("%d.%m.%Y")
    return f"{sample} 18:30"


def _problem(turn: Turn, reading: when.Reading, zone: str) -> str:
    """Why a typed date was refused, in the admin's language."""
    if reading.problem == "gap":
        return turn.t(
            "That time does not exist in {zone}: the clocks go forward then. Please choose"
            " another time.",
            zone=zone_label(zone, turn.locale),
        )
    if reading.problem == "no_time":
        return turn.t("Please add the time too, for example {example}.", example=_example(turn))
    if reading.problem == "bad_date":
        return turn.t("That date or time does not exist. Please check it.")
    return turn.t(
        "I could not read that as a date and time. Please type it like {example}.",
        example=_example(turn),
    )


@flow.ask("start")
async def ask_start(turn: Turn) -> None:
    """When it starts, typed naturally in the event's zone."""
    zone = _draft(turn)["zone"]
    turn.reply(
        turn.t(
            "When does it start? Type the date and time in {zone}, for example {example}.",
            zone=zone_label(zone, turn.locale),
            example=_example(turn),
        )
    )


@flow.answer("start", text=True)
async def take_start(turn: Turn, answer: Answer) -> Next:
    """Keep a future start, confirmed back formatted."""
    zone = _draft(turn)["zone"]
    reading = when.read(answer.text, zone, turn.now)
    if reading.moment is None:
        turn.reply(_problem(turn, reading, zone))
        return flow.again
    if reading.moment <= turn.now:
        turn.reply(turn.t("That is in the past. Please type a date and time still to come."))
        return flow.again
    _draft(turn)["start"] = to_db(reading.moment)
    turn.reply(turn.t("Start: {when}", when=event_views.moment(turn.i18n, reading.moment, zone)))
    return _after(turn, "start")


@flow.ask("end")
async def ask_end(turn: Turn) -> None:
    """When it ends: a time on the same day, or a date and time."""
    turn.reply(turn.t("When does it end? Type the time (for example 20:30), or a date and time."))


@flow.answer("end", text=True)
async def take_end(turn: Turn, answer: Answer) -> Next:
    """Keep an end after the start."""
    draft = _draft(turn)
    zone = draft["zone"]
    start = from_db(draft["start"])
    reading = when.read(answer.text, zone, turn.now, day=event_views.local_date(start, zone))
    if reading.moment is None:
        turn.reply(_problem(turn, reading, zone))
        return flow.again
    if reading.moment <= start:
        turn.reply(
            turn.t(
                "The end must be after the start ({start}).",
                start=event_views.moment(turn.i18n, start, zone),
            )
        )
        return flow.again
    draft["end"] = to_db(reading.moment)
    turn.reply(turn.t("End: {when}", when=event_views.moment(turn.i18n, reading.moment, zone)))
    deadline = draft.get("deadline")
    if deadline is not None and from_db(deadline) > start:
        draft["deadline"] = None  # a deadline after a moved start no longer makes sense
    return _after(turn, "end")


@flow.ask("deadline")
async def ask_deadline(turn: Turn) -> None:
    """Until when members can sign up."""
    turn.reply(
        turn.t("Until when can members sign up? Type a date and time, or choose the start."),
        buttons=[Button(turn.t("Until the start"), "start")],
    )


@flow.answer("deadline", text=True)
async def take_deadline(turn: Turn, answer: Answer) -> Next:
    """Keep a deadline between now and the start."""
    draft = _draft(turn)
    if answer.choice == "start":
        draft["deadline"] = None
        return _after(turn, "deadline")
    zone = draft["zone"]
    start = from_db(draft["start"])
    reading = when.read(answer.text, zone, turn.now)
    if reading.moment is None:
        turn.reply(_problem(turn, reading, zone))
        return flow.again
    if reading.moment <= turn.now:
        turn.reply(turn.t("That is in the past. Please type a date and time still to come."))
        return flow.again
    if reading.moment > start:
        turn.reply(
            turn.t(
                "Sign-up must close before the start ({start}).",
                start=event_views.moment(turn.i18n, start, zone),
            )
        )
        return flow.again
    draft["deadline"] = to_db(reading.moment)
    turn.reply(
        turn.t("Sign-up closes: {date}", date=event_views.moment(turn.i18n, reading.moment, zone))
    )
    return _after(turn, "deadline")


# -- capacity ------------------------------------------------------------------------------------


@flow.ask("capacity")
async def ask_capacity(turn: Turn) -> None:
    """The number of seats (0: no limit); when changing, with the seats taken."""
    prompt = turn.t("How many seats? Type a number, or 0 for no limit.")
    event = await current_event(turn) if turn.data.get("doing") == "capacity" else None
    if event is not None:
        prompt = f"{seats_line(turn, event)}\n{prompt}"
    turn.reply(prompt)


@flow.answer("capacity", text=True)
async def take_capacity(turn: Turn, answer: Answer) -> Next:
    """Keep the seats; a change below the seats taken is refused, a rise promotes."""
    text = answer.text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or int(text) > MAX_SEATS:
        turn.reply(turn.t("Please type a whole number of seats (0 for no limit)."))
        return flow.again
    seats = int(text) or None
    if turn.data.get("doing") != "capacity":
        _draft(turn)["capacity"] = seats
        return _after(turn, "capacity")
    event = await current_event(turn)
    if event is None:
        return "events"
    taken = await events.taken(turn.db, event.id)
    if seats is not None and seats < taken:
        turn.reply(
            turn.t(
                "You cannot set {seats} seats: {taken} are already taken. Members can cancel"
                " their own registrations; the capacity cannot go below what is taken.",
                seats=seats,
                taken=taken,
            )
        )
        return flow.again
    await events.update(turn.db, event.id, turn.now, capacity=seats)
    promoted = await event_notices.promote(turn, event.id)
    shown = turn.t("no limit") if seats is None else turn.i18n.number(seats)
    turn.reply(turn.t("Capacity: {capacity}.", capacity=shown))
    if promoted:
        turn.reply(
            turn.ngettext(
                "{n} member moved up from the waitlist and was told.",
                "{n} members moved up from the waitlist and were told.",
                len(promoted),
            )
        )
    turn.data.pop("doing", None)
    return "event"


# -- review and save -----------------------------------------------------------------------------


def _texts(draft: Mapping[str, Any]) -> dict[str, Text]:
    """The draft's texts."""
    return {locale: Text(t[0], t[1]) for locale, t in draft["texts"].items()}


@flow.ask("review")
async def ask_review(turn: Turn) -> None:
    """The whole event before it is saved as a draft."""
    draft = _draft(turn)
    preview = _preview(turn, draft)
    turn.reply(
        "\n".join(
            [
                event_views.when(turn.i18n, preview),
                event_views.place(turn.i18n, preview),
                event_views.seats(turn.i18n, preview),
                turn.t(
                    "Sign-up closes: {date}",
                    date=event_views.moment(turn.i18n, preview.closes_at, preview.time_zone),
                ),
            ]
        ),
        title=event_views.title(turn.i18n, preview),
        buttons=[
            Button(turn.t("Save as a draft"), "save"),
            Button(turn.t("Discard"), "discard"),
        ],
    )


def _preview(turn: Turn, draft: Mapping[str, Any]) -> Event:
    """An unsaved event to show."""
    return Event(
        0,
        "draft",
        False,
        from_db(draft["start"]),
        from_db(draft["end"]),
        draft["zone"],
        draft.get("venue"),
        draft.get("city"),
        draft.get("country"),
        draft.get("online_url"),
        draft.get("capacity"),
        from_db(draft["deadline"]) if draft.get("deadline") else None,
        turn.now,
        _texts(draft),
    )


@flow.answer("review")
async def take_review(turn: Turn, answer: Answer) -> Next:
    """Save as a draft (once: the button is gone after), or discard."""
    if answer.choice == "discard":
        turn.reply(turn.t("Discarded: nothing was saved."))
        return "events"
    if answer.choice != "save":
        return flow.again
    draft = _draft(turn)
    if from_db(draft["start"]) <= turn.now:
        turn.reply(turn.t("That is in the past. Please type a date and time still to come."))
        turn.data["doing"] = "times"
        return "start"
    turn.data["event"] = await events.create(
        turn.db,
        texts=_texts(draft),
        by=turn.key,
        now=turn.now,
        **_columns(draft),
    )
    turn.reply(turn.t("Saved as a draft. Publish it when it is ready."))
    return "event"


def _columns(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The draft as the events table's columns."""
    return {
        "starts_at": from_db(draft["start"]),
        "ends_at": from_db(draft["end"]),
        "time_zone": draft["zone"],
        "venue": draft.get("venue"),
        "city": draft.get("city"),
        "country": draft.get("country"),
        "online_url": draft.get("online_url"),
        "capacity": draft.get("capacity"),
        "deadline_at": from_db(draft["deadline"]) if draft.get("deadline") else None,
    }


# -- editing -------------------------------------------------------------------------------------


@flow.ask("edit")
async def ask_edit(turn: Turn) -> Next | None:
    """Which part to change."""
    event = await current_event(turn)
    if event is None:
        return "events"
    turn.data["draft"] = {
        "texts": {k: [v.title, v.description] for k, v in event.texts.items()},
        "start": to_db(event.starts_at),
        "end": to_db(event.ends_at),
        "zone": event.time_zone,
        "venue": event.venue,
        "city": event.city,
        "country": event.country,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "deadline": to_db(event.deadline_at) if event.deadline_at else None,
    }
    turn.reply(
        turn.t("What would you like to change?"),
        buttons=[
            Button(turn.t("Title and description"), "texts"),
            Button(turn.t("Place"), "place"),
            Button(turn.t("Date and time"), "times"),
            Button(turn.t("Back to the event"), "back"),
        ],
    )
    return None


@flow.answer("edit")
async def take_edit(turn: Turn, answer: Answer) -> Next:
    """Walk through that part of the form, then save."""
    first = {"texts": "language", "place": "mode", "times": "zone"}
    if answer.choice in first:
        turn.data["doing"] = answer.choice
        return first[answer.choice]
    return "event"


@flow.ask("save")
async def save(turn: Turn) -> Next:
    """Write the edited part; a new start reschedules the members' reminders."""
    event = await current_event(turn)
    draft = turn.data.get("draft")
    if event is None or not isinstance(draft, dict):
        return "events"
    await events.set_texts(turn.db, event.id, _texts(draft))
    columns = _columns(draft)
    columns.pop("capacity")  # changed on its own, with its rules
    await events.update(turn.db, event.id, turn.now, **columns)
    told = 0
    if columns["starts_at"] != event.starts_at:
        moved = await events.get(turn.db, event.id)
        assert moved is not None
        for reg in await events.registrations(turn.db, event.id):
            if reg.status == "confirmed":
                await event_notices.schedule_reminders(turn, reg, moved)
        if moved.status == "published" and moved.starts_at > turn.now:
            told = await event_notices.tell_moved(turn, moved)
    turn.data.pop("doing", None)
    turn.reply(turn.t("Saved."))
    if told:
        turn.reply(
            turn.ngettext(
                "{n} person registered or waiting will be told the new date.",
                "{n} people registered or waiting will be told the new date.",
                told,
            )
        )
    return "event"
