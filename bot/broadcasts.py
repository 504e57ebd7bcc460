"""Broadcasts at run time: what a send will cost, due ones fanned out in chunks, their progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.config import Settings
from bot.i18n import negotiate
from bot.outbox import FAN_OUT_CHUNK, Report
from bot.plaintext import split
from bot.registry import Registry
from bot.whatsapp_rules import MAX_BODY, WINDOW, WINDOW_MARGIN, within_window
from storage import broadcasts as store
from storage import outbox as rows
from storage import users
from storage.broadcasts import Broadcast, Chosen
from storage.clock import utcnow
from storage.database import Database, Tx

log = logging.getLogger(__name__)

# The renderers handlers/broadcasts.py registers for a broadcast's outbox rows.
ANNOUNCE = "broadcasts.announce"
PROGRESS = "broadcasts.progress"
REPORT = "broadcasts.report"
BASE = "announcements"  # the audience every broadcast starts from: announcements on
CANCELLED = "cancelled by an administrator"  # the reason on rows a cancel stopped
IDLE = 60.0  # the longest the scheduler sleeps without looking at the table again
WATCH = 1.0  # while a broadcast is sending: how often to look whether it is done
IN_FLIGHT = 5.0  # seconds by which a claimed batch has normally been sent and recorded


def with_base(chosen: Sequence[tuple[str, Mapping[str, str]]]) -> Chosen:
    """The audiences of a broadcast: the base first, then the admin's filters."""
    rest = [(name, dict(values)) for name, values in chosen if name != BASE]
    return [(BASE, {}), *rest]


def audience_query(
    registry: Registry, chosen: Sequence[tuple[str, Mapping[str, str]]], settings: Settings
) -> tuple[str, tuple[Any, ...]]:
    """SQL selecting a broadcast's recipients; every audience also sees `default_locale`."""
    pairs = [
        (name, {"default_locale": settings.default_locale, **values})
        for name, values in with_base(chosen)
    ]
    return registry.audience_query(pairs)


def pace_of(settings: Settings, channel: str) -> float:
    """A channel's outbox pace in messages a second (0: no limit)."""
    return {"telegram": settings.telegram_pace, "whatsapp": settings.whatsapp_pace}.get(
        channel, 0.0
    )


@dataclass(frozen=True, slots=True)
class Forecast:
    """What sending to an audience at a moment means, for the preview."""

    recipients: dict[str, dict[str, int]]  # channel -> language -> users
    outside_window: int  # WhatsApp users who get a notice template instead of the message
    notices: int  # of those, the ones who have not had a notice since they last wrote
    notices_left: int  # the daily cap minus the notices already sent that day
    templates: bool  # whether a notice template is configured at all
    cost: Decimal | None  # the notices' price, when WHATSAPP_TEMPLATE_PRICE is set
    seconds: float  # how long the send takes at the configured paces (0: no pace)

    @property
    def total(self) -> int:
        """Every recipient."""
        return sum(sum(by.values()) for by in self.recipients.values())

    def language(self, locale: str) -> int:
        """Recipients who read a language, on every channel."""
        return sum(by.get(locale, 0) for by in self.recipients.values())


async def forecast(
    tx: Tx,
    registry: Registry,
    settings: Settings,
    broadcast: Broadcast,
    at: datetime,
    now: datetime,
) -> Forecast:
    """Recipients per channel and language, the WhatsApp window, notices and the time it takes."""
    query = audience_query(registry, broadcast.audience, settings)
    groups = await store.breakdown(tx, query, at - (WINDOW - WINDOW_MARGIN))
    recipients: dict[str, dict[str, int]] = {}
    outside = notices = 0
    for group in groups:
        locale = negotiate(group.locale, group.locale_hint, settings.default_locale)
        by_language = recipients.setdefault(group.channel, {})
        by_language[locale] = by_language.get(locale, 0) + group.count
        outside += group.count if group.outside_window else 0
        notices += group.count if group.needs_notice else 0
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)  # the worker's day is UTC too
    sent_that_day = await rows.notices_since(tx, day) if day <= now else 0
    templates = bool(settings.twilio_template_sids)
    price = settings.whatsapp_template_price
    cost = None if price is None or not templates else price * notices
    longest = max(len(text) for text in broadcast.texts.values()) + len(broadcast.title or "")
    bodies = len(split("x" * (longest + 200), MAX_BODY))  # 200: the line on how to stop them
    seconds = 0.0
    for channel, by_language in recipients.items():
        pace = pace_of(settings, channel)
        if pace <= 0:
            continue
        count = sum(by_language.values())
        messages = (count - outside) * bodies + notices if channel == "whatsapp" else count
        seconds = max(seconds, messages / pace)  # the channels send side by side
    return Forecast(
        recipients=recipients,
        outside_window=outside,
        notices=notices if templates else 0,
        notices_left=max(0, settings.whatsapp_daily_template_cap - sent_that_day),
        templates=templates,
        cost=cost,
        seconds=seconds,
    )


