"""The engine: one transaction per message (load, route, step, save, de-duplicate), then replies."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import Settings
from bot.flood import FloodGate
from bot.flow import AGAIN, END, MENU, Answer, AnswerHandler, Call, Goto, Next, Return
from bot.i18n import N_, Catalogs, Translator, negotiate, normalize
from bot.messages import Attachment, AttachmentSpec, Button, Incoming, Reply
from bot.registry import Registry
from bot.state import State
from bot.turn import Turn
from storage import audit, conversations, processed, turns, users
from storage.clock import utcnow
from storage.database import Database, Tx

log = logging.getLogger(__name__)

Deliver = Callable[[list[Reply]], Awaitable[None]]
Hook = Callable[[Turn], Awaitable[bool]]
AfterHook = Callable[[Turn], Awaitable[None]]

MAX_TEXT = 4096  # Telegram's own limit; longer text is refused with a clear reply
MAX_HOPS = 25  # steps one message may pass through before the engine calls it a loop
INBOUND_RESOLUTION = timedelta(minutes=1)  # last_inbound_at is kept to the minute, not per message

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.DOTALL)
_STAMP = re.compile(r"~([0-9]+)~(.*)", re.DOTALL)
_HEAD = re.compile(r"[,:;(–—]")  # where a label's first clause ends ("No, keep my data")
_LINK_REST = re.compile(r"[A-Za-z0-9_-]{1,48}")

# The engine's own global words; features add more (help, language) through the registry.
MENU_WORD, BACK_WORD, CANCEL_WORD = N_("menu"), N_("back"), N_("cancel")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came of a message: its replies, and whether it had been processed before."""

    replies: list[Reply]
    duplicate: bool = False


