"""/delete: say exactly what will happen, then erase everything stored about the user in one
transaction; the reply saying it is done still goes out, and the next message is a first contact."""

from __future__ import annotations

from bot.flow import END, Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button
from bot.registry import Command, Feature
from bot.turn import Turn
from handlers.holdings import holdings
from handlers.optout import STOP_WORD
from handlers.roles import role_name
from storage import outbox, personal, roles
from storage.clock import to_db

flow = Flow("delete", entry="confirm")


async def erase(turn: Turn) -> None:
    """Erase or detach every holding of the user (the users row last), then the copies staff
    were shown; nothing more is stored in this turn (see `Turn.erased`)."""
    found = await personal.traces(turn.db, turn.key)
    for holding in reversed(holdings()):
        await holding.erase(turn)
    await personal.scrub_copies(turn.db, turn.key, found, await staff(turn))
    turn.erased = True


async def staff(turn: Turn) -> set[str]:
    """Everyone who may be shown other people's data: roles from the configuration and the chat."""
    settings = turn.settings
    keys = {"console:admin", *settings.admins, *settings.officers}
    keys |= {g.user_key for g in await roles.grants(turn.db)}
    return keys


async def _count(turn: Turn, sql: str, **values: str) -> int:
    """A count about the user (`:key` is their key, `:now` the current time, then `values`)."""
    return int(await turn.db.fetch_value(sql, {"key": turn.key, "now": to_db(turn.now), **values}))


async def consequences(turn: Turn) -> list[str]:
    """What erasing will do, item by item, with this user's own numbers."""
    lines = []
    upcoming = await _count(
        turn,
        "SELECT count(*) FROM registrations r JOIN events e ON e.id = r.event_id"
        " WHERE r.user_key = :key AND r.status != 'cancelled' AND e.starts_at > :now",
    )
    if upcoming:
        lines.append(
            turn.ngettext(
                "Your registration for an upcoming event is cancelled: your seats go to the next"
                " person on the waitlist.",
                "Your {n} registrations for upcoming events are cancelled: your seats go to the"
                " next people on the waitlist.",
                upcoming,
            )
        )
    questions = await _count(turn, "SELECT count(*) FROM questions WHERE user_key = :key")
    if questions:
        lines.append(
            turn.ngettext(
                "Your question to the consular officers is deleted, with its answers: the"
                " officers will no longer see it.",
                "Your {n} questions to the consular officers are deleted, with their answers: the"
                " officers will no longer see them.",
                questions,
            )
        )
    ideas = await _count(turn, "SELECT count(*) FROM ideas WHERE user_key = :key")
    if ideas:
        lines.append(
            turn.ngettext(
                "Your project idea is deleted, with its history: the team will no longer see it.",
                "Your {n} project ideas are deleted, with their history: the team will no longer"
                " see them.",
                ideas,
            )
        )
    if await _count(turn, "SELECT count(*) FROM idea_drafts WHERE user_key = :key"):
        lines.append(turn.t("Your unfinished project idea is deleted."))
    if await _count(turn, "SELECT count(*) FROM skills_profiles WHERE user_key = :key"):
        lines.append(
            turn.t("Your skills profile is deleted, with its languages and offers of help.")
        )
    waiting = await _count(
        turn,
        "SELECT count(*) FROM outbox WHERE recipient = :key"
        " AND status IN ('pending', 'claimed', 'held') AND renderer != :commands",
        commands=outbox.COMMAND_MENU,
    )
    if waiting:
        lines.append(
            turn.ngettext(
                "The message waiting to be sent to you is not sent.",
                "The {n} messages waiting to be sent to you are not sent.",
                waiting,
            )
        )
    lines.append(
        turn.t(
            "Your language, profile, agreement to the privacy notice, settings, votes on answers,"
            " the conversation in progress and our record of your messages are deleted."
        )
    )
    lines += await _staff(turn)
    if turn.user.opted_out_at is not None:
        lines.append(
            turn.t(
                "Because you sent {stop}, we keep only your key and the date you sent it, so that"
                " we go on sending you nothing.",
                stop=turn.t(STOP_WORD),
            )
        )
    return lines


async def _staff(turn: Turn) -> list[str]:
    """What happens to a staff member's roles and to what they did as staff."""
    lines = []
    granted = await turn.db.fetch_all(
        "SELECT role FROM roles WHERE user_key = ? ORDER BY role", (turn.key,)
    )
    if granted:
        lines.append(
            turn.t(
                "Your role given in the chat is removed: {roles}.",
                roles=", ".join(role_name(turn, r["role"]) for r in granted),
            )
        )
    configured = sorted(turn.settings.static_roles(turn.key))
    if configured:
        lines.append(
            turn.t(
                "Your role from the service's configuration ({roles}) stays until its operator"
                " removes your key there.",
                roles=", ".join(role_name(turn, role) for role in configured),
            )
        )
    if granted or configured:
        lines.append(
            turn.t(
                "What you did as staff (answers to members, events, reviews, announcements, check-"
                "ins) stays with those records, without your key; questions you were handling go"
                " back to the other officers."
            )
        )
    return lines


@flow.ask("confirm")
async def ask_confirm(turn: Turn) -> None:
    """Say exactly what will happen, and ask."""
    lines = [turn.t("If you continue:")]
    lines += [f"• {line}" for line in await consequences(turn)]
    lines += [
        "",
        turn.t(
            "This cannot be undone. If you write to us again later, we will start afresh, as the"
            " first time. To keep a copy first, send /mydata."
        ),
    ]
    turn.reply(
        "\n".join(lines),
        title=turn.t("Delete my data"),
        buttons=[
            Button(turn.t("Yes, delete everything"), "yes"),
            Button(turn.t("No, keep my data"), "no"),
        ],
    )


@flow.answer("confirm")
async def take_confirm(turn: Turn, answer: Answer) -> Next:
    """Erase, or change nothing."""
    if answer.choice != "yes":
        turn.reply(turn.t("Nothing was deleted."))
        return END
    await erase(turn)
    return "done"


@flow.ask("done")
async def say_done(turn: Turn) -> None:
    """The last reply to this user: it goes out after the erasure is committed."""
    turn.reply(
        turn.t(
            "Done: everything we stored about you is deleted. Thank you for having used this"
            " service; you are welcome back at any time."
        ),
        title=turn.t("Your data is deleted"),
    )


FEATURE = Feature(
    flows=[flow],
    commands=[Command("delete", N_("Delete your data"), "delete", call=True)],
)
