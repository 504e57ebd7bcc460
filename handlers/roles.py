"""Roles: admins grant and revoke the admin and officer roles in the chat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flow import Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button, Reply, is_user_key
from bot.outbox import Render
from bot.registry import ADMIN, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import insight_exports
from storage import roles as grants
from storage import users

flow = Flow("roles", entry="main", roles=ADMIN)


def role_name(turn: Turn, role: str) -> str:
    """A role's name in the user's language."""
    return turn.t("administrator") if role == "admin" else turn.t("consular officer")


@flow.ask("main")
async def ask_roles(turn: Turn) -> None:
    """List who holds which role, from the configuration and from the chat."""
    held = await grants.grants(turn.db)
    lines = []
    from_configuration = turn.t("set in the configuration")
    for role in ("admin", "officer"):
        configured = turn.settings.admins if role == "admin" else turn.settings.officers
        keys = [f"{key} ({from_configuration})" for key in sorted(configured)]
        keys += [g.user_key for g in held if g.role == role and g.user_key not in configured]
        lines.append(f"{role_name(turn, role)}: {', '.join(keys) or '–'}")
    buttons = [Button(turn.t("Grant a role"), "grant")]
    if held:
        buttons.append(Button(turn.t("Revoke a role"), "revoke"))
    buttons += [
        Button(turn.t("Export as CSV"), "csv"),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply("\n".join(lines), title=turn.t("Roles"), buttons=buttons)


@flow.answer("main")
async def take_roles(turn: Turn, answer: Answer) -> Next:
    """Grant, revoke, or export the list."""
    if answer.choice == "csv":
        configured = {
            "admin": sorted(turn.settings.admins),
            "officer": sorted(turn.settings.officers),
        }
        insight_exports.attach(turn, insight_exports.ROLES, {"configured": configured})
        return flow.again
    return (
        "grant_key"
        if answer.choice == "grant"
        else "revoke"
        if answer.choice == "revoke"
        else flow.again
    )


@flow.ask("grant_key")
async def ask_key(turn: Turn) -> None:
    """Ask whose role it is, by key."""
    turn.reply(
        turn.t(
            "Send the person's key. They can see it by sending /whoami; it looks like"
            " telegram:123456789 or whatsapp:+39…"
        )
    )


@flow.answer("grant_key")
async def take_key(turn: Turn, answer: Answer) -> Next:
    """Accept a key only of someone who has written to the bot."""
    key = answer.text.strip()
    if not is_user_key(key):
        turn.reply(turn.t("That is not a key. Keys look like telegram:123456789 or whatsapp:+39…"))
        return flow.again
    if not await users.exists(turn.db, key):
        turn.reply(
            turn.t(
                "No one with that key has written to the bot yet. Ask them to send /whoami first."
            )
        )
        return flow.again
    turn.data["key"] = key
    return "grant_role"


@flow.ask("grant_role")
async def ask_role(turn: Turn) -> None:
    """Ask which role to grant."""
    turn.reply(
        turn.t("Which role should {key} have?", key=turn.data["key"]),
        buttons=[Button(role_name(turn, role), role) for role in ("admin", "officer")],
    )


@flow.answer("grant_role")
async def take_role(turn: Turn, answer: Answer) -> Next:
    """Grant it and go back to the list."""
    if answer.choice not in ("admin", "officer"):
        return flow.again
    key = turn.data["key"]
    role = role_name(turn, answer.choice)
    if answer.choice in turn.settings.static_roles(key):  # a second, chat-given grant would
        # show up as revocable while the configuration keeps the role anyway
        turn.reply(turn.t("{key} already is {role} in the configuration.", key=key, role=role))
        return "main"
    granted = await grants.grant(turn.db, key, answer.choice, by=turn.key, now=turn.now)
    if granted:
        turn.reply(turn.t("Done: {key} is now {role}.", key=key, role=role))
        await turn.notify(key, "roles.granted", {"role": answer.choice})
        await turn.redraw_commands(key)
    else:
        turn.reply(turn.t("{key} already was {role}.", key=key, role=role))
    return "main"


@flow.ask("revoke")
async def ask_revoke(turn: Turn) -> Next | None:
    """Offer the roles granted in the chat (those in the configuration stay until it changes)."""
    held = [
        g
        for g in await grants.grants(turn.db)
        if not (g.user_key == turn.key and g.role == "admin")
    ]
    if not held:
        turn.reply(turn.t("There is no role granted in the chat that you can revoke."))
        return "main"
    turn.reply(
        turn.t("Whose role should I revoke? Roles set in the configuration are changed there."),
        buttons=[
            Button(f"{g.user_key} – {role_name(turn, g.role)}", f"{g.role} {g.user_key}")
            for g in held
        ],
    )
    return None


@flow.answer("revoke")
async def take_revoke(turn: Turn, answer: Answer) -> Next:
    """Revoke the chosen grant."""
    role, _, key = (answer.choice or "").partition(" ")
    if key == turn.key and role == "admin":
        return flow.again
    if await grants.revoke(turn.db, key, role):
        turn.reply(turn.t("Done: {key} is no longer {role}.", key=key, role=role_name(turn, role)))
        await turn.redraw_commands(key)
    return "main"


async def render_granted(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """Tell someone, in their language, the role they were given (unless it was taken back)."""
    role = str(args.get("role"))
    held = await grants.of(render.db, render.user.key)
    if role not in held:
        return None
    name = render.t("administrator") if role == "admin" else render.t("consular officer")
    return [
        Reply(
            render.t(
                "You are now {role} in this service. Send /help to see what you can do.",
                role=name,
            )
        )
    ]


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Roles"), "roles", roles=ADMIN, order=800)],
    commands=[Command("roles", N_("Grant and revoke roles"), "roles", roles=ADMIN)],
    renderers={"roles.granted": render_granted},
)
