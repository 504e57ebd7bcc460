"""The engine's rules, on sample flows: precedence, back, cancel, sub-flows, stale buttons..."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.engine import MAX_TEXT, Engine
from bot.flow import Flow
from bot.i18n import Catalogs, Translator
from bot.messages import AttachmentSpec, Button, Incoming, Reply
from bot.registry import Feature, Registry
from bot.turn import Turn
from storage.database import Database, Tx
from tests import sample_flows
from tests.harness import Chat


@pytest.fixture
def settings(db_path: Path) -> Settings:
    """English by default, so the engine's own messages read as in the code."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        admins=frozenset({"telegram:1"}),
        default_locale="en",
    )


@pytest.fixture
def engine(db: Database, catalogs: Catalogs, settings: Settings) -> Engine:
    """An engine on the sample flows."""
    return Engine(db, sample_flows.registry(), catalogs, settings)


@pytest.fixture
async def member(engine: Engine) -> Chat:
    """A member who has had first contact and sees the menu."""
    chat = Chat(engine, "telegram:500")
    await chat.send("hi")
    assert chat.labels == ["Form", "Counter"]
    return chat


async def state_of(db: Database, key: str) -> dict[str, object]:
    """The stored conversation record."""
    row = await db.read_one("SELECT state FROM conversations WHERE user_key = ?", (key,))
    assert row is not None
    return dict(json.loads(row["state"]))


async def test_first_contact_follows_start_and_lands_on_the_menu(engine: Engine) -> None:
    chat = Chat(engine, "telegram:10")
    replies = await chat.send("anything at all")
    assert [r.text for r in replies] == ["hello", "Menu"]


async def test_deep_link_on_first_contact(engine: Engine) -> None:
    chat = Chat(engine, "telegram:11")
    await chat.send("/start thing-42")
    assert "thing 42" in chat.text


async def test_typed_number_label_and_button_choose_an_option(member: Chat) -> None:
    await member.send("1")
    assert member.last.text == "Pick"
    await member.send("menu")
    await member.send("FORM")  # the label, case-insensitively
    assert member.last.text == "Pick"
    await member.press("Two")
    assert member.last.text == "How many guests?"


async def test_option_labelled_like_a_global_word_beats_the_word(member: Chat) -> None:
    await member.press("Form")
    await member.send("cancel")  # the option "Cancel", not the global word
    assert member.text.startswith("\nHow many guests?")


async def test_zero_is_back_on_a_numbered_prompt_and_text_on_a_free_text_step(member: Chat) -> None:
    await member.press("Form")
    await member.press("Two")
    await member.send("0")  # free-text step: "0" guests
    assert member.last.text.startswith("Confirm {'pick': 'two', 'guests': 0}")
    await member.send("0")  # numbered prompt: back
    assert member.last.text == "How many guests?"
    await member.send("2")
    await member.press("Yes")
    assert "saved two 2" in member.text
    assert member.last.text == "Menu"


async def test_back_walks_the_history_then_reaches_the_menu(member: Chat) -> None:
    await member.press("Form")
    await member.press("Two")
    await member.send("3")
    await member.send("back")
    assert member.last.text == "How many guests?"
    await member.send("/back")
    assert member.last.text == "Pick"
    await member.send("back")
    assert member.last.text == "Menu"
    await member.send("0")  # at the top, back is the menu again
    assert member.last.text == "Menu"


async def test_cancel_leaves_the_flow(member: Chat) -> None:
    await member.press("Form")
    await member.press("Two")
    await member.send("cancel")
    assert [r.text for r in member.replies] == ["Cancelled.", "Menu"]


async def test_sub_flow_returns_to_its_caller_with_the_callers_data(member: Chat) -> None:
    await member.press("Form")
    await member.press("Sub")
    assert member.last.text == "sub question (asked by form)"
    await member.send("forty-two")
    assert [r.text for r in member.replies] == [
        "sub got forty-two",
        "back in form, pick=sub",
        "Menu",
    ]


async def test_back_from_a_sub_flow_returns_to_the_calling_step(member: Chat) -> None:
    await member.press("Form")
    await member.press("Sub")
    await member.send("back")
    assert member.last.text == "Pick"


