"""Questions for consular officers: asking, claiming, answering, and answers reaching members."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from bot.messages import Incoming
from bot.plaintext import shorten
from handlers.faq import LIBRARY
from storage import users
from storage.clock import from_db, utcnow
from tests.fake_telegram import Call, FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.stack import TEMPLATES, both_channels, running

OFFICER = "telegram:2"  # OFFICERS in the test settings (tests/conftest.py)


async def member(chat: Callable[..., Chat], key: str, locale: str = "en") -> Chat:
    """A user who chose a language and agreed to the privacy notice, at the main menu."""
    user = chat(key, hint=locale)
    await user.send("/start")
    await user.press(locale)
    await user.press("agree")
    await user.press("skip")
    return user


async def ask(
    user: Chat, text: str = "My father's documents are in Korçë; how do I get them?"
) -> str:
    """Ask an officer a question; returns its reference."""
    await user.send("/ask")
    await user.send(text)
    await user.press("skip")
    await user.press("send")
    found = re.search(r"Q-\d{4}-\d{4}", user.replies[0].text)
    assert found is not None, user.replies[0].text
    return found.group()


async def test_a_member_asks_and_gets_a_reference_and_an_honest_expectation(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    for staff in ("telegram:1", OFFICER):  # they have written to the bot: they can be told
        await member(chat, staff)
    user = await member(chat, "telegram:9101")
    await user.send("/ask")
    assert user.last.title == "Ask an officer"
    await user.send("help")  # a global word, not a question: the help, then the question again
    await user.send("x" * 2001)
    assert user.replies[0].text.startswith("Please keep it under 2,000 characters")
    await user.send("How do I transfer my pension from Italy to Albania?")
    await user.send("Consolato di Milano")
    assert "It concerns: Consolato di Milano" in user.last.text
    await user.press("send")
    text = user.replies[0].text
    assert f"Q-{utcnow().year}-0001" in text
    assert "Answers usually take a few working days." in text
    rows = await engine.db.read_all(
        "SELECT reference, about, locale, channel, status FROM questions"
    )
    assert [tuple(r) for r in rows] == [
        (f"Q-{utcnow().year}-0001", "Consolato di Milano", "en", "telegram", "open")
    ]
    officers = await engine.db.read_all(
        "SELECT recipient FROM outbox WHERE renderer = 'questions.new'"
    )
    assert {r[0] for r in officers} == {"telegram:1", "telegram:2"}  # the admin too


async def test_asking_needs_consent_and_continues_after_it(chat: Callable[..., Chat]) -> None:
    user = chat("telegram:9102", hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("later")
    await user.send("/ask")
    assert user.last.title == "Privacy notice"
    await user.press("agree")
    assert user.last.title == "Ask an officer"


async def test_officer_claims_answers_and_closes(chat: Callable[..., Chat], engine: Engine) -> None:
    user = await member(chat, "whatsapp:+393331110001", "it")
    reference = await ask(user)
    officer = await member(chat, OFFICER)
    await officer.send("/questions")
    assert officer.replies[0].text == "1 question waits."
    [entry] = [b for b in officer.buttons if b.label.startswith(reference)]
    await officer.press(entry.payload)
    assert "Language: Italian" in officer.last.text and "Channel: whatsapp" in officer.last.text
    assert entry.label.startswith(f"{reference} · Italian · open · ")  # named, not a code
    assert "Korçë" in officer.last.text
    await officer.press("Claim it")
    assert officer.replies[0].text == "It is yours now."
    await officer.press("Answer")
    await officer.send("Please book an appointment on e-Albania; bring the old certificate.")
    assert officer.replies[0].text == f"Sent to the member of {reference}."
    rows = await engine.db.read_all(
        "SELECT renderer, recipient, args FROM outbox WHERE renderer = 'questions.answer'"
    )
    assert [(r[0], r[1]) for r in rows] == [("questions.answer", "whatsapp:+393331110001")]
    await officer.press("Close it")
    status = await engine.db.read_one("SELECT status, closed_at FROM questions")
    assert status is not None and status[0] == "closed" and status[1] is not None
    await officer.send("/questions")
    assert officer.replies[0].text == "No question waits."


async def test_claims_under_concurrency_have_one_winner(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:9103")
    await ask(user)
    first, second = await member(chat, "telegram:1"), await member(chat, OFFICER)
    for officer in (first, second):
        await officer.press("officer-question:1")
    a, b = (o.button("Claim it") for o in (first, second))
    assert a is not None and b is not None
    results = await asyncio.gather(
        engine.handle(Incoming(first.user, "button", payload=a.payload, message_id="c1")),
        engine.handle(Incoming(second.user, "button", payload=b.payload, message_id="c2")),
    )
    texts = sorted(r.replies[0].text for r in results)
    assert texts[0] == "It is yours now."
    assert texts[1].startswith("Someone else claimed it first")
    row = await engine.db.read_one("SELECT claimed_by FROM questions")
    assert row is not None and row[0] in ("telegram:1", OFFICER)


async def test_writing_on_a_closed_or_someone_elses_question_is_refused(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:9104")
    await ask(user)
    admin, officer = await member(chat, "telegram:1"), await member(chat, OFFICER)
    await admin.press("officer-question:1")
    await officer.press("officer-question:1")
    await admin.press("Claim it")
    stale = officer.button("Claim it")
    assert stale is not None
    await officer.press("officer-question:1")  # the question as it is now
    assert "claimed by telegram:1" in (officer.last.title or "")
    assert officer.button("Answer") is None  # not offered
    await admin.press("Close it")
    await admin.press("officer-question:1")
    await admin.press("Reopen it")
    assert admin.replies[0].text.endswith("is open again.")


async def test_follow_ups_attach_to_the_right_question(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:9105")
    first = await ask(user, "First question about a passport renewal")
    second = await ask(user, "Second question about a power of attorney")
    await user.send("/myquestions")
    assert [b.label.split(" · ")[0] for b in user.buttons] == [second, first, "Main menu"]
    await user.press(next(b.payload for b in user.buttons if b.label.startswith(second)))
    await user.press("Add details")
    await user.send("It is for my brother in Durrës.")
    assert user.replies[0].text == f"Added to {second}."
    rows = await engine.db.read_all(
        "SELECT q.reference, m.body FROM question_messages m"
        " JOIN questions q ON q.id = m.question_id ORDER BY m.id"
    )
    assert [tuple(r) for r in rows][-1] == (second, "It is for my brother in Durrës.")
    assert "It is for my brother in Durrës." in user.last.text  # the conversation so far


async def test_members_cannot_see_others_questions_and_non_officers_are_refused(
    chat: Callable[..., Chat],
) -> None:
    owner = await member(chat, "telegram:9106")
    await ask(owner)
    other = await member(chat, "telegram:9107")
    await other.press("question:1")
    assert other.replies[0].text == "I cannot find that question among yours."
    assert "Korçë" not in other.text
    for attempt in ("/questions", "officer-question:1"):
        if attempt.startswith("/"):
            await other.send(attempt)
        else:
            await other.press(attempt)
        assert other.replies[0].text == "That part is for staff only."
        assert "Korçë" not in other.text


async def test_references_are_unique_under_concurrent_submissions(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    users = [await member(chat, f"telegram:92{i:02d}") for i in range(30)]
    for user in users:
        await user.send("/ask")
        await user.send(f"Question number {user.user} about documents")
        await user.press("skip")
    send = [u.button("send") for u in users]
    await asyncio.gather(
        *(
            engine.handle(Incoming(u.user, "button", payload=b.payload, message_id=f"s{i}"))
            for i, (u, b) in enumerate(zip(users, send, strict=True))
            if b is not None
        )
    )
    rows = await engine.db.read_all("SELECT reference FROM questions ORDER BY reference")
    year = utcnow().year
    assert [r[0] for r in rows] == [f"Q-{year}-{n:04d}" for n in range(1, 31)]


async def test_officers_can_switch_new_question_notices_off(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    await member(chat, "telegram:1")
    officer = await member(chat, OFFICER)
    await officer.send("/questions")
    await officer.press("New-question notices: turn off")
    assert officer.replies[0].text == "You will not be told about new questions."
    user = await member(chat, "telegram:9108")
    await ask(user)
    rows = await engine.db.read_all("SELECT recipient FROM outbox WHERE renderer = 'questions.new'")
    assert [r[0] for r in rows] == ["telegram:1"]


async def test_an_answered_card_tells_when_and_offers_reopen_only_once_closed(
    chat: Callable[..., Chat], engine: Engine, catalogs: Catalogs
) -> None:
    sq = catalogs.translator("sq")
    user = await member(chat, "telegram:9109")
    reference = await ask(user)
    officer, admin = await member(chat, OFFICER, "sq"), await member(chat, "telegram:1")
    await officer.send("/questions")
    await officer.press("officer-question:1")
    assert "Në pritje: " in officer.last.text  # still waiting: how long
    await officer.press("claim")
    await officer.press("answer")
    await officer.send("Rezervoni një takim në e-Albania.")
    assert officer.last.title == f"{reference} · e përgjigjur"
    row = await engine.db.read_one("SELECT updated_at FROM questions")
    assert row is not None
    answered = sq.datetime(from_db(row[0]), "UTC")
    assert f"U përgjigj: {answered}" in officer.last.text
    assert "Në pritje" not in officer.last.text
    assert officer.button("reopen") is None  # answered is not closed: nothing to reopen
    assert officer.button("close") is not None
    await officer.press("close")
    await officer.press("officer-question:1")
    assert officer.last.title == f"{reference} · e mbyllur"
    assert "U mbyll: " in officer.last.text and "U përgjigj" not in officer.last.text
    await admin.press("officer-question:1")  # the admin sees it closed too
    await officer.press("reopen")
    assert officer.replies[0].text == f"{reference} u rihap."
    await admin.press("reopen")  # the admin's card was drawn before the officer reopened it
    assert admin.replies[0].text == f"{reference} is not closed."
    row = await engine.db.read_one("SELECT status, claimed_by FROM questions")
    assert row is not None and tuple(row) == ("open", None)


async def test_back_after_an_answer_is_sent_leads_to_the_card_and_the_list_not_to_writing(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:9110", "it")
    reference = await ask(user)
    officer = await member(chat, OFFICER, "sq")
    await officer.send("/questions")
    await officer.press("officer-question:1")
    await officer.press("claim")
    await officer.press("answer")
    await officer.send("Rezervoni një takim në e-Albania.")
    assert officer.last.title == f"{reference} · e përgjigjur"  # the card, after the answer
    await officer.send("mbrapa")
    assert officer.last.title == "Pyetje për t'u përgjigjur"  # the list, not the write prompt
    await officer.send("mbrapa")
    assert officer.last.title == "Menyja kryesore"
    rows = await engine.db.read_all("SELECT side FROM question_messages ORDER BY id")
    assert [r[0] for r in rows] == ["member", "officer"]  # nothing was sent twice

    await user.send("/myquestions")  # the member's details: back leads to the list too
    await user.press("question:1")
    await user.press("more")
    await user.send("Il consolato di Milano, nel duemilasedici.")
    assert user.replies[0].text == f"Aggiunto alla domanda {reference}."
    assert (user.last.title or "").startswith(reference)
    await user.send("indietro")
    assert user.last.title == "Le mie domande"
    rows = await engine.db.read_all("SELECT side FROM question_messages ORDER BY id")
    assert [r[0] for r in rows] == ["member", "officer", "member"]


async def test_faq_link_buttons_are_cut_at_a_word_with_an_ellipsis(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:9111", "sq")
    await ask(user, "Si ta marr pasaportën e parë për fëmijën tim të lindur jashtë vendit?")
    officer = await member(chat, OFFICER, "sq")
    await officer.press("officer-question:1")
    await officer.press("claim")
    await officer.press("answer")
    book = LIBRARY.book("sq")
    links = [b for b in officer.buttons if b.payload.rsplit("~", 1)[-1].startswith("link:")]
    assert links
    cut = 0
    for button in links:
        entry = book.entries[button.payload.rsplit("link:", 1)[-1]]
        full = catalogs.translator("sq").t("Link: {question}", question=entry.question)
        assert full.startswith("Lidhje: ")
        assert len(button.label) <= 60
        if button.label != full:
            cut += 1
            head = button.label.removesuffix("…")
            assert button.label.endswith("…") and full.startswith(head)
            assert full[len(head)] in " .,;:"  # the next character ends a word
    assert cut  # the first-passport entry is longer than a button


def test_shorten_cuts_at_words_and_inside_one_long_word_only_when_it_must() -> None:
    assert shorten("Si ta marr  pasaportën\ne parë", 60) == "Si ta marr pasaportën e parë"
    assert shorten("Si ta marr pasaportën e parë", 20) == "Si ta marr…"
    assert shorten("Ndryshimi, i emrit", 11) == "Ndryshimi…"
    assert shorten("Pasaportë" * 5, 10) == "Pasaportë…"


async def test_my_questions_have_a_title_and_ways_back_in_the_members_language(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    t = catalogs.translator("it").t
    user = await member(chat, "telegram:9112", "it")
    await user.send("/myquestions")
    assert user.last.title == t("My questions") == "Le mie domande"
    assert [(b.label, b.payload) for b in user.buttons] == [
        (t("Ask an officer"), "ask"),
        (t("Main menu"), "menu"),
    ]
    reference = await ask(user)
    await user.send("/myquestions")
    assert [b.payload for b in user.buttons] == ["question:1", "menu"]
    await user.press("question:1")
    assert (user.last.title or "").startswith(reference)
    assert [b.label for b in user.buttons] == [t("Add details"), t("My questions"), t("Main menu")]
    await user.press(t("My questions"))
    assert user.last.title == "Le mie domande"
    await user.press("question:1")
    await user.press(t("Main menu"))
    assert user.last.title == t("Main menu")


# -- across channels, through the outbox --------------------------------------------------------


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    """Wait for a condition, with a deadline."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("locale", LOCALES)
async def test_whatsapp_member_telegram_officer_in_each_language(
    db_path: Path, fakes: tuple[FakeTelegram, FakeTwilio], catalogs: Catalogs, locale: str
) -> None:
    telegram, twilio = fakes
    urls = telegram.url, twilio.url
    settings = both_channels(db_path, *urls, officers=frozenset({OFFICER}))
    async with running(settings) as (engine, _):
        user = await member(lambda k, hint: Chat(engine, k, hint), "whatsapp:+393332220001", locale)
        officer = await member(lambda k, hint: Chat(engine, k, hint), OFFICER, "en")
        reference = await ask(user, "Dua një certifikatë familjare për gjyshen time")
        await telegram.wait_for(lambda: bool(telegram.sent(2)))  # the officer is told on Telegram
        assert reference in telegram.texts(2)[-1]
        await officer.press("officer-question:1")
        await officer.press("Claim it")
        await officer.press("Answer")
        await officer.send("You can request it on e-Albania with your personal number.")
        await until(lambda: _true(len(twilio.bodies("whatsapp:+393332220001")) >= 1))
    [body] = twilio.bodies("whatsapp:+393332220001")
    title = catalogs.translator(locale).t(
        "The consular officer about {reference}", reference=reference
    )
    assert body.startswith(f"*{title}*\nYou can request it on e-Albania")


