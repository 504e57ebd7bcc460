"""Messages per second and latency through the engine, beside bare transactions doing the minimum.

The engine runs a scripted conversation (first contact, consent, profile, settings, help) for many
users at once on a SQLite file. The baseline does, for as many messages at the same concurrency and
on the same PRAGMAs, only what any message needs: read the conversation row, write it back, insert
the de-duplication row, commit. Rounds alternate so that both see the same machine.

    python bench/engine.py [--users 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.engine import Engine
from bot.i18n import Catalogs
from bot.messages import Incoming, Reply
from handlers import build_registry
from storage import users
from storage.clock import to_db, utcnow
from storage.database import Database

# English, agree, Italy, a city, settings, announcements off, the menu, help, who am I, the menu.
SCRIPT = ["/start", "4", "1", "1", "Milano", "/settings", "4", "menu", "/help", "/whoami", "menu"]

Send = Callable[[str, int, str], Awaitable[None]]


async def drive(users_count: int, send: Send) -> tuple[float, list[float]]:
    """Every user runs the script, users concurrently; returns wall time and per-message latency."""
    latencies: list[float] = []

    async def converse(user: int) -> None:
        for step, text in enumerate(SCRIPT):
            start = time.perf_counter()
            await send(text, user, f"{user}-{step}")
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(converse(u) for u in range(users_count)))
    return time.perf_counter() - start, latencies


async def run_engine(folder: Path, users_count: int, deliver: bool) -> tuple[float, list[float]]:
    """The whole engine with the real flows and catalogs."""
    db = await Database.open(folder / "engine.sqlite3")
    engine = Engine(db, build_registry(), Catalogs(), Settings(default_locale="en"))

    async def delivered(replies: list[Reply]) -> None:
        return None

    async def send(text: str, user: int, message_id: str) -> None:
        incoming = Incoming(f"telegram:{user + 1000}", text=text, message_id=message_id)
        await engine.handle(incoming, deliver=delivered if deliver else None)

    try:
        return await drive(users_count, send)
    finally:
        await db.close()


async def run_baseline(folder: Path, users_count: int) -> tuple[float, list[float]]:
    """Bare transactions: read the conversation, write it back, insert the de-duplication row."""
    db = await Database.open(folder / "baseline.sqlite3")
    now = utcnow()
    async with db.transaction() as tx:
        for user in range(users_count):
            await users.create(tx, f"telegram:{user + 1000}", locale_hint=None, now=now)

    async def send(text: str, user: int, message_id: str) -> None:
        key = f"telegram:{user + 1000}"
        stamp = to_db(utcnow())
        async with db.transaction() as tx:
            state = await tx.fetch_value(
                "SELECT state FROM conversations WHERE user_key = ?", (key,)
            )
            await tx.execute(
                "INSERT INTO conversations (user_key, state, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_key) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at",
                (key, (state or "") + "x", stamp),
            )
            await tx.execute(
                "INSERT INTO processed_messages"
                " (channel, message_id, user_key, replies, created_at)"
                " VALUES ('telegram', ?, ?, '[]', ?)",
                (message_id, key, stamp),
            )

    try:
        return await drive(users_count, send)
    finally:
        await db.close()


def summary(elapsed: float, latencies: list[float]) -> tuple[float, float, float]:
    """Messages per second, p50 and p99 latency in milliseconds."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(latencies) / elapsed, statistics.median(ordered) * 1000, p99 * 1000


async def main() -> None:
    """Alternate baseline and engine rounds; report the best throughput of each and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float, float]]] = {
        "baseline": [],
        "engine (no deliver)": [],
        "engine + deliver": [],
    }
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as raw:
            folder = Path(raw)
            results["baseline"].append(summary(*await run_baseline(folder, args.users)))
            results["engine (no deliver)"].append(
                summary(*await run_engine(folder / "a", args.users, deliver=False))
            )
            results["engine + deliver"].append(
                summary(*await run_engine(folder / "b", args.users, deliver=True))
            )
    messages = args.users * len(SCRIPT)
    print(f"{args.users} users x {len(SCRIPT)} messages = {messages} per run, {args.rounds} rounds")
    print(f"{'':22} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    best = {}
    for name, runs in results.items():
        rate, p50, p99 = max(runs)  # the best round of each: the least disturbed by the machine
        best[name] = rate
        print(f"{name:22} {rate:9.0f} {p50:8.1f} {p99:8.1f}")
    for name in ("engine (no deliver)", "engine + deliver"):
        print(f"ratio {name} / baseline: {best[name] / best['baseline']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
