"""The drill's invariants, read from the database and from what the fake platforms received."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.drill_load import Ledger
from bench.drill_platforms import Platforms
from bench.drill_seed import REMINDER_TITLE, Seeded
from bench.drill_traffic import ANSWER_TEXT, IDEA_TEXT, Roles
from bot.broadcasts import ANNOUNCE
from bot.messages import Reply
from bot.plaintext import split
from bot.telegram import MAX_TEXT
from handlers.event_notices import PROMOTED, REMINDER
from storage.clock import to_db, utcnow
from storage.database import Database
from storage.outbox import COMMAND_MENU

ANSWER = "questions.answer"


@dataclass
class Crash:
    """One SIGKILL: when it came, and what the killed process left uncertain."""

    announced: int  # announcement messages the platforms had received when it came
    claimed: dict[int, str]  # outbox row id -> renderer, of the rows claimed and not finished
    unanswered: int  # inbound messages in flight (no answer yet) at that moment
    members: float  # share of the members done with their script when it came
    recovered: int | None = None  # what the next process said it put back in line


@dataclass
class Check:
    """One invariant: whether it holds, and the figures behind it."""

    name: str
    ok: bool
    figures: str
    details: list[str] = field(default_factory=list)  # the first few offenders


@dataclass
class Evidence:
    """Everything the checks read besides the database."""

    platforms: Platforms
    ledger: Ledger
    roles: Roles
    seeded: Seeded
    crashes: list[Crash]
    marker: str
    seats: int


def telegram_texts(reply: Reply) -> list[str]:
    """The texts Telegram receives for a reply (as TelegramChannel.send_reply builds them)."""
    body = html.escape(reply.text, quote=False)
    if reply.title:
        title = f"<b>{html.escape(reply.title, quote=False)}</b>"
        body = f"{title}\n{body}" if body else title
    pieces = split(body, MAX_TEXT) if body else []
    return pieces or (["…"] if reply.buttons else [])


class Replies:
    """The stored replies of every processed message, as Telegram texts, per user and message."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self.by_user: defaultdict[str, dict[str, list[str]]] = defaultdict(dict)
        for user, message_id, replies in rows:
            texts = [t for raw in json.loads(replies) for t in telegram_texts(Reply.from_json(raw))]
            self.by_user[user][message_id] = texts

    def texts(self, user: str) -> Counter[str]:
        """Every reply text a user was to receive, with how many times."""
        return Counter(t for texts in self.by_user[user].values() for t in texts)


def _sample(items: Iterable[str], count: int = 5) -> list[str]:
    """The first few offenders, for the report."""
    return list(items)[:count]


async def inbound(db: Database, ev: Evidence) -> list[Check]:
    """Every inbound message recorded once, and processed once (the prompt counter moved once
    per message; what the flows wrote is there once)."""
    ledger = ev.ledger
    recorded = {
        (r[0], r[1])
        for r in await db.read_all("SELECT channel, message_id FROM processed_messages")
    }
    missing = [
        m.id for m in ledger.messages.values() if (m.user.split(":")[0], m.id) not in recorded
    ]
    telegram = sum(1 for m in ledger.messages.values() if m.user.startswith("telegram:"))
    unanswered = [m.id for m in ledger.messages.values() if not m.answered_at]
    again = ledger.redelivered
    checks = [
        Check(
            "every inbound message recorded once",
            not missing and not unanswered,
            f"{len(ledger.messages):,} sent ({telegram:,} Telegram,"
            f" {len(ledger.messages) - telegram:,} WhatsApp); {len(again):,} delivered again"
            f" after no answer; {len(missing)} not recorded",
            _sample(missing),
        )
    ]
    states = {
        r[0]: json.loads(r[1])["seq"]
        for r in await db.read_all("SELECT user_key, state FROM conversations")
    }
    off = [
        f"{user}: {len(ids)} messages, prompt {states.get(user)}"
        for user, ids in ledger.by_user.items()
        if states.get(user) != len(ids)
    ]
    checks.append(
        Check(
            "every inbound message processed once",
            not off,
            f"{len(ledger.by_user):,} users: the prompt counter moved once per message for"
            f" {len(ledger.by_user) - len(off):,}",
            _sample(off),
        )
    )
    checks.append(await effects(db, ev))
    return checks


