"""First contact: language, a short welcome, the privacy notice, an optional profile, the menu."""

from __future__ import annotations

import re

from bot.flow import MENU, Flow, Goto, Next
from bot.registry import Feature
from bot.turn import Turn
from handlers import consent

flow = Flow("onboarding", entry="welcome")

_DEEPLINK = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram allows in a /start payload


@flow.route("start")
async def start(turn: Turn, arg: str) -> Next:
    """`/start [payload]` and any first message: onboard new users, then follow a poster's link."""
    target = turn.registry.deeplink(arg) if _DEEPLINK.fullmatch(arg) else None
    turn.data["then"] = target
    if turn.user.locale is None:
        return flow.call("language", then="welcome")
    if turn.user.consent_asked_version is None:
        return "welcome"
    return "done"


@flow.ask("welcome")
async def welcome(turn: Turn) -> Next:
    """Say what the bot does, then ask for consent (which may be declined)."""
    turn.reply(
        turn.t(
            "I am the assistant of the Ministry for Europe and Foreign Affairs and IOM for"
            " Albanians abroad. Here you can sign up for community meetings and the Diaspora"
            " Summit, get answers to consular questions, propose projects for Albania's"
            " development, and receive announcements."
        ),
        title=turn.t("Welcome"),
    )
    return flow.call("consent", then="profile")


@flow.ask("profile")
async def offer_profile(turn: Turn) -> Next:
    """With consent, offer the optional profile; without it, go straight on."""
    if consent.given(turn) and turn.user.country is None:
        return flow.call("profile", then="done")
    return "done"


@flow.ask("done")
async def done(turn: Turn) -> Next:
    """Open what the user's link pointed at, or the main menu."""
    target = turn.data.get("then")
    return Goto(target) if isinstance(target, str) else MENU


FEATURE = Feature(flows=[flow])