async def test_called_word_returns_to_the_same_step(member: Chat) -> None:
    await member.press("Form")
    await member.press("Two")
    await member.send("info")
    assert [r.text for r in member.replies] == ["info text", "How many guests?"]
    await member.send("/info")
    assert [r.text for r in member.replies] == ["info text", "How many guests?"]
    await member.send("5")
    assert member.last.text.startswith("Confirm {'pick': 'two', 'guests': 5}")


async def test_stale_step_button_gets_the_current_prompt(member: Chat) -> None:
    await member.press("Form")
    old = member.button("Two")
    assert old is not None
    await member.press("Two")
    await member.incoming(
        Incoming(member.user, kind="button", payload=old.payload, message_id="x1")
    )
    assert member.replies[0].text == "That menu is no longer active. Here is where we are now."
    assert member.last.text == "How many guests?"


async def test_double_clicked_button_acts_once(member: Chat) -> None:
    await member.press("Form")
    button = member.button("Two")
    assert button is not None
    first, second = await asyncio.gather(
        member.engine.handle(
            Incoming(member.user, kind="button", payload=button.payload, message_id="d1")
        ),
        member.engine.handle(
            Incoming(member.user, kind="button", payload=button.payload, message_id="d2")
        ),
    )
    assert first.replies[-1].text == "How many guests?"
    assert second.replies[0].text.startswith("That menu is no longer active")
    state = await state_of(member.engine.db, member.user)
    assert state["step"] == "guests" and state["history"] == ["pick"]


async def test_route_payload_works_from_anywhere_any_time(member: Chat) -> None:
    await member.press("Form")
    await member.press("Two")
    await member.press("thing:7")
    assert [r.text for r in member.replies] == ["thing 7", "Menu"]


async def test_unknown_payload_is_stale_not_an_error(member: Chat) -> None:
    await member.press("no-such-route:1")
    assert member.replies[0].text.startswith("That menu is no longer active")
    await member.press("~999~forged")
    assert member.replies[0].text.startswith("That menu is no longer active")
    assert member.last.text == "Menu"


async def test_admin_only_flow_is_refused_to_members_everywhere(
    engine: Engine, member: Chat
) -> None:
    assert "Vault" not in member.labels
    for attempt in (member.press("secret"), member.send("/vault")):
        await attempt
        assert member.replies[0].text == "That part is for staff only."
        assert member.last.text == "Menu"
    admin = Chat(engine, "telegram:1")
    await admin.send("hi")
    assert "Vault" in admin.labels
    await admin.press("Vault")
    assert "the vault" in admin.text


async def test_unknown_command(member: Chat) -> None:
    await member.send("/frobnicate now")
    assert member.replies[0].text == (
        "I do not know the command /frobnicate. Send /help to see what I understand."
    )
    assert member.last.text == "Menu"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "That message was empty. Please type your answer or choose an option."),
        ("   \n\t ", "That message was empty. Please type your answer or choose an option."),
        ("\x00\x07\x1b", "That message was empty. Please type your answer or choose an option."),
        ("x" * 10_000, f"That message is too long: please keep it under {MAX_TEXT:,} characters."),
        ("7", "There is no option 7."),
        ("😀🎉", "Please choose one of the options: tap it."),
    ],
)
async def test_bad_input_gets_a_clear_reply_and_the_current_options(
    member: Chat, text: str, expected: str
) -> None:
    await member.press("Form")
    before = await state_of(member.engine.db, member.user)
    await member.send(text)
    assert member.replies[0].text == expected
    assert member.last.text == "Pick"
    assert member.labels == ["Cancel", "Two", "Sub"]
    after = await state_of(member.engine.db, member.user)
    assert (after["flow"], after["step"], after["data"]) == (
        before["flow"],
        before["step"],
        before["data"],
    )


async def test_control_characters_are_stripped_from_free_text(member: Chat) -> None:
    await member.press("Counter")
    await member.send("a\x00b\u200bc\x1b")
    assert member.replies[0].text == "seen abc (1)"


