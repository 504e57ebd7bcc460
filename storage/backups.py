"""Backups of the live database (SQLite's online backup API) and restoring one safely."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from storage.database import StorageError, migrations


def backup(database: Path, destination: Path) -> int:
    """Copy the live database consistently (the bot may be running); returns its size in bytes.

    The copy is written beside the destination and renamed into place once it is complete and
    passes integrity_check, so a failed backup never leaves a half-written file behind.
    """
    if not database.is_file():
        raise StorageError(f"{database}: no such database")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(partial)) as target,
        ):
            source.execute("PRAGMA busy_timeout = 5000")
            source.backup(target, pages=1024)  # in steps: the bot's writers are not held up
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise StorageError(f"{destination}: the copy failed its integrity check")
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"{database}: {exc}") from None
    return destination.stat().st_size


def check(candidate: Path) -> int:
    """A backup's schema version, once it is shown to be an intact database this code can run."""
    if not candidate.is_file():
        raise StorageError(f"{candidate}: no such file")
    try:
        with closing(sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise StorageError(f"{candidate}: fails its integrity check")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{candidate}: not a usable SQLite database ({exc})") from None
    known = len(migrations())
    if version == 0:
        raise StorageError(f"{candidate}: not a diaspora-bot database (schema version 0)")
    if version > known:
        raise StorageError(
            f"{candidate}: schema version {version} is newer than this code ({known})"
        )
    return version


def restore(candidate: Path, database: Path) -> Path | None:
    """Put a checked backup in place of the database, only while no process holds it.

    The database being replaced is kept beside it (returned), and a leftover -wal/-shm pair is
    removed first, so that it cannot be replayed onto the restored file.
    """
    check(candidate)
    lock_path = database.with_name(database.name + ".lock")
    database.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(
                f"{database}: the bot is running (its lock is held): stop it before restoring"
            ) from None
        try:
            kept = None
            if database.exists():
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                kept = database.with_name(f"{database.name}.before-restore-{stamp}")
                os.replace(database, kept)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            incoming = database.with_name(database.name + ".restoring")
            with (
                closing(sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)) as source,
                closing(sqlite3.connect(incoming)) as target,
            ):
                source.backup(target)
            os.replace(incoming, database)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return kept
