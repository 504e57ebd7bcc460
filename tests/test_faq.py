"""The consular FAQ: content in four languages, browsing, search, feedback, the fallback."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.i18n import LOCALES, Catalogs
from handlers.faq import LIBRARY, RELATED
from handlers.faq_content import FAQ_DIR, FaqError, load
from handlers.faq_search import MIN_COVERAGE
from tests.harness import Chat

URL = re.compile(r"https?://\S+")


def test_every_language_has_the_same_entries_categories_and_fields() -> None:
    books = load()
    assert len(books["en"].entries) >= 40
    assert list(books["en"].categories) == [
        "passports", "civil-status", "citizenship", "documents",
        "notarial", "voting", "online", "emergencies",
    ]  # fmt: skip
    for locale in LOCALES:
        book = books[locale]
        assert list(book.entries) == list(books["en"].entries)
        for category in book.categories:
            assert book.in_category(category), f"{locale}: {category} is empty"
        for entry in book.entries.values():
            assert len(entry.phrasings) >= 3 and len(entry.keywords) >= 3


def test_answers_invent_no_fee_phone_number_or_deadline() -> None:
    for locale in LOCALES:
        raw = (FAQ_DIR / f"{locale}.json").read_text(encoding="utf-8")
        assert "review" in json.loads((FAQ_DIR / "en.json").read_text())["notice"]
        digits = re.findall(r"\d+", URL.sub("", raw))
        assert digits == [], f"{locale}.json states numbers: {digits[:5]}"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["entries"].pop(3), "ids missing"),
        (lambda d: d["entries"][0].pop("answer"), "lacks ['answer']"),
        (lambda d: d["categories"].pop(), "unknown category emergencies"),
    ],
)
def test_a_missing_id_or_field_in_one_language_fails(
    tmp_path: Path, change: Callable[[dict[str, list[dict[str, object]]]], object], problem: str
) -> None:
    for locale in LOCALES:
        shutil.copy(FAQ_DIR / f"{locale}.json", tmp_path / f"{locale}.json")
    data = json.loads((tmp_path / "el.json").read_text(encoding="utf-8"))
    change(data)
    (tmp_path / "el.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FaqError, match=re.escape(problem)):
        load(tmp_path)


async def member(chat: Callable[..., Chat], key: str, locale: str) -> Chat:
    """A user who chose a language and is at the main menu."""
    user = chat(key, hint=locale)
    await user.send("/start")
    await user.press(locale)
    await user.press("later")
    return user


async def test_browse_categories_questions_and_an_answer(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:8101", "it")
    book = LIBRARY.book("it")
    await user.press("Assistenza consolare")
    assert user.last.title == "Assistenza consolare"
    t = catalogs.translator("it").t
    await user.press("browse")
    assert user.labels == [*book.categories.values(), "Menu principale"]
    await user.press(book.categories["passports"])
    entries = book.in_category("passports")
    assert user.labels == [e.question for e in entries] + ["Torna agli argomenti", t("Main menu")]
    await user.press("Torna agli argomenti")
    assert user.last.title == "Assistenza consolare"
    await user.press(book.categories["passports"])
    await user.press(entries[0].question)
    assert user.replies[0].title == entries[0].question
    assert user.replies[0].text.startswith(entries[0].answer)
    assert book.portal_note in user.replies[0].text
    assert user.labels == [t("Yes, it helped"), t("No"), t("More questions"), t("Main menu")]
    await user.send("indietro")
    assert user.last.title == book.categories["passports"]
    await user.press(t("Main menu"))
    assert user.last.title == t("Main menu")


async def test_an_answer_link_opens_from_anywhere_in_the_users_language(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:8102", "el")
    await user.press("settings")
    await user.press("faq:lost-stolen-passport")
    entry = LIBRARY.book("el").entries["lost-stolen-passport"]
    assert user.replies[0].title == entry.question
    await user.press("faq:no-such-entry")
    assert user.replies[0].text != entry.question
    assert user.last.buttons  # the topics, offered again


@pytest.mark.parametrize(
    ("locale", "question", "expected"),
    [
        ("en", "my pasport was stolen in Rome", "lost-stolen-passport"),  # a typo
        ("sq", "me kane vjedhur pasaporten", "lost-stolen-passport"),  # no ë, another word form
        ("el", "χάθηκε το διαβατηριο μου", "lost-stolen-passport"),  # a missing tonos
        ("el", "ΧΑΘΗΚΕ ΤΟ ΔΙΑΒΑΤΗΡΙΟ", "lost-stolen-passport"),  # capitals
        ("sq", "come faccio a registrare mio figlio nato in Italia", "birth-register-abroad"),
        ("it", "procura per vendere casa in albania", "poa-property"),
        ("en", "apostile on an albanian document for use in the UK", "apostille-albanian-document"),
    ],
)
async def test_questions_in_own_words_across_languages(
    chat: Callable[..., Chat], locale: str, question: str, expected: str
) -> None:
    user = await member(chat, f"telegram:82{LOCALES.index(locale)}{len(question)}", locale)
    await user.send(question)  # typed at the main menu: the FAQ fallback
    entry = LIBRARY.book(locale).entries[expected]  # shown in the user's language
    assert user.replies[0].title == entry.question


async def test_nothing_matching_says_so_and_points_to_the_portal(chat: Callable[..., Chat]) -> None:
    user = await member(chat, "telegram:8103", "en")
    await user.send("recipe for byrek with spinach")
    assert user.replies[0].text.startswith("I could not find an answer to that")
    assert "https://e-albania.al" in user.replies[0].text


async def test_did_this_help_is_stored_once_per_user(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    user = chat("telegram:8104", hint="en")  # a vote is kept with the key: only with consent
    await user.send("/start")
    await user.press("en")
    await user.press("agree")
    await user.press("Skip")
    await user.send("how do I renew my passport")
    no = user.button("No")
    assert no is not None
    await user.press("Yes, it helped")
    await user.press("faq:passport-renew")
    await user.press("No")
    await user.press(no.payload)  # an old "No" pressed again: stale, not a second vote
    rows = await engine.db.read_all("SELECT entry_id, helpful FROM faq_feedback")
    assert [tuple(r) for r in rows] == [("passport-renew", 0)]


async def test_a_question_at_a_prompt_is_answered_then_the_prompt_returns(
    chat: Callable[..., Chat],
) -> None:
    user = await member(chat, "telegram:8105", "en")
    await user.send("/settings")
    await user.send("how can I get an apostille on my birth certificate")
    entry = LIBRARY.book("en").entries["apostille-albanian-document"]
    assert entry.question in [r.title for r in user.replies]  # the answer again, to vote on
    await user.press("Yes, it helped")  # a vote is stored: the privacy notice first
    assert user.last.title == "Privacy notice"
    await user.press("agree")
    entry = LIBRARY.book("en").entries["apostille-albanian-document"]
    assert entry.question in [r.title for r in user.replies]  # the answer again, to vote on
    await user.press("Yes, it helped")
    assert user.last.title == "Settings"  # back where the user was
    await user.send("blah blah")  # not a question the FAQ knows: the usual reply
    assert user.replies[0].text == "Please choose one of the options: tap it."


async def test_the_admin_can_reload_the_faq_and_others_cannot(chat: Callable[..., Chat]) -> None:
    admin = await member(chat, "telegram:1", "en")
    await admin.send("/faq_reload")
    assert (
        admin.replies[0].text
        == f"The FAQ is reloaded: {len(LIBRARY.book('en').entries)} questions."
    )
    user = await member(chat, "telegram:8106", "en")
    await user.send("/faq_reload")
    assert user.replies[0].text == "That part is for staff only."


async def test_an_answer_offers_up_to_three_related_questions_that_open_their_answers(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:8107", "it")
    t = catalogs.translator("it").t
    book = LIBRARY.book("it")
    hits = LIBRARY.search("procura")  # three entries on powers of attorney, and more
    await user.send("procura")
    best, others = hits[0].id, [h.id for h in hits[1 : 1 + RELATED]]
    assert user.replies[0].title == book.entries[best].question  # the best is the answer
    assert user.replies[0].text.startswith(book.entries[best].answer)
    [offer] = [r for r in user.replies if r.text == t("Other questions that may be yours:")]
    assert offer.text != "Other questions that may be yours:"  # in the user's language
    assert [b.label for b in offer.buttons] == [book.entries[i].question for i in others]
    assert [b.payload for b in offer.buttons] == [f"faq:{i}" for i in others]
    assert len(offer.buttons) == RELATED == 3
    assert {"poa-revoke", "poa-property", "poa-relative"} <= {best, *others}
    assert user.last.text == t("Did this answer help you?")
    for button in offer.buttons:
        await user.press(button.payload)
        entry = book.entries[button.payload.removeprefix("faq:")]
        assert user.replies[0].title == entry.question
        assert user.replies[0].text.startswith(entry.answer)
        assert user.last.text == t("Did this answer help you?")


async def test_weak_matches_are_not_offered_as_related_questions(
    chat: Callable[..., Chat], catalogs: Catalogs
) -> None:
    user = await member(chat, "telegram:8108", "sq")
    t = catalogs.translator("sq").t
    book = LIBRARY.book("sq")
    await user.send("a lejohet kombesi e dyfishte")  # "is dual nationality allowed"
    assert user.replies[0].title == book.entries["dual-citizenship"].question
    [offer] = [r for r in user.replies if r.text == t("Other questions that may be yours:")]
    offered = [b.payload.removeprefix("faq:") for b in offer.buttons]
    assert offered == ["citizenship-by-origin", "citizenship-child-born-abroad"]
    assert "child-abduction-custody" not in offered  # among the hits, covering nothing asked
    await user.send("detyrim per ushtri")  # "obligation for the army": one entry fits, no other
    assert user.replies[0].title == book.entries["military-service"].question
    assert all(r.text != t("Other questions that may be yours:") for r in user.replies)
    assert user.last.text == t("Did this answer help you?")


@pytest.fixture
def faq_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The FAQ files copied to tmp_path and read from there; the content in use comes back after.

    The real files are never written: the library is pointed at the copy (its `root`).
    """
    folder = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, folder)
    assert LIBRARY.books and LIBRARY.index  # read the real files now, if not yet
    monkeypatch.setattr(LIBRARY, "root", folder)
    monkeypatch.setattr(LIBRARY, "_books", LIBRARY._books)  # put back after the test
    monkeypatch.setattr(LIBRARY, "_index", LIBRARY._index)
    return folder


