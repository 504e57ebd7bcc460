"""Questions for consular officers: members ask and follow up; officers claim, answer and close."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.dates import format_timedelta

from bot.flow import END, MENU, Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button, Reply
from bot.outbox import Render
from bot.plaintext import shorten
from bot.registry import OFFICER, Command, Feature, MenuEntry
from bot.turn import Turn
from handlers import consent, insight_exports
from handlers.faq import LIBRARY
from handlers.places import country_name
from storage import questions as store
from storage import roles
from storage.questions import Question
from storage.references import next_reference

MAX_QUESTION = 2000  # characters of one message to an officer
MAX_ABOUT = 100
PAGE = 6  # questions listed at once for officers

ask = Flow("ask", entry="question")
mine = Flow("myquestions", entry="list")
desk = Flow("questions", entry="list", roles=OFFICER)


def status_name(turn: Turn | Render, status: str) -> str:
    """A question's state in the reader's language."""
    names = {
        "open": turn.t("open"),
        "claimed": turn.t("being handled"),
        "answered": turn.t("answered"),
        "closed": turn.t("closed"),
    }
    return names[status]


def expectation(turn: Turn) -> str:
    """What to expect: configurable, and never a promise the service cannot keep."""
    days = turn.settings.question_answer_days
    if days:
        return turn.ngettext(
            "An officer will answer you here. Answers usually take up to {n} working day.",
            "An officer will answer you here. Answers usually take up to {n} working days.",
            days,
        )
    return turn.t("An officer will answer you here. Answers usually take a few working days.")


# -- members ---------------------------------------------------------------------------------------


@ask.route("ask")
async def open_ask(turn: Turn, arg: str) -> Next:
    """`ask` starts a question; `ask:<faq id>` remembers which answer did not help."""
    if arg:
        turn.data["faq_id"] = arg[:40]
    return "question"


@ask.ask("question")
async def ask_question(turn: Turn) -> Next | None:
    """The question itself (consent first: it is stored and read by staff)."""
    if not consent.given(turn):
        return consent.require(then="question")
    turn.reply(
        turn.t(
            "Write your question for the consular officers in one message. Please do not send"
            " passport or ID numbers here: the officer will ask if they are needed."
        ),
        title=turn.t("Ask an officer"),
    )
    return None


@ask.answer("question")
async def take_question(turn: Turn, answer: Answer) -> Next:
    """Keep the question, within reason."""
    text = answer.text.strip()
    if len(text) > MAX_QUESTION:
        turn.reply(
            turn.t(
                "Please keep it under {n} characters; you can add details later.", n=MAX_QUESTION
            )
        )
        return ask.again
    if len(text.split()) < 2:
        turn.reply(
            turn.t("Please write your question in a few words, so the officer understands it.")
        )
        return ask.again
    turn.data["body"] = text
    return "about"


@ask.ask("about")
async def ask_about(turn: Turn) -> None:
    """Optionally, which consulate or country it concerns."""
    buttons = []
    if turn.user.country:
        buttons.append(Button(country_name(turn.user.country, turn.locale), "home"))
    buttons.append(Button(turn.t("Skip"), "skip"))
    turn.reply(
        turn.t("Which consulate or country does it concern? Type it, or choose."), buttons=buttons
    )


@ask.answer("about", text=True)
async def take_about(turn: Turn, answer: Answer) -> Next:
    """Keep what was chosen or typed."""
    if answer.choice == "home" and turn.user.country:
        turn.data["about"] = country_name(turn.user.country, turn.locale)  # as they pressed it
    elif answer.choice == "skip":
        turn.data["about"] = None
    elif answer.text.strip().isdigit():  # a number beyond the options names no consulate
        turn.reply(turn.t("There is no option {number}.", number=answer.text.strip()[:12]))
        return ask.again
    else:
        turn.data["about"] = " ".join(answer.text.split())[:MAX_ABOUT]
    return "confirm"


@ask.ask("confirm")
async def ask_confirm(turn: Turn) -> None:
    """The question as it will be sent."""
    about = turn.data.get("about") or turn.t("not given")
    turn.reply(
        turn.t(
            "Your question:\n{body}\n\nIt concerns: {about}", body=turn.data["body"], about=about
        ),
        buttons=[
            Button(turn.t("Send it"), "send"),
            Button(turn.t("Write it again"), "edit"),
            Button(turn.t("Cancel"), "cancel"),
        ],
    )


@ask.answer("confirm")
async def take_confirm(turn: Turn, answer: Answer) -> Next:
    """Open the question with a reference, and tell the officers."""
    if answer.choice == "edit":
        return "question"
    if answer.choice != "send":
        turn.reply(turn.t("Cancelled."))
        return MENU
    if not consent.given(turn):  # the notice changed since the question was written
        return consent.require(then="confirm")
    reference = await next_reference(turn.db, "Q", turn.now.year)
    question = await store.create(
        turn.db,
        reference=reference,
        user_key=turn.key,
        body=turn.data["body"],
        about=turn.data.get("about"),
        locale=turn.locale,
        channel=turn.channel,
        country=turn.user.country,
        faq_id=turn.data.get("faq_id"),
        now=turn.now,
    )
    for officer in await officers_to_tell(turn):
        await turn.notify(
            officer,
            "questions.new",
            {"question": question.id},
            key=f"question:{question.id}:new:{officer}",
        )
    turn.reply(
        turn.t("Your question is sent. Its reference is {reference}.", reference=reference)
        + "\n\n"
        + expectation(turn),
        buttons=[Button(turn.t("My questions"), "myquestions", route=True)],
    )
    return END


async def officers_to_tell(turn: Turn) -> list[str]:
    """Officers and admins who want to hear about new questions."""
    keys = set(turn.settings.officers) | set(turn.settings.admins)
    keys |= {g.user_key for g in await roles.grants(turn.db)}
    found = []
    for key in sorted(keys):
        if key.startswith("console:admin"):
            continue  # the console's admin has no inbox
        exists = await turn.db.fetch_value("SELECT 1 FROM users WHERE key = ?", (key,))
        if exists and await store.notifies(turn.db, key):
            found.append(key)
    return found


@mine.route("myquestions")
async def open_mine(turn: Turn, arg: str) -> Next:
    """The member's questions."""
    return "list"