async def test_asking_for_more_and_a_linked_faq_answer_reach_the_member_in_their_language(
    db_path: Path, fakes: tuple[FakeTelegram, FakeTwilio], catalogs: Catalogs
) -> None:
    telegram, twilio = fakes
    settings = both_channels(db_path, telegram.url, twilio.url, officers=frozenset({OFFICER}))
    t = catalogs.translator("it").t
    renew = LIBRARY.book("it").entries["passport-renew"]  # what the officer will link

    def message_with(words: str) -> Callable[[], bool]:
        return lambda: any(words in text for text in telegram.texts(9301))

    def delivered(words: str) -> Call:
        [call] = [c for c in telegram.sent(9301) if words in html.unescape(c.params["text"])]
        return call

    async with running(settings) as (engine, _):

        def talk(key: str, hint: str) -> Chat:
            return Chat(engine, key, hint)

        async def status() -> str:
            row = await engine.db.read_one("SELECT status FROM questions")
            assert row is not None
            return str(row[0])

        user = await member(talk, "telegram:9301", "it")
        reference = await ask(user, "Come rinnovo il passaporto scaduto? Vivo a Milano.")
        officer = await member(talk, OFFICER, "en")
        await officer.press("officer-question:1")
        await officer.press("Claim it")
        await officer.press("Ask for more")
        assert officer.last.text == "Write your message to the member in one message."
        await officer.send("Which consulate issued your old passport, and in which year?")
        assert officer.replies[0].text == f"Sent to the member of {reference}."
        assert await status() == "claimed"  # asking for more is no answer: still being handled

        await telegram.wait_for(message_with("Which consulate issued your old passport"))
        request = delivered("Which consulate issued your old passport")
        title = t("The consular officer about {reference}", reference=reference)
        assert title != f"The consular officer about {reference}"
        assert html.unescape(request.params["text"]) == (
            f"<b>{title}</b>\nWhich consulate issued your old passport, and in which year?"
        )
        assert request.labels == [t("Reply")] == ["Rispondi"]
        assert [b["callback_data"] for row in request.keyboard for b in row] == ["question:1"]
        await user.send("/myquestions")
        assert user.labels[0] == f"{reference} · {t('being handled')}"
        await user.press("question:1")  # what the member's Reply button does
        assert "Which consulate issued your old passport" in user.last.text
        await user.press("Aggiungi dettagli")
        await user.send("Il consolato di Milano, nel duemilasedici.")
        assert user.replies[0].text == t("Added to {reference}.", reference=reference)
        assert await status() == "claimed"

        await officer.press("Answer")
        assert shorten(f"Link: {LIBRARY.book('en').entries['passport-renew'].question}", 60) in (
            officer.labels
        )
        await officer.press("link:passport-renew")
        assert officer.last.text.endswith(
            "It will end with a link to: " + LIBRARY.book("en").entries["passport-renew"].question
        )
        await officer.send("Può rinnovarlo dal consolato di Milano: prenoti su e-Albania.")
        assert officer.replies[0].text == f"Sent to the member of {reference}."
        assert await status() == "answered"
        linked = await engine.db.read_all("SELECT side, faq_id FROM question_messages ORDER BY id")
        assert [tuple(r) for r in linked] == [
            ("member", None),
            ("officer", None),
            ("member", None),
            ("officer", "passport-renew"),
        ]

        await telegram.wait_for(message_with("prenoti su e-Albania"))
        answer = html.unescape(delivered("prenoti su e-Albania").params["text"])
        assert answer.endswith(t("See also: {question}", question=renew.question))
        assert f"Vedi anche: {renew.question}" in answer  # the Italian entry, in Italian
        call = delivered("prenoti su e-Albania")
        assert call.labels == [t("Reply"), t("Open that answer")]
        assert [b["callback_data"] for row in call.keyboard for b in row] == [
            "question:1",
            "faq:passport-renew",
        ]
        await user.press("faq:passport-renew")  # what "Apri la risposta" does
        assert user.replies[0].title == renew.question
        assert user.replies[0].text.startswith(renew.answer)
        await user.send("/myquestions")
        assert user.labels[0] == f"{reference} · {t('answered')}"