async def effects(db: Database, ev: Evidence) -> Check:
    """One idea per idea, one question per question, one registration per sign-up."""
    roles, wrong = ev.roles, []
    ideas: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for user, title, description in await db.read_all(
        "SELECT user_key, title, description FROM ideas"
    ):
        ideas[user].append((title, description))
    for user, title in roles.ideas.items():
        if ideas.get(user) != [(title, IDEA_TEXT)]:
            wrong.append(f"{user}: ideas {ideas.get(user)}")
    asked: defaultdict[str, list[str]] = defaultdict(list)
    for user, body in await db.read_all(
        "SELECT q.user_key, m.body FROM questions q"
        " JOIN question_messages m ON m.question_id = q.id AND m.side = 'member'"
    ):
        asked[user].append(body)
    for user, text in roles.questions.items():
        if asked.get(user) != [text]:
            wrong.append(f"{user}: questions {asked.get(user)}")
    registered: defaultdict[str, list[str]] = defaultdict(list)
    for user, status in await db.read_all(
        "SELECT user_key, status FROM registrations WHERE event_id = ?", (ev.seeded.signup_event,)
    ):
        registered[user].append(status)
    cancelled = set(roles.cancelled)
    for user in roles.by_activity.get("signup", []):
        statuses = registered.get(user, [])
        if len(statuses) != 1 or (statuses[0] == "cancelled") != (user in cancelled):
            wrong.append(f"{user}: registrations {statuses}")
    answers = await db.read_one(
        "SELECT count(*) FROM question_messages WHERE side = 'officer' AND body = ?",
        (ANSWER_TEXT,),
    )
    answered = int(answers[0]) if answers else 0
    if answered != roles.answered:
        wrong.append(f"officers sent {roles.answered} answers, {answered} stored")
    return Check(
        "what the flows wrote is there once",
        not wrong,
        f"{len(roles.ideas):,} ideas, {len(roles.questions):,} questions ({answered:,} answered),"
        f" {len(roles.by_activity.get('signup', [])):,} sign-ups ({len(cancelled):,} cancelled)",
        _sample(wrong),
    )


async def telegram_replies(db: Database, ev: Evidence, replies: Replies) -> Check:
    """Each Telegram reply reached the chat once, except replies of updates in flight at a kill
    (their replies may have gone out before the process died, and again on redelivery)."""
    again: defaultdict[str, list[str]] = defaultdict(list)
    for message in ev.ledger.redelivered:
        again[message.user].append(message.id)
    lost = doubled = excused = 0
    wrong = []
    for user in ev.ledger.by_user:
        if not user.startswith("telegram:"):
            continue
        expected = replies.texts(user)
        chat = int(user.partition(":")[2])
        got = Counter(
            str(c.params["text"])
            for c in ev.platforms.telegram.by_chat[chat]
            if c.ok and c.method == "sendMessage" and c.params.get("text") in expected
        )
        short = sum((expected - got).values())
        extra = sum((got - expected).values())
        allowance = sum(len(replies.by_user[user].get(m, [])) for m in again.get(user, []))
        lost += short
        if extra > allowance:
            doubled += extra
            wrong.append(f"{user}: {extra} replies twice, {allowance} allowed")
        else:
            excused += extra
        if short:
            wrong.append(f"{user}: {short} replies missing")
    total = sum(sum(replies.texts(u).values()) for u in ev.ledger.by_user if u[0] == "t")
    return Check(
        "every Telegram reply sent once",
        not wrong,
        f"{total:,} replies; sent twice after a kill: {excused} (updates in flight);"
        f" otherwise twice: {doubled}, missing: {lost}",
        _sample(wrong),
    )


def _received(ev: Evidence, replies: Replies, key: str, needle: str) -> int:
    """Messages containing `needle` a recipient got outside the replies to their own messages."""
    if key.startswith("telegram:"):
        chat = int(key.partition(":")[2])
        texts = [
            str(c.params["text"])
            for c in ev.platforms.telegram.by_chat[chat]
            if c.ok and c.method == "sendMessage"
        ]
        own = sum(n for t, n in replies.texts(key).items() if needle in t)
        return sum(1 for t in texts if needle in t) - own
    return sum(1 for s in ev.platforms.twilio.by_to[key] if needle in s.params.get("Body", ""))


