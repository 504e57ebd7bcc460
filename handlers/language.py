"""The language picker: at first contact, from Settings, or by typing "language" anywhere."""

from __future__ import annotations

from bot.flow import END, Answer, Flow, Next
from bot.i18n import LANGUAGE_NAMES, LOCALES, N_, negotiate
from bot.messages import Button
from bot.registry import Command, Feature, Word
from bot.turn import Turn

flow = Flow("language", entry="pick")

# Shown above the picker in all four languages, since at first contact we cannot know which.
PICKER_TITLE = "Gjuha · Lingua · Γλώσσα · Language"


@flow.ask("pick")
async def ask_language(turn: Turn) -> Next | None:
    """Offer the four languages by their own names, the likely one marked but never forced."""
    likely = negotiate(turn.user.locale, turn.user.locale_hint, turn.settings.default_locale)
    buttons = [
        Button(f"✓ {LANGUAGE_NAMES[code]}" if code == likely else LANGUAGE_NAMES[code], code)
        for code in LOCALES
    ]
    turn.reply(
        turn.t("Which language would you like me to use?"), title=PICKER_TITLE, buttons=buttons
    )
    return None


@flow.answer("pick")
async def take_language(turn: Turn, answer: Answer) -> Next:
    """Store the choice and speak it from this message on."""
    if answer.choice not in LOCALES:
        return flow.again
    if turn.roles and answer.choice != turn.user.locale:  # staff's own list is in their language
        await turn.redraw_commands(turn.key)
    await turn.update_user(locale=answer.choice)
    turn.set_locale(answer.choice)
    turn.reply(turn.t("From now on I will write to you in English."))
    return END


FEATURE = Feature(
    flows=[flow],
    commands=[Command("language", N_("Change the language"), "language", call=True)],
    words=[Word(N_("language"), "language", N_("change the language"))],
)
