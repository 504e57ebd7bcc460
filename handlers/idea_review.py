"""Reviewing project ideas (admins): list by status, sector and county, read one, move it on with a
message to the submitter, and export ideas and skills profiles as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flow import Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Attachment, AttachmentSpec, Button
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.spreadsheet import csv_bytes, utc_time
from bot.turn import Turn
from handlers import skills
from handlers.idea_terms import (
    CONTACT_WAYS,
    COUNTIES,
    NATIONWIDE,
    SECTORS,
    STATUSES,
    SUPPORT,
    county_name,
    sector_name,
    status_name,
)
from handlers.ideas import describe, fields_of, history_lines
from handlers.places import country_name
from storage import exports
from storage import ideas as store

PAGE = 8  # ideas listed at once
MAX_MESSAGE = 1000  # characters of the message that goes with a new status
TITLE_SHOWN = 32  # characters of a title on a list button

desk = Flow("reviewideas", entry="list", roles=ADMIN)

FILTER_LABELS = {
    "status": N_("Filter by status"),
    "sector": N_("Filter by sector"),
    "county": N_("Filter by county"),
}


def filter_choices(turn: Turn, name: str) -> list[tuple[str, str]]:
    """The values an admin can narrow the list to, with their names."""
    if name == "status":
        return [(status_name(turn, s), s) for s in STATUSES]
    if name == "sector":
        return [(sector_name(turn, s), s) for s in SECTORS]
    return [(n, c) for c, n in COUNTIES.items()] + [(turn.t("Nationwide"), NATIONWIDE)]


def filter_line(turn: Turn, filters: Mapping[str, str]) -> str:
    """The filters in force, in the admin's language."""
    anything = turn.t("any")
    return turn.t(
        "Status: {status} · Sector: {sector} · County: {county}",
        status=status_name(turn, filters["status"]) if "status" in filters else anything,
        sector=sector_name(turn, filters["sector"]) if "sector" in filters else anything,
        county=county_name(turn, filters["county"]) if "county" in filters else anything,
    )


@desk.route("review-idea", roles=ADMIN)
async def open_review(turn: Turn, arg: str) -> Next:
    """`review-idea:<id>` opens an idea for an admin from anywhere."""
    if not arg.isdigit() or await store.get(turn.db, int(arg)) is None:
        turn.reply(turn.t("I cannot find that idea."))
        return "list"
    turn.data["id"] = int(arg)
    return "show"


