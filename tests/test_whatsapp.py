"""WhatsApp through the real Starlette app (lifespan running) with Twilio's real signatures."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.i18n import Catalogs
from bot.messages import Attachment, Reply
from bot.registry import Registry
from bot.web import create_app
from bot.whatsapp import MAX_BODY, WhatsAppSender, bodies, escape, incoming, locale_hint
from storage.clock import utcnow
from storage.database import Database
from tests import sample_flows
from tests.fake_twilio import FakeTwilio
from tests.servers import serve

ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH = "fedcba9876543210" * 2
SENDER = "whatsapp:+14155238886"
PUBLIC = "https://bot.example.org"
TEMPLATES = {
    "sq": "HX" + "1" * 32,
    "it": "HX" + "2" * 32,
    "el": "HX" + "3" * 32,
    "en": "HX" + "4" * 32,
}
_sids = itertools.count(1)


@pytest.fixture
def settings(db_path: Path, twilio: FakeTwilio) -> Settings:
    """A WhatsApp-only deployment (no Telegram token)."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        public_url=PUBLIC,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=AUTH,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=twilio.url,
        twilio_template_sids=TEMPLATES,
    )


class Phone:
    """One WhatsApp user, posting signed webhooks as Twilio would."""

    def __init__(self, client: httpx.AsyncClient, number: str) -> None:
        self.client = client
        self.number = f"whatsapp:{number}"
        self.messages: list[str] = []

    async def send(self, body: str = "", sid: str | None = None, **extra: str) -> httpx.Response:
        """Post a message and keep the TwiML's messages."""
        form = {
            "MessageSid": sid or f"SM{next(_sids):032x}",
            "AccountSid": ACCOUNT,
            "From": self.number,
            "To": SENDER,
            "Body": body,
            "NumMedia": "0",
            "WaId": self.number.removeprefix("whatsapp:+"),
            "ProfileName": "Ana",
            **extra,
        }
        response = await post_signed(self.client, "/whatsapp", form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.messages = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
        return response

    @property
    def text(self) -> str:
        """All messages of the last answer."""
        return "\n".join(self.messages)


async def post_signed(
    client: httpx.AsyncClient, path: str, form: dict[str, str], url: str | None = None
) -> httpx.Response:
    """POST a form signed with the auth token over the public URL (or another URL)."""
    signature = RequestValidator(AUTH).compute_signature(url or f"{PUBLIC}{path}", form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The web app with the real flows."""
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def users_count(path: Path) -> int:
    """How many users the database holds (read after the app stopped, or on its side)."""
    db = await Database.open(path)
    try:
        row = await db.read_one("SELECT count(*) FROM users")
    finally:
        await db.close()
    assert row is not None
    return int(row[0])


async def test_first_contact_with_numbered_answers(client: httpx.AsyncClient) -> None:
    phone = Phone(client, "+393331112222")
    await phone.send("Ciao!")
    [picker] = phone.messages
    assert picker.startswith("*Gjuha · Lingua · Γλώσσα · Language*\n")
    assert "1. Shqip\n2. ✓ Italiano\n3. Ελληνικά\n4. English\n0. Indietro" in picker
    await phone.send("2")
    assert phone.messages[0] == "D'ora in poi Le scriverò in italiano."
    assert "1. Accetto\n2. Non ora" in phone.messages[-1]
    await phone.send("1")
    assert "1. Italia" in phone.messages[-1]
    await phone.send("1")
    await phone.send("Milano")
    assert "Milano" in phone.messages[0]
    assert phone.messages[-1].startswith("*Menu principale*")
    entries = ["Eventi", "Assistenza consolare", "Idee di progetto", "Impostazioni", "Aiuto"]
    menu = "\n".join(f"{n}. {label}" for n, label in enumerate(entries, 1)) + "\n0. Indietro"
    assert menu in phone.messages[-1]


async def test_first_contact_with_typed_labels(client: httpx.AsyncClient) -> None:
    phone = Phone(client, "+306912345678")
    await phone.send("Γεια σας")
    assert "3. ✓ Ελληνικά" in phone.text
    await phone.send("ελληνικα")  # the label, without accents or capitals
    assert phone.messages[0] == "Από εδώ και πέρα θα σας γράφω στα ελληνικά."
    await phone.send("Όχι τώρα")
    assert phone.messages[-1].startswith("*Κεντρικό μενού*")


@pytest.mark.parametrize("case", ["forged", "other-url", "missing", "other-token"])
async def test_unsigned_webhooks_get_403_and_store_nothing(
    client: httpx.AsyncClient, settings: Settings, case: str
) -> None:
    form = {"MessageSid": "SMforged", "From": "whatsapp:+355691234567", "To": SENDER, "Body": "hi"}
    headers: dict[str, str] = {}
    if case == "forged":
        headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif case == "other-url":
        sig = RequestValidator(AUTH).compute_signature("https://evil.example.org/whatsapp", form)
        headers["X-Twilio-Signature"] = sig
    elif case == "other-token":
        sig = RequestValidator("0" * 32).compute_signature(f"{PUBLIC}/whatsapp", form)
        headers["X-Twilio-Signature"] = sig
    response = await client.post("/whatsapp", data=form, headers=headers)
    assert response.status_code == 403
    tampered = {**form, "Body": "changed after signing"}
    sig = RequestValidator(AUTH).compute_signature(f"{PUBLIC}/whatsapp", form)
    response = await client.post("/whatsapp", data=tampered, headers={"X-Twilio-Signature": sig})
    assert response.status_code == 403
    assert (await client.get("/healthz")).status_code == 200  # the app is up: it just refused
    for table in ("users", "processed_messages", "conversations", "whatsapp_statuses"):
        assert await rows_in(settings, table) == 0, table


async def test_nothing_is_stored_for_a_forged_webhook(settings: Settings) -> None:
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        form = {"MessageSid": "SMx", "From": "whatsapp:+355691234567", "To": SENDER, "Body": "hi"}
        assert (await http.post("/whatsapp", data=form)).status_code == 403
    assert await users_count(settings.database_path) == 0


async def test_a_retried_message_sid_is_processed_once_with_the_same_twiml(
    client: httpx.AsyncClient,
) -> None:
    phone = Phone(client, "+355691234567")
    await phone.send("Përshëndetje")
    first = await phone.send("4", sid="SMretried")
    second = await phone.send("4", sid="SMretried")
    assert first.text == second.text
    assert "From now on I will write to you in English." in first.text
    await phone.send("2")  # the consent prompt was asked once: "Not now" answers it
    assert phone.messages[-1].startswith("*Main menu*")


async def test_media_location_and_contacts_get_a_polite_reply(client: httpx.AsyncClient) -> None:
    phone = Phone(client, "+355691234568")
    await phone.send("/start")
    await phone.send("1")
    polite = "Mund të lexoj vetëm tekst. Ju lutemi, shkruani përgjigjen ose zgjidhni një opsion."
    for extra in (
        {
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/1",
            "MediaContentType0": "image/jpeg",
        },
        {
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/2",
            "MediaContentType0": "audio/ogg",
        },
        {"Latitude": "41.3275", "Longitude": "19.8187"},
        {
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/m/3",
            "MediaContentType0": "text/vcard",
        },
    ):
        await phone.send("", **extra)
        assert phone.messages[0] == polite


@pytest.mark.parametrize(
    ("number", "stop", "start", "stopped_word"),
    [
        ("+355691000001", "NDALO", "FILLO", "FILLO"),
        ("+393331000002", "stop", "Inizia", "INIZIA"),
        ("+306911000003", "ΣΤΟΠ", "έναρξη", "ΕΝΑΡΞΗ"),
        ("+14155550004", "STOP", "START", "START"),
    ],
)
async def test_stop_and_start_in_each_language(
    client: httpx.AsyncClient,
    settings: Settings,
    number: str,
    stop: str,
    start: str,
    stopped_word: str,
) -> None:
    phone = Phone(client, number)
    await phone.send("hello")
    await phone.send({"+355": "1", "+393": "2", "+306": "3", "+141": "4"}[number[:4]])
    await phone.send(stop)
    assert stopped_word in phone.messages[0]
    stopped_at, started_at = await opt_times(settings, phone.number)
    assert stopped_at is not None and started_at is None
    await phone.send(start)
    stopped_at, started_at = await opt_times(settings, phone.number)
    assert stopped_at is None and started_at is not None  # START is stored with its time too


@pytest.mark.parametrize(
    ("number", "choice", "sentences", "word"),
    [
        (
            "+393339999999",
            "2",
            ["Stop un attimo, ho sbagliato", "basta così, grazie", "Basta"],
            "stop",
        ),
        ("+355699999999", "1", ["Ndalo pak, kam një pyetje", "mos ndalo njoftimet"], "Ndalo"),
        ("+306999999999", "3", ["στοπ για λίγο, έκανα λάθος", "ΣΤΟΠ στις ειδοποιήσεις;"], "στοπ"),
        ("+14155559999", "4", ["please stop sending me the wrong language"], "STOP"),
    ],
)
async def test_a_stop_word_inside_a_sentence_does_not_unsubscribe_but_alone_it_does(
    client: httpx.AsyncClient,
    settings: Settings,
    number: str,
    choice: str,
    sentences: list[str],
    word: str,
) -> None:
    phone = Phone(client, number)
    await phone.send("ciao")
    await phone.send(choice)
    await phone.send("2")  # "Not now" to the privacy notice: the main menu, where text is searched
    for sentence in sentences:  # "basta" is no stop word at all: alone it often means "that's all"
        await phone.send(sentence)
        assert not await opted_out(settings, phone.number), sentence
    await phone.send(word)
    assert await opted_out(settings, phone.number)


async def opted_out(settings: Settings, key: str) -> bool:
    """Whether the user is opted out, read on a read-only connection while the app runs."""
    import aiosqlite

    async with aiosqlite.connect(f"file:{settings.database_path}?mode=ro", uri=True) as conn:
        rows = list(
            await conn.execute_fetchall("SELECT opted_out_at FROM users WHERE key = ?", (key,))
        )
    return bool(rows) and rows[0][0] is not None


async def opt_times(settings: Settings, key: str) -> tuple[str | None, str | None]:
    """When the user last sent STOP and START (None: not in force), read while the app runs."""
    import aiosqlite

    async with aiosqlite.connect(f"file:{settings.database_path}?mode=ro", uri=True) as conn:
        [(stopped, started)] = list(
            await conn.execute_fetchall(
                "SELECT opted_out_at, opted_in_at FROM users WHERE key = ?", (key,)
            )
        )
    return stopped, started


async def rows_in(settings: Settings, table: str) -> int:
    """How many rows a table holds, read on a read-only connection while the app runs."""
    import aiosqlite

    async with aiosqlite.connect(f"file:{settings.database_path}?mode=ro", uri=True) as conn:
        [(count,)] = list(await conn.execute_fetchall(f"SELECT count(*) FROM {table}"))
    return int(count)


async def test_a_5000_character_reply_is_split_under_1600(settings: Settings) -> None:
    registry: Registry = sample_flows.registry()
    async with (
        serve(create_app(settings, registry)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        phone = Phone(http, "+355691234599")
        await phone.send("hi")
        await phone.send("", ButtonPayload="long")
    long = phone.messages[:-1]
    assert len(long) == 4
    assert all(len(m) <= MAX_BODY for m in phone.messages)
    assert all(m.endswith(".") for m in long)  # cut at sentence boundaries
    assert " ".join(long).removeprefix("*A long answer*\n") == sample_flows.LONG_TEXT


def test_user_text_cannot_format_and_titles_are_bold(catalogs: object) -> None:
    from bot.i18n import Catalogs
    from bot.messages import Button, Reply

    translator = Catalogs().translator("en")
    [text] = bodies(
        [Reply("you wrote *this* and _that_", title="Note", buttons=(Button("A", "a"),))],
        translator,
    )
    assert text.startswith(
        "*Note*\nyou wrote *\u200dthis*\u200d and _\u200dthat_\u200d\n1. A\n0. Back"
    )
    assert escape("a_b@example.org") == "a_b@example.org"  # a lone marker stays as it is
    link = "https://meet.example.org/j/a_b_c"  # links stay whole; the text around is escaped
    assert escape(f"_join_ at {link} now") == f"_\u200djoin_\u200d at {link} now"
    assert escape(f"{link} and {link}_") == f"{link} and {link}_"
    [title] = bodies([Reply("Tirana, 5 December", title="Hotel 5* Tirana")], translator)
    assert title.startswith("*Hotel 5*\u200d Tirana*\n")  # one star cannot end the bold early


def test_a_file_that_still_comes_is_named_not_dropped(catalogs: Catalogs) -> None:
    csv = Attachment("list.csv", "text/csv", b"a,b")
    [alone, with_text] = bodies(
        [Reply(attachment=csv), Reply("Ecco l'elenco.", attachment=csv)],
        catalogs.translator("it"),
    )
    assert alone.startswith("Questo messaggio ha un file allegato, ma qui WhatsApp")
    assert with_text.startswith("Ecco l'elenco.\n\nQuesto messaggio ha un file allegato")


def test_language_hints_from_the_number() -> None:
    assert [
        locale_hint(n)
        for n in (
            "whatsapp:+355691",
            "whatsapp:+38344",
            "whatsapp:+39333",
            "whatsapp:+30691",
            "whatsapp:+1415",
        )
    ] == ["sq", "sq", "it", "el", "en"]
    assert (
        incoming({"From": "whatsapp:+39333", "Body": "x", "MessageSid": "SM1"}).locale_hint == "it"
    )
    assert incoming({"From": "whatsapp:+39333", "ButtonPayload": "event:4"}).payload == "event:4"


# -- outbound ------------------------------------------------------------------------------------


async def test_outbound_inside_and_outside_the_window(
    twilio: FakeTwilio, settings: Settings, catalogs: Catalogs
) -> None:
    sender = WhatsAppSender.create(settings, catalogs)
    try:
        inside = await sender.send("whatsapp:+393331112222", ["first", "second"], "it", utcnow())
        outside = await sender.send(
            "whatsapp:+393331112222", ["held"], "it", utcnow() - timedelta(hours=25)
        )
        never = await sender.send("whatsapp:+393331112222", ["held"], "it", None)
    finally:
        await sender.close()
    assert inside.outcome == "sent" and len(inside.sids) == 2
    assert outside.outcome == "sent" and never.outcome == "sent"
    first, second, notice, _ = twilio.requests
    assert first.account == ACCOUNT and first.auth == (ACCOUNT, AUTH)
    assert first.params["From"] == SENDER and first.params["To"] == "whatsapp:+393331112222"
    assert (first.params["Body"], second.params["Body"]) == ("first", "second")
    assert first.params["StatusCallback"] == f"{PUBLIC}/whatsapp/status"
    assert "Body" not in notice.params
    assert notice.params["ContentSid"] == TEMPLATES["it"]
    # The Italian template names the sender in Italian, not in the English of the source.
    assert notice.params["ContentVariables"] == (
        '{"1": "il Ministero per l\'Europa e gli Affari Esteri"}'
    )


@pytest.mark.parametrize(
    ("locale", "templates", "template", "name"),
    [
        ("el", TEMPLATES, TEMPLATES["el"], "το Υπουργείο Ευρώπης και Εξωτερικών"),
        ("en", TEMPLATES, TEMPLATES["en"], "the Ministry for Europe and Foreign Affairs"),
        # No Italian template: the default language's (Albanian) goes out, with the name in it.
        (
            "it",
            {"sq": TEMPLATES["sq"]},
            TEMPLATES["sq"],
            "Ministria për Evropën dhe Punët e Jashtme",
        ),
    ],
)
async def test_the_notice_names_the_sender_in_the_templates_language(
    twilio: FakeTwilio,
    settings: Settings,
    catalogs: Catalogs,
    locale: str,
    templates: dict[str, str],
    template: str,
    name: str,
) -> None:
    from dataclasses import replace

    sender = WhatsAppSender.create(replace(settings, twilio_template_sids=templates), catalogs)
    try:
        outcome = await sender.send("whatsapp:+393331112222", ["held"], locale, None)
    finally:
        await sender.close()
    assert outcome.outcome == "sent"
    [notice] = twilio.requests
    assert notice.params["ContentSid"] == template
    assert json.loads(notice.params["ContentVariables"]) == {"1": name}


async def test_outside_the_window_without_a_template(
    twilio: FakeTwilio, settings: Settings, catalogs: Catalogs
) -> None:
    from dataclasses import replace

    sender = WhatsAppSender.create(replace(settings, twilio_template_sids=None), catalogs)
    try:
        outcome = await sender.send("whatsapp:+393331112222", ["held"], "it", None)
    finally:
        await sender.close()
    assert (outcome.outcome, outcome.reason) == ("no_template", "no notice template configured")
    assert twilio.requests == []


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        (21610, 400, "unreachable"),
        (63014, 400, "unreachable"),
        (63024, 400, "unreachable"),
        (63016, 400, "outside_window"),
        (63018, 429, "retry"),
        (20429, 429, "retry"),
        (21617, 400, "failed"),
    ],
)
async def test_error_codes_become_outcomes(
    twilio: FakeTwilio, settings: Settings, catalogs: Catalogs, code: int, status: int, outcome: str
) -> None:
    twilio.fail(code, status)
    sender = WhatsAppSender.create(settings, catalogs)
    try:
        result = await sender.send("whatsapp:+393331112222", ["hello"], "it", utcnow())
    finally:
        await sender.close()
    assert result.outcome == outcome
    assert (
        result.reason is not None
        and str(code if status != 429 or code != 20429 else "") in result.reason
    )


# -- delivery statuses ---------------------------------------------------------------------------


async def test_status_callbacks_are_recorded_and_failures_mark_the_user(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    phone = Phone(client, "+355691234570")
    await phone.send("hi")
    for status in ("queued", "sent", "delivered", "read", "sent"):
        form = {"MessageSid": "SMout1", "MessageStatus": status, "To": phone.number, "From": SENDER}
        assert (await post_signed(client, "/whatsapp/status", form)).status_code == 204
    form = {
        "MessageSid": "SMout2",
        "MessageStatus": "undelivered",
        "ErrorCode": "63014",
        "To": phone.number,
    }
    assert (await post_signed(client, "/whatsapp/status", form)).status_code == 204
    forged = {
        "MessageSid": "SMout3",
        "MessageStatus": "failed",
        "ErrorCode": "63024",
        "To": phone.number,
    }
    assert (await client.post("/whatsapp/status", data=forged)).status_code == 403
    import aiosqlite

    async with aiosqlite.connect(f"file:{settings.database_path}?mode=ro", uri=True) as conn:
        statuses = dict(
            (r[0], (r[1], r[2]))
            for r in await conn.execute_fetchall(
                "SELECT message_sid, status, error_code FROM whatsapp_statuses"
            )
        )
        [reason] = [
            r[0] for r in await conn.execute_fetchall("SELECT unreachable_reason FROM users")
        ]
    assert statuses == {"SMout1": ("read", None), "SMout2": ("undelivered", 63014)}
    assert reason == "whatsapp: blocked by the user (63014)"


async def test_web_runs_telegram_only_or_whatsapp_only(settings: Settings) -> None:
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.post("/telegram", json={"update_id": 1})).status_code == 404
