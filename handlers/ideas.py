"""Project ideas for members: the hub (submit, a draft to continue, my ideas) and status notices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flow import Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button, Reply
from bot.outbox import Render
from bot.registry import Audience, AudienceParam, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers.idea_terms import (
    CONTACT_WAYS,
    SECTORS,
    STATUSES,
    SUPPORT,
    Reader,
    county_name,
    sector_name,
    status_name,
)
from storage import ideas as store
from storage.database import Tx
from storage.ideas import Idea

hub = Flow("ideas", entry="main")
mine = Flow("myideas", entry="list")

MAX_LISTED = 20  # a member's ideas shown as buttons


def describe(reader: Reader, answers: Mapping[str, Any]) -> str:
    """An idea's fields as the member gave them, one per line, the description last."""
    kind, how = str(answers["support"]), str(answers["contact_way"])  # ids, not text to translate
    support, way = reader.t(SUPPORT[kind]), reader.t(CONTACT_WAYS[how])
    if answers.get("contact"):
        way = f"{way} ({answers['contact']})"
    lines = [
        reader.t("Title: {title}", title=answers["title"]),
        reader.t("Sector: {sector}", sector=sector_name(reader, answers["sector"])),
        reader.t("Offered: {support}", support=support)
        if answers["direction"] == "offer"
        else reader.t("Sought: {support}", support=support),
        reader.t("Where in Albania: {county}", county=county_name(reader, answers["county"])),
        reader.t("Contact: {way}", way=way),
        "",
        reader.t("Description:"),
        answers["description"],
    ]
    return "\n".join(lines)


def fields_of(idea: Idea) -> dict[str, Any]:
    """A stored idea's fields, as `describe` reads them."""
    return {name: getattr(idea, name) for name in store.FIELDS}


async def history_lines(reader: Reader, db: Tx, idea: Idea, zone: str) -> list[str]:
    """Each status the idea went through, when, and the team's message."""
    lines = []
    for change in await store.history(db, idea.id):
        when = reader.i18n.date(change.changed_at, zone, width="medium")
        lines.append(f"{when}: {status_name(reader, change.status)}")
        if change.message:
            lines.append(reader.t("Message from the team: {message}", message=change.message))
    return lines


# -- the hub ---------------------------------------------------------------------------------------


