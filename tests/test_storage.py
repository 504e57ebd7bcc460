"""Storage: opening, PRAGMAs, migrations, the lock file, transactions, personal-data references."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage import users
from storage.clock import from_db, to_db, utcnow
from storage.database import Database, StorageError, migrate, migrations


async def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    assert path.is_file()


async def test_a_path_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as caught:
        await Database.open(blocker / "bot.sqlite3")
    assert str(caught.value).startswith(f"{blocker / 'bot.sqlite3'}: cannot create its folder")
    assert "\n" not in str(caught.value)


async def test_a_file_that_is_not_sqlite_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 200)
    with pytest.raises(StorageError) as caught:
        await Database.open(path)
    assert str(caught.value) == f"{path}: not a SQLite database"
    assert path.read_bytes().startswith(b"these are my notes")  # left untouched
    again = await Database.open(tmp_path / "other.sqlite3")  # nothing leaked: a new open works
    await again.close()


async def test_pragmas_are_set(db: Database) -> None:
    async with db.statement() as tx:
        assert await tx.fetch_value("PRAGMA journal_mode") == "wal"
        assert await tx.fetch_value("PRAGMA foreign_keys") == 1
        assert await tx.fetch_value("PRAGMA synchronous") == 1  # NORMAL
        assert await tx.fetch_value("PRAGMA busy_timeout") == 5000


async def test_migrations_on_an_empty_and_on_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as tx:
        assert await tx.fetch_value("PRAGMA user_version") == len(migrations())
        await users.create(tx, "telegram:9", locale_hint="sq", now=utcnow())
    await db.close()

    db = await Database.open(path)  # an existing database: nothing re-applied, nothing lost
    try:
        async with db.transaction() as tx:
            assert await tx.fetch_value("PRAGMA user_version") == len(migrations())
            assert await users.exists(tx, "telegram:9")
    finally:
        await db.close()


async def test_a_new_migration_applies_to_an_existing_database_and_a_failing_one_rolls_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await Database.open(path)).close()  # a database at the shipped version
    shipped = migrations()
    n = len(shipped)
    extra = (n + 1, f"{n + 1:04d}_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);")
    broken = (
        n + 2,
        f"{n + 2:04d}_broken.sql",
        "CREATE TABLE half (id INTEGER); SELECT * FROM nowhere;",
    )
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate(conn, [*shipped, extra])
        assert next(iter(await conn.execute_fetchall("PRAGMA user_version")))[0] == n + 1
        with pytest.raises(sqlite3.OperationalError):
            await migrate(conn, [*shipped, extra, broken])
        assert next(iter(await conn.execute_fetchall("PRAGMA user_version")))[0] == n + 1
        tables = {r[0] for r in await conn.execute_fetchall("SELECT name FROM sqlite_master")}
        assert "notes" in tables and "half" not in tables


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="schema version 999 is newer"):
        await Database.open(path)


async def test_the_lock_file_marks_a_running_process(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    assert (tmp_path / "bot.sqlite3.lock").exists()
    with pytest.raises(StorageError, match="in use by another running process"):
        await Database.open(path)
    await db.close()
    again = await Database.open(path)  # released at close
    await again.close()


async def test_a_transaction_rolls_back_on_error(db: Database) -> None:
    async def create_then_fail() -> None:
        async with db.transaction() as tx:
            await users.create(tx, "telegram:10", locale_hint=None, now=utcnow())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await create_then_fail()
    async with db.transaction() as tx:
        assert not await users.exists(tx, "telegram:10")


async def test_the_read_connection_cannot_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.read_all("INSERT INTO users (key, channel, created_at) VALUES ('a:1', 'a', 'x')")


async def test_every_user_key_column_references_users(db: Database) -> None:
    tables = [
        r["name"] for r in await db.read_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    for table in tables:
        columns = await db.read_all(f"PRAGMA table_info({table})")
        references = {
            fk["from"]
            for fk in await db.read_all(f"PRAGMA foreign_key_list({table})")
            if fk["table"] == "users" and fk["to"] == "key"
        }
        for column in columns:
            name = column["name"]
            if name in ("user_key", "granted_by") or name.endswith("_user"):
                assert name in references, f"{table}.{name} does not reference users(key)"


def test_times_round_trip_and_sort_as_text() -> None:
    early = from_db("2026-03-29T00:59:59.000000Z")
    late = from_db("2026-03-29T01:00:00.000001Z")
    assert to_db(early) < to_db(late)
    now = utcnow()
    assert from_db(to_db(now)) == now
    with pytest.raises(ValueError, match="naive"):
        to_db(now.replace(tzinfo=None))