async def test_a_broken_faq_file_is_reported_to_the_admin_and_the_content_in_use_stays(
    chat: Callable[..., Chat], faq_copy: Path
) -> None:
    admin = await member(chat, "telegram:1", "en")
    user = await member(chat, "telegram:8109", "en")
    books, index = LIBRARY.books, LIBRARY.index
    renew = books["en"].entries["passport-renew"]
    await user.send("how do I renew my passport")
    assert user.replies[0].title == renew.question
    problem = "The FAQ files have a problem; the current content stays: "

    (faq_copy / "it.json").write_text('{"notice": "half a file', encoding="utf-8")
    await admin.send("/faq_reload")
    assert admin.replies[0].text.startswith(f"{problem}it.json: Unterminated string")
    assert LIBRARY.books is books and LIBRARY.index is index
    shutil.copy(FAQ_DIR / "it.json", faq_copy / "it.json")

    data = json.loads((faq_copy / "el.json").read_text(encoding="utf-8"))
    data["entries"] = [e for e in data["entries"] if e["id"] != "passport-renew"]
    (faq_copy / "el.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    await admin.send("/faq_reload")
    assert (
        admin.replies[0].text
        == f"{problem}el.json: ids missing ['passport-renew'], not in en.json []"
    )
    shutil.copy(FAQ_DIR / "el.json", faq_copy / "el.json")

    (faq_copy / "sq.json").unlink()
    await admin.send("/faq_reload")
    assert admin.replies[0].text.startswith(f"{problem}sq.json: [Errno 2] No such file")
    assert LIBRARY.books is books and LIBRARY.index is index
    await user.send("how do I renew my passport")  # the old content answers as before
    assert user.replies[0].title == renew.question
    assert user.replies[0].text.startswith(renew.answer)

    shutil.copy(FAQ_DIR / "sq.json", faq_copy / "sq.json")  # mended, and edited: now it takes
    data = json.loads((faq_copy / "en.json").read_text(encoding="utf-8"))
    [entry] = [e for e in data["entries"] if e["id"] == "passport-renew"]
    entry["question"] = "How do I renew my passport from where I live?"
    (faq_copy / "en.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    await admin.send("/faq_reload")
    assert admin.replies[0].text == f"The FAQ is reloaded: {len(books['en'].entries)} questions."
    await user.press("faq:passport-renew")
    assert user.replies[0].title == "How do I renew my passport from where I live?"


def test_the_threshold_is_a_share() -> None:
    assert 0 < MIN_COVERAGE < 1


def test_the_search_library_does_not_log_at_debug_whatever_the_level() -> None:
    import logging

    import handlers.faq_search  # noqa: F401  (bm25s, imported there, sets DEBUG on import)

    assert not logging.getLogger("bm25s").isEnabledFor(logging.INFO)