class Engine:
    """Routes each incoming message through the flows, one transaction per message."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        catalogs: Catalogs,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        before: Sequence[Hook] = (),
        after: Sequence[AfterHook] = (),
    ) -> None:
        self.db = db
        # Run first on a message that could be an answer (never a command or a global word, see
        # `directive`); True: the message is consumed. `after` hooks run after every step.
        self.before = list(before)
        self.after = list(after)
        self.on_notify: Callable[[], None] | None = None  # the outbox worker's wake-up
        self.flood = FloodGate(
            settings.flood_messages, settings.flood_window_seconds, settings.flood_cooldown_seconds
        )
        self.registry = registry
        self.catalogs = catalogs
        self.settings = settings
        self.clock = clock
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._words: dict[str, str] = {}  # normalized word in any language -> action
        for word, action in [(MENU_WORD, "!menu"), (BACK_WORD, "!back"), (CANCEL_WORD, "!cancel")]:
            self._add_word(word, action)
        for feature_word in registry.words:
            self._add_word(feature_word.word, feature_word.route)
        self._links: dict[str, str] = {}  # normalized link word in any language -> /start prefix
        for link in registry.deeplinks:
            if link.word is not None:
                for form in [link.word] + [tr.t(link.word) for tr in self.catalogs.all()]:
                    self._links.setdefault(normalize(form), link.prefix)

    def _add_word(self, word: str, action: str) -> None:
        """Recognise a word in its English form and in every catalog's translation."""
        for form in [word] + [tr.t(word) for tr in self.catalogs.all()]:
            self._words.setdefault(normalize(form), action)

    async def handle(self, incoming: Incoming, deliver: Deliver | None = None) -> Outcome:
        """Process one message; `deliver` sends the replies while the user's lock is held."""
        if incoming.channel != "console" and incoming.kind != "resume":
            verdict = self.flood.check(incoming.user)
            if verdict != "ok":
                return await self._slow_down(incoming, deliver, verdict == "warn")
        async with self._user_lock(incoming.user):
            replies, duplicate, delivered, notified = await self._transact(incoming)
            if notified and self.on_notify is not None:
                self.on_notify()
            if duplicate and delivered:
                return Outcome(replies, duplicate=True)
            replies = await self._render_attachments(replies, incoming.user)
            if deliver is not None:
                await deliver(replies)
                if incoming.message_id is not None:
                    async with self.db.statement() as tx:
                        await processed.mark_delivered(tx, incoming.channel, incoming.message_id)
            return Outcome(replies, duplicate=duplicate)

    async def _slow_down(self, incoming: Incoming, deliver: Deliver | None, warn: bool) -> Outcome:
        """A flooding user: one "please slow down", then nothing until the cool-down ends."""
        replies = []
        if warn:
            log.warning("flood control: %s is cooling down", incoming.user)
            translator = self.catalogs.translator(await self.locale_of(incoming.user))
            replies = [
                Reply(
                    translator.t(
                        "You are sending many messages very fast. Please slow down: I will answer"
                        " again in a moment."
                    )
                )
            ]
            if deliver is not None:
                await deliver(replies)
        return Outcome(replies)

    async def locale_of(self, key: str) -> str:
        """A user's language, read without the write lock (for apologies after a failure)."""
        row = await self.db.read_one("SELECT locale, locale_hint FROM users WHERE key = ?", (key,))
        stored, hint = (row["locale"], row["locale_hint"]) if row else (None, None)
        return negotiate(stored, hint, self.settings.default_locale)

    @asynccontextmanager
    async def _user_lock(self, key: str) -> AsyncIterator[None]:
        """Hold one user's lock from taking a message until its replies are sent."""
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[key]
            if waiting == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiting - 1)

    async def _transact(self, incoming: Incoming) -> tuple[list[Reply], bool, bool, bool]:
        """The one transaction: load, route, run the step, save, record the message id."""
        now = self.clock()
        async with self.db.transaction() as tx:
            loaded = await turns.load(tx, incoming.user, incoming.channel, incoming.message_id)
            if loaded.replayed is not None:
                stored = [Reply.from_json(r) for r in json.loads(loaded.replayed)]
                return stored, True, loaded.delivered, False
            user = loaded.user
            if user is None:
                user = await users.create(
                    tx, incoming.user, locale_hint=incoming.locale_hint, now=now
                )
            else:
                user = await self._touch(tx, incoming, user, now)
            state = self._restore(loaded.state)
            roles = self.settings.static_roles(user.key) | loaded.roles
            locale = negotiate(user.locale, user.locale_hint, self.settings.default_locale)
            turn = Turn(
                incoming=incoming,
                user=user,
                roles=roles,
                state=state or State(self.registry.main_menu.name, self.registry.main_menu.entry),
                db=tx,
                now=now,
                settings=self.settings,
                registry=self.registry,
                catalogs=self.catalogs,
                translator=self.catalogs.translator(locale),
            )
            dispatch = _Dispatch(self, turn)
            changes = tx.total_changes
            hooks = self.before if state is not None and not self.directive(incoming) else ()
            for hook in hooks:
                if await hook(turn):
                    await dispatch.resume()
                    break
            else:
                await dispatch.run(incoming, fresh=state is None)
            for after in self.after:
                await after(turn)
            replies = turn.replies
            if turn.erased:  # the next message is a first contact; the replies still go out
                return replies, False, False, turn.notified
            exported = any(
                isinstance(r.attachment, AttachmentSpec) and r.attachment.export for r in replies
            )
            if dispatch.staff_action and (tx.total_changes > changes or exported):
                subject = _subject(turn) or dispatch.staff_subject
                await audit.record(tx, user.key, dispatch.staff_action, subject, now)
            dumped = turn.state.dumps()
            if dumped != loaded.state:
                await conversations.save(tx, user.key, dumped, now)
            if incoming.message_id is not None:
                encoded = json.dumps([r.to_json() for r in replies], ensure_ascii=False)
                await processed.record(
                    tx, incoming.channel, incoming.message_id, user.key, encoded, now
                )
            return replies, False, False, turn.notified

    async def _touch(
        self, tx: Tx, incoming: Incoming, user: users.User, now: datetime
    ) -> users.User:
        """Keep the last inbound time (to the minute) and the platform's language hint current."""
        changes: dict[str, object] = {}
        if user.last_inbound_at is None or now - user.last_inbound_at >= INBOUND_RESOLUTION:
            changes["last_inbound_at"] = now
        if incoming.locale_hint and incoming.locale_hint != user.locale_hint:
            changes["locale_hint"] = incoming.locale_hint
        if user.unreachable_at is not None:  # they wrote to us: they can be reached again
            changes["unreachable_at"] = changes["unreachable_reason"] = None
        if changes:
            await users.update(tx, user.key, **changes)
            user = replace(user, **changes)  # type: ignore[arg-type]
        return user

    def _restore(self, text: str | None) -> State | None:
        """The stored record, or None (first contact, or a record that no longer fits the code)."""
        if text is None:
            return None
        try:
            state = State.loads(text)
        except (ValueError, KeyError, TypeError):
            log.warning("discarding a corrupt conversation record")
            return None
        flow = self.registry.flows.get(state.flow)
        frames_ok = all(
            f.flow in self.registry.flows and f.then in self.registry.flows[f.flow].steps
            for f in state.stack
        )
        if flow is None or state.step not in flow.steps or not frames_ok:
            log.warning("conversation record points at a step that no longer exists; resetting")
            menu = self.registry.main_menu
            return State(menu.name, menu.entry, seq=state.seq)
        return state

    def directive(self, incoming: Incoming) -> bool:
        """Whether a message means the same at every step (a command, a global word such as
        STOP, a poster's typed link), so no hook may take it for something else."""
        if incoming.kind not in ("text", "command"):
            return False
        text = clean_text(incoming.text)
        return bool(
            _COMMAND.fullmatch(text) or self.word(text) or self.typed_link(text) is not None
        )

    def word(self, text: str) -> str | None:
        """The action of a global word, when the whole message is one (in any language)."""
        return self._words.get(normalize(text))

    def typed_link(self, text: str) -> str | None:
        """The `/start` payload a typed link stands for ("EVENT 42" → "event-42"), if any."""
        head, _, rest = text.strip().rpartition(" ")
        rest = rest.removeprefix("#")
        prefix = self._links.get(normalize(head)) if head else None
        if prefix is None or not _LINK_REST.fullmatch(rest):
            return None
        return prefix + rest

    async def _render_attachments(self, replies: list[Reply], user: str) -> list[Reply]:
        """Produce heavy attachments, and replies written from long reads, after the commit and
        off the event loop."""
        rendered = []
        translator: Translator | None = None
        for reply in replies:
            spec = reply.attachment
            if isinstance(spec, AttachmentSpec):
                renderer = self.registry.attachments.get(spec.renderer)
                reading = self.registry.db_attachments.get(spec.renderer)
                writing = self.registry.db_replies.get(spec.renderer)
                attachment: Attachment | None = None
                if writing is not None:
                    if translator is None:  # the language as committed (the step may change it)
                        translator = self.catalogs.translator(await self.locale_of(user))
                    written = await writing(self.db.reader(), translator, spec.args)
                    rendered.append(
                        replace(
                            reply,
                            text=written.text,
                            title=written.title if written.title is not None else reply.title,
                            attachment=written.attachment,
                        )
                    )
                    continue
                if reading is not None:
                    attachment = await reading(self.db.reader(), spec.args)
                elif renderer is None:
                    log.error("no attachment renderer named %r", spec.renderer)
                else:
                    attachment = await asyncio.to_thread(renderer, spec.args)
                reply = replace(reply, attachment=attachment)
            rendered.append(reply)
        return rendered


