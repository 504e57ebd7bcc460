"""Flows of named steps: each step has an ask (the prompt) and an answer handler (the input)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from bot.turn import Turn


@dataclass(frozen=True, slots=True)
class Answer:
    """What the user gave at a step: the chosen option's payload, or free text."""

    text: str
    choice: str | None = None


class _Marker:
    """A named sentinel for the engine's special next steps."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


AGAIN = _Marker("AGAIN")  # ask the current step again
END = _Marker("END")  # this flow is done: back to the flow that called it, or to the menu
MENU = _Marker("MENU")  # leave every flow, back to the main menu


@dataclass(frozen=True, slots=True)
class Call:
    """Run another flow as a sub-flow, then come back to step `then` of this one."""

    flow: str
    then: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Return:
    """This sub-flow is done: back to its caller at `step` instead of `then` (or to the menu)."""

    step: str


@dataclass(frozen=True, slots=True)
class Goto:
    """Follow a route payload (such as `event:42`), as if the user had pressed it."""

    payload: str


Next: TypeAlias = str | _Marker | Call | Return | Goto
AskHandler = Callable[["Turn"], Awaitable[Next | None]]
AnswerHandler = Callable[["Turn", Answer], Awaitable[Next]]
RouteHandler = Callable[["Turn", str], Awaitable[Next]]


@dataclass(slots=True)
class Step:
    """One step: its prompt, and what to do with the answer."""

    name: str
    ask: AskHandler | None = None
    answer: AnswerHandler | None = None
    free_text: bool = False  # accepts typed text even when its prompt offered options
    longest: int | None = None  # the step's own limit, named when a message is over the engine's


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A payload prefix that opens this flow from anywhere (`event` handles `event:42`)."""

    prefix: str
    handler: RouteHandler
    roles: frozenset[str]


class Flow:
    """A named set of steps; `entry` is where the flow starts when its route is followed."""

    again = AGAIN

    def __init__(self, name: str, entry: str, roles: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.entry = entry
        self.roles = roles
        self.steps: dict[str, Step] = {}
        self.routes: list[RouteSpec] = []

    def _step(self, name: str) -> Step:
        """The step with this name, created on first mention."""
        return self.steps.setdefault(name, Step(name))

    def ask(self, step: str) -> Callable[[AskHandler], AskHandler]:
        """Register the prompt of a step; it may return a next step instead of waiting."""

        def register(handler: AskHandler) -> AskHandler:
            self._step(step).ask = handler
            return handler

        return register

    def answer(
        self, step: str, *, text: bool = False, longest: int | None = None
    ) -> Callable[[AnswerHandler], AnswerHandler]:
        """Register what a step does with the user's answer (`text=True`: typed text too;
        `longest`: the characters it takes, which the engine names for a message over its own
        limit)."""

        def register(handler: AnswerHandler) -> AnswerHandler:
            found = self._step(step)
            found.answer = handler
            found.free_text = text
            found.longest = longest
            return handler

        return register

    def route(
        self, prefix: str, roles: frozenset[str] = frozenset()
    ) -> Callable[[RouteHandler], RouteHandler]:
        """Register a payload prefix that enters this flow; the handler gets the part after `:`."""

        def register(handler: RouteHandler) -> RouteHandler:
            self.routes.append(RouteSpec(prefix, handler, roles | self.roles))
            return handler

        return register

    @staticmethod
    def call(flow: str, then: str, **data: Any) -> Call:
        """Run `flow` as a sub-flow and come back to step `then` (its ask runs again)."""
        return Call(flow, then, data)

    def validate(self) -> None:
        """Fail early on a flow whose steps are incomplete."""
        if self.entry not in self.steps:
            raise ValueError(f"flow {self.name}: entry step {self.entry!r} is not defined")
        for step in self.steps.values():
            if step.ask is None:
                raise ValueError(f"flow {self.name}: step {step.name!r} has no ask")
