"""Consent to the privacy notice: a sub-flow any feature that stores personal data calls first."""

from __future__ import annotations

from bot.flow import END, MENU, Answer, Call, Flow, Next
from bot.messages import Button
from bot.registry import Feature
from bot.turn import Turn

flow = Flow("consent", entry="notice")


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


def require(then: str) -> Call:
    """The call a feature returns before storing personal data; Agree comes back to `then`."""
    return Flow.call("consent", then=then, required=True)


def notice(turn: Turn) -> str:
    """The privacy notice: what is stored, why, who sees it, how to erase it."""
    return turn.t(
        "What we store: your language, and, if you give them, your country and city of residence,"
        " your time zone, and what you send us through this chat (event sign-ups, questions for"
        " the consulate, project ideas).\n\n"
        "Why: to answer you, to remind you of events you signed up for and, if you wish, to send"
        " you announcements.\n\n"
        "Who sees it: the Ministry's and IOM's staff who run this service, and consular officers"
        " for your questions. We never sell it or share it for advertising.\n\n"
        "Your rights: at any time you can ask us, here or through the consulate, to show you what"
        " we hold about you or to erase it.\n\n"
        "Privacy notice version {version}.",
        version=turn.settings.privacy_notice_version,
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
        return MENU
    turn.reply(
        turn.t(
            "Understood. You can look around freely; we will ask again only when something needs"
            " your agreement."
        )
    )
    return END


FEATURE = Feature(flows=[flow])
