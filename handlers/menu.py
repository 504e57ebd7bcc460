"""The main menu, help and /whoami."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.flow import END, Answer, Flow, Next
from bot.i18n import LOCALES, N_, normalize
from bot.messages import Button
from bot.registry import Command, Feature, MenuEntry, Word
from bot.turn import Turn
from handlers import consent

NAMING_WORD = 4  # letters a word needs to name a menu entry ("di", "e", "të" never do)

menu = Flow("menu", entry="main")
help_flow = Flow("help", entry="show")
whoami = Flow("whoami", entry="show")


@menu.ask("main")
async def ask_main(turn: Turn) -> Next | None:
    """Offer the menu entries this user's roles allow (asking again after a notice change)."""
    if consent.changed(turn):
        return menu.call("consent", then="main")
    entries = turn.registry.menu_for(turn.roles)
    turn.reply(
        turn.t("What would you like to do?"),
        title=turn.t("Main menu"),
        buttons=[Button(turn.t(entry.label), entry.route, route=True) for entry in entries],
    )
    return None


@menu.answer("main", text=True)
async def take_main(turn: Turn, answer: Answer) -> Next:
    """Free text at the menu: the registry's fallbacks in order (the FAQ search is one)."""
    for fallback in turn.registry.fallbacks:
        found = await fallback.handler(turn, answer.text)
        if found is not None:
            return found
    turn.reply(turn.t("Sorry, I did not understand that. Choose an option, or send /help."))
    return menu.again


def entry_for(turn: Turn, text: str) -> str | None:
    """The route of the one menu entry whose name, in any of the four languages, is a word of
    the text, misspelt or in another form ("voglio iscrivermi a un evento": Events)."""
    typed = [w for w in normalize(text).split()[:40] if len(w) >= NAMING_WORD]
    found = set()
    for entry in turn.registry.menu_for(turn.roles) if typed else ():
        names = {
            word
            for locale in LOCALES
            for word in normalize(turn.catalogs.translator(locale).t(entry.label)).split()
            if len(word) >= NAMING_WORD
        }
        if any(process.extractOne(w, names, scorer=fuzz.ratio, score_cutoff=80) for w in typed):
            found.add(entry.route)
    return found.pop() if len(found) == 1 else None  # two entries named: no guess


@help_flow.ask("show")
async def show_help(turn: Turn) -> Next:
    """Explain the commands and global words this user can use, then return to where they were."""
    lines = [turn.t("Commands:")]
    lines += [
        f"/{command.name} – {turn.t(command.description)}"
        for command in turn.registry.commands_for(turn.roles)
    ]
    lines += [
        "",
        turn.t("Words you can type at any time:"),
        turn.t("{word} – the main menu", word=turn.t("menu")),
        turn.t("{word} – the previous question", word=turn.t("back")),
        turn.t("{word} – stop what you are doing", word=turn.t("cancel")),
        *(
            f"{turn.t(w.word)} – {turn.t(w.meaning)}"
            for w in turn.registry.words_for(turn.roles)
            if w.meaning
        ),
    ]
    if turn.channel != "telegram":  # Telegram shows buttons, not numbers
        lines += ["", turn.t("Where I offer numbered options, type the number; 0 goes back.")]
    turn.reply("\n".join(lines), title=turn.t("Help"))
    return END


@whoami.ask("show")
async def show_whoami(turn: Turn) -> Next:
    """Tell the user their key and role, which an admin needs to grant them one."""
    names = {"admin": turn.t("administrator"), "officer": turn.t("consular officer")}
    held = [names[role] for role in ("admin", "officer") if role in turn.roles]
    role = ", ".join(held) if held else turn.t("member")
    turn.reply(turn.t("Your key: {key}\nYour role: {role}", key=turn.key, role=role))
    return END


FEATURE = Feature(
    flows=[menu, help_flow, whoami],
    menu=[MenuEntry(N_("Help"), "help", order=900)],
    commands=[
        Command("menu", N_("Main menu"), "menu"),
        Command("help", N_("What I understand"), "help", call=True),
        Command("whoami", N_("Your key and role"), "whoami", call=True),
    ],
    words=[Word(N_("help"), "help", N_("this help"))],
)
