"""Shared fixtures: settings, a real SQLite file in tmp_path, the catalogs, an engine, chats."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import Catalogs
from handlers import build_registry
from storage.database import Database
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FakeTwilio
from tests.harness import Chat
from tests.servers import serve


@pytest.fixture(scope="session", autouse=True)
def matplotlib_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """matplotlib writes a font cache on first use: into this run's own folder (a clean or
    read-only home in CI changes nothing), with the Agg backend whatever the environment says;
    console processes the tests start inherit both."""
    names = ("MPLCONFIGDIR", "MPLBACKEND")
    before = {name: os.environ.get(name) for name in names}
    os.environ["MPLCONFIGDIR"] = str(tmp_path_factory.mktemp("matplotlib"))
    os.environ["MPLBACKEND"] = "Agg"
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file that does not exist yet."""
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    """Settings as a deployment would have them, with one admin and one officer."""
    return Settings(
        flood_messages=10_000,  # tests send fast; flood control has its own tests
        database_path=db_path,
        admins=frozenset({"telegram:1"}),
        officers=frozenset({"telegram:2"}),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, served on a free port of 127.0.0.1."""
    server = FakeTelegram()
    async with serve(server.app, lifespan="off") as url:
        server.url = url
        yield server


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    """The fake Twilio REST endpoint, served on a free port of 127.0.0.1."""
    server = FakeTwilio()
    async with serve(server.app, lifespan="off") as url:
        server.url = url
        yield server


@pytest.fixture
def fakes(fake: FakeTelegram, twilio: FakeTwilio) -> tuple[FakeTelegram, FakeTwilio]:
    """Both fakes, for tests that run the two channels."""
    return fake, twilio


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    """The database, closed after the test."""
    database = await Database.open(db_path)
    yield database
    await database.close()


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    """The four catalogs, read once."""
    return Catalogs()


@pytest.fixture
def engine(db: Database, catalogs: Catalogs, settings: Settings) -> Engine:
    """An engine with every feature's flows."""
    return Engine(db, build_registry(), catalogs, settings)


@pytest.fixture
def chat(engine: Engine) -> Callable[..., Chat]:
    """Make a chat for a user key."""

    def make(user: str = "telegram:1001", hint: str | None = None) -> Chat:
        return Chat(engine, user, hint)

    return make
