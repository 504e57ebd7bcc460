"""Announcements: admins compose, target, preview, send or schedule, follow and cancel them."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from bot.broadcasts import BASE, CANCELLED, audience_query, forecast, progress, with_base
from bot.flow import END, Answer, Flow, Next
from bot.i18n import LOCALES, N_
from bot.messages import Button
from bot.outbox import Report
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import insight_exports, when
from handlers.announcements import (
    announcement,
    counts_text,
    duration,
    number,
    reasons_lines,
    short_name,
    status_text,
    versions_text,
    zone_name,
    zone_of,
)
from handlers.previews import describe_audience, recipients_lines, timing_line, window_lines
from storage import audiences, broadcasts
from storage import outbox as rows
from storage.broadcasts import ACTIVE, ONE_TEXT, Broadcast, Chosen
from storage.clock import from_db, to_db

flow = Flow("broadcast", entry="title", roles=ADMIN)

MAX_TITLE = 120
MAX_TEXT = 3500  # with the title and the line on how to stop, still one Telegram message
LIST_LIMIT = 10
MAX_AHEAD = timedelta(days=366)


# -- compose -----------------------------------------------------------------------------------


@flow.route("broadcast")
async def open_broadcast(turn: Turn, arg: str) -> Next:
    """`broadcast` composes a new one; `broadcast:7` (or /broadcast 7) opens number 7."""
    wanted = arg.strip().lstrip("#")
    if not wanted:
        return "title"
    if wanted.isdigit() and len(wanted) < 10:
        turn.data["id"] = int(wanted)
        return "detail"
    turn.reply(turn.t("There is no announcement {number}.", number=wanted[:20]))
    return "list"


@flow.route("broadcasts")
async def open_list(turn: Turn, arg: str) -> Next:
    """The announcements sent and scheduled."""
    return "list"


@flow.route("broadcast-cancel")
async def open_cancel(turn: Turn, arg: str) -> Next:
    """Cancel one (the progress message's button)."""
    if not arg.isdigit() or len(arg) >= 10:
        return "list"
    turn.data["id"] = int(arg)
    return "cancel"


@flow.ask("title")
async def ask_title(turn: Turn) -> None:
    """Start with an optional title."""
    turn.reply(
        turn.t(
            "A new announcement. First its title (up to {n} characters), or choose No title.",
            n=MAX_TITLE,
        ),
        title=turn.t("New announcement"),
        buttons=[Button(turn.t("No title"), "none")],
    )


@flow.answer("title", text=True, longest=MAX_TITLE)
async def take_title(turn: Turn, answer: Answer) -> Next:
    """Keep the title on one line, within reason."""
    if answer.choice == "none":
        turn.data["title"] = None
        return "mode"
    title = " ".join(answer.text.split())
    if len(title) > MAX_TITLE:
        turn.reply(
            turn.t(
                "That title has {length} characters; please keep it to {n}.",
                length=len(title),
                n=MAX_TITLE,
            )
        )
        return flow.again
    turn.data["title"] = title
    return "mode"


@flow.ask("mode")
async def ask_mode(turn: Turn) -> None:
    """One text for everyone, or a version per language."""
    turn.reply(
        turn.t("Will you write one text for everyone, or a version for each language?"),
        buttons=[
            Button(turn.t("One text for everyone"), "one"),
            Button(turn.t("A version per language"), "each"),
        ],
    )


@flow.answer("mode")
async def take_mode(turn: Turn, answer: Answer) -> Next:
    """Start writing."""
    if answer.choice == "each":
        turn.data["versions"] = {}
        turn.data["language"] = 0
        return "version"
    if answer.choice == "one":
        return "text"
    return flow.again


def language_order(turn: Turn) -> list[str]:
    """The default language first (its version is the fallback), then the others."""
    default = turn.settings.default_locale
    return [default, *[locale for locale in LOCALES if locale != default]]


def too_long(turn: Turn, text: str) -> bool:
    """Say so when an announcement's text is over the limit."""
    if len(text) <= MAX_TEXT:
        return False
    turn.reply(
        turn.t(
            "That text has {length} characters; please keep it to {n}.",
            length=len(text),
            n=MAX_TEXT,
        )
    )
    return True


@flow.ask("text")
async def ask_text(turn: Turn) -> None:
    """The one text."""
    turn.reply(
        turn.t(
            "Write the announcement (up to {n} characters). Everyone receives this text, with a"
            " line in their own language on how to stop announcements.",
            n=MAX_TEXT,
        )
    )


@flow.answer("text", longest=MAX_TEXT)
async def take_text(turn: Turn, answer: Answer) -> Next:
    """Keep it, then choose who gets it."""
    if too_long(turn, answer.text):
        return flow.again
    turn.data["texts"] = {ONE_TEXT: answer.text}
    turn.data["fallback"] = ONE_TEXT
    return "audience"


@flow.ask("version")
async def ask_version(turn: Turn) -> None:
    """One language's version; only the default language's is required."""
    order = language_order(turn)
    index = int(turn.data.get("language", 0))
    locale, default = order[index], turn.i18n.language(order[0])
    if index == 0:
        turn.reply(
            turn.t(
                "Write the {language} version (up to {n} characters). Readers of a language"
                " without a version of its own get this one.",
                language=turn.i18n.language(locale),
                n=MAX_TEXT,
            )
        )
        return
    turn.reply(
        turn.t(
            "Write the {language} version, or choose Skip: {language} readers then get the"
            " {default} version.",
            language=turn.i18n.language(locale),
            default=default,
        ),
        buttons=[Button(turn.t("Skip"), "skip")],
    )


@flow.answer("version", text=True, longest=MAX_TEXT)
async def take_version(turn: Turn, answer: Answer) -> Next:
    """Keep a version (or skip one), then the next language, then the audience."""
    order = language_order(turn)
    index = int(turn.data.get("language", 0))
    versions: dict[str, str] = turn.data.setdefault("versions", {})
    if not (answer.choice == "skip" and index > 0):
        if too_long(turn, answer.text):
            return flow.again
        versions[order[index]] = answer.text
    if index + 1 < len(order):
        turn.data["language"] = index + 1
        return flow.again
    turn.data["texts"] = {locale: versions[locale] for locale in order if locale in versions}
    turn.data["fallback"] = order[0]
    return "audience"


# -- audience ----------------------------------------------------------------------------------


def chosen_filters(turn: Turn) -> Chosen:
    """The filters chosen so far (the base audience is always added)."""
    return [(str(name), dict(values)) for name, values in turn.data.get("filters", [])]


@flow.ask("audience")
async def ask_audience(turn: Turn) -> None:
    """Who gets it: everyone with announcements on, narrowed by filters that combine with AND."""
    chosen = with_base(chosen_filters(turn))
    total = await audiences.count(turn.db, audience_query(turn.registry, chosen, turn.settings))
    lines = [
        turn.t("Who should receive it?"),
        turn.t("Now: {audience}.", audience=await describe_audience(turn, chosen)),
        turn.ngettext("That is {n} person.", "That is {n} people.", total),
    ]
    if len(turn.registry.audiences) > 1:
        lines.append(turn.t("Filters narrow it down; several filters must all match."))
    buttons = [
        Button(turn.t(audience.label), f"add {audience.name}")
        for audience in turn.registry.audiences.values()
        if audience.name != BASE
    ]
    if len(chosen) > 1:
        buttons.append(Button(turn.t("Remove the filters"), "clear"))
    if total:
        buttons.append(Button(turn.t("Continue to the preview"), "preview"))
    else:
        lines.append(turn.t("Nobody matches: remove or change a filter."))
    turn.reply("\n".join(lines), buttons=buttons)


@flow.answer("audience")
async def take_audience(turn: Turn, answer: Answer) -> Next:
    """Add a filter, clear them, or save the draft and preview it."""
    choice = answer.choice or ""
    if choice == "clear":
        turn.data["filters"] = []
        return flow.again
    if choice.startswith("add "):
        name = choice.removeprefix("add ")
        found = turn.registry.audiences.get(name)
        if found is None:
            return flow.again
        if not found.params:
            add_filter(turn, name, {})
            return flow.again
        turn.data["adding"], turn.data["param"], turn.data["values"] = name, 0, {}
        return "param"
    if choice == "preview":
        turn.data["id"] = await broadcasts.save_draft(
            turn.db,
            turn.data.get("id"),
            sender=turn.key,
            title=turn.data.get("title"),
            texts=dict(turn.data["texts"]),
            fallback=str(turn.data["fallback"]),
            audience=with_base(chosen_filters(turn)),
            now=turn.now,
        )
        return "preview"
    return flow.again


def add_filter(turn: Turn, name: str, values: dict[str, str]) -> None:
    """Add a filter; choosing the same one again replaces it (one country, one language)."""
    kept = [[n, v] for n, v in chosen_filters(turn) if n != name]
    turn.data["filters"] = [*kept, [name, values]]


@flow.ask("param")
async def ask_param(turn: Turn) -> Next | None:
    """One parameter of a filter, from its choices."""
    found = turn.registry.audiences.get(str(turn.data.get("adding")))
    index = int(turn.data.get("param", 0))
    if found is None or index >= len(found.params):
        return "audience"
    param = found.params[index]
    choices = await param.choices(turn.db, turn)
    if not choices:
        turn.reply(turn.t("There is nothing to choose from for this filter yet."))
        return "audience"
    turn.reply(turn.t(param.prompt), buttons=[Button(label, value) for label, value in choices])
    return None


@flow.answer("param")
async def take_param(turn: Turn, answer: Answer) -> Next:
    """Keep the value; after the last parameter the filter is added."""
    found = turn.registry.audiences.get(str(turn.data.get("adding")))
    index = int(turn.data.get("param", 0))
    if found is None or answer.choice is None or index >= len(found.params):
        return "audience"
    values: dict[str, str] = turn.data.setdefault("values", {})
    values[found.params[index].name] = answer.choice
    if index + 1 < len(found.params):
        turn.data["param"] = index + 1
        return flow.again
    add_filter(turn, found.name, values)
    return "audience"


# -- preview, send, schedule -------------------------------------------------------------------


async def draft_of(turn: Turn) -> Broadcast | None:
    """The broadcast this flow is about, or None after saying it does not exist."""
    found = await broadcasts.get(turn.db, int(turn.data.get("id", 0)))
    if found is None:
        turn.reply(
            turn.t("There is no announcement {number}.", number=number(turn.data.get("id", 0)))
        )
    return found


@flow.ask("preview")
async def ask_preview(turn: Turn) -> Next | None:
    """The announcement as each language reads it, who gets it, what it costs, how long."""
    draft = await draft_of(turn)
    if draft is None:
        return "list"
    if draft.status != "draft":
        return "detail"
    seen = await forecast(turn.db, turn.registry, turn.settings, draft, turn.now, turn.now)
    for locale in LOCALES:
        readers = seen.language(locale)
        if not readers:
            continue
        i18n = turn.catalogs.translator(locale)
        heading = turn.ngettext(
            "As {language} readers see it ({n} recipient)",
            "As {language} readers see it ({n} recipients)",
            readers,
            language=turn.i18n.language(locale),
        )
        shown = announcement(i18n, draft, turn.channel)
        title = f"{heading}: {shown.title}" if shown.title else heading
        turn.reply(shown.text, title=title)
    lines = recipients_lines(turn, seen)
    lines.append(
        turn.t("Audience: {audience}.", audience=await describe_audience(turn, draft.audience))
    )
    lines.append(versions_text(turn.i18n, draft))
    lines += window_lines(turn, seen, today=True)
    lines.append(timing_line(turn, seen))
    buttons = []
    if seen.total:
        buttons += [Button(turn.t("Send now"), "send"), Button(turn.t("Schedule"), "schedule")]
    else:
        lines.append(turn.t("Nobody would receive it: change the audience."))
    buttons += [
        Button(turn.t("Change the audience"), "audience"),
        Button(turn.t("Cancel"), "discard"),
    ]
    turn.reply(
        "\n".join(lines),
        title=turn.t("Preview of announcement {number}", number=number(draft.id)),
        buttons=buttons,
    )
    return None


@flow.answer("preview")
async def take_preview(turn: Turn, answer: Answer) -> Next:
    """Send now, schedule, change the audience, or drop the draft."""
    draft = await draft_of(turn)
    if draft is None:
        return "list"
    match answer.choice:
        case "send":
            if not await broadcasts.schedule(turn.db, draft.id, turn.now):
                return already_done(turn, draft)
            turn.notified = True  # wakes the scheduler, which fans it out after this commit
            turn.reply(
                turn.t(
                    "Announcement {number} is on its way. You will see its progress here.",
                    number=number(draft.id),
                )
            )
            return END
        case "schedule":
            return "when"
        case "audience":
            turn.data.update(
                title=draft.title,
                texts=draft.texts,
                fallback=draft.fallback,
                filters=[[n, v] for n, v in draft.audience if n != BASE],
            )
            return "audience"
        case "discard":
            await broadcasts.discard(turn.db, draft.id)
            turn.reply(turn.t("Cancelled: nothing was sent, and the draft is deleted."))
            return END
    return flow.again


def already_done(turn: Turn, broadcast: Broadcast) -> Next:
    """A second Send (a double click, an old prompt): nothing is sent twice."""
    turn.reply(
        turn.t(
            "Announcement {number} is already {status}: nothing more was sent.",
            number=number(broadcast.id),
            status=status_text(turn.i18n, broadcast, zone_of(turn.user.time_zone)),
        )
    )
    return "detail"


def example_time(turn: Turn) -> str:
    """Tomorrow at six in the evening in the admin's zone, as they would type it."""
    zone = ZoneInfo(zone_of(turn.user.time_zone))
    tomorrow = turn.now.astimezone(zone) + timedelta(days=1)
    return f"{tomorrow:%Y-%m-%d} 18:00"


@flow.ask("when")
async def ask_when(turn: Turn) -> None:
    """A date and time in the admin's time zone."""
    zone = zone_of(turn.user.time_zone)
    lines = [
        turn.t(
            "When should it go out? Type the date and time in your time zone, {zone}, like"
            " this: {example}",
            zone=zone_name(zone, turn.locale),
            example=example_time(turn),
        )
    ]
    if turn.user.time_zone is None:
        lines.append(
            turn.t("You have not set a time zone, so I use UTC. You can set yours in Settings.")
        )
    turn.reply("\n".join(lines))


def _unread(turn: Turn, problem: str | None) -> str:
    """Why a typed moment was refused, in the admin's language."""
    if problem == "gap":
        return turn.t(
            "That time does not exist in your time zone: the clocks change that night."
            " Please choose another time."
        )
    if problem == "bad_date":
        return turn.t("That date or time does not exist. Please check it.")
    if problem == "no_time":
        return turn.t("Please add the time too, for example {example}.", example=example_time(turn))
    return turn.t(
        "I could not read that as a date and time. Please type it like this: {example}",
        example=example_time(turn),
    )


@flow.answer("when")
async def take_when(turn: Turn, answer: Answer) -> Next:
    """Read the moment; refuse a malformed, impossible, past or far-off one clearly."""
    zone = zone_of(turn.user.time_zone)
    # The events' reader: "1.12.2026 18:30", "2026-12-01 18:30", month names in four languages.
    reading = when.read(answer.text, zone, turn.now)
    if reading.moment is None:
        turn.reply(_unread(turn, reading.problem))
        return flow.again
    moment = reading.moment
    if moment <= turn.now:
        turn.reply(
            turn.t(
                "The time you typed ({when}) has already passed. Please type a time in the future.",
                when=turn.i18n.datetime(moment, zone),
            )
        )
        return flow.again
    if moment - turn.now > MAX_AHEAD:
        turn.reply(turn.t("That is more than a year away. Please choose a nearer date."))
        return flow.again
    turn.data["at"] = to_db(moment)
    return "confirm_when"


@flow.ask("confirm_when")
async def ask_confirm_when(turn: Turn) -> Next | None:
    """Say the moment back in words, with the WhatsApp window as it will be then."""
    draft = await draft_of(turn)
    if draft is None:
        return "list"
    zone = zone_of(turn.user.time_zone)
    at = from_db(str(turn.data["at"]))
    seen = await forecast(turn.db, turn.registry, turn.settings, draft, at, turn.now)
    lines = [
        turn.t(
            "Send announcement {number} on {when} ({zone})?",
            number=number(draft.id),
            when=turn.i18n.datetime(at, zone),
            zone=zone_name(zone, turn.locale),
        )
    ]
    same_day = at.astimezone(UTC).date() == turn.now.astimezone(UTC).date()
    lines += window_lines(turn, seen, today=same_day)
    turn.reply(
        "\n".join(lines),
        buttons=[
            Button(turn.t("Schedule it"), "yes"),
            Button(turn.t("Choose another time"), "change"),
        ],
    )
    return None


@flow.answer("confirm_when")
async def take_confirm_when(turn: Turn, answer: Answer) -> Next:
    """Schedule it (state in the database: a restart keeps it), or choose again."""
    if answer.choice == "change":
        return "when"
    if answer.choice != "yes":
        return flow.again
    draft = await draft_of(turn)
    if draft is None:
        return "list"
    at = from_db(str(turn.data["at"]))
    if at <= turn.now:
        turn.reply(turn.t("That time has passed meanwhile. Please choose another."))
        return "when"
    if not await broadcasts.schedule(turn.db, draft.id, at):
        return already_done(turn, draft)
    zone = zone_of(turn.user.time_zone)
    turn.notified = True  # the scheduler sleeps until the earliest scheduled one
    turn.reply(
        turn.t(
            "Scheduled: announcement {number} goes out on {when} ({zone}).",
            number=number(draft.id),
            when=turn.i18n.datetime(at, zone),
            zone=zone_name(zone, turn.locale),
        )
    )
    return END


# -- follow, list, cancel ----------------------------------------------------------------------


@flow.ask("list")
async def ask_list(turn: Turn) -> None:
    """Scheduled and recent announcements, each with its counts."""
    found = await broadcasts.recent(turn.db, LIST_LIMIT)
    zone = zone_of(turn.user.time_zone)
    buttons = [
        Button(f"{broadcast.id} · {short_name(broadcast)}", f"broadcast:{broadcast.id}", True)
        for broadcast in found
    ]
    buttons += [
        Button(turn.t("New announcement"), "broadcast", route=True),
        Button(turn.t("Export as CSV"), "csv"),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    if not found:
        turn.reply(turn.t("No announcements yet."), title=turn.t("Announcements"), buttons=buttons)
        return
    counts = await broadcasts.message_counts(turn.db, [b.id for b in found])
    lines = []
    for broadcast in found:
        line = (
            f"{broadcast.id} · {short_name(broadcast)} · {status_text(turn.i18n, broadcast, zone)}"
        )
        by_status = counts.get(broadcast.id)
        if by_status:
            remaining = by_status.get("pending", 0) + by_status.get("claimed", 0)
            line += "\n   " + counts_text(turn.i18n, Report(by_status, {}, remaining, 0.0))
        lines.append(line)
    turn.reply("\n".join(lines), title=turn.t("Announcements"), buttons=buttons)


@flow.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """Export every announcement with its counts."""
    if answer.choice == "csv":
        insight_exports.attach(turn, insight_exports.BROADCASTS)
    return flow.again


@flow.ask("detail")
async def ask_detail(turn: Turn) -> Next | None:
    """One announcement: where it stands, its audience, its report, and what can be done."""
    found = await draft_of(turn)
    if found is None:
        return "list"
    zone = zone_of(turn.user.time_zone)
    lines = [
        turn.t("Status: {status}.", status=status_text(turn.i18n, found, zone)),
        turn.t("Audience: {audience}.", audience=await describe_audience(turn, found.audience)),
        versions_text(turn.i18n, found),
    ]
    if found.started_at is not None:
        report = await progress(turn.db, found, turn.settings)
        lines.append(counts_text(turn.i18n, report))
        if found.status == "sending" and report.seconds_left >= 1:
            lines.append(
                turn.t("About {duration} left.", duration=duration(turn.i18n, report.seconds_left))
            )
        lines += reasons_lines(turn.i18n, report)
    buttons: list[Button] = []
    if found.status == "draft":
        buttons.append(Button(turn.t("Preview and send"), "preview"))
    if found.status in ACTIVE:
        buttons.append(
            Button(turn.t("Cancel the announcement"), f"broadcast-cancel:{found.id}", True)
        )
    if found.status == "sending":
        buttons.append(Button(turn.t("Refresh"), "refresh"))
    buttons += [
        Button(turn.t("All announcements"), "broadcasts", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(
        "\n".join(lines),
        title=turn.t(
            "Announcement {number}: {name}", number=number(found.id), name=short_name(found)
        ),
        buttons=buttons,
    )
    return None


@flow.answer("detail")
async def take_detail(turn: Turn, answer: Answer) -> Next:
    """Preview a draft, or look again."""
    if answer.choice == "preview":
        return "preview"
    return flow.again


@flow.ask("cancel")
async def ask_cancel(turn: Turn) -> Next | None:
    """Confirm first: a cancel cannot be undone."""
    found = await draft_of(turn)
    if found is None:
        return "list"
    if found.status == "draft":
        return "detail"  # a draft is not sent: its preview offers to drop it
    if found.status not in ACTIVE:
        return already_done(turn, found)
    turn.reply(
        turn.t(
            "Cancel announcement {number}? Messages that have not gone out yet will not be sent.",
            number=number(found.id),
        ),
        buttons=[
            Button(turn.t("Yes, cancel it"), "yes"),
            Button(turn.t("No, keep it"), "no"),
        ],
    )
    return None


@flow.answer("cancel")
async def take_cancel(turn: Turn, answer: Answer) -> Next:
    """Cancel the broadcast and every row not sent yet, in this step's transaction."""
    if answer.choice != "yes":
        return "detail"
    found = await draft_of(turn)
    if found is None:
        return "list"
    before = await broadcasts.cancel(turn.db, found.id, turn.now)
    if before is None:
        return already_done(turn, found)
    stopped = await rows.cancel(turn.db, turn.now, reason=CANCELLED, batch=found.batch)
    turn.notified = True  # the scheduler stops its fan-out and sends the report
    if before == "scheduled":
        turn.reply(
            turn.t("Cancelled: announcement {number} will not be sent.", number=number(found.id))
        )
    else:
        turn.reply(
            turn.ngettext(
                "Cancelled: {n} message will not be sent.",
                "Cancelled: {n} messages will not be sent.",
                stopped,
            )
        )
    return "detail"


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Announcements"), "broadcasts", roles=ADMIN, order=700)],
    commands=[
        Command("broadcast", N_("Write an announcement"), "broadcast", roles=ADMIN),
        Command("broadcasts", N_("Announcements sent and scheduled"), "broadcasts", roles=ADMIN),
    ],
)
