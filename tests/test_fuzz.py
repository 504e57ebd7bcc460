"""Hostile input, generated: the engine and both channels' parsers never raise, and the
database keeps its integrity and the project's invariants."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.engine import Engine
from bot.messages import Incoming, Kind
from bot.telegram import TelegramChannel, webhook_secret
from bot.web import SECRET_HEADER, create_app
from bot.whatsapp import bodies, incoming
from storage.database import Database
from tests import fake_telegram
from tests.fake_telegram import FakeTelegram
from tests.servers import serve

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = ["telegram:1", "telegram:7300", "whatsapp:+393337300001"]  # an admin and two members
_ids = itertools.count()

hostile_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6000),
    st.sampled_from(["", "0", "00", "-1", "9" * 30, "/start event-", "/", "//", "menu", "back"]),
    st.builds(lambda s: "\x00\x1b[2J" + s + "\u202e", st.text(max_size=50)),
)


def payloads(engine: Engine) -> st.SearchStrategy[str]:
    """Button payloads: real routes with odd arguments, stamped-looking ones, and noise."""
    prefixes = sorted(engine.registry.routes)
    return st.one_of(
        st.builds(lambda p, a: f"{p}:{a}", st.sampled_from(prefixes), st.text(max_size=30)),
        st.sampled_from(prefixes),
        st.builds(lambda n, s: f"~{n}~{s}", st.integers(-5, 10**12), st.text(max_size=20)),
        st.builds(lambda s: "#" + s, st.text(max_size=20)),
        st.text(max_size=80),
    )


async def invariants(db: Database) -> None:
    """Integrity, references, and no event with more seats taken than it has."""
    assert (await db.read_one("PRAGMA integrity_check"))[0] == "ok"  # type: ignore[index]
    assert await db.read_all("PRAGMA foreign_key_check") == []
    over = await db.read_all(
        "SELECT e.id FROM events e WHERE e.capacity IS NOT NULL AND e.capacity < ("
        " SELECT coalesce(sum(r.seats), 0) FROM registrations r"
        " WHERE r.event_id = e.id AND r.status = 'confirmed')"
    )
    assert over == []
    orphans = await db.read_all(
        "SELECT id FROM outbox WHERE recipient NOT IN (SELECT key FROM users)"
    )
    assert orphans == []


async def onboarded(engine: Engine) -> None:
    """The fuzzed users past first contact (once per database), so deeper flows get reached."""
    row = await engine.db.read_one("SELECT count(*) FROM users WHERE consent_version IS NOT NULL")
    if row is not None and row[0] >= len(KEYS):
        return
    for key in KEYS:
        for text in ("/start", "4", "1", "Skip"):
            await engine.handle(Incoming(key, text=text, message_id=f"o{next(_ids)}"))


@settings(FUZZ, max_examples=150)
@given(data=st.data())
async def test_the_engine_survives_any_sequence_of_messages(
    engine: Engine, data: st.DataObject
) -> None:
    await onboarded(engine)
    kinds: list[Kind] = ["text", "text", "button", "command", "media", "location", "other"]
    kind = data.draw(st.sampled_from(kinds))
    key = data.draw(st.sampled_from(KEYS))
    text = data.draw(hostile_text)
    payload = data.draw(payloads(engine)) if kind == "button" else None
    message = Incoming(key, kind, text=text, payload=payload, message_id=f"z{next(_ids)}")
    outcome = await engine.handle(message)
    assert isinstance(outcome.replies, list)  # a reply or nothing, never an exception
    for reply in outcome.replies:
        assert isinstance(reply.text, str)
    await invariants(engine.db)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
telegram_shapes = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(0, 2**40), st.text(max_size=5))},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["message_id", "date", "chat", "from", "text", "sticker", "entities"]),
            json_values,
        ),
        "callback_query": st.dictionaries(
            st.sampled_from(["id", "from", "data", "message", "chat_instance"]), json_values
        ),
        "edited_message": json_values,
    },
)


@FUZZ
@given(update=telegram_shapes)
async def test_malformed_telegram_updates_never_raise_in_the_parser(
    engine: Engine, update: dict[str, Any]
) -> None:
    bot = Bot("123456789:AAE1bcdefghijklmnopqrstuvwxyz012345")
    try:
        parsed = Update.de_json(update, bot)
    except Exception:  # PTB refuses it: the web route answers 400
        return
    channel = TelegramChannel(engine, bot)
    message = await channel.incoming(parsed)
    assert message is None or message.user.startswith("telegram:")


twilio_forms = st.dictionaries(
    st.sampled_from(
        [
            "Body",
            "From",
            "MessageSid",
            "NumMedia",
            "MediaContentType0",
            "Latitude",
            "Longitude",
            "ButtonPayload",
            "ListId",
            "WaId",
            "ProfileName",
            "To",
            "SmsStatus",
            "Unknown",
        ]
    ),
    st.text(max_size=300),
)


@FUZZ
@given(form=twilio_forms)
@example(form={"NumMedia": "❶"})  # a digit to str.isdigit, not to int()
def test_any_twilio_form_parses_into_an_incoming_or_is_ignored(form: dict[str, str]) -> None:
    message = incoming(form)
    assert message.kind in ("text", "button", "media", "location", "other")


@FUZZ
@given(text=hostile_text, title=st.none() | st.text(max_size=50))
def test_any_text_renders_as_whatsapp_bodies_under_the_limit(text: str, title: str | None) -> None:
    from bot.i18n import Catalogs
    from bot.messages import Reply

    for body in bodies([Reply(text, title)], Catalogs().translator("en")):
        assert len(body) <= 1600


# -- through the web process -----------------------------------------------------------------------


Web = tuple[httpx.AsyncClient, Settings, Database]


@pytest.fixture
async def web(db_path: Path, fake: FakeTelegram) -> AsyncIterator[Web]:
    """The web app with both channels, Telegram against a fake Bot API, and its database."""
    config = Settings(
        database_path=db_path,
        public_url="https://bot.example.org",
        telegram_bot_token="123456789:AAE1bcdefghijklmnopqrstuvwxyz012345",
        telegram_api_base_url=fake.url,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="1" * 32,
        twilio_whatsapp_from="whatsapp:+14155238886",
        flood_messages=10_000,
    )
    app = create_app(config)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client, config, app.state.engine.db


async def post_update(web: Web, update: dict[str, Any]) -> httpx.Response:
    """An update as Telegram posts it, with the webhook's secret."""
    client, config, _ = web
    return await client.post(
        "/telegram",
        content=json.dumps(update),
        headers={"content-type": "application/json", SECRET_HEADER: webhook_secret(config)},
    )


