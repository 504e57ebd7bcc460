"""The audit log: what admins and officers did, for admins to read."""

from __future__ import annotations

from bot.flow import Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.turn import Turn
from storage import audit

PAGE = 20

flow = Flow("audit", entry="list", roles=ADMIN)


@flow.ask("list")
async def ask_list(turn: Turn) -> None:
    """The latest staff actions, newest first, a page at a time."""
    before = turn.data.get("before")
    entries = await audit.latest(turn.db, PAGE, before if isinstance(before, int) else None)
    zone = turn.user.time_zone or "UTC"
    erased = turn.t("erased user")
    lines = [
        f"{turn.i18n.datetime(e.at, zone)} · {e.actor or erased} · {e.action}"
        + (f" · {e.subject}" if e.subject else "")
        for e in entries
    ]
    buttons = [Button(turn.t("Older"), "older")] if len(entries) == PAGE else []
    buttons.append(Button(turn.t("Main menu"), "menu", route=True))
    turn.data["oldest"] = entries[-1].id if entries else None
    turn.reply(
        "\n".join(lines) if lines else turn.t("Nothing recorded yet."),
        title=turn.t("Audit log"),
        buttons=buttons,
    )


@flow.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """Page back."""
    if answer.choice == "older" and isinstance(turn.data.get("oldest"), int):
        turn.data["before"] = turn.data["oldest"]
    return flow.again


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Audit log"), "audit", roles=ADMIN, order=880)],
    commands=[Command("audit", N_("What admins and officers did"), "audit", roles=ADMIN)],
)
