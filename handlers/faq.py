"""Consular help: browse the FAQ by category, or ask in your own words, in any language."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.flow import AGAIN, END, Answer, Call, Flow, Goto, Next
from bot.i18n import N_
from bot.messages import Button
from bot.registry import ADMIN, Command, Fallback, Feature, MenuEntry
from bot.turn import Turn
from handlers import consent, menu, smalltalk
from handlers.faq_content import FAQ_DIR, Book, FaqError, load
from handlers.faq_search import MIN_COVERAGE, FaqIndex, Hit, words
from storage import faq as votes

log = logging.getLogger(__name__)

RELATED = 3  # other likely questions offered under an answer
MAX_QUERY = 500  # characters of a question that are searched (the rest adds nothing)


class Library:
    """The FAQ books and their search index, read on first use and on an admin's reload."""

    def __init__(self, root: Path = FAQ_DIR) -> None:
        self.root = root
        self._books: dict[str, Book] | None = None
        self._index: FaqIndex | None = None

    @property
    def books(self) -> dict[str, Book]:
        """Every language's book."""
        if self._books is None:
            self.reload()
        assert self._books is not None
        return self._books

    @property
    def index(self) -> FaqIndex:
        """The search index over all four languages."""
        if self._index is None:
            self.reload()
        assert self._index is not None
        return self._index

    def reload(self) -> int:
        """Read the files again; on an error the content in use stays (and the error is raised)."""
        books = load(self.root)
        index = FaqIndex(books)
        self._books, self._index = books, index
        return len(books["en"].entries)

    def book(self, locale: str) -> Book:
        """The book in a language (English for an unknown one)."""
        return self.books.get(locale, self.books["en"])

    def search(self, text: str) -> list[Hit]:
        """The best entries for a question typed in any language."""
        return self.index.search(text[:MAX_QUERY], limit=1 + RELATED)


LIBRARY = Library()

CONSULAR = "consular"  # the flow, its route and its menu entry's route
SEARCHED = frozenset({CONSULAR, "help"})  # menu entries a question names, not a way to go
consular = Flow(CONSULAR, entry="menu")
faq = Flow("faq", entry="start")