@FUZZ
@given(update=telegram_shapes)
async def test_the_telegram_webhook_answers_200_or_400_to_anything(
    web: Web, update: dict[str, Any]
) -> None:
    response = await post_update(web, update)
    assert response.status_code in (200, 400), response.text
    await invariants(web[2])


CHATS = [1, 7301, 7302]  # the admin of the settings and two members
languages = st.sampled_from(["en", "sq", "it", "el", "de", "", "zz-ZZ"]) | st.none()
readable_updates = st.one_of(
    st.builds(fake_telegram.text_update, st.sampled_from(CHATS), hostile_text, languages),
    st.builds(
        fake_telegram.text_update,
        st.sampled_from(CHATS),
        st.builds(lambda s: "/" + s, st.text(min_size=1, max_size=60)),
        languages,
    ),
    st.builds(
        fake_telegram.callback_update,
        st.sampled_from(CHATS),
        st.text(max_size=64),  # Telegram's limit for callback data
        st.integers(1, 2**31),
        languages,
    ),
    st.builds(
        fake_telegram.content_update,
        st.sampled_from(CHATS),
        st.sampled_from(["sticker", "photo", "voice", "location", "contact"]),
        languages,
    ),
)


@FUZZ
@given(update=readable_updates)
async def test_readable_hostile_telegram_updates_reach_the_engine_and_are_answered(
    web: Web, fake: FakeTelegram, update: dict[str, Any]
) -> None:
    """Well-formed updates carrying hostile text, data and languages: each is processed (200)
    and answered (a message, or at least the button press acknowledged), nothing breaks."""
    before = len(fake.calls)
    response = await post_update(web, {"update_id": next(_ids), **update})
    assert response.status_code == 200, response.text
    assert len(fake.calls) > before
    await invariants(web[2])


@FUZZ
@given(
    form=twilio_forms, sender=st.sampled_from(["whatsapp:+393337300002", "whatsapp:+1", "", "x"])
)
async def test_the_whatsapp_webhook_answers_twiml_to_any_signed_form(
    web: Web, form: dict[str, str], sender: str
) -> None:
    client, config, db = web
    fields = {**form, "From": sender, "MessageSid": f"SM{next(_ids)}"}
    signature = RequestValidator(config.twilio_auth_token).compute_signature(
        "https://bot.example.org/whatsapp", fields
    )
    response = await client.post(
        "/whatsapp", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200, response.text
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response')
    await invariants(db)