@mine.route("question")
async def open_one(turn: Turn, arg: str) -> Next:
    """`question:<id>`: one of the member's own questions (nobody else's)."""
    if not arg.isdigit():
        return "list"
    question = await store.get(turn.db, int(arg))
    if question is None or question.user_key != turn.key:
        turn.reply(turn.t("I cannot find that question among yours."))
        return "list"
    turn.data["id"] = question.id
    turn.state.move("show")  # from the list's entry step: "back" at the card leads to the list
    return mine.again


@mine.ask("list")
async def list_mine(turn: Turn) -> Next | None:
    """Each question with its reference and state."""
    found = await store.of_user(turn.db, turn.key)
    if not found:
        turn.reply(
            turn.t("You have not asked the officers anything yet."),
            title=turn.t("My questions"),
            buttons=[
                Button(turn.t("Ask an officer"), "ask", route=True),
                Button(turn.t("Main menu"), "menu", route=True),
            ],
        )
        return None
    turn.reply(
        turn.t("Your questions:"),
        title=turn.t("My questions"),
        buttons=[
            Button(f"{q.reference} · {status_name(turn, q.status)}", f"question:{q.id}", route=True)
            for q in found[:20]
        ]
        + [Button(turn.t("Main menu"), "menu", route=True)],
    )
    return None


@mine.ask("show")
async def show_mine(turn: Turn) -> Next | None:
    """The conversation so far, and what can be done next."""
    question = await store.get(turn.db, int(turn.data["id"]))
    if question is None or question.user_key != turn.key:
        return "list"
    buttons = [Button(turn.t("Add details"), "more")] if question.status != "closed" else []
    buttons += [
        Button(turn.t("My questions"), "myquestions", route=True),
        Button(turn.t("Main menu"), "menu", route=True),
    ]
    turn.reply(
        await conversation(turn, question, officer_view=False),
        title=f"{question.reference} · {status_name(turn, question.status)}",
        buttons=buttons,
    )
    return None


@mine.answer("show")
async def take_show(turn: Turn, answer: Answer) -> Next:
    """Add details."""
    return "details" if answer.choice == "more" else mine.again


@mine.ask("details")
async def ask_details(turn: Turn) -> None:
    """The follow-up message."""
    turn.reply(turn.t("Write what you want to add, in one message."))