@pytest.mark.parametrize("kind", ["media", "location", "other"])
async def test_non_text_messages_get_a_polite_reply(member: Chat, kind: str) -> None:
    await member.press("Counter")
    await member.send("", kind=kind)  # type: ignore[arg-type]
    assert (
        member.replies[0].text
        == "I can read only text. Please type your answer or choose an option."
    )
    assert member.last.text == "say something"


async def test_a_failing_step_rolls_back_and_the_user_can_go_on(
    engine: Engine, member: Chat
) -> None:
    await member.press("boom")
    before = await state_of(engine.db, member.user)
    with pytest.raises(RuntimeError):
        await member.send("yes", message_id="fail-1")
    assert await state_of(engine.db, member.user) == before
    row = await engine.db.read_one("SELECT 1 FROM processed_messages WHERE message_id = 'fail-1'")
    assert row is None  # not marked processed: a redelivery will run it again
    await member.send("menu")
    assert member.last.text == "Menu"


async def test_a_loop_of_steps_is_stopped(member: Chat) -> None:
    with pytest.raises(RuntimeError, match="more than"):
        await member.press("loop")
    await member.send("menu")
    assert member.last.text == "Menu"


async def test_corrupt_conversation_record_starts_over_at_the_menu(
    engine: Engine, member: Chat
) -> None:
    async with engine.db.transaction() as tx:
        await tx.execute(
            "UPDATE conversations SET state = '{not json' WHERE user_key = ?", (member.user,)
        )
    await member.send("hi")
    assert member.replies[0].text == "hello"
    async with engine.db.transaction() as tx:
        await tx.execute(
            "UPDATE conversations SET state = json_set(state, '$.flow', 'removed')"
            " WHERE user_key = ?",
            (member.user,),
        )
    await member.send("1")  # the old prompt's options went with the record: the menu again
    assert member.last.text == "Menu"
    await member.send("1")
    assert member.last.text == "Pick"


async def test_duplicate_message_is_processed_once(member: Chat) -> None:
    await member.press("Counter")
    first = await member.send("one", message_id="dup-1")
    second = await member.send("one", message_id="dup-1")
    assert member.outcome is not None and member.outcome.duplicate
    assert first == second
    state = await state_of(member.engine.db, member.user)
    assert state["data"] == {"seen": ["one"]}


async def test_undelivered_replies_are_given_again_and_delivered_ones_are_not(member: Chat) -> None:
    await member.press("Counter")
    sent: list[list[Reply]] = []

    async def failing(replies: list[Reply]) -> None:
        raise ConnectionError("the platform did not answer")

    async def working(replies: list[Reply]) -> None:
        sent.append(replies)

    incoming = Incoming(member.user, text="two", message_id="redeliver-1")
    with pytest.raises(ConnectionError):
        await member.engine.handle(incoming, deliver=failing)
    outcome = await member.engine.handle(incoming, deliver=working)
    assert outcome.duplicate and [r.text for r in sent[0]] == ["seen two (1)", "say something"]
    again = await member.engine.handle(incoming, deliver=working)
    assert again.duplicate and len(sent) == 1  # delivered once: nothing sent the third time
    state = await state_of(member.engine.db, member.user)
    assert state["data"] == {"seen": ["two"]}


async def test_one_user_sending_quickly_keeps_order_and_loses_nothing(member: Chat) -> None:
    await member.press("Counter")
    delivered: list[str] = []

    async def deliver(replies: list[Reply]) -> None:
        await asyncio.sleep(0)  # let other messages try to overtake
        delivered.append(replies[0].text)

    words = [f"w{i}" for i in range(30)]
    await asyncio.gather(
        *(
            member.engine.handle(Incoming(member.user, text=w, message_id=f"q{w}"), deliver=deliver)
            for w in words
        )
    )
    assert delivered == [f"seen {w} ({i + 1})" for i, w in enumerate(words)]
    state = await state_of(member.engine.db, member.user)
    assert state["data"] == {"seen": words}