@consular.ask("menu")
async def ask_consular(turn: Turn) -> None:
    """Browse, or type a question."""
    turn.reply(
        turn.t(
            "Browse the most common questions, or type your question in your own words, in any"
            " language."
        ),
        title=turn.t("Consular help"),
        buttons=[
            Button(turn.t("Browse the questions"), "browse"),
            Button(turn.t("Ask an officer"), "ask", route=True),
            Button(turn.t("My questions"), "myquestions", route=True),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )


@consular.answer("menu", text=True)
async def take_consular(turn: Turn, answer: Answer) -> Next:
    """Open the categories, or search what was typed."""
    if answer.choice == "browse":
        return consular.call("faq", then="menu")
    return consular.call("faq", then="menu", query=answer.text)


@faq.route("faq")
async def open_faq(turn: Turn, arg: str) -> Next:
    """`faq` opens the categories; `faq:<id>` an answer, from anywhere (a link, an old button)."""
    if arg:
        turn.data["id"] = arg
    return "start"


@faq.ask("start")
async def start(turn: Turn) -> Next:
    """Where the flow begins: an answer asked for, a question to search, or the categories."""
    query = turn.data.pop("query", None)
    if isinstance(query, str):
        return search(turn, query, chatted="categories")
    entry_id = turn.data.get("id")
    if isinstance(entry_id, str):
        if entry_id in LIBRARY.book(turn.locale).entries:
            return "answer"
        turn.reply(turn.t("That question is no longer in our list. Here are the topics."))
    return "categories"


def search(turn: Turn, text: str, chatted: Next = AGAIN) -> Next:
    """Find the best answer for a question and offer the next likely ones.

    "Hi" or "thanks" typed where a question may come is answered in kind, and a number says
    there is no such option; then `chatted`: the same step again, or the topics when the flow
    was entered with it.
    """
    said = smalltalk.kind(text)
    if said is not None:
        smalltalk.answer(turn, said)
        return chatted
    if text.strip().isdigit():  # a number beyond the options offered is no question
        turn.reply(turn.t("There is no option {number}.", number=text.strip()[:12]))
        return chatted
    hits = LIBRARY.search(text)
    if not hits or hits[0].coverage < MIN_COVERAGE:
        return "nomatch"
    turn.data["id"] = hits[0].id
    turn.data.pop("shown", None)  # a new question: the answer counts again
    turn.data["related"] = [h.id for h in hits[1:] if h.coverage >= MIN_COVERAGE / 2][:RELATED]
    return "answer"


@faq.ask("categories")
async def ask_categories(turn: Turn) -> None:
    """The topics."""
    book = LIBRARY.book(turn.locale)
    turn.reply(
        turn.t("Choose a topic, or type your question."),
        title=turn.t("Consular help"),
        buttons=[
            *(Button(title, f"category:{key}") for key, title in book.categories.items()),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )


@faq.answer("categories", text=True)
async def take_category(turn: Turn, answer: Answer) -> Next:
    """A topic's questions, or a search."""
    if answer.choice and answer.choice.startswith("category:"):
        turn.data["category"] = answer.choice.partition(":")[2]
        return "questions"
    return search(turn, answer.text)


@faq.ask("questions")
async def ask_questions(turn: Turn) -> Next | None:
    """The questions of the chosen topic."""
    book = LIBRARY.book(turn.locale)
    category = turn.data.get("category")
    if category not in book.categories:
        return "categories"
    turn.reply(
        turn.t("Choose a question, or type your own."),
        title=book.categories[category],
        buttons=[
            *(Button(entry.question, f"entry:{entry.id}") for entry in book.in_category(category)),
            Button(turn.t("Back to the topics"), "topics"),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )
    return None


@faq.answer("questions", text=True)
async def take_question(turn: Turn, answer: Answer) -> Next:
    """A question of the list (so "back" returns to the list), or typed text to search."""
    if answer.choice and answer.choice.startswith("entry:"):
        turn.data["id"] = answer.choice.partition(":")[2]
        turn.data.pop("related", None)
        return "answer"
    if answer.choice == "topics":
        return "categories"
    return search(turn, answer.text)


@faq.ask("answer")
async def show_answer(turn: Turn) -> Next | None:
    """The answer in the user's language, then "did this help?" and other likely questions."""
    book = LIBRARY.book(turn.locale)
    entry = book.entries.get(str(turn.data.get("id")))
    if entry is None:
        return "categories"
    turn.reply(f"{entry.answer}\n\n{book.portal_note}", title=entry.question)
    if turn.data.get("shown") != entry.id:  # shown again by "back" or a stale button: once
        await votes.shown(turn.db, entry.id, turn.now)
        turn.data["shown"] = entry.id
    related = [
        book.entries[i] for i in turn.data.get("related", []) if i in book.entries and i != entry.id
    ]
    if related:
        turn.reply(
            turn.t("Other questions that may be yours:"),
            buttons=[Button(e.question, f"faq:{e.id}", route=True) for e in related],
        )
    turn.reply(
        turn.t("Did this answer help you?"),
        buttons=[
            Button(turn.t("Yes, it helped"), "yes"),
            Button(turn.t("No"), "no"),
            Button(turn.t("More questions"), "more"),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )
    return None


@faq.answer("answer", text=True)
async def take_feedback(turn: Turn, answer: Answer) -> Next:
    """Store the vote; typed text is a new question."""
    entry_id = str(turn.data.get("id"))
    if answer.choice == "more":
        turn.data.pop("related", None)
        turn.data.pop("shown", None)
        return "categories"
    if answer.choice in ("yes", "no"):
        if not consent.given(turn):  # a vote is kept with the user's key: agreement first
            return consent.require(then="answer")
        await votes.vote(turn.db, entry_id, turn.key, answer.choice == "yes", turn.now)
        if answer.choice == "yes":
            turn.reply(turn.t("Thank you for telling us."))
        else:
            turn.reply(
                turn.t(
                    "Sorry that it did not help. A consular officer can answer your own case"
                    " here; the official portal e-Albania (https://e-albania.al) and your"
                    " Albanian embassy or consulate have the current requirements."
                ),
                buttons=[Button(turn.t("Ask an officer"), f"ask:{entry_id}", route=True)],
            )
        return END
    return search(turn, answer.text)


@faq.ask("nomatch")
async def no_match(turn: Turn) -> None:
    """Say honestly that nothing fits, and what to do instead."""
    turn.reply(
        turn.t(
            "I could not find an answer to that among our questions. Try other words, browse"
            " the topics, or ask a consular officer. The official portal e-Albania"
            " (https://e-albania.al) and your Albanian embassy or consulate can help too."
        ),
        buttons=[
            Button(turn.t("Ask an officer"), "ask", route=True),
            Button(turn.t("Browse the questions"), "browse"),
            Button(turn.t("Main menu"), "menu", route=True),
        ],
    )


@faq.answer("nomatch", text=True)
async def take_no_match(turn: Turn, answer: Answer) -> Next:
    """Browse, or try again with other words."""
    if answer.choice == "browse":
        return "categories"
    return search(turn, answer.text)


async def fallback(turn: Turn, text: str) -> Next | None:
    """Free text where no step expects it: a question for the FAQ.

    At the main menu anything goes to the search (which may say it found nothing), unless the
    text names another menu entry, which is opened; at other steps only a confident match of
    two words or more interrupts, and the user comes back to the step afterwards.
    """
    typed = words(text)
    if not typed or turn.registry.flows[turn.state.flow].roles:  # staff at work: no FAQ answers
        return None
    if turn.state.flow == turn.registry.main_menu.name and not turn.state.stack:
        # "I want to sign up for an event" is for Events, whatever an answer's words may share
        # with it; what names the consular help or help ("aiuto per il passaporto") is a
        # question for the search.
        entry = menu.entry_for(turn, text)
        if entry is not None and entry not in SEARCHED:
            return Goto(entry)
    elif len(typed) < 2:  # one word at a prompt is an attempt at an answer, not a question
        return None
    else:
        hits = LIBRARY.search(text)
        if not hits or hits[0].coverage < MIN_COVERAGE:
            return None
    return Call("faq", then=turn.state.step, data={"query": text})


reload_flow = Flow("faq_reload", entry="reload", roles=ADMIN)


@reload_flow.ask("reload")
async def reload_faq(turn: Turn) -> Next:
    """Read the FAQ files again after an edit (the content in use stays if they are broken)."""
    try:
        count = LIBRARY.reload()
    except FaqError as exc:
        turn.reply(
            turn.t(
                "The FAQ files have a problem; the current content stays: {problem}",
                problem=str(exc),
            )
        )
    else:
        turn.reply(
            turn.ngettext(
                "The FAQ is reloaded: {n} question.", "The FAQ is reloaded: {n} questions.", count
            )
        )
    return END


FEATURE = Feature(
    flows=[consular, faq, reload_flow],
    menu=[MenuEntry(N_("Consular help"), CONSULAR, order=20)],
    commands=[
        Command("consular", N_("Consular questions and answers"), "consular"),
        Command("faq_reload", N_("Read the FAQ files again"), "faq_reload", roles=ADMIN, call=True),
    ],
    fallbacks=[Fallback("faq", fallback, order=100, anywhere=True)],
)
