"""Security: role boundaries from the registry, the audit log, flood control, webhook limits."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.console import ConsoleChannel
from bot.engine import Engine
from bot.flood import FloodGate
from bot.i18n import Catalogs
from bot.messages import Attachment, Incoming, Reply, safe_filename
from bot.registry import Registry, allowed
from bot.telegram import webhook_secret
from bot.web import MAX_BODY, SECRET_HEADER, create_app
from handlers import build_registry
from storage import audit
from storage.clock import utcnow
from storage.database import Database
from tests.event_fixtures import add_event
from tests.fake_telegram import FakeTelegram
from tests.harness import Chat
from tests.servers import serve

REFUSED = "That part is for staff only."
ROOT = Path(__file__).resolve().parent.parent
ADMIN, OFFICER = "telegram:1", "telegram:2"  # ADMINS and OFFICERS in tests/conftest.py
WRONG = {  # who must be refused what: members everything staff-only, officers admin-only
    "member on Telegram": ("telegram:7001", frozenset()),
    "member on WhatsApp": ("whatsapp:+393337000001", frozenset()),
    "member on the console": ("console:visitor", frozenset()),
    "officer": (OFFICER, frozenset({"officer"})),
}


async def onboarded(chat: Callable[..., Chat], key: str) -> Chat:
    """A user at the main menu who agreed to the privacy notice."""
    user = chat(key, hint="en")
    await user.send("/start")
    await user.press("en")
    await user.press("agree")
    await user.press("skip")
    return user


async def stored_rows(db: Database) -> dict[str, int]:
    """Row counts of every table a refused action could change (not the conversation's own)."""
    tables = [
        r[0]
        for r in await db.read_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        # not the conversation's own rows, nor the anonymous count of FAQ answers shown (a typed
        # label may well find an answer)
        if r[0]
        not in ("conversations", "processed_messages", "users", "telegram_callbacks", "faq_views")
    ]
    return {t: (await db.read_one(f"SELECT count(*) FROM {t}"))[0] for t in tables}  # type: ignore[index]


def entry_points(registry: Registry, roles: frozenset[str]) -> list[tuple[str, str]]:
    """Every staff-only way in that these roles may not use: commands and route payloads."""
    points = []
    for command in registry.commands:
        needs = command.roles | registry._route_roles(command.route)
        if needs and not allowed(roles, needs):
            points.append(("command", f"/{command.name}"))
    for prefix, route in registry.routes.items():
        if route.spec.roles and not allowed(roles, route.spec.roles):
            points += [("payload", prefix), ("payload", f"{prefix}:1")]
    return points


@pytest.mark.parametrize("who", list(WRONG))
async def test_every_staff_entry_point_is_refused_to_the_wrong_role_on_every_channel(
    chat: Callable[..., Chat], engine: Engine, who: str
) -> None:
    key, roles = WRONG[who]
    registry = engine.registry
    points = entry_points(registry, roles)
    assert len(points) >= 15  # the registry really has staff-only doors to try
    admin = await onboarded(chat, ADMIN)
    await admin.send("/roles")  # staff have used the bot: rows exist that must not change
    user = await onboarded(chat, key)
    hidden = [m for m in registry.menu if m.roles and not allowed(roles, m.roles)]
    assert hidden and not set(user.labels) & {m.label for m in hidden}
    before = await stored_rows(engine.db)
    for kind, value in points:
        if kind == "command":
            await user.send(value)
        else:
            await user.press(value)
        assert user.replies[0].text == REFUSED, f"{who}: {kind} {value}"
    for entry in hidden:  # a hidden entry's label typed opens nothing staff-only either
        await user.send("menu")
        await user.send(entry.label)
        assert REFUSED not in user.text
        assert all(reply.title != entry.label for reply in user.replies)
    await user.send("/help")
    listed = {c.name for c in registry.commands if c.roles and not allowed(roles, c.roles)}
    assert not [name for name in listed if f"/{name} " in user.text]
    assert await stored_rows(engine.db) == before


async def test_staff_actions_are_audited_and_only_admins_read_the_log(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = await onboarded(chat, "telegram:7100")
    admin = await onboarded(chat, ADMIN)
    await admin.press("Roles")  # looking is no action: nothing is recorded
    await admin.press("Grant a role")
    await admin.send(member.user)
    await admin.press("consular officer")
    await admin.send("/stats")  # looking at statistics is not an action either
    rows = await engine.db.read_all("SELECT actor, action, subject FROM audit_log")
    assert [tuple(r) for r in rows] == [(ADMIN, "roles.grant_role: officer", f"key {member.user}")]
    await admin.send("/audit")
    assert f"{ADMIN} · Roles (grant_role: officer) · key {member.user}" in admin.last.text
    await member.send("/audit")
    assert member.replies[0].text == REFUSED


async def test_claims_answers_capacity_changes_and_exports_are_audited_once_each(
    chat: Callable[..., Chat], engine: Engine, db: Database
) -> None:
    member = await onboarded(chat, "telegram:7102")
    officer = await onboarded(chat, OFFICER)
    admin = await onboarded(chat, ADMIN)
    await member.send("/ask")  # a member's own question: no staff action
    await member.send("How do I renew my passport from Milan?")
    await member.press("skip")
    await member.press("send")
    await officer.send("/questions")  # looking is no action
    await officer.press("officer-question:1")
    await admin.press("officer-question:1")
    await officer.press("Claim it")
    await admin.press("Claim it")  # too late: nothing changes, nothing is recorded
    assert admin.replies[0].text == f"Someone else claimed it first ({OFFICER})."
    await officer.press("Answer")
    await officer.send("Book an appointment on e-Albania.")
    assert officer.replies[0].text.startswith("Sent to the member of Q-")

    event = await add_event(db, capacity=3)
    await member.press(f"event:{event}")
    await member.press("signup")
    await member.send("2")  # the member and two guests: every seat
    await admin.press(f"admin_event:{event}")
    await admin.press("Change capacity")
    await admin.send("2")  # below the seats taken: refused, nothing recorded
    assert admin.replies[0].text.startswith("You cannot set 2 seats: 3 are already taken.")
    await admin.send("5")
    assert admin.replies[0].text == "Capacity: 5."
    await admin.press("Registrations")
    await admin.press("csv")
    assert [r.attachment for r in admin.replies if isinstance(r.attachment, Attachment)]

    rows = await engine.db.read_all("SELECT actor, action, subject, at FROM audit_log ORDER BY id")
    assert [tuple(r)[:3] for r in rows] == [
        (OFFICER, "questions.show: claim", "id 1"),
        (OFFICER, "questions.write: text", "id 1"),
        (ADMIN, "manage.capacity: text", f"event {event}"),
        (ADMIN, "manage.registrations: csv", f"event {event}"),
    ]
    assert all(r["at"] for r in rows)
    await admin.send("/audit")  # newest first, each part named in the admin's words
    lines = [line.split(" · ", 1)[1] for line in admin.last.text.splitlines()]
    assert lines == [
        f"{ADMIN} · Manage events (registrations: csv) · event {event}",
        f"{ADMIN} · Manage events (capacity: text) · event {event}",
        f"{OFFICER} · Questions to answer (write: text) · id 1",
        f"{OFFICER} · Questions to answer (show: claim) · id 1",
    ]


async def test_the_audit_log_exports_in_the_admins_language_safe_for_a_spreadsheet(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    member = await onboarded(chat, "telegram:7101")
    admin = await onboarded(chat, ADMIN)
    await admin.send("/language")
    await admin.press("Italiano")
    await admin.press("Ruoli")
    await admin.press("Assegna un ruolo")
    await admin.send(member.user)
    await admin.press("funzionario consolare")
    async with engine.db.transaction() as tx:  # what a spreadsheet would run as a formula
        await audit.record(tx, ADMIN, "roles.grant_key", '=HYPERLINK("http://x")', utcnow())
    await admin.send("/audit")
    await admin.press("Esporta in CSV")
    [file] = [r.attachment for r in admin.replies if isinstance(r.attachment, Attachment)]
    assert file.filename.startswith("audit-") and file.media_type == "text/csv"
    table = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert table[0] == ["Ora (UTC)", "Chi", "Sezione del bot", "Azione", "Riguardo a"]
    rows = await engine.db.read_all("SELECT count(*) FROM audit_log")
    assert len(table) - 1 == rows[0][0] >= 1
    assert [row[1:4] for row in table[1:]] == [
        [ADMIN, "Ruoli", "grant_role: officer"],
        [ADMIN, "Ruoli", "grant_key"],
        [ADMIN, "Registro delle attività", "list: csv"],  # the export itself, recorded first
    ]
    cells = [cell for row in table[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    exported = await engine.db.read_all("SELECT action FROM audit_log WHERE action LIKE 'audit.%'")
    assert [r[0] for r in exported] == ["audit.list: csv"]  # the export itself is recorded


SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


def is_safe_name(name: str) -> bool:
    """Letters, digits, `.`, `_`, `-`; no dot or dash first, no dot last; 1 to 100 characters."""
    return SAFE_NAME.fullmatch(name) is not None and not name.endswith(".")


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\ana\\report.csv", "report.csv"),
        ("/var/lib/bot/data/bot.sqlite3", "bot.sqlite3"),
        ("..", "attachment"),
        ("../..", "attachment"),
        ("...", "attachment"),
        ("./", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("\x00\x07\x1b", "attachment"),
        ("名前", "attachment"),  # nothing left that a file system reads the same everywhere
        (".bashrc", "bashrc"),  # no hidden file
        ("..hidden.txt", "hidden.txt"),
        ("-rf", "rf"),  # no option to a command run over the folder
        ("--help.txt", "help.txt"),
        ("a\x00b\nc\r\td.csv", "a_b_c_d.csv"),  # control characters
        ("\x1b[31mred.txt", "31mred.txt"),  # a terminal escape
        ("\u202egnp.exe", "gnp.exe"),  # a right-to-left override
        ("$(reboot);rm -rf ~.csv", "reboot_rm_-rf_.csv"),
        ("Réunion à Tirana 2027.ics", "R_union_Tirana_2027.ics"),
        ("event-42.ics", "event-42.ics"),  # a name the bot makes itself is kept
        ("registrations-event-7.csv", "registrations-event-7.csv"),
    ],
)
def test_hostile_file_names_become_safe_names(hostile: str, safe: str) -> None:
    assert safe_filename(hostile) == safe
    assert is_safe_name(safe_filename(hostile))


def test_very_long_file_names_are_cut_to_a_safe_length() -> None:
    assert safe_filename("x" * 300 + ".csv") == "x" * 100
    assert safe_filename("a" * 99 + ".csv") == "a" * 99  # no dot left at the end
    assert safe_filename("../" * 500 + "b" * 150) == "b" * 100
    assert safe_filename("." * 150 + "c" * 150) == "c" * 100
    assert all(is_safe_name(safe_filename(n)) for n in ("y" * 5000, "-" * 200 + "z", "é" * 300))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_file_name_becomes_a_safe_name(name: str) -> None:
    cleaned = safe_filename(name)
    assert is_safe_name(cleaned), (name, cleaned)
    assert cleaned not in (".", "..")


async def test_the_console_saves_an_attachment_only_inside_its_folder(
    engine: Engine, tmp_path: Path
) -> None:
    root = tmp_path / "out"  # the database lives in tmp_path/data
    files = root / "deep" / "files"
    out = io.StringIO()
    console = ConsoleChannel(engine, "console:ana", out, interactive=False, files=files)
    for name in ("../../../escaped.sh", "..\\..\\escaped.bat", "/tmp/escaped.txt", ".."):
        await console.show([Reply("a file", attachment=Attachment(name, "text/plain", b"x"))])
    saved = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert saved == [
        "deep/files/attachment",
        "deep/files/escaped.bat",
        "deep/files/escaped.sh",
        "deep/files/escaped.txt",
    ]
    assert f"📎 {files / 'escaped.sh'}" in out.getvalue()


async def test_a_flooding_user_is_asked_once_to_slow_down_then_ignored(
    db: Database, catalogs: Catalogs, settings: Settings
) -> None:
    tight = Settings(
        database_path=settings.database_path,
        flood_messages=5,
        flood_window_seconds=60,
        flood_cooldown_seconds=60,
    )
    engine = Engine(db, build_registry(), catalogs, tight)
    ids = itertools.count()
    flooder, other = "telegram:7200", "telegram:7201"

    async def send(key: str, text: str = "hi") -> list[str]:
        outcome = await engine.handle(Incoming(key, text=text, message_id=f"f{next(ids)}"))
        return [r.text for r in outcome.replies]

    for _ in range(5):
        assert await send(flooder)
    slow_down = catalogs.translator("sq").t(  # the user has no language yet: the default
        "You are sending many messages very fast. Please slow down: I will answer"
        " again in a moment."
    )
    assert await send(flooder) == [slow_down]
    assert await send(flooder) == []  # then silence
    assert await send(flooder) == []
    assert await send(other)  # nobody else is affected
    console = [
        await engine.handle(Incoming("console:operator", text="x")) for _ in range(10)
    ]  # the console is a local operator: never throttled
    assert all(o.replies for o in console)


def test_the_flood_gate_counts_a_sliding_window_and_a_cool_down() -> None:
    now = [0.0]
    gate = FloodGate(limit=3, window=10, cooldown=30, clock=lambda: now[0])
    assert [gate.check("a") for _ in range(3)] == ["ok"] * 3
    now[0] = 11  # the first three left the window: a long text split in a few messages passes
    assert [gate.check("a") for _ in range(3)] == ["ok"] * 3
    assert gate.check("a") == "warn"
    now[0] = 40
    assert gate.check("a") == "drop"
    now[0] = 42
    assert gate.check("a") == "ok"  # the cool-down is over


# -- webhooks --------------------------------------------------------------------------------------


@pytest.fixture
async def web(db_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The web process with Telegram (against a fake Bot API) and WhatsApp."""
    fake = FakeTelegram()
    async with serve(fake.app, lifespan="off") as api:
        settings = Settings(
            database_path=db_path,
            public_url="https://bot.example.org",
            telegram_bot_token="123456789:AAE1bcdefghijklmnopqrstuvwxyz012345",
            telegram_api_base_url=api,
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="1" * 32,
            twilio_whatsapp_from="whatsapp:+14155238886",
        )
        async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
            yield client, settings


async def test_oversized_bodies_get_413_before_parsing(
    web: tuple[httpx.AsyncClient, Settings],
) -> None:
    client, settings = web
    secret = {SECRET_HEADER: webhook_secret(settings)}
    big = b'{"update_id": 1, "x": "' + b"a" * MAX_BODY + b'"}'
    response = await client.post(
        "/telegram", content=big, headers={**secret, "content-type": "application/json"}
    )
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the stream is counted
        for _ in range(20):
            yield b"Body=" + b"x" * 8192 + b"&"

    response = await client.post(
        "/whatsapp",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/telegram", "text/plain"),
        ("/telegram", "application/x-www-form-urlencoded"),
        ("/whatsapp", "application/json"),
        ("/whatsapp/status", "multipart/form-data; boundary=x"),
    ],
)
async def test_wrong_content_types_get_415(
    web: tuple[httpx.AsyncClient, Settings], path: str, kind: str
) -> None:
    client, settings = web
    headers = {"content-type": kind, SECRET_HEADER: webhook_secret(settings)}
    response = await client.post(path, content=b"{}", headers=headers)
    assert response.status_code == 415


async def test_errors_reveal_no_stack_trace(web: tuple[httpx.AsyncClient, Settings]) -> None:
    client, settings = web
    for path, headers, body in [
        ("/telegram", {SECRET_HEADER: webhook_secret(settings)}, b"{not json"),
        ("/whatsapp", {}, b"Body=%ff%fe"),
        ("/nowhere", {}, b""),
    ]:
        response = await client.post(
            path, content=body, headers={"content-type": "application/json", **headers}
        )
        assert response.status_code in (400, 404, 405, 415)
        assert "Traceback" not in response.text and "File " not in response.text


# -- secrets stay out of the logs ----------------------------------------------------------------


async def test_no_token_secret_or_auth_token_reaches_the_logs(tmp_path: Path) -> None:
    """The real web process at DEBUG, both channels, a conversation and a failing send."""
    import asyncio
    import os
    import signal
    import socket
    import subprocess
    import sys

    from twilio.request_validator import RequestValidator

    from tests.fake_twilio import FakeTwilio

    token = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
    hook_secret = "webhook-secret-that-must-not-leak"
    auth = "fedcba9876543210" * 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake, twilio = FakeTelegram(), FakeTwilio()
    async with serve(fake.app, lifespan="off") as api, serve(twilio.app, lifespan="off") as rest:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM", "TWILIO", "ADMINS", "OFFICERS", "LOG_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            TELEGRAM_BOT_TOKEN=token,
            TELEGRAM_API_BASE_URL=api,
            TELEGRAM_WEBHOOK_SECRET=hook_secret,
            TWILIO_ACCOUNT_SID="AC" + "0123456789abcdef" * 2,
            TWILIO_AUTH_TOKEN=auth,
            TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
            TWILIO_API_BASE_URL=rest,
            PUBLIC_URL="https://bot.example.org",
            DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
            HOST="127.0.0.1",
            PORT=str(port),
            LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "web", env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            await fake.wait_for(lambda: bool(fake.sent(method="setWebhook")), 30)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(100):
                    try:
                        await client.get("/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                from tests import fake_telegram as tg

                secret = {SECRET_HEADER: hook_secret}
                await client.post(
                    "/telegram",
                    json={"update_id": 1, **tg.text_update(9901, "/start")},
                    headers=secret,
                )
                fake.fail(
                    "sendMessage", 9901, status=400, description=f"Bad Request: bot{token} said no"
                )
                await client.post(
                    "/telegram", json={"update_id": 2, **tg.text_update(9901, "4")}, headers=secret
                )
                form = {"MessageSid": "SM1", "From": "whatsapp:+393339900001", "Body": "ciao"}
                signature = RequestValidator(auth).compute_signature(
                    "https://bot.example.org/whatsapp", form
                )
                await client.post("/whatsapp", data=form, headers={"X-Twilio-Signature": signature})
                await client.post("/whatsapp", data=form, headers={"X-Twilio-Signature": "forged"})
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 30)
    logs = (out + err).decode()
    assert "POST /telegram" in logs and "POST /whatsapp" in logs  # the logs did record traffic
    for secret_value in (token, token.split(":")[1], hook_secret, auth):
        assert secret_value not in logs