async def test_many_users_at_once(engine: Engine) -> None:
    chats = [Chat(engine, f"whatsapp:+3933300{i:05d}") for i in range(60)]

    async def converse(chat: Chat) -> None:
        await chat.send("hi")
        await chat.press("Form")
        await chat.press("Two")
        await chat.send(chat.user[-2:].lstrip("0") or "0")
        await chat.press("Yes")

    await asyncio.gather(*(converse(c) for c in chats))
    for chat in chats:
        assert f"saved two {int(chat.user[-2:])}" in chat.text
    count = await engine.db.read_one("SELECT count(*) AS n FROM users")
    assert count is not None and count["n"] == 60


async def test_restart_mid_flow_continues_where_the_user_was(
    db_path: Path, catalogs: Catalogs, settings: Settings
) -> None:
    first = await Database.open(db_path)
    chat = Chat(Engine(first, sample_flows.registry(), catalogs, settings), "telegram:77")
    await chat.send("hi")
    await chat.press("Form")
    await chat.press("Two")
    await first.close()

    second = await Database.open(db_path)
    try:
        chat.engine = Engine(second, sample_flows.registry(), catalogs, settings)
        await chat.send("4")
        assert chat.last.text.startswith("Confirm {'pick': 'two', 'guests': 4}")
        await chat.send("back")
        assert chat.last.text == "How many guests?"
    finally:
        await second.close()


async def test_resume_shows_the_current_prompt_again(member: Chat) -> None:
    await member.press("Form")
    await member.incoming(Incoming(member.user, kind="resume"))
    assert [r.text for r in member.replies] == ["Pick"]


async def test_free_text_at_the_menu_goes_to_the_fallbacks_in_order(member: Chat) -> None:
    await member.send("hello!")
    assert [r.text for r in member.replies] == ["heard you", "Menu"]
    await member.send("where is the consulate?")
    assert [r.text for r in member.replies] == ["a question", "thing faq", "Menu"]
    await member.send("just words")
    assert member.replies[0].text == "echo:just words"


async def test_audiences_combine_with_and(engine: Engine) -> None:
    for key, locale, on in [
        ("telegram:61", "it", 1),
        ("telegram:62", "it", 0),
        ("telegram:63", "el", 1),
    ]:
        await Chat(engine, key).send("hi")
        async with engine.db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET locale = ?, announcements = ? WHERE key = ?", (locale, on, key)
            )
    sql, params = engine.registry.audience_query(
        [("announced", {}), ("language", {"locale": "it"})]
    )
    rows = await engine.db.read_all(sql, params)
    assert [r[0] for r in rows] == ["telegram:61"]
    sql, params = engine.registry.audience_query([("announced", {})])
    assert sorted(r[0] for r in await engine.db.read_all(sql, params)) == [
        "telegram:61",
        "telegram:63",
    ]


async def test_a_reply_written_after_the_commit_keeps_the_steps_buttons(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    tally = Flow("tally", entry="show")
    seen: list[bool] = []

    @tally.ask("show")
    async def show(turn: Turn) -> None:
        await turn.db.execute("UPDATE users SET city = 'Tirana' WHERE key = ?", (turn.key,))
        turn.reply(
            title="placeholder",
            buttons=[Button("Again", "again")],
            attachment=AttachmentSpec("tally.count", {"what": "cities"}),
        )

    async def count(db: Tx, i18n: Translator, args: Mapping[str, Any]) -> Reply:
        # Runs on the read-only connection after the commit: the step's write is visible.
        seen.append(await db.fetch_value("SELECT count(*) FROM users WHERE city = 'Tirana'") == 1)
        return Reply(i18n.t("{n} of {what}", n=1234, what=args["what"]), title="Counted")

    extra = Feature(flows=[tally], db_replies={"tally.count": count})
    engine = Engine(db, Registry([sample_flows.FEATURE, extra], menu="menu"), catalogs, settings)
    chat = Chat(engine, "telegram:600")
    await chat.send("hi")
    await chat.press("tally")
    [reply] = chat.replies
    assert seen == [True]
    assert (reply.title, reply.text, reply.attachment) == ("Counted", "1,234 of cities", None)
    assert [b.label for b in reply.buttons] == ["Again"]  # stamped by the step, kept
    stored = await db.read_one("SELECT replies FROM processed_messages ORDER BY rowid DESC")
    assert stored is not None and "tally.count" in stored[0]  # a redelivery writes it again