@desk.ask("list")
async def list_ideas(turn: Turn) -> None:
    """Counts by status, the filters, a page of matching ideas, and what can be done."""
    filters: dict[str, str] = dict(turn.data.get("filters", {}))
    page = int(turn.data.get("page", 0))
    total = await store.count(turn.db, filters)
    counts = await store.counts_by_status(turn.db)
    overview = " · ".join(
        f"{status_name(turn, s)}: {turn.i18n.number(counts.get(s, 0))}" for s in STATUSES
    )
    text = "\n".join(
        [
            overview,
            filter_line(turn, filters),
            turn.ngettext("{n} idea matches.", "{n} ideas match.", total),
        ]
    )
    buttons = [
        Button(
            f"{i.reference} · {status_name(turn, i.status)} · {i.title[:TITLE_SHOWN]}",
            f"open:{i.id}",
        )
        for i in await store.search(turn.db, filters, PAGE, page * PAGE)
    ]
    if (page + 1) * PAGE < total:
        buttons.append(Button(turn.t("More"), "next"))
    buttons += [Button(turn.t(label), f"filter:{name}") for name, label in FILTER_LABELS.items()]
    if filters:
        buttons.append(Button(turn.t("Clear the filters"), "clear"))
    buttons += [
        Button(turn.t("Export the ideas (CSV)"), "export:ideas"),
        Button(turn.t("Export the skills profiles (CSV)"), "export:skills"),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(text, title=turn.t("Project ideas to review"), buttons=buttons)


@desk.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """Open an idea, page on, filter, or export."""
    choice = answer.choice or ""
    action, _, value = choice.partition(":")
    if action == "open" and value.isdigit():
        turn.data["id"] = int(value)
        return "show"
    if action == "next":
        turn.data["page"] = int(turn.data.get("page", 0)) + 1
    elif action == "filter" and value in FILTER_LABELS:
        turn.data["filtering"] = value
        return "filter"
    elif action == "clear":
        turn.data["filters"], turn.data["page"] = {}, 0
    elif action == "export":
        export(turn, value, await exports.database_file(turn.db))
    return desk.again


def export(turn: Turn, what: str, path: str) -> None:
    """Attach a CSV file, rendered after the commit off the event loop, headers in this language."""
    if turn.refuse_files():
        return
    day = turn.now.date().isoformat()
    if what == "skills":
        turn.reply(turn.t("The skills profiles:"), attachment=skills.csv_spec(turn, path, day))
        return
    filters = dict(turn.data.get("filters", {}))
    turn.reply(
        turn.t("The project ideas ({filters}):", filters=filter_line(turn, filters)),
        attachment=AttachmentSpec(
            "ideas.csv",
            {
                "db": path,
                "filters": filters,
                "filename": f"ideas-{day}.csv",
                "header": [
                    turn.t("Reference"),
                    turn.t("Status"),
                    turn.t("Sector"),
                    turn.t("Offers or seeks"),
                    turn.t("Kind of support"),
                    turn.t("Title"),
                    turn.t("Description"),
                    turn.t("County"),
                    turn.t("Contact way"),
                    turn.t("Contact"),
                    turn.t("Member"),
                    turn.t("Country of residence"),
                    turn.t("Language"),
                    turn.t("Submitted (UTC)"),
                    turn.t("Last change (UTC)"),
                    turn.t("Last message from the team"),
                ],
                "labels": {
                    "status": {k: turn.t(v) for k, v in STATUSES.items()},
                    "sector": {k: turn.t(v) for k, v in SECTORS.items()},
                    "direction": {"offer": turn.t("offers"), "seek": turn.t("seeks")},
                    "support": {k: turn.t(v) for k, v in SUPPORT.items()},
                    "county": {**COUNTIES, NATIONWIDE: turn.t("Nationwide")},
                    "contact_way": {k: turn.t(v) for k, v in CONTACT_WAYS.items()},
                },
                "locale": turn.locale,
            },
            export=True,
        ),
    )


def render_csv(args: Mapping[str, Any]) -> Attachment:
    """The ideas CSV (run in a worker thread: it reads the database on its own connection)."""
    labels: dict[str, dict[str, str]] = args["labels"]
    locale = str(args["locale"])

    def named(kind: str, value: str) -> str:
        return labels[kind].get(value, value)

    rows = [
        [
            r["reference"],
            named("status", r["status"]),
            named("sector", r["sector"]),
            named("direction", r["direction"]),
            named("support", r["support"]),
            r["title"],
            r["description"],
            named("county", r["county"]),
            named("contact_way", r["contact_way"]),
            r["contact"],
            r["user_key"],
            country_name(r["country"], locale) if r["country"] else "",
            r["locale"],
            utc_time(r["created_at"]),
            utc_time(r["updated_at"]),
            r["last_message"],
        ]
        for r in store.export(str(args["db"]), args["filters"])
    ]
    return Attachment(str(args["filename"]), "text/csv", csv_bytes(args["header"], rows))


@desk.ask("filter")
async def ask_filter(turn: Turn) -> None:
    """The values of one filter, and Any."""
    name = str(turn.data.get("filtering", "status"))
    buttons = [Button(turn.t("Any"), "any")]
    buttons += [Button(label, value) for label, value in filter_choices(turn, name)]
    turn.reply(turn.t(FILTER_LABELS[name]), buttons=buttons)


@desk.answer("filter")
async def take_filter(turn: Turn, answer: Answer) -> Next:
    """Narrow the list (or widen it again with Any)."""
    name = str(turn.data.get("filtering", "status"))
    filters = dict(turn.data.get("filters", {}))
    if answer.choice == "any":
        filters.pop(name, None)
    elif answer.choice in {value for _, value in filter_choices(turn, name)}:
        filters[name] = answer.choice
    turn.data["filters"], turn.data["page"] = filters, 0
    return "list"


@desk.ask("show")
async def show_idea(turn: Turn) -> Next | None:
    """The idea as submitted, who sent it, and its history."""
    idea = await store.get(turn.db, int(turn.data["id"]))
    if idea is None:
        return "list"
    zone = turn.user.time_zone or "UTC"
    facts = turn.t(
        "From {member} · language: {language} · channel: {channel} · country: {country}",
        member=idea.user_key,
        language=turn.i18n.language(idea.locale),  # named, not a code
        channel=idea.channel,
        country=country_name(idea.country, turn.locale) if idea.country else "–",
    )
    history = await history_lines(turn, turn.db, idea, zone)
    turn.reply(
        "\n\n".join(
            [describe(turn, fields_of(idea)), facts, turn.t("Status:") + "\n" + "\n".join(history)]
        ),
        title=f"{idea.reference} · {status_name(turn, idea.status)}",
        buttons=[
            Button(turn.t("Change the status"), "status"),
            Button(turn.t("Back to the list"), "list"),
        ],
    )
    return None


@desk.answer("show")
async def take_show(turn: Turn, answer: Answer) -> Next:
    """Change the status, or back to the list."""
    if answer.choice == "status":
        return "status"
    return "list" if answer.choice == "list" else desk.again


@desk.ask("status")
async def ask_status(turn: Turn) -> Next | None:
    """The statuses the idea can move to."""
    idea = await store.get(turn.db, int(turn.data["id"]))
    if idea is None:
        return "list"
    turn.reply(
        turn.t(
            "The status of {reference} is {status}. Move it to:",
            reference=idea.reference,
            status=status_name(turn, idea.status),
        ),
        buttons=[Button(status_name(turn, s), s) for s in STATUSES if s != idea.status],
    )
    return None


@desk.answer("status")
async def take_status(turn: Turn, answer: Answer) -> Next:
    """Remember the new status; the message comes next."""
    if answer.choice not in STATUSES:
        return desk.again
    turn.data["to"] = answer.choice
    return "message"


@desk.ask("message")
async def ask_message(turn: Turn) -> Next | None:
    """An optional message that goes to the submitter with the new status."""
    if "to" not in turn.data:
        return "status"
    turn.reply(
        turn.t(
            "Write a message for the submitter to go with the new status ({status}), or press"
            " No message.",
            status=status_name(turn, str(turn.data["to"])),
        ),
        buttons=[Button(turn.t("No message"), "none")],
    )
    return None


@desk.answer("message", text=True)
async def take_message(turn: Turn, answer: Answer) -> Next:
    """Move the idea on, and queue the notice to the submitter in the same transaction."""
    message = None if answer.choice == "none" else answer.text.strip()
    if message is not None and len(message) > MAX_MESSAGE:
        turn.reply(turn.t("Please keep the message under {n} characters.", n=MAX_MESSAGE))
        return desk.again
    idea = await store.get(turn.db, int(turn.data["id"]))
    if idea is None or "to" not in turn.data:
        return "list"
    status = str(turn.data.pop("to"))
    change = await store.change_status(turn.db, idea.id, status, message, turn.key, turn.now)
    shown = status_name(turn, status)
    if change is None:  # another admin moved it there meanwhile: nobody is told twice
        turn.reply(
            turn.t("{reference} is already {status}.", reference=idea.reference, status=shown)
        )
        return "show"
    await turn.notify(
        idea.user_key,
        "ideas.status",
        {"change": change},
        key=f"idea:{idea.id}:status:{change}",
    )
    turn.reply(
        turn.t(
            "{reference} is now {status}. The submitter will be told in their language.",
            reference=idea.reference,
            status=shown,
        )
    )
    return "show"


FEATURE = Feature(
    flows=[desk],
    menu=[MenuEntry(N_("Review project ideas"), "reviewideas", roles=ADMIN, order=750)],
    commands=[
        Command(
            "reviewideas", N_("Review project ideas and export them"), "reviewideas", roles=ADMIN
        )
    ],
    attachments={"ideas.csv": render_csv},
)
