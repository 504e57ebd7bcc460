"""Consent to the privacy notice: a sub-flow any feature that stores personal data calls first."""

from __future__ import annotations

import functools

from bot.flow import END, MENU, Answer, AnswerHandler, Call, Flow, Next, Return
from bot.messages import Button
from bot.registry import Feature
from bot.turn import Turn
from handlers.optout import STOP_WORD

flow = Flow("consent", entry="notice")

# Flows whose answers never wait for the new notice: the notice itself, the language it is read
# in, and seeing or erasing one's data (a right that does not depend on agreeing to anything).
UNGATED = frozenset({"consent", "language", "mydata", "delete"})


def given(turn: Turn) -> bool:
    """Whether the user agreed to the current version of the privacy notice."""
    return turn.user.consent_version == turn.settings.privacy_notice_version


def changed(turn: Turn) -> bool:
    """Whether the user agreed to an older notice and has not been shown the current one yet."""
    version = turn.settings.privacy_notice_version
    user = turn.user
    return (
        user.consent_version is not None
        and user.consent_version != version
        and user.consent_asked_version != version
    )


def require(then: str, refused: str | None = None) -> Call:
    """The call a feature returns before storing personal data; Agree comes back to `then`,
    Not now to `refused` (a step of the caller) or, without one, to the main menu."""
    return Flow.call("consent", then=then, required=True, refused=refused)


def needed(handler: AnswerHandler) -> AnswerHandler:
    """For an answer handler that stores personal data: without agreement to the current notice
    nothing is stored; the notice is asked first, and the step again after "I agree"."""

    @functools.wraps(handler)
    async def guarded(turn: Turn, answer: Answer) -> Next:
        if not given(turn):
            return require(then=turn.state.step)
        return await handler(turn, answer)

    return guarded


async def ask_again(turn: Turn) -> Next | None:
    """The next answer after the notice changed, mid-flow too: the notice first, then the step
    again (the answer is not taken, so nothing new is stored under the old notice)."""
    if turn.state.flow in UNGATED or not changed(turn):
        return None
    return Flow.call(flow.name, then=turn.state.step)


def notice(turn: Turn) -> str:
    """The privacy notice: what is stored, why, who sees it, how long, how to see and erase it."""
    settings = turn.settings
    kept = [
        turn.ngettext(
            "An unfinished project idea or conversation: {n} day without a change.",
            "An unfinished project idea or conversation: {n} days without a change.",
            settings.retention_draft_days,
        ),
        turn.ngettext(
            "Our record of your recent messages and our replies: {n} day.",
            "Our record of your recent messages and our replies: {n} days.",
            settings.retention_processed_days,
        ),
        turn.ngettext(
            "Our record of the messages we sent you: {n} day.",
            "Our record of the messages we sent you: {n} days.",
            settings.retention_outbox_days,
        ),
    ]
    return "\n\n".join(
        [
            turn.t(
                "What we store: your Telegram user number or WhatsApp phone number (so that we can"
                " reply) and when you last wrote to us; the language you choose and, if you give"
                " them, your country and city of residence and your time zone; what you send us"
                " through this chat (event sign-ups, questions for the consular officers and their"
                " answers, project ideas with the contact you give, unfinished drafts, your skills"
                " profile, your votes on answers); your announcement setting and whether you sent"
                " {stop}; and the messages we are to send you.",
                stop=turn.t(STOP_WORD),
            ),
            turn.t(
                "Why: to answer you, to remind you of events you signed up for and, if you wish, to"
                " send you announcements."
            ),
            turn.t(
                "Who sees it: the Ministry's and IOM's administrators who run this service see what"
                " the service needs (event registrations, project ideas, skills profiles);"
                " consular officers see your questions. We never sell it or share it for"
                " advertising."
            ),
            turn.t("How long we keep it: until you delete it, except:")
            + "\n"
            + "\n".join(f"• {line}" for line in kept),
            turn.t(
                "Your rights: send /mydata to see everything we hold about you, and /delete to"
                " erase it (both are in Settings too). Erasing cancels your event registrations"
                " (your seats go to the waitlist) and deletes your questions to the officers with"
                " their answers, your project ideas, your skills profile and everything else. If"
                " you had sent {stop}, we keep only your key and its date, so that we go on"
                " sending you nothing. You can also ask through your Albanian embassy or"
                " consulate.",
                stop=turn.t(STOP_WORD),
            ),
            turn.t("Privacy notice version {version}.", version=settings.privacy_notice_version),
        ]
    )


@flow.ask("notice")
async def ask_notice(turn: Turn) -> Next | None:
    """Show the notice with I agree / Not now (saying so when it changed since last time)."""
    if given(turn):
        return END
    intro = (
        turn.t("Our privacy notice has changed. Please read it and tell us if you agree.")
        if turn.user.consent_version is not None
        else turn.t("Before we store anything about you, please read how we use it.")
    )
    turn.reply(
        f"{intro}\n\n{notice(turn)}",
        title=turn.t("Privacy notice"),
        buttons=[Button(turn.t("I agree"), "agree"), Button(turn.t("Not now"), "later")],
    )
    return None


@flow.answer("notice")
async def take_notice(turn: Turn, answer: Answer) -> Next:
    """Store the agreement, or respect "Not now" (features needing consent stop there)."""
    version = turn.settings.privacy_notice_version
    if answer.choice == "agree":
        await turn.update_user(
            consent_version=version, consent_at=turn.now, consent_asked_version=version
        )
        turn.reply(turn.t("Thank you."))
        return END
    await turn.update_user(consent_asked_version=version)
    if turn.data.get("required"):
        turn.reply(
            turn.t(
                "Understood: nothing was stored. This needs your agreement, so we stop here;"
                " you can agree at any time in Settings."
            )
        )
        refused = turn.data.get("refused")
        return Return(refused) if isinstance(refused, str) else MENU
    turn.reply(
        turn.t(
            "Understood. You can look around freely; we will ask again only when something needs"
            " your agreement."
        )
    )
    return END


FEATURE = Feature(flows=[flow], gates=[ask_again])