@mine.answer("details")
@consent.needed
async def take_details(turn: Turn, answer: Answer) -> Next:
    """Attach it to this question; an answered one goes back to the officers."""
    question = await store.get(turn.db, int(turn.data["id"]))
    if question is None or question.user_key != turn.key:
        return "list"
    if question.status == "closed":
        turn.reply(turn.t("This question is closed. Please ask a new one."))
        turn.state.rewind("show")
        return mine.again
    text = answer.text.strip()
    if len(text) > MAX_QUESTION:
        turn.reply(
            turn.t(
                "Please keep it under {n} characters; you can add details later.", n=MAX_QUESTION
            )
        )
        return mine.again
    await store.add_message(turn.db, question.id, turn.key, "member", text, None, turn.now)
    if question.status == "answered":
        await store.set_status(
            turn.db, question.id, "claimed" if question.claimed_by else "open", turn.now
        )
    if question.claimed_by:
        await turn.notify(
            question.claimed_by,
            "questions.details",
            {"question": question.id},
            key=f"question:{question.id}:details:{turn.now.timestamp()}",
        )
    turn.reply(turn.t("Added to {reference}.", reference=question.reference))
    turn.state.rewind("show")  # sent: "back" must not offer to write it again
    return mine.again


async def conversation(turn: Turn | Render, question: Question, officer_view: bool) -> str:
    """The messages on a question, each with who wrote it and when."""
    zone = turn.user.time_zone or "UTC"
    lines = []
    if officer_view:
        lines.append(question_line(turn, question))
    for message in await store.messages(turn.db, question.id):
        who = (
            turn.t("You")
            if (message.side == "member") != officer_view
            else (turn.t("Officer") if message.side == "officer" else turn.t("Member"))
        )
        when = turn.i18n.datetime(message.created_at, zone)
        lines.append(f"{who}, {when}:\n{message.body}")
    return "\n\n".join(lines)


def question_line(turn: Turn | Render, question: Question) -> str:
    """What an officer needs at a glance: language, country, channel, waiting time or outcome."""
    country = country_name(question.country, turn.i18n.locale) if question.country else "–"
    facts = {
        "language": turn.i18n.language(question.locale),
        "country": country,
        "channel": question.channel,
        "about": question.about or "–",
    }
    zone = turn.user.time_zone or "UTC"
    if question.status == "closed" and question.closed_at:
        return turn.t(
            "Language: {language} · Country: {country} · Channel: {channel} · Closed: {when}"
            "\nIt concerns: {about}",
            when=turn.i18n.datetime(question.closed_at, zone),
            **facts,
        )
    if question.status == "answered":
        # An answered question changes only when an officer writes on it (the member's details
        # move it back to the officers): its last change is the officer's last message.
        return turn.t(
            "Language: {language} · Country: {country} · Channel: {channel} · Answered: {when}"
            "\nIt concerns: {about}",
            when=turn.i18n.datetime(question.updated_at, zone),
            **facts,
        )
    return turn.t(
        "Language: {language} · Country: {country} · Channel: {channel} · Waiting: {waited}"
        "\nIt concerns: {about}",
        waited=format_timedelta(turn.now - question.created_at, locale=turn.i18n.locale),
        **facts,
    )


# -- officers --------------------------------------------------------------------------------------


@desk.route("officer-question", roles=OFFICER)
async def open_desk_question(turn: Turn, arg: str) -> Next:
    """`officer-question:<id>` opens a question for an officer."""
    if not arg.isdigit() or await store.get(turn.db, int(arg)) is None:
        turn.reply(turn.t("I cannot find that question."))
        return "list"
    turn.data["id"] = int(arg)
    turn.state.move("show")  # from the list's entry step: "back" at the card leads to the list
    return desk.again


@desk.ask("list")
async def list_waiting(turn: Turn) -> None:
    """Open and handled questions, oldest first, a page at a time."""
    page = int(turn.data.get("page", 0))
    total = await store.count_waiting(turn.db)
    found = await store.waiting(turn.db, PAGE, page * PAGE)
    buttons = [
        Button(
            f"{q.reference} · {turn.i18n.language(q.locale)} · {status_name(turn, q.status)} · "
            + format_timedelta(turn.now - q.created_at, locale=turn.locale),
            f"officer-question:{q.id}",
            route=True,
        )
        for q in found
    ]
    if (page + 1) * PAGE < total:
        buttons.append(Button(turn.t("More"), "next"))
    buttons.append(Button(turn.t("Export as CSV"), "csv"))
    notify = await store.notifies(turn.db, turn.key)
    buttons.append(
        Button(
            turn.t("New-question notices: turn off")
            if notify
            else turn.t("New-question notices: turn on"),
            "notify",
        )
    )
    text = (
        turn.ngettext("{n} question waits.", "{n} questions wait.", total)
        if total
        else turn.t("No question waits.")
    )
    turn.reply(text, title=turn.t("Questions to answer"), buttons=buttons)


