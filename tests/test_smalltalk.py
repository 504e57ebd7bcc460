"""Typed text that is no consular question: greetings, thanks, bare short words, the name of a
menu entry, a yes or a no, a number."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.i18n import Catalogs
from handlers.faq import LIBRARY
from handlers.smalltalk import kind
from tests.harness import Chat
from tests.test_faq import member

HELLO = "Hello! How can I help you? Choose an option below."
WELCOME = "You are welcome! Choose an option below if you need anything else."
NOTHING_FOUND = "I could not find an answer to that among our questions."

SAID = {  # what a member types in their language: a greeting, then a thanks
    "sq": ("Përshëndetje!", "Faleminderit shumë"),
    "it": ("Buongiorno a tutti", "grazie mille!"),
    "el": ("Γεια σας", "Ευχαριστώ πολύ"),
    "en": ("hi there", "thanks"),
}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("hi", "greeting"),
        ("Ç'kemi", "greeting"),
        ("καλησπέρα σας", "greeting"),
        ("ok, thank you!", "thanks"),
        ("ciao, grazie", "thanks"),  # both: the thanks is what needs answering
        ("ok", None),  # no greeting or thanks in it
        ("hi, how do I renew my passport?", None),  # a question, greeting first
        ("thanks for nothing", None),
        ("", None),
    ],
)
def test_only_a_whole_message_of_greetings_and_thanks_is_small_talk(
    text: str, said: str | None
) -> None:
    assert kind(text) == said


@pytest.mark.parametrize("locale", sorted(SAID))
async def test_a_greeting_and_a_thanks_at_the_menu_are_answered_in_the_members_language(
    chat: Callable[..., Chat], catalogs: Catalogs, locale: str
) -> None:
    t = catalogs.translator(locale).t
    user = await member(chat, f"telegram:86{len(locale)}{sorted(SAID).index(locale)}", locale)
    greeting, thanks = SAID[locale]
    await user.send(greeting)
    assert [r.text for r in user.replies] == [t(HELLO), t("What would you like to do?")]
    assert user.last.title == t("Main menu")
    await user.send(thanks)
    assert [r.text for r in user.replies] == [t(WELCOME), t("What would you like to do?")]


async def test_a_greeting_at_the_language_picker_asks_for_the_language_again(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = chat("whatsapp:+393331112233", hint="it")
    await user.send("ciao")  # the first contact: the picker
    picker = [b.payload.rsplit("~", 1)[-1] for b in user.buttons]
    await user.send("ciao")  # again, at the picker: no FAQ answer, the picker again
    assert user.replies[0].text == catalogs.translator("it").t(HELLO)
    assert [b.payload.rsplit("~", 1)[-1] for b in user.buttons] == picker
    assert picker[0] == "sq"  # option 1 is Albanian, whatever the hint
    await user.send("1")  # and the picker still takes its numbers
    sq = catalogs.translator("sq").t
    assert user.replies[0].text == sq("From now on I will write to you in English.")


async def test_bare_short_words_are_no_faq_question_and_a_question_with_a_greeting_is(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:8650", "en")
    await user.press("consular")
    for word in ("no", "ok", "po", "ναι", "sì"):  # each once matched an entry containing it
        await user.send(word)
        assert user.replies[0].text.startswith(NOTHING_FOUND), word
        await user.press("menu")
        await user.press("consular")
    await user.send("γεια σας")  # "γεια" is in "υγεία" (health): the topics, not an answer
    assert user.replies[0].text == HELLO
    assert user.last.text == "Choose a topic, or type your question."
    await user.send("hi, my passport expired, how do I renew it from abroad?")
    [hit, *_] = LIBRARY.search("my passport expired, how do I renew it from abroad?")
    assert user.replies[0].title == LIBRARY.book("en").entries[hit.id].question
    await user.send("thanks")  # at "did this help?": thanked back, the same question again
    assert user.replies[0].text == WELCOME
    assert user.last.text == "Did this answer help you?"
    rows = await engine.db.read_all("SELECT entry_id FROM faq_views")
    assert len(rows) == 1  # only the real question counted as a view


async def test_a_sentence_naming_a_menu_entry_opens_it_when_the_faq_has_no_answer(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    said = [  # (language, typed at the main menu, the title of what opens)
        ("it", "voglio iscrivermi a un evento", "Upcoming events"),
        ("sq", "dua të regjistrohem në një aktivitet", "Upcoming events"),  # not postal voting
        ("sq", "Events", "Upcoming events"),  # another language's name of it
        ("el", "Events", "Upcoming events"),
        ("sq", "dua të propozoj një projekt", "Project ideas"),
        ("en", "I want to propose a project", "Project ideas"),
        ("el", "Ποιες εκδηλώσεις έχετε;", "Upcoming events"),
    ]
    for n, (locale, text, title) in enumerate(said):
        user = await member(chat, f"telegram:866{n}", locale)
        await user.send(text)
        assert user.replies[0].title == catalogs.translator(locale).t(title), text
    user = await member(chat, "telegram:8670", "en")
    await user.send("my passport was stolen, which events can help?")  # the FAQ answers first
    assert user.replies[0].title == LIBRARY.book("en").entries["lost-stolen-passport"].question
    await user.send("menu")
    await user.press("consular")  # not at the main menu: the text is a question, not a way
    await user.send("I want to propose a project")
    assert user.replies[0].text.startswith(NOTHING_FOUND)


async def test_a_word_naming_two_menu_entries_opens_neither(chat: Callable[..., Chat]) -> None:
    admin = await member(chat, "telegram:1", "en")  # an admin: Project ideas, Review project ideas
    await admin.send("a project")
    assert admin.replies[0].text.startswith(NOTHING_FOUND)


async def test_a_yes_or_a_no_picks_the_option_that_begins_with_it(
    chat: Callable[..., Chat], catalogs: Catalogs, engine: Engine
) -> None:
    user = await member(chat, "telegram:8680", "el")
    await user.send("/delete")
    await user.send("όχι")  # the option reads "Όχι, να παραμείνουν τα δεδομένα μου"
    el = catalogs.translator("el").t
    assert el("Please choose one of the options: tap it.") not in user.text
    assert await engine.db.read_one("SELECT 1 FROM users WHERE key = 'telegram:8680'")
    await user.send("/delete")
    await user.send("Ναι")  # "Ναι, διαγραφή όλων"
    assert not await engine.db.read_one("SELECT 1 FROM users WHERE key = 'telegram:8680'")


async def test_one_word_at_a_prompt_is_an_answer_and_a_number_is_no_question(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = chat("whatsapp:+355691234567", hint="sq")  # numbered options: "type its number"
    await user.send("/start")
    await user.send("Pranoj")  # "I accept", a step early: no FAQ answer on consular fees
    sq = catalogs.translator("sq").t
    assert user.replies[0].text == sq(
        "Please choose one of the options: type its number or tap it."
    )
    await user.press("sq")
    await user.press("later")
    await user.press("consular")
    await user.send("pasaporta")
    assert user.replies[0].title  # an answer, with its options
    await user.send("9")
    assert user.replies[0].text == sq("There is no option {number}.", number="9")
    assert user.replies[-1].text == sq("Did this answer help you?")


async def test_a_question_typed_in_a_staff_flow_gets_no_faq_answer(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    sq = catalogs.translator("sq").t
    question = "si ta rinovoj pasaportën nga jashtë"
    admin = await member(chat, "telegram:1", "sq")  # an admin at work: typing is no question
    await admin.send("/roles")
    await admin.send(question)
    assert admin.replies[0].text == sq("Please choose one of the options: tap it.")
    user = await member(chat, "telegram:8700", "sq")  # a member at a prompt gets the answer
    await user.send("/settings")
    await user.send(question)
    assert (
        user.replies[0].title == LIBRARY.book("sq").entries[LIBRARY.search(question)[0].id].question
    )


async def test_numbers_are_mentioned_only_where_options_are_numbered(
    chat: Callable[..., Chat],
) -> None:
    numbered = "Where I offer numbered options, type the number; 0 goes back."
    on_telegram = await member(chat, "telegram:8710", "en")
    await on_telegram.send("/help")
    assert numbered not in on_telegram.text  # buttons there, no numbers to type
    on_whatsapp = await member(chat, "whatsapp:+393331118710", "en")
    await on_whatsapp.send("/help")
    assert numbered in on_whatsapp.text


async def test_asking_for_help_with_something_is_a_question(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:8720", "it")
    await user.send("ho bisogno di aiuto per il passaporto scaduto")  # "aiuto" names Help
    assert user.replies[0].title != catalogs.translator("it").t("Help")
    assert user.replies[-1].text == catalogs.translator("it").t("Did this answer help you?")
