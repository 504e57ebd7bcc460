"""The registry: what each flow module adds (menu entries, commands, routes, words, audiences)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.flow import Flow, Next, RouteHandler, RouteSpec
from bot.messages import Attachment, Reply

if TYPE_CHECKING:
    from bot.i18n import Translator
    from bot.outbox import Render
    from bot.turn import Turn
    from storage.database import Tx

Roles = frozenset[str]
EVERYONE: Roles = frozenset()
ADMIN: Roles = frozenset({"admin"})
OFFICER: Roles = frozenset({"officer"})

_COMMAND_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_ROUTE_PREFIX = re.compile(r"[a-z][a-z0-9_-]{0,31}")  # never "~" (stamps) or "#" (stored keys)


def allowed(held: Roles, required: Roles) -> bool:
    """Whether a user with `held` roles may use something that needs one of `required`."""
    return not required or "admin" in held or bool(held & required)


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A main-menu button: label (marked with N_), the route it follows, who sees it, its place."""

    label: str
    route: str
    roles: Roles = EVERYONE
    order: int = 100


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command; `call` runs its route as a sub-flow that returns to where the user was."""

    name: str
    description: str
    route: str
    roles: Roles = EVERYONE
    call: bool = False


@dataclass(frozen=True, slots=True)
class Word:
    """A global word (marked with N_, matched in every language) that calls a flow from anywhere."""

    word: str
    route: str
    meaning: str = ""  # what it does, for /help (marked with N_); empty: not listed


@dataclass(frozen=True, slots=True)
class AudienceParam:
    """A parameter of an audience: its prompt and its choices as (label, value) pairs."""

    name: str
    prompt: str
    choices: Callable[[Tx, Turn], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True, slots=True)
class Audience:
    """A set of users announcements can target; `select` returns SQL yielding user keys."""

    name: str
    label: str
    select: Callable[[Mapping[str, str]], tuple[str, tuple[Any, ...]]]
    params: tuple[AudienceParam, ...] = ()


FallbackHandler = Callable[["Turn", str], Awaitable[Next | None]]


@dataclass(frozen=True, slots=True)
class Fallback:
    """Free text typed at the menu goes to these in order until one returns a next step.

    An `anywhere` fallback is also tried at a step that offered options and takes no text
    (typed text that is no option): it should answer only when it is sure, with a call into a
    flow that comes back to that step.
    """

    name: str
    handler: FallbackHandler
    order: int = 100
    anywhere: bool = False


@dataclass(frozen=True, slots=True)
class DeepLink:
    """`/start <prefix><rest>` (a poster's link) follows route payload `<route>:<rest>`.

    With a `word` (marked with N_), the whole message "<word> <rest>" typed in any language does
    too, from any step: "EVENT 42" is the text a WhatsApp (wa.me) link pre-fills.
    """

    prefix: str
    route: str
    word: str | None = None


AttachmentRenderer = Callable[[Mapping[str, Any]], Attachment]
# An attachment that reads the database (an export): it gets the read-only connection after the
# commit and moves heavy work off the event loop itself.
DbAttachmentRenderer = Callable[["Tx", Mapping[str, Any]], Awaitable[Attachment]]
# A reply written after the commit from a long read (statistics, an export): it gets the read-only
# connection and the user's translator, and returns the text, title and attachment that replace
# the step's placeholder (whose buttons stay).
DbReplyRenderer = Callable[["Tx", "Translator", Mapping[str, Any]], Awaitable[Reply]]
# Turns an outbox row into replies at send time, in the recipient's language then (None: skip it).
OutboxRenderer = Callable[["Render", Mapping[str, Any]], Awaitable[list[Reply] | None]]
DemoSeeder = Callable[["Tx"], Awaitable[None]]
# Consulted before a step takes an answer; a next step it returns replaces the answer (the changed
# privacy notice is shown first, and the step is asked again after it).
Gate = Callable[["Turn"], Awaitable[Next | None]]


@dataclass(frozen=True)
class Feature:
    """Everything one flow module adds, declared in one place."""

    flows: Sequence[Flow] = ()
    menu: Sequence[MenuEntry] = ()
    commands: Sequence[Command] = ()
    words: Sequence[Word] = ()
    audiences: Sequence[Audience] = ()
    fallbacks: Sequence[Fallback] = ()
    deeplinks: Sequence[DeepLink] = ()
    attachments: Mapping[str, AttachmentRenderer] = field(default_factory=dict)
    db_attachments: Mapping[str, DbAttachmentRenderer] = field(default_factory=dict)
    db_replies: Mapping[str, DbReplyRenderer] = field(default_factory=dict)
    renderers: Mapping[str, OutboxRenderer] = field(default_factory=dict)
    demo: DemoSeeder | None = None
    gates: Sequence[Gate] = ()


@dataclass(frozen=True, slots=True)
class Route:
    """A resolved route: the flow it enters and its handler."""

    flow: Flow
    spec: RouteSpec


def _entry(flow: Flow) -> RouteHandler:
    """The route every flow gets by its name: start at its entry step."""

    async def enter(turn: Turn, arg: str) -> Next:
        return flow.entry

    return enter


class Registry:
    """All features together, checked for consistency; the menu and commands come from here."""

    def __init__(self, features: Iterable[Feature], *, menu: str) -> None:
        features = list(features)
        self.flows: dict[str, Flow] = {}
        self.routes: dict[str, Route] = {}
        for feature in features:
            for flow in feature.flows:
                if flow.name in self.flows:
                    raise ValueError(f"two flows named {flow.name!r}")
                flow.validate()
                self.flows[flow.name] = flow
                specs = list(flow.routes)
                if all(spec.prefix != flow.name for spec in specs):
                    specs.append(RouteSpec(flow.name, _entry(flow), flow.roles))
                for spec in specs:
                    if not _ROUTE_PREFIX.fullmatch(spec.prefix) or spec.prefix in self.routes:
                        raise ValueError(f"bad or duplicate route {spec.prefix!r}")
                    self.routes[spec.prefix] = Route(flow, spec)
        self.menu = sorted((m for f in features for m in f.menu), key=lambda m: m.order)
        self.commands = [c for f in features for c in f.commands]
        self.words = [w for f in features for w in f.words]
        self.audiences = {a.name: a for f in features for a in f.audiences}
        self.fallbacks = sorted((x for f in features for x in f.fallbacks), key=lambda x: x.order)
        self.deeplinks = [d for f in features for d in f.deeplinks]
        self.attachments = {k: v for f in features for k, v in f.attachments.items()}
        self.db_attachments = {k: v for f in features for k, v in f.db_attachments.items()}
        self.db_replies = {k: v for f in features for k, v in f.db_replies.items()}
        self.renderers = {k: v for f in features for k, v in f.renderers.items()}
        self.demo = [f.demo for f in features if f.demo is not None]
        self.gates = [g for f in features for g in f.gates]
        if menu not in self.flows or "start" not in self.routes:
            raise ValueError("a registry needs the menu flow and a `start` route (first contact)")
        self.main_menu = self.flows[menu]
        self._check()

    def _check(self) -> None:
        """Every menu entry, command, word and deep link names a route that exists."""
        targets = [m.route for m in self.menu] + [c.route for c in self.commands]
        targets += [w.route for w in self.words] + [d.route for d in self.deeplinks]
        for target in targets:
            if self.resolve(target) is None:
                raise ValueError(f"no route for {target!r}")
        names = [c.name for c in self.commands]
        for name in names:
            if not _COMMAND_NAME.fullmatch(name) or names.count(name) > 1:
                raise ValueError(f"bad or duplicate command {name!r}")

    def resolve(self, payload: str) -> tuple[Route, str] | None:
        """The route a payload follows and its argument (`event:42` → events route, "42")."""
        prefix, _, arg = payload.partition(":")
        route = self.routes.get(prefix)
        return None if route is None else (route, arg)

    def menu_for(self, roles: Roles) -> list[MenuEntry]:
        """The main-menu entries a user with these roles sees."""
        return [m for m in self.menu if allowed(roles, m.roles | self._route_roles(m.route))]

    def commands_for(self, roles: Roles) -> list[Command]:
        """The commands a user with these roles may use."""
        return [c for c in self.commands if allowed(roles, c.roles | self._route_roles(c.route))]

    def words_for(self, roles: Roles) -> list[Word]:
        """The global words a user with these roles may use."""
        return [w for w in self.words if allowed(roles, self._route_roles(w.route))]

    def command(self, name: str) -> Command | None:
        """A command by its name."""
        return next((c for c in self.commands if c.name == name), None)

    def deeplink(self, payload: str) -> str | None:
        """The route payload a `/start` deep-link payload stands for, if any."""
        for link in self.deeplinks:
            if payload.startswith(link.prefix) and len(payload) > len(link.prefix):
                return f"{link.route}:{payload[len(link.prefix) :]}"
        return None

    def audience_query(
        self, chosen: Sequence[tuple[str, Mapping[str, str]]]
    ) -> tuple[str, tuple[Any, ...]]:
        """SQL selecting the user keys in every chosen audience: audiences combine with AND."""
        if not chosen:
            raise ValueError("no audience chosen")
        parts: list[str] = []
        params: list[Any] = []
        for name, values in chosen:
            sql, args = self.audiences[name].select(values)
            parts.append(f"SELECT * FROM ({sql})")
            params.extend(args)
        return " INTERSECT ".join(parts), tuple(params)

    def _route_roles(self, payload: str) -> Roles:
        """The roles needed to follow a payload."""
        found = self.resolve(payload)
        return EVERYONE if found is None else found[0].spec.roles
