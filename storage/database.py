"""The database: a write connection guarded by one lock, a read-only connection, migrations."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import IO, Any

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
Row = sqlite3.Row

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)
_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class StorageError(Exception):
    """A database that cannot be opened or used; the message is one line naming the path."""


class Tx:
    """The statements of one transaction (or of one locked autocommit statement)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row, if any."""
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """Run a query and return the first column of its first row (None without rows)."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement and return the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row id."""
        cursor = await self._conn.execute(sql, params)
        rowid = cursor.lastrowid
        if rowid is None:
            raise StorageError("INSERT returned no row id")
        return rowid

    @property
    def total_changes(self) -> int:
        """Rows changed on this connection since it opened (to tell whether a step wrote)."""
        return self._conn.total_changes

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter sets."""
        await self._conn.executemany(sql, rows)


class Database:
    """One SQLite file: the write connection and its lock, a read-only connection, the lock file."""

    def __init__(
        self,
        path: Path,
        write: aiosqlite.Connection,
        read: aiosqlite.Connection,
        lock: IO[str] | None,
    ) -> None:
        self.path = path
        self._write = write
        self._read = read
        self._lock_file = lock
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, *, exclusive: bool = True) -> Database:
        """Open (creating folder and file if needed), lock, configure and migrate the database.

        `exclusive=False` leaves the lock file alone, for a short operator's command beside the
        running bot (SQLite itself orders the two processes' transactions).
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{path}: cannot create its folder ({exc.strerror})") from None
        lock = _take_lock_file(path) if exclusive else None
        write: aiosqlite.Connection | None = None
        read: aiosqlite.Connection | None = None
        try:
            write = await aiosqlite.connect(path, isolation_level=None)
            write.row_factory = sqlite3.Row
            for pragma in PRAGMAS:
                await write.execute(pragma)
            await migrate(write)
            read = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            read.row_factory = sqlite3.Row
            await read.execute("PRAGMA busy_timeout=5000")
        except (sqlite3.DatabaseError, OSError) as exc:
            for conn in (read, write):
                if conn is not None:
                    await conn.close()
            _release_lock_file(lock)
            raise StorageError(f"{path}: {_describe(exc)}") from None
        except BaseException:
            for conn in (read, write):
                if conn is not None:
                    await conn.close()
            _release_lock_file(lock)
            raise
        return cls(path, write, read, lock)

    async def close(self) -> None:
        """Close both connections (their threads would keep the process alive) and the lock file."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            with suppress(sqlite3.Error):
                await self._write.execute("PRAGMA optimize")
            await self._write.close()
        await self._read.close()
        _release_lock_file(self._lock_file)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Hold the write lock from BEGIN IMMEDIATE to COMMIT; roll back on any exception."""
        async with self._lock:
            await self._write.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._write)
            except BaseException:
                await self._write.execute("ROLLBACK")
                raise
            await self._write.execute("COMMIT")

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Tx]:
        """The write connection under its lock, without a transaction: for one autocommit write."""
        async with self._lock:
            yield Tx(self._write)

    async def writable(self) -> None:
        """Raise unless a write can be committed now (rewrites the schema version it has)."""
        async with self.transaction() as tx:
            version = int(await tx.fetch_value("PRAGMA user_version"))
            await tx.execute(f"PRAGMA user_version = {version}")

    def reader(self) -> Tx:
        """Statements on the read-only connection (each its own snapshot; no write lock)."""
        return Tx(self._read)

    async def read_all(self, sql: str, params: Params = ()) -> list[Row]:
        """A long read on the read-only connection, which never waits for the write lock."""
        return await Tx(self._read).fetch_all(sql, params)

    async def read_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a read on the read-only connection."""
        return await Tx(self._read).fetch_one(sql, params)


def migrations() -> list[tuple[int, str, str]]:
    """The shipped migrations as (number, file name, SQL), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise StorageError(f"migrations are not numbered 1..n: {numbers}")
    return found


async def migrate(
    conn: aiosqlite.Connection, known: list[tuple[int, str, str]] | None = None
) -> None:
    """Apply every migration newer than the file's user_version, each in its own transaction."""
    rows = await conn.execute_fetchall("PRAGMA user_version")
    current = next(iter(rows))[0]
    known = migrations() if known is None else known
    if current > len(known):
        raise StorageError(f"schema version {current} is newer than this code knows ({len(known)})")
    for number, name, sql in known[current:]:
        log.info("applying migration %s", name)
        try:
            # executescript commits anything pending first; BEGIN..COMMIT keeps each file atomic.
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            with suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")
            raise


def _take_lock_file(path: Path) -> IO[str]:
    """Hold `<db>.lock` exclusively while running, so maintenance can tell the bot is up."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = lock_path.open("a+")
    except OSError as exc:
        raise StorageError(f"{lock_path}: cannot create the lock file ({exc.strerror})") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StorageError(f"{path}: in use by another running process") from None
    return handle


def _release_lock_file(handle: IO[str] | None) -> None:
    """Let the lock go; the file itself stays (removing it would race another starter)."""
    if handle is None:
        return
    with suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def _describe(exc: BaseException) -> str:
    """A short reason for a failure to open the database."""
    text = str(exc)
    if "file is not a database" in text:
        return "not a SQLite database"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text or type(exc).__name__