@desk.answer("list")
async def take_list(turn: Turn, answer: Answer) -> Next:
    """Page on, export every question, or switch notices."""
    if answer.choice == "csv":
        insight_exports.attach(turn, insight_exports.QUESTIONS)
    elif answer.choice == "next":
        turn.data["page"] = int(turn.data.get("page", 0)) + 1
    elif answer.choice == "notify":
        on = not await store.notifies(turn.db, turn.key)
        await store.set_notifies(turn.db, turn.key, on)
        turn.reply(
            turn.t("You will be told about new questions.")
            if on
            else turn.t("You will not be told about new questions.")
        )
    return desk.again


@desk.ask("show")
async def show_question(turn: Turn) -> Next | None:
    """A question for an officer: the facts, the conversation, related FAQ entries, actions."""
    question = await store.get(turn.db, int(turn.data["id"]))
    if question is None:
        return "list"
    turn.data["related"] = related = [
        h.id for h in LIBRARY.search(await first_message(turn, question))[:3]
    ]
    book = LIBRARY.book(turn.locale)
    body = await conversation(turn, question, officer_view=True)
    if related:
        titles = "\n".join(f"• {book.entries[i].question}" for i in related if i in book.entries)
        body += "\n\n" + turn.t("Related FAQ entries:") + "\n" + titles
    buttons = []
    mine_now = question.claimed_by == turn.key
    if question.status == "open":
        buttons.append(Button(turn.t("Claim it"), "claim"))
    if mine_now and question.status in ("claimed", "answered"):
        buttons += [Button(turn.t("Answer"), "answer"), Button(turn.t("Ask for more"), "more")]
    if question.status != "closed" and (mine_now or question.status == "open"):
        buttons.append(Button(turn.t("Close it"), "close"))
    if question.status == "closed":  # reopening undoes a close; an answered one is not closed
        buttons.append(Button(turn.t("Reopen it"), "reopen"))
    buttons.append(Button(turn.t("Back to the list"), "list"))
    title = f"{question.reference} · {status_name(turn, question.status)}"
    if question.claimed_by and not mine_now:
        title += " · " + turn.t("claimed by {officer}", officer=question.claimed_by)
    turn.reply(body, title=title, buttons=buttons)
    return None


async def first_message(turn: Turn, question: Question) -> str:
    """The member's first message (what the FAQ search looks at)."""
    found = await store.messages(turn.db, question.id)
    return found[0].body if found else ""


@desk.answer("show")
async def take_action(turn: Turn, answer: Answer) -> Next:
    """Claim, answer, ask for more, close, reopen: each checked against the state now."""
    question = await store.get(turn.db, int(turn.data["id"]))
    if question is None or answer.choice == "list":
        return "list"
    if answer.choice == "claim":
        if await store.claim(turn.db, question.id, turn.key, turn.now):
            turn.reply(turn.t("It is yours now."))
        else:
            turn.reply(
                turn.t(
                    "Someone else claimed it first ({officer}).", officer=question.claimed_by or "–"
                )
            )
        return desk.again
    if answer.choice in ("answer", "more"):
        if problem := refusal(turn, question):
            turn.reply(problem)
            return desk.again
        turn.data["kind"] = answer.choice
        return "write"
    if answer.choice == "close":
        if question.status != "open" and (problem := refusal(turn, question)):
            turn.reply(problem)
            return desk.again
        await store.set_status(turn.db, question.id, "closed", turn.now)
        await turn.notify(
            question.user_key,
            "questions.closed",
            {"question": question.id},
            key=f"question:{question.id}:closed:{turn.now.timestamp()}",
        )
        turn.reply(turn.t("{reference} is closed.", reference=question.reference))
        return "list"
    if answer.choice == "reopen":
        if question.status != "closed":  # an old button: it was reopened or never closed
            turn.reply(turn.t("{reference} is not closed.", reference=question.reference))
            return desk.again
        await store.set_status(turn.db, question.id, "open", turn.now)
        turn.reply(turn.t("{reference} is open again.", reference=question.reference))
        return desk.again
    return desk.again


def refusal(turn: Turn, question: Question) -> str | None:
    """Why this officer may not write on the question now (closed, or someone else's)."""
    if question.status == "closed":
        return turn.t("This question is closed. Reopen it first.")
    if question.claimed_by != turn.key:
        if question.claimed_by:
            return turn.t("{officer} has claimed this question.", officer=question.claimed_by)
        return turn.t("Claim the question first.")
    return None


