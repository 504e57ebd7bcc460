"""The audit log: what admins and officers did, for admins to read and export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flow import Answer, Flow, Next
from bot.i18n import N_, Translator
from bot.messages import Button, Reply
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.spreadsheet import utc_time
from bot.turn import Turn
from handlers import insight_exports
from storage import audit
from storage.database import Tx

PAGE = 20
EXPORT = "exports.audit"

flow = Flow("audit", entry="list", roles=ADMIN)


def feature_names(turn: Turn) -> dict[str, str]:
    """Each flow's name as the admin reads it: its menu entry's label, else its command's."""
    registry = turn.registry
    labelled = [(c.route, c.description) for c in registry.commands]
    labelled += [(m.route, m.label) for m in registry.menu]  # the menu's words win
    return {
        registry.routes[route].flow.name: turn.t(label)
        for route, label in labelled
        if route in registry.routes
    }


def split_action(action: str, names: Mapping[str, str]) -> tuple[str, str]:
    """A recorded `flow.step: choice` as the feature in the admin's words and what was done."""
    name, _, done = action.partition(".")
    return names.get(name, name), done


@flow.ask("list")
async def ask_list(turn: Turn) -> None:
    """The latest staff actions, newest first, a page at a time."""
    before = turn.data.get("before")
    entries = await audit.latest(turn.db, PAGE, before if isinstance(before, int) else None)
    zone = turn.user.time_zone or "UTC"
    erased = turn.t("erased user")
    names = feature_names(turn)
    lines = []
    for e in entries:
        feature, done = split_action(e.action, names)
        lines.append(
            f"{turn.i18n.datetime(e.at, zone)} · {e.actor or erased} · {feature}"
            + (f" ({done})" if done else "")
            + (f" · {e.subject}" if e.subject else "")
        )
    buttons = [Button(turn.t("Older"), "older")] if len(entries) == PAGE else []
    if entries:
        buttons.append(Button(turn.t("Export as CSV"), "csv"))
    buttons.append(Button(turn.t("Main menu"), "menu", route=True))
    turn.data["oldest"] = entries[-1].id if entries else None
    turn.reply(
        "\n".join(lines) if lines else turn.t("Nothing recorded yet."),
        title=turn.t("Audit log"),
        buttons=buttons,
    )


@flow.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """Page back, or the whole log as a spreadsheet."""
    if answer.choice == "older" and isinstance(turn.data.get("oldest"), int):
        turn.data["before"] = turn.data["oldest"]
    elif answer.choice == "csv":
        insight_exports.attach(turn, EXPORT, {"names": feature_names(turn)})
    return flow.again


async def audit_csv(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
    """Every recorded action, oldest first."""
    t = i18n.t
    names: Mapping[str, str] = args["names"]
    erased = t("erased user")
    rows: insight_exports.Rows = []
    for row in await db.fetch_all("SELECT actor, action, subject, at FROM audit_log ORDER BY id"):
        feature, done = split_action(row["action"], names)
        rows.append([utc_time(row["at"]), row["actor"] or erased, feature, done, row["subject"]])
    return await insight_exports.file_reply(
        t("The audit log, as a spreadsheet file:"),
        f"audit-{args['day']}.csv",
        [t("Time (UTC)"), t("Who"), t("Part of the bot"), t("Action"), t("About")],
        rows,
    )


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Audit log"), "audit", roles=ADMIN, order=880)],
    commands=[Command("audit", N_("What admins and officers did"), "audit", roles=ADMIN)],
    db_replies={EXPORT: audit_csv},
)
