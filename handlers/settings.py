"""Settings: language, profile, skills profile, time zone, announcements, the privacy notice, and
the user's data (see it, delete it)."""

from __future__ import annotations

from bot.flow import Answer, Flow, Next
from bot.i18n import LANGUAGE_NAMES, N_, negotiate
from bot.messages import Button
from bot.registry import Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import consent
from handlers.optout import START_WORD
from handlers.profile import summary
from storage import skills

flow = Flow("settings", entry="main")


@flow.ask("main")
async def ask_settings(turn: Turn) -> None:
    """Show the current settings and what can be changed."""
    user = turn.user
    language = LANGUAGE_NAMES[
        negotiate(user.locale, user.locale_hint, turn.settings.default_locale)
    ]
    announcements = turn.t("on") if user.announcements else turn.t("off")
    if consent.given(turn) and user.consent_at is not None:
        privacy = turn.t(
            "agreed on {date}", date=turn.i18n.date(user.consent_at, user.time_zone or "UTC")
        )
    else:
        privacy = turn.t("not agreed")
    has_skills = await skills.exists(turn.db, turn.key)
    lines = [
        turn.t("Language: {language}", language=language),
        summary(turn),
        turn.t("Skills profile: {state}", state=turn.t("saved") if has_skills else turn.t("none")),
        turn.t("Announcements: {state}", state=announcements),
        turn.t("Privacy notice: {state}", state=privacy),
    ]
    if user.opted_out_at is not None:
        lines.append(
            turn.t(
                "Messages we send on our own: stopped. Send {start} to turn them back on.",
                start=turn.t(START_WORD),
            )
        )
    toggle = (
        turn.t("Turn announcements off") if user.announcements else turn.t("Turn announcements on")
    )
    turn.reply(
        "\n".join(lines),
        title=turn.t("Settings"),
        buttons=[
            Button(turn.t("Language"), "language"),
            Button(turn.t("Profile"), "profile"),
            Button(turn.t("Time zone"), "zone"),
            Button(toggle, "announcements"),
            Button(turn.t("Privacy notice"), "privacy"),
            # Last, so the numbers of the options before it stay as WhatsApp users learnt them.
            Button(turn.t("Skills profile"), "skills"),
            Button(turn.t("My data"), "mydata"),
            Button(turn.t("Delete my data"), "delete"),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )


@flow.answer("main")
async def take_settings(turn: Turn, answer: Answer) -> Next:
    """Open the chosen setting; each comes back here when done."""
    match answer.choice:
        case "language":
            return flow.call("language", then="main")
        case "profile":
            return flow.call("profile", then="main")
        case "skills":
            return flow.call("skills", then="main")
        case "mydata":
            return flow.call("mydata", then="main")
        case "delete":
            return flow.call("delete", then="main")
        case "zone":
            return flow.call("timezone", then="main", choose=True)
        case "announcements":
            on = not turn.user.announcements
            await turn.update_user(announcements=on)
            turn.reply(
                turn.t("Announcements are now on.") if on else turn.t("Announcements are now off.")
            )
            return flow.again
        case "privacy":
            return "privacy"
    return flow.again


@flow.ask("privacy")
async def show_privacy(turn: Turn) -> Next:
    """The notice again: read it, or agree to it if not done yet."""
    if not consent.given(turn):
        return flow.call("consent", then="main")
    turn.reply(consent.notice(turn), title=turn.t("Privacy notice"))
    return "main"


FEATURE = Feature(
    flows=[flow],
    menu=[MenuEntry(N_("Settings"), "settings", order=850)],
    commands=[Command("settings", N_("Language, profile and announcements"), "settings")],
)
