"""Greetings and thanks: a friendly word back and the same step again, never an FAQ answer.

Without this, "hi" or "grazie" typed at a menu went to the FAQ search, which could take a short
word for a question ("γεια" is in "υγεία", health) and answer something nobody asked.
"""

from __future__ import annotations

from bot.flow import AGAIN, Next
from bot.i18n import normalize
from bot.registry import Fallback, Feature
from bot.turn import Turn

# Whole phrases, as people type them in the four languages (folded when read: no accents, any
# case). Only messages made of these and of FILLER words count; anything more is a question.
GREETINGS = (
    "hi", "hello", "hey", "hiya", "morning", "good morning", "good afternoon", "good evening",
    "ciao", "salve", "buongiorno", "buon giorno", "buonasera", "buona sera", "buon pomeriggio",
    "pershendetje", "tung", "miredita", "miremengjes", "mirembrema", "ckemi", "si jeni", "si je",
    "γεια", "γεια σας", "γεια σου", "καλημερα", "καλησπερα", "χαιρετε", "τι κανετε", "τι κανεις",
)  # fmt: skip
THANKS = (
    "thanks", "thank you", "thx", "ty", "cheers", "many thanks",
    "grazie", "grazie mille", "ti ringrazio", "la ringrazio", "molte grazie",
    "faleminderit", "ju faleminderit", "flm", "rrofsh", "rrofshi",
    "ευχαριστω", "ευχαριστουμε", "σας ευχαριστω", "σε ευχαριστω",
)  # fmt: skip
FILLER = frozenset(
    normalize(word)
    for word in ("a", "all", "there", "so", "much", "very", "again", "tutti", "tanto", "tante",
                 "mille", "ju", "juve", "shume", "πολυ", "σας", "ολους", "bot", "ok", "okay")
)  # fmt: skip
LONGEST = 3  # words in the longest phrase above


def _folded(phrases: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """The phrases as tuples of folded words."""
    return frozenset(tuple(normalize(p).split()) for p in phrases)


_KINDS = {"greeting": _folded(GREETINGS), "thanks": _folded(THANKS)}


def kind(text: str) -> str | None:
    """ "greeting" or "thanks" when the whole message is small talk (thanks wins), else None."""
    words = normalize(text).split()
    if not words or len(words) > 8:  # longer: something more than hello
        return None
    found: set[str] = set()

    def covers(start: int) -> bool:  # the words from `start` on are phrases and filler only
        if start == len(words):
            return True
        if words[start] in FILLER and covers(start + 1):
            return True
        for size in range(1, LONGEST + 1):
            phrase = tuple(words[start : start + size])
            for name, phrases in _KINDS.items():
                if len(phrase) == size and phrase in phrases and covers(start + size):
                    found.add(name)
                    return True
        return False

    if not covers(0) or not found:
        return None
    return "thanks" if "thanks" in found else "greeting"


def answer(turn: Turn, said: str) -> None:
    """A greeting or a thanks in kind, before the options that follow."""
    if said == "thanks":
        turn.reply(turn.t("You are welcome! Choose an option below if you need anything else."))
    else:
        turn.reply(turn.t("Hello! How can I help you? Choose an option below."))


async def small_talk(turn: Turn, text: str) -> Next | None:
    """Answer a greeting or a thanks in kind, then ask the current step again."""
    said = kind(text)
    if said is None:
        return None
    answer(turn, said)
    return AGAIN


FEATURE = Feature(fallbacks=[Fallback("small-talk", small_talk, order=50, anywhere=True)])