async def test_an_answer_outside_the_window_is_held_until_the_member_writes(
    db_path: Path, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    telegram, twilio = fakes
    urls = telegram.url, twilio.url
    settings = both_channels(db_path, *urls, officers=frozenset({OFFICER}))
    async with running(settings) as (engine, _):
        user = await member(lambda k, hint: Chat(engine, k, hint), "whatsapp:+393332220002", "sq")
        reference = await ask(user)
        async with engine.db.transaction() as tx:  # the member last wrote two days ago
            await users.update(tx, user.user, last_inbound_at=utcnow() - timedelta(days=2))
        officer = await member(lambda k, hint: Chat(engine, k, hint), OFFICER, "en")
        await officer.press("officer-question:1")
        await officer.press("Claim it")
        await officer.press("Answer")
        await officer.send("The answer that waits.")
        await until(lambda: _true(len(twilio.requests) >= 1))
        [notice] = twilio.requests
        assert notice.params["ContentSid"] == TEMPLATES["sq"]
        await user.send("ok")  # the member writes back: the held answer comes first
        assert user.replies[0].text == "The answer that waits."
        assert reference in (user.replies[0].title or "")
        assert user.last.title == "Menyja kryesore"


async def _true(value: bool) -> bool:
    """A plain condition, for `until`."""
    return value


async def test_a_number_beyond_the_options_is_no_consulate(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:9190", "sq")
    await user.send("/ask")
    await user.send("Si ta rinovoj pasaportën e fëmijës?")
    await user.send("2")  # the options are "Skip" alone: 2 names nothing
    sq = catalogs.translator("sq").t
    assert user.replies[0].text == sq("There is no option {number}.", number="2")
    await user.send("Milano")
    assert user.last.text == sq(
        "Your question:\n{body}\n\nIt concerns: {about}",
        body="Si ta rinovoj pasaportën e fëmijës?",
        about="Milano",
    )


async def test_the_country_of_a_question_is_named_as_the_member_pressed_it(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = await member(chat, "telegram:9191", "sq")
    async with engine.db.transaction() as tx:
        await tx.execute("UPDATE users SET country = 'IT' WHERE key = ?", (user.user,))
    await user.send("/ask")
    await user.send("Si ta rinovoj pasaportën e fëmijës?")
    await user.press("Itali")  # their country, in Albanian
    assert user.last.text.endswith("Ka të bëjë me: Itali")  # not "Italy"
