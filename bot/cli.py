"""`python -m bot [console|polling|web|backup|restore]`: read the settings, run a process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot import config, data_requests, polling, runtime, web
from bot.console import ConsoleChannel, ConsoleSender
from bot.i18n import CatalogError, Catalogs
from bot.messages import is_user_key
from handlers import faq_content
from storage import backups, personal
from storage.database import StorageError

DEMO_DATABASE = Path("data/demo.sqlite3")
EXIT_USAGE = 2

log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="python -m bot", description="The diaspora bot.")
    commands = root.add_subparsers(dest="command")
    console = commands.add_parser("console", help="chat in this terminal (the default)")
    commands.add_parser("polling", help="Telegram long polling, for development")
    commands.add_parser("web", help="the production web process (webhooks, /healthz)")
    save = commands.add_parser("backup", help="copy the live database to PATH (safe while running)")
    save.add_argument("path", type=Path)
    put = commands.add_parser("restore", help="put the backup at PATH in place (bot stopped)")
    put.add_argument("path", type=Path)
    export = commands.add_parser("export", help="print everything stored about a user (JSON)")
    erase = commands.add_parser("erase", help="erase everything stored about a user (as /delete)")
    for target in (export, erase):
        target.add_argument(
            "key", help="the user's key: telegram:123, whatsapp:+39..., console:NAME"
        )
        target.add_argument("--db", type=Path, help="database file (default DATABASE_PATH)")
    erase.add_argument("--yes", action="store_true", help="erase (without it: show what would go)")
    for target in (root, console):
        target.add_argument("--db", type=Path, help=f"database file (default {DEMO_DATABASE})")
        target.add_argument(
            "--user", default="you", help="who you are: console:<USER> (default you)"
        )
        target.add_argument("--no-demo", action="store_true", help="do not seed a new database")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run a process; configuration and storage problems are one line and exit status 2."""
    args = parser().parse_args(argv)
    command = args.command or "console"
    try:
        settings = config.load()
        if command == "polling":
            runtime.require_polling(settings)
        elif command == "web":
            runtime.require_web(settings)
    except config.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    lacking = missing_files()
    if lacking is not None:
        print(f"installation error: {lacking}", file=sys.stderr)
        return EXIT_USAGE
    if command == "console" and "LOG_LEVEL" not in os.environ:
        # The console is a conversation: start-up chatter would interleave with the replies.
        settings = replace(settings, log_level="WARNING")
    config.configure_logging(settings)
    if command in ("backup", "restore"):
        return maintain(command, settings, args.path)
    if command in ("export", "erase"):
        return data_request(args, settings)
    try:
        if command == "polling":
            asyncio.run(polling.run(settings))
            return 0
        if command == "web":
            web.run(settings)
            return 0
    except StorageError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0
    user = f"console:{args.user}"
    if not is_user_key(user):
        print(
            f"--user: use 1-32 characters of A-Z a-z 0-9 _ - (got {args.user!r})", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        return asyncio.run(
            run_console(settings, args.db or DEMO_DATABASE, user, demo=not args.no_demo)
        )
    except StorageError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0


def missing_files() -> str | None:
    """What the code cannot find beside it (the catalogs, the FAQ), said before anything runs:
    an install that left locales/ behind would otherwise speak English and fail at the FAQ."""
    try:
        Catalogs()
        faq_content.load(faq_content.FAQ_DIR)
    except (CatalogError, faq_content.FaqError) as exc:
        return str(exc)
    return None


def maintain(command: str, settings: config.Settings, path: Path) -> int:
    """`backup PATH` or `restore PATH` on DATABASE_PATH: one line saying what was done."""
    try:
        if command == "backup":
            size = backups.backup(settings.database_path, path)
            print(f"backed up {settings.database_path} to {path} ({size:,} bytes)")
        else:
            kept = backups.restore(path, settings.database_path)
            print(f"restored {path} to {settings.database_path}")
            if kept is not None:
                print(f"the database it replaced is kept as {kept}")
    except StorageError as exc:
        print(f"{command} refused: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


async def run_console(settings: config.Settings, path: Path, user: str, *, demo: bool) -> int:
    """The console chat on a database file, seeded with sample content when new."""
    new = not path.exists()  # noqa: ASYNC240  (once, before anything else runs)
    async with runtime.engine_for(settings, path=path) as engine:
        if new and demo:
            async with engine.db.transaction() as tx:
                for seed in engine.registry.demo:
                    await seed(tx)
        channel = ConsoleChannel(
            engine, user, sys.stdout, interactive=sys.stdin.isatty(), files=path.parent / "files"
        )
        async with runtime.worker_for(engine, [ConsoleSender(channel)], drain=True):
            await channel.run(sys.stdin)
    return 0


def data_request(args: argparse.Namespace, settings: config.Settings) -> int:
    """`export KEY` prints the user's data as JSON; `erase KEY --yes` erases it (see
    bot/data_requests.py); a bad key or database is one line and exit status 2."""
    key = str(args.key)
    if not is_user_key(key):
        print(
            f"{key!r} is not a user key (telegram:123, whatsapp:+39..., console:NAME)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    path = args.db or settings.database_path
    try:
        data_requests.require(path)
        if args.command == "export":
            data = asyncio.run(data_requests.export(settings, path, key))
            print(personal.as_json(data))
            if not data["tables"]["users"]:
                print(f"nothing is stored about {key}", file=sys.stderr)
            return 0
        result = asyncio.run(data_requests.erase(settings, path, key, confirm=args.yes))
    except StorageError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not result.total:
        print(f"nothing is stored about {key}")
        return 0
    for where, count in result.counts.items():
        print(f"{where}: {count}")
    if result.erased:
        print(f"erased {key}: {result.total} rows (see the README, Privacy, for what stays)")
    else:
        print(f"nothing erased yet: run again with --yes to erase {key}")
    return 0