@hub.ask("main")
async def ask_hub(turn: Turn) -> None:
    """What project ideas are for; submit one, or continue or discard the draft; my ideas."""
    text = turn.t(
        "Propose a project for Albania's development: an investment, your expertise or"
        " mentoring, a partnership, training, or volunteering. The Ministry's and IOM's team"
        " reviews every idea and tells you here how it goes."
    )
    buttons = []
    draft = await store.draft(turn.db, turn.key)
    if draft is not None:
        title = draft.get("title") or turn.t("no title yet")
        text += "\n\n" + turn.t("You have an unfinished idea: {title}.", title=title)
        buttons += [
            Button(turn.t("Continue my draft"), "continue"),
            Button(turn.t("Discard the draft"), "discard"),
        ]
    else:
        buttons.append(Button(turn.t("Submit an idea"), "submit"))
    buttons += [
        Button(turn.t("My ideas"), "myideas", route=True),
        Button(turn.t("Skills profile"), "skills", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(text, title=turn.t("Project ideas"), buttons=buttons)


@hub.answer("main")
async def take_hub(turn: Turn, answer: Answer) -> Next:
    """The intake, called so that "back" at its first screen returns here; or discard the draft."""
    if answer.choice in ("submit", "continue"):
        return hub.call("newidea", then="main", resume=answer.choice == "continue", hub=True)
    if answer.choice == "discard" and await store.discard_draft(turn.db, turn.key):
        turn.reply(turn.t("Your draft is discarded."))
    return hub.again


# -- my ideas --------------------------------------------------------------------------------------


@mine.route("idea")
async def open_idea(turn: Turn, arg: str) -> Next:
    """`idea:<id>`: one of the member's own ideas (nobody else's)."""
    if not arg.isdigit():
        return "list"
    idea = await store.get(turn.db, int(arg))
    if idea is None or idea.user_key != turn.key:
        turn.reply(turn.t("I cannot find that idea among yours."))
        return "list"
    turn.data["id"] = idea.id
    return "show"


@mine.ask("list")
async def list_mine(turn: Turn) -> None:
    """Each idea with its reference and status."""
    found = await store.of_user(turn.db, turn.key)
    if not found:
        turn.reply(
            turn.t("You have not submitted a project idea yet."),
            title=turn.t("My ideas"),
            buttons=[
                Button(turn.t("Submit an idea"), "newidea", route=True),
                Button(turn.t("Main menu"), "menu", route=True),
            ],
        )
        return
    turn.reply(
        turn.t("Your project ideas and where they stand:"),
        title=turn.t("My ideas"),
        buttons=[
            Button(
                f"{i.reference} · {status_name(turn, i.status)} · {i.title[:40]}",
                f"idea:{i.id}",
                route=True,
            )
            for i in found[:MAX_LISTED]
        ]
        + [Button(turn.t("Project ideas"), "ideas", route=True)],
    )


@mine.ask("show")
async def show_mine(turn: Turn) -> Next | None:
    """The idea as submitted, and every status it went through."""
    idea = await store.get(turn.db, int(turn.data["id"]))
    if idea is None or idea.user_key != turn.key:
        return "list"
    zone = turn.user.time_zone or "UTC"
    history = await history_lines(turn, turn.db, idea, zone)
    turn.reply(
        describe(turn, fields_of(idea)) + "\n\n" + turn.t("Status:") + "\n" + "\n".join(history),
        title=f"{idea.reference} · {status_name(turn, idea.status)}",
        buttons=[Button(turn.t("My ideas"), "myideas", route=True)],
    )
    return None


# -- status notices --------------------------------------------------------------------------------


async def render_status(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """An idea moved to a new status: told in the submitter's language, with the team's message."""
    change = await store.change(render.db, int(args["change"]))
    idea = None if change is None else await store.get(render.db, change.idea_id)
    if change is None or idea is None:
        return None
    text = render.t(
        "Your project idea “{title}” is now: {status}.",
        title=idea.title,
        status=status_name(render, change.status),
    )
    if change.message:
        text += "\n\n" + render.t("Message from the team: {message}", message=change.message)
    return [
        Reply(
            text,
            title=render.t("Project idea {reference}", reference=idea.reference),
            buttons=(Button(render.t("Open it"), f"idea:{idea.id}", route=True),),
        )
    ]


# -- announcement audiences ------------------------------------------------------------------------


async def sector_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """Any sector, or one."""
    return [(turn.t("Any sector"), "any")] + [(turn.t(n), key) for key, n in SECTORS.items()]


async def status_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """Any status, or one."""
    return [(turn.t("Any status"), "any")] + [(turn.t(n), key) for key, n in STATUSES.items()]


def chosen(values: Mapping[str, str], name: str, allowed: Mapping[str, str]) -> str:
    """An audience parameter's value: `any` or one of the allowed ids (anything else is a bug)."""
    value = values.get(name, "any")
    if value != "any" and value not in allowed:
        raise ValueError(f"{name}: unknown value {value!r}")
    return value


def select_submitters(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Members who submitted an idea in a sector and with a status (each may be `any`)."""
    sector = chosen(values, "sector", SECTORS)
    status = chosen(values, "status", STATUSES)
    return (
        "SELECT DISTINCT user_key AS key FROM ideas"
        " WHERE (? = 'any' OR sector = ?) AND (? = 'any' OR status = ?)",
        (sector, sector, status, status),
    )


FEATURE = Feature(
    flows=[hub, mine],
    menu=[MenuEntry(N_("Project ideas"), "ideas", order=30)],
    commands=[
        Command("ideas", N_("Project ideas for Albania's development"), "ideas"),
        Command("myideas", N_("Your project ideas and their status"), "myideas"),
    ],
    renderers={"ideas.status": render_status},
    audiences=[
        Audience(
            "idea_submitters",
            N_("Members who submitted project ideas"),
            select_submitters,
            params=(
                AudienceParam("sector", N_("Ideas in which sector?"), sector_choices),
                AudienceParam("status", N_("Ideas with which status?"), status_choices),
            ),
        )
    ],
)
