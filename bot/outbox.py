"""The durable outbox: every proactive message is a row, sent once at the platforms' pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from bot.config import Settings
from bot.i18n import Catalogs, Translator, negotiate
from bot.messages import Reply
from bot.registry import Registry
from bot.retention import EVERY as PURGE_EVERY
from bot.retention import Retention
from bot.whatsapp_rules import within_window
from storage import outbox as store
from storage import roles as granted
from storage import users
from storage import whatsapp as statuses
from storage.clock import utcnow
from storage.database import Database, Tx
from storage.outbox import Finish, Row
from storage.users import User

if TYPE_CHECKING:
    from bot.turn import Turn

log = logging.getLogger(__name__)

FAN_OUT_CHUNK = 2_000  # rows a broadcast adds per transaction, so users' steps never wait long
RECHECK = 0.25  # seconds between re-reading recipients during a batch (opt-outs mid-send)
MAX_IDLE = 60.0  # the longest a channel sleeps without looking at its rows again
BACKOFF = timedelta(seconds=5)  # the first retry's delay; it doubles each attempt
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Render:
    """What a renderer sees at send time: the recipient now, their language, a read connection."""

    user: User
    i18n: Translator
    db: Tx
    now: datetime
    settings: Settings

    def t(self, message: str, /, **values: Any) -> str:
        """Translate into the recipient's language."""
        return self.i18n.t(message, **values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """Translate a count-dependent message."""
        return self.i18n.ngettext(singular, plural, n, **values)


Renderer = Callable[[Render, Mapping[str, Any]], Awaitable[list[Reply] | None]]
Outcome = Literal["sent", "retry", "unreachable", "held", "failed", "skipped"]
Pace = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel made of one row."""

    outcome: Outcome
    platform_ids: tuple[str, ...] = ()
    reason: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One row, rendered, for a channel to send."""

    row: Row
    replies: list[Reply]
    i18n: Translator


class Sender(Protocol):
    """A channel's outbound side, as the worker uses it."""

    channel: str
    recipient: str | None  # the console sends only to its own user

    async def send(self, job: Job, pace: Pace) -> Sent:
        """Send a job's replies, calling `pace(recipient)` before each platform call."""


@runtime_checkable
class Notifier(Protocol):
    """A channel that must tell users outside its window that messages wait (WhatsApp)."""

    async def notice(self, user: User, i18n: Translator) -> Sent:
        """Send the notice template."""


@runtime_checkable
class CommandLists(Protocol):
    """A channel that shows each user a list of commands (Telegram's menu), which roles change."""

    async def redraw_commands(self, user: User, roles: frozenset[str], i18n: Translator) -> Sent:
        """Show the user the commands their roles give them now (no roles: the everyday list)."""


def translator_for(catalogs: Catalogs, settings: Settings, user: User) -> Translator:
    """The recipient's language now."""
    return catalogs.translator(negotiate(user.locale, user.locale_hint, settings.default_locale))


async def notify(
    db: Database,
    recipient: str,
    renderer: str,
    args: Mapping[str, Any] | None = None,
    *,
    lane: str = "direct",
    key: str | None = None,
    not_before: datetime | None = None,
    batch: str | None = None,
) -> int | None:
    """Queue a message from code outside a flow (in its own transaction)."""
    async with db.transaction() as tx:
        return await store.enqueue(
            tx,
            recipient,
            renderer,
            dict(args or {}),
            lane=lane,
            now=utcnow(),
            not_before=not_before,
            key=key,
            batch=batch,
        )


async def fan_out(
    db: Database,
    audience: tuple[str, Sequence[Any]],
    renderer: str,
    args: Mapping[str, Any],
    *,
    batch: str,
    lane: str = "bulk",
    not_before: datetime | None = None,
    chunk: int = FAN_OUT_CHUNK,
) -> None:
    """Queue a message for every user an audience selects, a chunk per transaction."""
    sql, params = audience
    after = ""
    while True:
        async with db.transaction() as tx:
            last = await store.fan_out(
                tx,
                sql,
                params,
                after,
                chunk,
                renderer=renderer,
                args=dict(args),
                lane=lane,
                batch=batch,
                now=utcnow(),
                not_before=not_before,
            )
        if last is None:
            return
        after = last


@dataclass(frozen=True, slots=True)
class Report:
    """A set of rows at a glance: counts by status and by reason, and the time left."""

    statuses: dict[str, int]
    reasons: dict[str, int]
    remaining: int
    seconds_left: float

    @property
    def total(self) -> int:
        """All rows."""
        return sum(self.statuses.values())


async def report(db: Database, batch: str, pace: float) -> Report:
    """Counts by status and reason for one batch, and the time left at a pace (messages/s)."""
    rows = await store.counts(db.reader(), batch)
    by_status: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for status, reason, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if reason:
            by_reason[reason] = by_reason.get(reason, 0) + count
    remaining = by_status.get("pending", 0) + by_status.get("claimed", 0)
    return Report(by_status, by_reason, remaining, remaining / pace if pace > 0 else 0.0)


async def release_held(turn: Turn) -> bool:
    """When a WhatsApp user writes, hand over their held messages first, in this reply.

    Their message is then not an answer to their old step: the engine asks that step again.
    Held rows they may no longer receive (STOP, announcements off) are skipped on the way; when
    nothing is handed over, the message is answered as usual. The engine never offers this hook
    a command or a global word (STOP must stop at once); `resume_held` sees to those.
    """
    if turn.channel != "whatsapp":
        return False
    rows = await store.settle_held(turn.db, turn.key, turn.now)
    turn.held_settled = True
    if not rows:
        return False
    render = Render(turn.user, turn.i18n, turn.db, turn.now, turn.settings)
    results = []
    delivered = False
    for row in rows:
        renderer = turn.registry.renderers.get(row.renderer)
        try:
            replies = await renderer(render, row.args) if renderer is not None else None
        except Exception as exc:  # a broken row must not make every message of theirs fail
            log.exception("renderer %s failed for held row %s", row.renderer, row.id)
            results.append(Finish(row.id, "failed", reason=f"render: {exc}"[:200]))
            continue
        if replies:
            turn.replies.extend(replies)
            delivered = True
            results.append(Finish(row.id, "sent", f"inbound:{turn.incoming.message_id}"))
        else:
            results.append(Finish(row.id, "skipped", reason="nothing to send any more"))
    await store.finish(turn.db, results, turn.now)
    return delivered


async def resume_held(turn: Turn) -> None:
    """After a step that did not hand over a WhatsApp user's held messages (a command, a global
    word, a first message): skip those they may no longer receive (they just said STOP), and
    put the others back in line: they wrote, so the window is open and they go out now."""
    if turn.channel != "whatsapp" or turn.erased or turn.held_settled:
        return
    rows = await store.settle_held(turn.db, turn.key, turn.now)
    if rows:
        await store.requeue_held(turn.db, [row.id for row in rows], turn.now)
        turn.notified = True  # the worker is woken after the commit


class Pacer:
    """Spaces a channel's calls: an overall rate, a rate per chat, and pauses after a 429."""

    def __init__(self, rate: float, per_chat: float) -> None:
        self._gap = 1 / rate if rate > 0 else 0.0
        self._chat_gap = 1 / per_chat if per_chat > 0 else 0.0
        self._next = 0.0
        self._chats: dict[str, float] = {}
        self._paused_until = 0.0

    async def wait(self, chat: str) -> None:
        """Reserve the next free slot for this chat and sleep until it comes."""
        now = time.monotonic()
        slot = max(now, self._next, self._chats.get(chat, 0.0), self._paused_until)
        self._next = slot + self._gap
        if self._chat_gap:
            self._chats[chat] = slot + self._chat_gap
            if len(self._chats) > 10_000:  # forget chats whose gap has passed
                self._chats = {k: v for k, v in self._chats.items() if v > now}
        while slot > time.monotonic():
            await asyncio.sleep(slot - time.monotonic())
            slot = max(slot, self._paused_until)

    def pause(self, seconds: float) -> None:
        """Send nothing more on this channel for a while (the platform said 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


@dataclass
class _Batch:
    """The state of one claimed batch while it is being sent."""

    results: dict[int, Finish] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    held: dict[str, User] = field(default_factory=dict)
    sids: list[tuple[str, str, int]] = field(default_factory=list)


class _Eligibility:
    """Recipients of a batch re-read at most every RECHECK seconds (one query for the batch)."""

    def __init__(self, db: Database, rows: list[Row]) -> None:
        self._db = db
        self._rows = rows
        self._checked = time.monotonic()
        self._blocked: dict[int, str] = {}
        self._lock = asyncio.Lock()

    async def reason(self, row: Row) -> str | None:
        """Why this row must not go out now, if its recipient changed since the claim."""
        async with self._lock:
            if time.monotonic() - self._checked > RECHECK:
                self._blocked = await store.still_eligible(self._db.reader(), self._rows)
                self._checked = time.monotonic()
        return self._blocked.get(row.id)


class OutboxWorker:
    """Claims due rows per channel, direct before bulk, and sends them at each channel's pace."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        catalogs: Catalogs,
        settings: Settings,
        senders: Sequence[Sender],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.registry = registry
        self.catalogs = catalogs
        self.settings = settings
        self.senders = list(senders)
        self.clock = clock
        self._wake = {s.channel: asyncio.Event() for s in self.senders}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_sent: dict[str, datetime] = {}  # per channel, for /healthz
        paces = {
            "telegram": (settings.telegram_pace, settings.telegram_chat_pace),
            "whatsapp": (settings.whatsapp_pace, 0.0),
        }
        self._pacers = {s.channel: Pacer(*paces.get(s.channel, (0.0, 0.0))) for s in self.senders}
        # Retention purges run beside the channels' loops: a pass at start, then periodically.
        self.retention = Retention(db, settings, clock)
        self.purged = asyncio.Event()  # set after each retention pass

    def wake(self) -> None:
        """New rows were committed: look at them now rather than at the next timeout."""
        for event in self._wake.values():
            event.set()

    async def start(self) -> None:
        """Put back what a crash left claimed, then run until `stop`."""
        async with self.db.transaction() as tx:
            uncertain = await store.recover(tx)
        if uncertain:
            log.warning(
                "%d outbox rows were claimed when the last process stopped; they may have gone"
                " out already and will be sent again",
                uncertain,
            )
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, drain: bool = False) -> None:
        """Finish the batch in flight, record it, and stop; `drain` first sends what is due."""
        self._stop.set()
        self.wake()
        if self._task is not None:
            await self._task
        for sender in self.senders if drain else ():
            for _ in range(100):  # bounded: rows falling due meanwhile wait for the next start
                if not await self.run_once(sender):
                    break

    async def _run(self) -> None:
        """One loop per channel, so a pause on one never stalls the other, and the purges."""
        await asyncio.gather(*(self._loop(sender) for sender in self.senders), self._purge_loop())

    async def _purge_loop(self) -> None:
        """Delete what retention says is too old, now and then every PURGE_EVERY seconds."""
        while not self._stop.is_set():
            try:
                await self.retention.purge(self._stop)
            except Exception:
                log.exception("the retention purge failed; trying again at the next pass")
            self.purged.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), PURGE_EVERY)

    async def _loop(self, sender: Sender) -> None:
        """Claim, send, record; sleep until the earliest due row or new work."""
        while not self._stop.is_set():
            try:
                worked = await self.run_once(sender)
            except Exception:
                log.exception("the %s outbox loop failed; retrying shortly", sender.channel)
                worked = False
                await self._sleep(sender.channel, 5.0)
                continue
            if not worked:
                await self._sleep(sender.channel, await self._idle_for(sender))

    async def _idle_for(self, sender: Sender) -> float:
        """Seconds until the channel's next row falls due (capped)."""
        due = await store.earliest_due(self.db.reader(), sender.channel, sender.recipient)
        if due is None:
            return MAX_IDLE
        return min(MAX_IDLE, max(0.0, (due - self.clock()).total_seconds()))

    async def _sleep(self, channel: str, seconds: float) -> None:
        """Wait for new work, a due row, or stop."""
        event = self._wake[channel]
        if seconds > 0 and not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        event.clear()

    async def run_once(self, sender: Sender) -> bool:
        """Claim one batch for a channel and send it (then notices); False when nothing was due
        and no notices wait for the next round."""
        self._wake[sender.channel].clear()
        async with self.db.transaction() as tx:
            rows = await store.claim(
                tx, sender.channel, self.clock(), self.settings.outbox_batch, sender.recipient
            )
        if not rows:
            return await self._notices(sender)
        batch = await self._send(sender, rows)
        await self._record(batch)
        await self._notices(sender, batch.held)
        return True

    async def _send(self, sender: Sender, rows: list[Row]) -> _Batch:
        """Send a batch: recipients concurrently (bounded), each recipient's rows in order."""
        batch = _Batch()
        pacer = self._pacers[sender.channel]
        eligibility = _Eligibility(self.db, rows)
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)
        by_recipient: dict[str, list[Row]] = {}
        for row in rows:
            by_recipient.setdefault(row.user.key, []).append(row)

        async def send_in_order(group: list[Row]) -> None:
            try:
                for row in group:  # after a 403 the next rows see the mark and are skipped
                    await self._send_row(sender, pacer, eligibility, row, batch)
            finally:
                limit.release()

        tasks = []
        for group in by_recipient.values():
            await limit.acquire()
            tasks.append(asyncio.create_task(send_in_order(group)))
        await asyncio.gather(*tasks)
        return batch

    async def _send_row(
        self, sender: Sender, pacer: Pacer, eligibility: _Eligibility, row: Row, batch: _Batch
    ) -> None:
        """Render one row in the recipient's language, wait for its slot, check, send."""
        if row.renderer == store.COMMAND_MENU:
            batch.results[row.id] = await self._redraw_commands(sender, pacer, row, batch)
            return
        now = self.clock()
        i18n = translator_for(self.catalogs, self.settings, row.user)
        renderer = self.registry.renderers.get(row.renderer)
        if renderer is None:
            batch.results[row.id] = Finish(row.id, "failed", reason=f"no renderer {row.renderer}")
            return
        try:
            render = Render(row.user, i18n, self.db.reader(), now, self.settings)
            replies = await renderer(render, row.args)
        except Exception as exc:
            log.exception("renderer %s failed for row %s", row.renderer, row.id)
            batch.results[row.id] = Finish(row.id, "failed", reason=f"render: {exc}"[:200])
            return
        if not replies:
            batch.results[row.id] = Finish(row.id, "skipped", reason="nothing to send any more")
            return
        await pacer.wait(row.user.key)
        # Checked after the wait, right before sending: an opt-out mid-send stops what is left.
        reason = batch.unreachable.get(row.user.key) or await eligibility.reason(row)
        if reason is not None:
            batch.results[row.id] = Finish(row.id, "skipped", reason=reason)
            return
        first = True

        async def pace(chat: str) -> None:
            nonlocal first
            if first:  # the slot waited for above
                first = False
            else:
                await pacer.wait(chat)

        try:
            sent = await sender.send(Job(row, replies, i18n), pace)
        except Exception as exc:  # a channel bug must not lose the row: try again later
            log.exception("sending row %s failed", row.id)
            sent = Sent("retry", reason=f"error: {exc}"[:200])
        batch.results[row.id] = self._finish(row, sent, pacer, batch)

    async def _redraw_commands(
        self, sender: Sender, pacer: Pacer, row: Row, batch: _Batch
    ) -> Finish:
        """A command-list row: the roles the recipient holds when it goes out, not when it was
        queued, so that rows of a grant and a quick revoke end in the right list whatever the
        order; in their language then."""
        if not isinstance(sender, CommandLists):
            return Finish(row.id, "skipped", reason=f"no command lists on {sender.channel}")
        await pacer.wait(row.user.key)
        key = row.user.key
        held = self.settings.static_roles(key) | await granted.of(self.db.reader(), key)
        i18n = translator_for(self.catalogs, self.settings, row.user)
        try:
            sent = await sender.redraw_commands(row.user, held, i18n)
        except Exception as exc:  # a channel bug must not lose the row: try again later
            log.exception("redrawing the commands of row %s failed", row.id)
            sent = Sent("retry", reason=f"error: {exc}"[:200])
        return self._finish(row, sent, pacer, batch)

    def _finish(self, row: Row, sent: Sent, pacer: Pacer, batch: _Batch) -> Finish:
        """Turn a channel's answer into the row's new state."""
        now = self.clock()
        first = sent.platform_ids[0] if sent.platform_ids else None
        if sent.outcome == "sent":
            batch.sids += [(sid, row.user.key, row.id) for sid in sent.platform_ids]
            self.last_sent[row.user.channel] = now
            return Finish(row.id, "sent", first)
        if sent.outcome == "unreachable":
            batch.unreachable[row.user.key] = sent.reason or "unreachable"
            return Finish(row.id, "skipped", reason=sent.reason)
        if sent.outcome == "held":
            batch.held[row.user.key] = row.user
            return Finish(row.id, "held", reason=sent.reason)
        if sent.outcome in ("failed", "skipped"):
            return Finish(row.id, sent.outcome, first, sent.reason)
        if sent.retry_after is not None:  # the platform's pace: wait, it was no attempt
            pacer.pause(sent.retry_after)
            return Finish(
                row.id,
                "pending",
                reason=sent.reason,
                next_attempt=now + timedelta(seconds=sent.retry_after),
            )
        attempts = row.attempts + 1
        if attempts >= self.settings.outbox_max_attempts:
            return Finish(row.id, "failed", reason=sent.reason, attempts=attempts)
        delay = min(BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
        return Finish(
            row.id, "pending", reason=sent.reason, next_attempt=now + delay, attempts=attempts
        )

    async def _record(self, batch: _Batch) -> None:
        """Write a batch's results, the users found unreachable, and WhatsApp message ids."""
        now = self.clock()
        async with self.db.transaction() as tx:
            await store.finish(tx, batch.results.values(), now)
            for key, reason in batch.unreachable.items():
                await users.update(tx, key, unreachable_at=now, unreachable_reason=reason)
            for sid, key, row_id in batch.sids:
                if key.startswith("whatsapp:"):
                    await statuses.record(tx, sid, key, "queued", None, now, outbox_id=row_id)

    async def _notices(self, sender: Sender, held: Mapping[str, User] | None = None) -> bool:
        """Tell users with held messages that something waits: once until they write, within
        the daily cap (beyond it, the notice waits for the next day), at the channel's pace.

        True when notices are left for a round that should follow at once: a batch of them went
        out (rows due meanwhile come first), or the platform said 429 (the pacer waits it out).
        """
        if not isinstance(sender, Notifier):
            return False
        pacer = self._pacers[sender.channel]
        now = self.clock()
        reader = self.db.reader()
        waiting = await store.needing_notice(reader, sender.channel)
        if held:
            waiting = list({u.key: u for u in [*held.values(), *waiting]}.values())
        if not waiting:
            return False
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        sent_today = await store.notices_since(reader, day)
        sent_now = 0
        for user in waiting:
            if sent_today >= self.settings.whatsapp_daily_template_cap:
                log.info("the daily notice cap is reached: notices wait for tomorrow")
                return False
            if sent_now >= self.settings.outbox_batch:
                return True
            fresh = await users.get(reader, user.key)
            if fresh is None or not store.needs_notice(fresh):
                continue
            if within_window(fresh.last_inbound_at, now):
                # They are writing to us (perhaps answering the notice before it was recorded):
                # their held messages come with their next message, or a notice once it closes.
                continue
            async with self.db.transaction() as tx:  # no notice (it costs) for what cannot go
                if not await store.settle_held(tx, fresh.key, now):
                    continue
            await pacer.wait(fresh.key)  # notices share the sender's rate with messages
            result = await sender.notice(fresh, translator_for(self.catalogs, self.settings, fresh))
            if result.outcome == "retry":  # not sent: the user still needs it, in a later round
                log.info("a notice was refused for now (%s); trying again later", result.reason)
                if result.retry_after is None:
                    return False
                pacer.pause(result.retry_after)
                return True
            async with self.db.transaction() as tx:
                if result.outcome == "sent":
                    sent_today += 1
                    sent_now += 1
                    await users.update(tx, fresh.key, notice_sent_at=now)
                    for sid in result.platform_ids:
                        await statuses.record(tx, sid, fresh.key, "queued", None, now)
                elif result.outcome == "unreachable":
                    reason = result.reason or "unreachable"
                    await users.update(tx, fresh.key, unreachable_at=now, unreachable_reason=reason)
                    await store.skip_held(tx, fresh.key, reason, now)
                elif result.outcome in ("failed", "skipped"):
                    await store.skip_held(tx, fresh.key, result.reason or "no notice", now)
        return False