def _subject(turn: Turn) -> str | None:
    """What a staff action was about, from the flow's data (an event, a question, a user...)."""
    for name in ("event", "question", "idea", "broadcast", "id", "key"):
        value = turn.data.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"{name} {value}"
    return None


def clean_text(text: str) -> str:
    """Drop control characters (keeping line breaks and tabs), compose accents, trim."""
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )
    return unicodedata.normalize("NFC", kept).strip()


class _Dispatch:
    """Decides what one message means at the user's current step, and moves the conversation."""

    def __init__(self, engine: Engine, turn: Turn) -> None:
        self.engine = engine
        self.registry = engine.registry
        self.turn = turn
        self.state = turn.state
        self.staff_action: str | None = None
        self.staff_subject: str | None = None

    def _note(self, flow: str, step: str, action: str) -> None:
        """Remember what a staff member did in a staff-only flow (audited if it wrote)."""
        if self.registry.flows[flow].roles:
            self.staff_action = f"{flow}.{step}: {action}" if action else f"{flow}.{step}"
            # What it is about, before the step runs: a step that ends its flow clears the data.
            self.staff_subject = _subject(self.turn)

    async def run(self, incoming: Incoming, *, fresh: bool) -> None:
        """Route the message, then stamp the options the replies offer."""
        self.prompt_start = 0
        await self._route(incoming, fresh)
        self._stamp_options()

    async def resume(self) -> None:
        """A hook consumed the message: ask the current step again after what it added."""
        self.prompt_start = len(self.turn.replies)
        await self._advance(AGAIN)
        self._stamp_options()

    async def _route(self, incoming: Incoming, fresh: bool) -> None:
        """Answer precedence: route payloads, options, global words, then free text."""
        turn, state = self.turn, self.state
        text = clean_text(incoming.text)
        command = _COMMAND.fullmatch(text) if incoming.kind in ("text", "command") else None
        if fresh:
            arg = (command.group(2) or "") if command and command.group(1) == "start" else ""
            if not command and incoming.kind == "text":  # a first message from a poster's link
                arg = self.engine.typed_link(text) or ""
            return await self._follow(f"start:{arg.strip()}")
        if incoming.kind == "resume":
            return await self._advance(AGAIN)
        flow = self.registry.flows[state.flow]
        if not turn.may(flow.roles):
            turn.reply(turn.t("That part is for staff only. Here is the main menu."))
            return await self._advance(MENU)
        if incoming.kind == "button":
            return await self._button(incoming.payload or "")
        if incoming.kind in ("media", "location", "other"):
            turn.reply(turn.t("I can read only text. Please type your answer or choose an option."))
            return await self._advance(AGAIN)
        if not text:
            turn.reply(
                turn.t("That message was empty. Please type your answer or choose an option.")
            )
            return await self._advance(AGAIN)
        if len(text) > MAX_TEXT:
            step = flow.steps.get(state.step)
            longest = step.longest if step is not None and step.longest else MAX_TEXT
            turn.reply(
                turn.t(
                    "That message is too long: please keep it under {limit} characters.",
                    limit=min(longest, MAX_TEXT),
                )
            )
            return await self._advance(AGAIN)
        if command:
            return await self._command(command.group(1).lower(), (command.group(2) or "").strip())
        return await self._text(text)

    async def _text(self, text: str) -> None:
        """Typed text: an option (number or label), a global word, or the step's free text."""
        turn, state = self.turn, self.state
        step = self.registry.flows[state.flow].steps[state.step]
        options = state.options if state.prompted else []
        takes_text = step.answer is not None and (not options or step.free_text)
        if options:
            if text.isascii() and text.isdigit() and len(text) <= 6:  # longer: not an option
                number = int(text)
                if number == 0:
                    return await self._back()
                if number <= len(options):
                    return await self._choose(options[number - 1])
                if not takes_text:
                    turn.reply(turn.t("There is no option {number}.", number=number))
                    return await self._advance(AGAIN)
            folded = normalize(text)
            for option in options:
                if folded and normalize(option.label) == folded:
                    return await self._choose(option)
            # "No" for "No, keep my data": the label's first clause, when only one option has it.
            heads = [o for o in options if folded and normalize(_HEAD.split(o.label)[0]) == folded]
            if len(heads) == 1:
                return await self._choose(heads[0])
        action = self.engine.word(text)
        if action is not None:
            return await self._word(action)
        # A poster's typed link ("EVENT 42") from any step of the members' flows; in staff flows
        # the text is content being typed (a title "Event 2027" stays a title).
        link = self.engine.typed_link(text) if not self.registry.flows[state.flow].roles else None
        target = self.registry.deeplink(link) if link is not None else None
        if target is not None:
            return await self._follow(target)
        if takes_text and step.answer is not None:
            self._note(state.flow, state.step, "text")
            return await self._answer(step.answer, Answer(text))
        for fallback in self.registry.fallbacks:
            if fallback.anywhere:
                found = await fallback.handler(turn, text)
                if found is not None:
                    return await self._advance(found, came_from=state.step)
        if turn.channel == "telegram":  # its options are buttons, with no numbers to type
            turn.reply(turn.t("Please choose one of the options: tap it."))
        else:
            turn.reply(turn.t("Please choose one of the options: type its number or tap it."))
        await self._advance(AGAIN)

    async def _button(self, payload: str) -> None:
        """A pressed button: a route from anywhere, or an option of the current prompt only."""
        stamped = _STAMP.fullmatch(payload)
        if stamped:
            current = int(stamped.group(1)) == self.state.seq and self.state.prompted
            option = next((o for o in self.state.options if o.payload == payload), None)
            if current and option is not None:
                return await self._choose(option)
            return await self._stale()
        if self.registry.resolve(payload) is not None:
            return await self._follow(payload)
        await self._stale()

    async def _stale(self) -> None:
        """An old or unknown button: say so and show the current prompt again."""
        self.turn.reply(self.turn.t("That menu is no longer active. Here is where we are now."))
        await self._advance(AGAIN)

    async def _choose(self, option: Button) -> None:
        """An option was picked: follow it if it is a route, else give it to the step."""
        stamped = _STAMP.fullmatch(option.payload)
        if stamped is None:
            return await self._follow(option.payload)
        step = self.registry.flows[self.state.flow].steps[self.state.step]
        if step.answer is None:
            return await self._advance(AGAIN)
        self._note(self.state.flow, self.state.step, stamped.group(2))
        await self._answer(step.answer, Answer(option.label, choice=stamped.group(2)))

    async def _answer(self, handler: AnswerHandler, answer: Answer) -> None:
        """Give the answer to the step, unless a gate puts something first (a changed notice)."""
        for gate in self.registry.gates:
            first = await gate(self.turn)
            if first is not None:
                return await self._advance(first, came_from=self.state.step)
        await self._advance(await handler(self.turn, answer), came_from=self.state.step)

    async def _command(self, name: str, arg: str) -> None:
        """A slash command: /start, the engine's words, or one from the registry."""
        turn = self.turn
        if name == "start":
            return await self._follow(f"start:{arg}")
        if name in ("menu", "back", "cancel"):
            return await self._word(f"!{name}")
        command = self.registry.command(name)
        if command is None:
            turn.reply(
                turn.t(
                    "I do not know the command /{name}. Send /help to see what I understand.",
                    name=name,
                )
            )
            return await self._advance(AGAIN)
        payload = f"{command.route}:{arg}" if arg else command.route
        if command.call:
            return await self._call_route(payload)
        await self._follow(payload)

    async def _word(self, action: str) -> None:
        """A global word: menu, back, cancel, or a feature's route called as a sub-flow."""
        if action == "!menu":
            return await self._advance(MENU)
        if action == "!back":
            return await self._back()
        if action == "!cancel":
            if self.state.flow != self.registry.main_menu.name or self.state.stack:
                self.turn.reply(self.turn.t("Cancelled."))
            return await self._advance(MENU)
        await self._call_route(action)

    async def _back(self) -> None:
        """The previous step of this flow, the caller's step, or the menu at the top."""
        state = self.state
        while not state.history and state.stack:
            frame = state.pop()
            if not frame.passthrough:
                state.step = frame.step
                return await self._advance(AGAIN)
        if state.history:
            state.step = state.history.pop()
            return await self._advance(AGAIN)
        await self._advance(MENU)

    def _refuse(self) -> None:
        """Tell the user something is for staff only; the caller re-asks the current step."""
        self.turn.reply(self.turn.t("That part is for staff only."))

    async def _follow(self, payload: str) -> None:
        """Enter the flow a route payload names, leaving the current flow (routes work anywhere)."""
        found = self.registry.resolve(payload)
        if found is None:
            return await self._stale()
        route, arg = found
        if not self.turn.may(route.spec.roles):
            self._refuse()
            return await self._advance(AGAIN)
        self.state.enter(route.flow.name, route.flow.entry)
        self._note(route.flow.name, route.spec.prefix, arg)
        await self._advance(await route.spec.handler(self.turn, arg))

    async def _call_route(self, payload: str) -> None:
        """Enter a route's flow as a sub-flow that returns to the current step (help, language)."""
        found = self.registry.resolve(payload)
        if found is None:
            return await self._stale()
        route, arg = found
        if not self.turn.may(route.spec.roles):
            self._refuse()
            return await self._advance(AGAIN)
        state = self.state
        if state.flow == route.flow.name:
            state.step = route.flow.entry  # already in it: start it over instead of nesting
            state.history = []
        else:
            state.push(route.flow.name, route.flow.entry, {}, then=state.step)
        self._note(route.flow.name, route.spec.prefix, arg)
        await self._advance(await route.spec.handler(self.turn, arg))

    async def _advance(self, nxt: Next | None, came_from: str | None = None) -> None:
        """Move to the next step and run asks until one waits for the user."""
        state, turn = self.state, self.turn
        for _ in range(MAX_HOPS):
            if nxt is None:
                return
            if nxt is END:
                if state.stack:
                    state.step = state.pop().then
                else:
                    self._to_menu()
            elif nxt is MENU:
                self._to_menu()
            elif isinstance(nxt, Return):
                if not state.stack:
                    self._to_menu()
                else:
                    state.pop()
                    if nxt.step not in self.registry.flows[state.flow].steps:
                        raise LookupError(f"flow {state.flow} has no step {nxt.step!r}")
                    state.step = nxt.step
            elif isinstance(nxt, Call):
                flow = self.registry.flows[nxt.flow]
                if turn.may(flow.roles):
                    passthrough = came_from is None  # made by an ask, which showed no prompt
                    state.push(flow.name, flow.entry, nxt.data, nxt.then, passthrough)
                else:
                    self._refuse()
            elif isinstance(nxt, Goto):
                found = self.registry.resolve(nxt.payload)
                if found is None:
                    raise LookupError(f"no route for {nxt.payload!r}")
                route, arg = found
                if turn.may(route.spec.roles):
                    state.enter(route.flow.name, route.flow.entry)
                    self._note(route.flow.name, route.spec.prefix, arg)
                    nxt, came_from = await route.spec.handler(turn, arg), None
                    continue
                self._refuse()
            elif isinstance(nxt, str):
                if nxt not in self.registry.flows[state.flow].steps:
                    raise LookupError(f"flow {state.flow} has no step {nxt!r}")
                if came_from is not None:
                    state.move(nxt)
                else:
                    state.step = nxt
            came_from = None
            step = self.registry.flows[state.flow].steps[state.step]
            self.prompt_start = len(turn.replies)
            assert step.ask is not None  # Flow.validate checks every step has one
            nxt = await step.ask(turn)
        raise RuntimeError(f"more than {MAX_HOPS} steps for one message in flow {state.flow}")

    def _to_menu(self) -> None:
        """Leave every flow for the main menu."""
        menu = self.registry.main_menu
        self.state.enter(menu.name, menu.entry)

    def _stamp_options(self) -> None:
        """Number this prompt, mark its step-local payloads with that number, store the options."""
        state, replies = self.state, self.turn.replies
        state.seq += 1
        stamped: list[Reply] = []
        for reply in replies:
            buttons = tuple(
                b if b.route else Button(b.label, f"~{state.seq}~{b.payload}")
                for b in reply.buttons
            )
            stamped.append(replace(reply, buttons=buttons) if reply.buttons else reply)
        replies[:] = stamped
        state.options = [b for reply in stamped for b in reply.buttons]
        state.prompted = any(r.buttons for r in stamped[self.prompt_start :])