async def outbox_once(db: Database, ev: Evidence, replies: Replies, renderer: str) -> Check:
    """Every row of a kind reached its recipient exactly once; a row claimed by a killed process
    may have gone out twice (counted)."""
    needle = {
        ANNOUNCE: ev.marker,
        REMINDER: REMINDER_TITLE,  # the event's only title, whatever the recipient's language
        ANSWER: ANSWER_TEXT.split(":")[0] + ":",
    }[renderer]
    uncertain = {row for crash in ev.crashes for row in crash.claimed}
    rows = await db.read_all(  # reminders of the sign-ups fall due in three days: not those
        "SELECT id, recipient, status FROM outbox WHERE renderer = ? AND not_before <= ?",
        (renderer, to_db(utcnow())),
    )
    by_recipient: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for row_id, recipient, status in rows:
        by_recipient[recipient].append((row_id, status))
    once = twice = 0
    wrong = []
    for recipient, found in by_recipient.items():
        got = _received(ev, replies, recipient, needle)
        sent = [r for r, status in found if status == "sent"]
        if len(sent) != len(found):
            wrong.append(f"{recipient}: rows {found}")
        if got == len(sent):
            once += 1
        elif got == len(sent) + 1 and any(r in uncertain for r in sent):
            twice += 1
        else:
            wrong.append(f"{recipient}: {got} received for {len(sent)} rows")
    if renderer == ANNOUNCE:
        left_out = set(ev.seeded.crowd) - set(by_recipient)
        wrong += [f"{key}: no announcement row" for key in sorted(left_out)]
    name = {ANNOUNCE: "announcement", REMINDER: "reminders", ANSWER: "officers' answers"}[renderer]
    return Check(
        f"{name}: each recipient served once",
        not wrong,
        f"{len(by_recipient):,} recipients: {once:,} once, {twice} twice (claimed by a killed"
        f" process), {len(wrong)} otherwise",
        _sample(wrong),
    )


async def outbox_settled(db: Database, ev: Evidence) -> Check:
    """Nothing left claimed, failed or overdue; every sent Telegram row's message is in its chat."""
    now = to_db(utcnow())
    statuses = Counter(
        {r[0]: r[1] for r in await db.read_all("SELECT status, count(*) FROM outbox GROUP BY 1")}
    )
    overdue = await db.read_all(
        "SELECT id, renderer, status, reason FROM outbox WHERE status = 'claimed'"
        " OR status = 'failed' OR (status = 'pending' AND next_attempt <= ?)",
        (now,),
    )
    given = {
        (chat, int(c.result["message_id"]))
        for chat, calls in ev.platforms.telegram.by_chat.items()
        for c in calls
        if c.ok and c.method in ("sendMessage", "sendDocument", "sendPhoto")
    }
    unknown = [
        f"row {row_id} to {recipient}: message {mid} not in that chat"
        for row_id, recipient, mid in await db.read_all(
            "SELECT id, recipient, platform_message_id FROM outbox"
            " WHERE status = 'sent' AND channel = 'telegram' AND edits IS NULL"
            " AND renderer != ?",  # a command list redrawn is no message
            (COMMAND_MENU,),
        )
        if (int(recipient.partition(":")[2]), int(mid)) not in given
    ]
    wrong = [f"row {r[0]} {r[1]}: {r[2]} {r[3]}" for r in overdue] + unknown
    figures = ", ".join(f"{status} {count:,}" for status, count in statuses.most_common())
    return Check("outbox settled, sent rows match the platform", not wrong, figures, _sample(wrong))


async def seats(db: Database, ev: Evidence) -> Check:
    """No event holds more confirmed seats than its capacity."""
    rows = await db.read_all(
        "SELECT e.id, e.capacity, coalesce(sum(r.seats), 0) FROM events e"
        " LEFT JOIN registrations r ON r.event_id = e.id AND r.status = 'confirmed'"
        " GROUP BY e.id"
    )
    over = [
        f"event {r[0]}: {r[2]} seats for {r[1]}" for r in rows if r[1] is not None and r[2] > r[1]
    ]
    counts = Counter(
        {
            r[0]: r[1]
            for r in await db.read_all(
                "SELECT status, count(*) FROM registrations WHERE event_id = ? GROUP BY 1",
                (ev.seeded.signup_event,),
            )
        }
    )
    taken = next((r[2] for r in rows if r[0] == ev.seeded.signup_event), 0)
    promoted = await db.read_one("SELECT count(*) FROM outbox WHERE renderer = ?", (PROMOTED,))
    return Check(
        "no seat over capacity",
        not over,
        f"{taken} of {ev.seats} seats taken by {counts['confirmed']} sign-ups;"
        f" {counts['waitlisted']} waiting, {counts['cancelled']} cancelled,"
        f" {promoted[0] if promoted else 0} promoted from the waitlist",
        over,
    )


async def verify(db: Database, ev: Evidence) -> list[Check]:
    """Every invariant, in the order the report shows them."""
    replies = Replies(
        (r[0], r[1], r[2])
        for r in await db.read_all("SELECT user_key, message_id, replies FROM processed_messages")
    )
    problems = ev.ledger.problems
    return [
        Check(
            "every answer was what the member's script expected",
            not problems,
            f"{len(problems)} off-script answers",
            _sample(problems),
        ),
        *await inbound(db, ev),
        await telegram_replies(db, ev, replies),
        await outbox_once(db, ev, replies, ANNOUNCE),
        await outbox_once(db, ev, replies, REMINDER),
        await outbox_once(db, ev, replies, ANSWER),
        await outbox_settled(db, ev),
        await seats(db, ev),
    ]