async def progress(tx: Tx, broadcast: Broadcast, settings: Settings) -> Report:
    """A broadcast's messages by status and reason (purged rows included), and the time left at
    each channel's pace."""
    batch = broadcast.batch
    by_status: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for status, reason, count in await store.message_reasons(tx, broadcast.id):
        by_status[status] = by_status.get(status, 0) + count
        if reason:
            by_reason[reason] = by_reason.get(reason, 0) + count
    seconds = 0.0
    for channel, statuses in (await store.counts_by_channel(tx, batch)).items():
        left = statuses.get("pending", 0) + statuses.get("claimed", 0)
        pace = pace_of(settings, channel)
        if left and pace > 0:
            seconds = max(seconds, left / pace)
    remaining = by_status.get("pending", 0) + by_status.get("claimed", 0)
    return Report(by_status, by_reason, remaining, seconds)


@dataclass
class _Followed:
    """What the scheduler remembers of a broadcast it follows (lost at a restart: harmless)."""

    shown_at: float = 0.0  # monotonic time of the last progress row
    shown: tuple[int, ...] = ()  # the counts when it was queued


class BroadcastScheduler:
    """Starts due broadcasts, fans them out in chunks, follows them and reports to the sender.

    Its state is in the database: a restart resumes a fan-out where it stopped (idempotency keys
    add only what is missing) and sends what fell due while the process was down.
    """

    def __init__(
        self,
        db: Database,
        registry: Registry,
        settings: Settings,
        wake_outbox: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
        chunk: int = FAN_OUT_CHUNK,
    ) -> None:
        self.db = db
        self.registry = registry
        self.settings = settings
        self.wake_outbox = wake_outbox
        self.clock = clock
        self.chunk = chunk
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._followed: dict[int, _Followed] = {}

    def wake(self) -> None:
        """Something was scheduled or cancelled: look now rather than at the next timeout."""
        self._wake.set()

    async def start(self) -> None:
        """Run until `stop`."""
        self._task = asyncio.create_task(self._run(), name="broadcasts")

    async def stop(self, drain: bool = False) -> None:
        """Stop after the chunk in flight (a fan-out resumes at the next start); `drain` then
        makes one last whole pass (the console shows its broadcasts before it ends)."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        if drain:
            self._stop.clear()  # the loop is over: this last pass may fan out to the end
            await self.tick()

    async def _run(self) -> None:
        """Tick, then sleep until the next due broadcast, a progress line, or a wake-up."""
        while not self._stop.is_set():
            try:
                sleep = await self.tick()
            except Exception:
                log.exception("the broadcast scheduler failed; retrying shortly")
                sleep = 5.0
            if sleep > 0 and not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), sleep)
            self._wake.clear()

    async def tick(self) -> float:
        """One pass: start what is due, fan out, follow; returns the seconds until the next."""
        now = self.clock()
        for broadcast_id in await store.due(self.db.reader(), now):
            await self._start(broadcast_id)
        sending = False
        for broadcast in await store.following(self.db.reader()):
            if broadcast.status == "sending" and broadcast.fanned_out_at is None:
                await self._fan_out(broadcast)
                refreshed = await store.get(self.db.reader(), broadcast.id)
                broadcast = refreshed or broadcast
            sending |= await self._follow(broadcast)
        wait = IDLE
        due = await store.next_due(self.db.reader())
        if due is not None:
            wait = min(wait, max(0.0, (due - self.clock()).total_seconds()))
        if sending:
            wait = min(wait, WATCH, self.settings.broadcast_progress_edit_seconds)
        return wait

    async def _start(self, broadcast_id: int) -> None:
        """A due broadcast starts (its first progress row follows the first chunk of rows)."""
        async with self.db.transaction() as tx:
            started = await store.start(tx, broadcast_id, self.clock())
        if started:
            log.info("broadcast %s started", broadcast_id)

    async def _fan_out(self, broadcast: Broadcast) -> None:
        """Queue a row per recipient, a chunk per transaction, stopping if it is cancelled."""
        query = audience_query(self.registry, broadcast.audience, self.settings)
        after = broadcast.fanned_out_after or ""
        while not self._stop.is_set():  # stopping: the next start resumes from `after`
            now = self.clock()
            async with self.db.transaction() as tx:
                if await store.status_of(tx, broadcast.id) != "sending":
                    return  # cancelled between two chunks: the cancel took the rows queued so far
                last = await rows.fan_out(
                    tx,
                    query[0],
                    query[1],
                    after,
                    self.chunk,
                    renderer=ANNOUNCE,
                    args={"id": broadcast.id},
                    lane="bulk",
                    batch=broadcast.batch,
                    now=now,
                )
                await store.fanned(tx, broadcast.id, last, now)
            self.wake_outbox()
            if last is None:
                return
            after = last

    async def _follow(self, broadcast: Broadcast) -> bool:
        """Progress while it sends, done when nothing is left, the report; True: look again soon."""
        counts = await store.counts_by_channel(self.db.reader(), broadcast.batch)
        totals: dict[str, int] = {}
        for statuses in counts.values():
            for status, count in statuses.items():
                totals[status] = totals.get(status, 0) + count
        busy = totals.get("pending", 0) + totals.get("claimed", 0)
        now = self.clock()
        if broadcast.status == "sending":
            if broadcast.fanned_out_at is not None and busy == 0:
                async with self.db.transaction() as tx:
                    if await store.finish(tx, broadcast.id, now):
                        await self._final(tx, broadcast, now)
                self._followed.pop(broadcast.id, None)
                self.wake_outbox()
                log.info("broadcast %s is done: %s", broadcast.id, totals)
                return False
            shown = tuple(totals.get(s, 0) for s in ("sent", "failed", "skipped", "held"))
            followed = self._followed.setdefault(broadcast.id, _Followed())
            first = not followed.shown_at and broadcast.progress_row is None
            if shown != followed.shown:
                async with self.db.transaction() as tx:
                    if await self._show_progress(tx, broadcast, now, followed, first=first):
                        followed.shown = shown
                self.wake_outbox()
            return True
        if totals.get("claimed", 0):  # cancelled: report once the batch in flight has ended
            return True
        async with self.db.transaction() as tx:
            await self._final(tx, broadcast, now)
        self._followed.pop(broadcast.id, None)
        self.wake_outbox()
        return False

    async def _show_progress(
        self, tx: Tx, broadcast: Broadcast, now: datetime, followed: _Followed, *, first: bool
    ) -> bool:
        """Queue a progress row for the sender, if it is time: on Telegram an edit of the first
        one, elsewhere a new line now and then. True when a row was queued."""
        sender = await users.get(tx, broadcast.sender) if broadcast.sender else None
        if sender is None:
            return False
        telegram = sender.channel == "telegram"
        every = (
            self.settings.broadcast_progress_edit_seconds
            if telegram
            else self.settings.broadcast_progress_line_seconds
        )
        if not first and time.monotonic() - followed.shown_at < every:
            return False
        if sender.channel == "whatsapp" and not within_window(sender.last_inbound_at, now):
            return False  # a progress line is not worth a paid notice template
        edits = None
        if telegram and broadcast.progress_row is not None:
            if await store.row_status(tx, broadcast.progress_row) != "sent":
                return False  # the message to edit has not gone out yet
            edits = broadcast.progress_row
        elif telegram and not first:
            return False
        row = await rows.enqueue(
            tx,
            sender.key,
            PROGRESS,
            {"id": broadcast.id},
            lane="direct",
            now=now,
            key=f"{broadcast.batch}:progress:{now.timestamp():.6f}",
            batch=f"{broadcast.batch}:progress",
            edits=edits,
        )
        if row is not None and telegram and broadcast.progress_row is None:
            await store.set_progress_row(tx, broadcast.id, row)
        followed.shown_at = time.monotonic()
        return row is not None

    async def _final(self, tx: Tx, broadcast: Broadcast, now: datetime) -> None:
        """The progress message shows the end (Telegram), and the report goes to the sender."""
        if broadcast.sender is not None:
            shown = broadcast.progress_row
            state = None if shown is None else await store.row_status(tx, shown)
            # One still pending shows the end by itself (it is rendered when sent); one in flight
            # is edited once its batch is over, when its message id is known.
            if state in ("sent", "claimed"):
                later = timedelta(seconds=0 if state == "sent" else IN_FLIGHT)
                await rows.enqueue(
                    tx,
                    broadcast.sender,
                    PROGRESS,
                    {"id": broadcast.id},
                    lane="direct",
                    now=now,
                    key=f"{broadcast.batch}:progress:final",
                    batch=f"{broadcast.batch}:progress",
                    edits=shown,
                    not_before=now + later,
                )
            await rows.enqueue(
                tx,
                broadcast.sender,
                REPORT,
                {"id": broadcast.id},
                lane="direct",
                now=now,
                key=f"{broadcast.batch}:report",
                batch=f"{broadcast.batch}:progress",
            )
        await store.reported(tx, broadcast.id, now)
