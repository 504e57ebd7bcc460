"""Operations: backups of the live database, restoring one, and the health check."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.telegram import webhook_secret
from bot.web import create_app
from storage import users
from storage.clock import utcnow
from storage.database import Database, migrations
from tests import fake_telegram as tg
from tests.fake_telegram import FakeTelegram
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAE1bcdefghijklmnopqrstuvwxyz012345"
_updates = itertools.count(1)


def bot(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` with DATABASE_PATH set, as an operator would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "TWILIO", "LOG_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, env=env, cwd=database.parent, timeout=60, check=False,
    )  # fmt: skip


def keys_in(path: Path) -> set[str]:
    """The user keys a database file holds."""
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT key FROM users")}


async def add_user(db: Database, key: str) -> None:
    """A user row."""
    async with db.transaction() as tx:
        await users.create(tx, key, locale_hint=None, now=utcnow())


async def test_a_backup_of_the_running_database_is_consistent_and_self_contained(
    tmp_path: Path,
) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await Database.open(live)  # the bot is running: it holds the lock and writes
    try:
        for i in range(50):
            await add_user(db, f"telegram:{i}")
        done = bot("backup", str(tmp_path / "backups" / "b1.sqlite3"), database=live)
        await add_user(db, "telegram:999")  # written after the backup
    finally:
        await db.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up {live} to ")
    copy = tmp_path / "backups" / "b1.sqlite3"
    assert keys_in(copy) == {f"telegram:{i}" for i in range(50)}
    assert not (tmp_path / "backups" / "b1.sqlite3-wal").exists()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations())


async def test_restore_is_refused_while_the_bot_runs_and_works_once_it_stopped(
    tmp_path: Path,
) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await Database.open(live)
    await add_user(db, "telegram:1")
    assert bot("backup", str(tmp_path / "b.sqlite3"), database=live).returncode == 0
    await add_user(db, "telegram:2")  # after the backup: gone once it is restored
    refused = bot("restore", str(tmp_path / "b.sqlite3"), database=live)
    assert refused.returncode == 2
    assert "the bot is running" in refused.stderr
    await db.close()
    Path(f"{live}-wal").write_bytes(b"stale")  # a leftover pair must not be replayed
    Path(f"{live}-shm").write_bytes(b"stale")
    done = bot("restore", str(tmp_path / "b.sqlite3"), database=live)
    assert done.returncode == 0, done.stderr
    assert not Path(f"{live}-wal").exists() and not Path(f"{live}-shm").exists()
    assert keys_in(live) == {"telegram:1"}
    kept = [p for p in tmp_path.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and "telegram:2" in keys_in(kept[0])
    reopened = await Database.open(live)  # the restored file is a working database
    await reopened.close()


@pytest.mark.parametrize("kind", ["garbage", "empty-sqlite", "newer", "missing"])
def test_restore_checks_the_backup_first(tmp_path: Path, kind: str) -> None:
    candidate = tmp_path / "candidate.sqlite3"
    if kind == "garbage":
        candidate.write_bytes(os.urandom(4096))
    elif kind == "empty-sqlite":
        sqlite3.connect(candidate).close()
    elif kind == "newer":
        with sqlite3.connect(candidate) as conn:
            conn.execute("CREATE TABLE t (x)")
            conn.execute("PRAGMA user_version = 999")
    done = bot("restore", str(candidate), database=tmp_path / "bot.sqlite3")
    assert done.returncode == 2
    assert done.stderr.startswith("restore refused: ")
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing was put in place


def test_a_backup_of_a_missing_database_is_one_clear_line(tmp_path: Path) -> None:
    done = bot("backup", str(tmp_path / "b.sqlite3"), database=tmp_path / "none.sqlite3")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("none.sqlite3: no such database")


ADMIN = "telegram:4400"


@pytest.fixture
async def web(db_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeTelegram, Any]]:
    """The web process on Telegram (a fake Bot API), its lifespan running."""
    fake = FakeTelegram()
    async with serve(fake.app, lifespan="off") as api:
        settings = Settings(
            database_path=db_path,
            public_url="https://bot.example.org",
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api,
            telegram_pace=0.0,
            telegram_chat_pace=0.0,
            admins=frozenset({ADMIN}),
        )
        app = create_app(settings)
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            client.headers["X-Telegram-Bot-Api-Secret-Token"] = webhook_secret(settings)
            yield client, fake, app


async def say(client: httpx.AsyncClient, chat: int, *texts: str) -> None:
    """Post text updates from a chat, one after the other."""
    for text in texts:
        update = {"update_id": next(_updates), **tg.text_update(chat, text)}
        assert (await client.post("/telegram", json=update)).status_code == 200


async def test_health_reports_the_database_the_backlog_and_the_last_send(
    web: tuple[httpx.AsyncClient, FakeTelegram, Any], db_path: Path
) -> None:
    client, fake, _ = web
    health = (await client.get("/healthz")).json()
    assert health == {
        "status": "ok",
        "database": "ok",
        "outbox": {
            "direct": {"due": 0, "oldest_due_seconds": None},
            "bulk": {"due": 0, "oldest_due_seconds": None},
        },
        "last_sent": {"telegram": None},
    }
    await say(client, 4401, "/start", "4", "2")
    await say(client, 4400, "/start", "4", "2", "/roles", "1", "telegram:4401", "2")
    await fake.wait_for(
        lambda: any("consular officer in this service" in t for t in fake.texts(4401))
    )
    for _ in range(200):  # the worker records the send right after the platform's answer
        health = (await client.get("/healthz")).json()
        if health["last_sent"]["telegram"]:
            break
    assert health["last_sent"]["telegram"].startswith(str(utcnow().year))

    # A WhatsApp row in a Telegram-only process waits: the backlog shows it and its age.
    def add_waiting_row() -> None:  # in a thread: the app shares this event loop
        with sqlite3.connect(db_path, timeout=30) as conn:
            conn.execute(
                "INSERT INTO users (key, channel, created_at) VALUES ('whatsapp:+393330000099',"
                " 'whatsapp', '2020-01-01T00:00:00.000000Z')"
            )
            conn.execute(
                "INSERT INTO outbox (recipient, channel, renderer, args, lane, idempotency_key,"
                " not_before, next_attempt, created_at) VALUES ('whatsapp:+393330000099',"
                " 'whatsapp', 'roles.granted', '{}', 'bulk', 'h1', ?, ?, ?)",
                ("2020-01-01T00:00:00.000000Z",) * 3,
            )

    await asyncio.to_thread(add_waiting_row)
    health = (await client.get("/healthz")).json()
    assert health["outbox"]["bulk"]["due"] == 1
    assert health["outbox"]["bulk"]["oldest_due_seconds"] > 86_400


async def test_health_is_503_when_the_database_cannot_be_written(
    web: tuple[httpx.AsyncClient, FakeTelegram, Any],
) -> None:
    client, _, app = web
    assert (await client.get("/healthz")).status_code == 200
    await app.state.channels.engine.db.close()  # as if the file went away under the process
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "not writable"}