@desk.ask("write")
async def ask_write(turn: Turn) -> None:
    """The message to the member, with the related FAQ entries to link."""
    book = LIBRARY.book(turn.locale)
    buttons = [
        Button(
            shorten(turn.t("Link: {question}", question=book.entries[i].question), 60), f"link:{i}"
        )
        for i in turn.data.get("related", [])
        if i in book.entries
    ]
    linked = turn.data.get("link")
    text = turn.t("Write your message to the member in one message.")
    if linked in book.entries:
        text += "\n" + turn.t(
            "It will end with a link to: {question}", question=book.entries[linked].question
        )
    turn.reply(text, buttons=buttons)


@desk.answer("write", text=True)
async def take_write(turn: Turn, answer: Answer) -> Next:
    """Send the message through the outbox; the member reads it in their channel."""
    if answer.choice and answer.choice.startswith("link:"):
        turn.data["link"] = answer.choice.partition(":")[2]
        return desk.again
    question = await store.get(turn.db, int(turn.data["id"]))
    if question is None:
        return "list"
    if problem := refusal(turn, question):  # it may have changed while the officer typed
        turn.reply(problem)
        turn.state.rewind("show")
        return desk.again
    text = answer.text.strip()
    if len(text) > MAX_QUESTION:
        turn.reply(
            turn.t(
                "Please keep it under {n} characters; you can send several messages.",
                n=MAX_QUESTION,
            )
        )
        return desk.again
    link = turn.data.pop("link", None)
    message_id = await store.add_message(
        turn.db, question.id, turn.key, "officer", text, link, turn.now
    )
    if turn.data.get("kind") == "answer":
        await store.set_status(turn.db, question.id, "answered", turn.now)
    await turn.notify(
        question.user_key,
        "questions.answer",
        {"question": question.id, "message": message_id},
        key=f"question:{question.id}:message:{message_id}",
    )
    turn.reply(turn.t("Sent to the member of {reference}.", reference=question.reference))
    turn.state.rewind("show")  # sent: "back" leads to the list, not to writing it again
    return desk.again


# -- outbox renderers ---------------------------------------------------------------------------


async def render_answer(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """An officer's message, with the reference, in the member's language; a linked FAQ answer."""
    question = await store.get(render.db, int(args["question"]))
    message = await store.message(render.db, int(args["message"]))
    if question is None or message is None:
        return None
    text = message.body
    if message.faq_id:
        entry = LIBRARY.book(render.i18n.locale).entries.get(message.faq_id)
        if entry is not None:
            text += "\n\n" + render.t("See also: {question}", question=entry.question)
    buttons = [Button(render.t("Reply"), f"question:{question.id}", route=True)]
    if message.faq_id:
        buttons.append(Button(render.t("Open that answer"), f"faq:{message.faq_id}", route=True))
    return [
        Reply(
            text,
            title=render.t("The consular officer about {reference}", reference=question.reference),
            buttons=tuple(buttons),
        )
    ]


async def render_closed(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A question was closed."""
    question = await store.get(render.db, int(args["question"]))
    if question is None or question.status != "closed":
        return None
    return [
        Reply(
            render.t(
                "Your question {reference} is closed. If you need more, ask a new one.",
                reference=question.reference,
            )
        )
    ]


async def render_new(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A new question, for an officer (skipped once someone took it)."""
    question = await store.get(render.db, int(args["question"]))
    if question is None or question.status != "open":
        return None
    return [
        Reply(
            question_line(render, question),
            title=render.t("New question {reference}", reference=question.reference),
            buttons=(Button(render.t("Open it"), f"officer-question:{question.id}", route=True),),
        )
    ]


async def render_details(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """The member added details to a question the officer holds."""
    question = await store.get(render.db, int(args["question"]))
    if question is None:
        return None
    return [
        Reply(
            render.t("The member added details to {reference}.", reference=question.reference),
            buttons=(Button(render.t("Open it"), f"officer-question:{question.id}", route=True),),
        )
    ]


FEATURE = Feature(
    flows=[ask, mine, desk],
    menu=[MenuEntry(N_("Questions to answer"), "questions", roles=OFFICER, order=700)],
    commands=[
        Command("ask", N_("Ask a consular officer"), "ask"),
        Command("myquestions", N_("Your questions to the officers"), "myquestions"),
        Command("questions", N_("Questions waiting for an officer"), "questions", roles=OFFICER),
    ],
    renderers={
        "questions.answer": render_answer,
        "questions.closed": render_closed,
        "questions.new": render_new,
        "questions.details": render_details,
    },
)
