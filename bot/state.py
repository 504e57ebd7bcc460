"""The conversation record: flow, step, collected data, history, callers and the last options."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button

HISTORY_LIMIT = 30
STACK_LIMIT = 8


@dataclass(slots=True)
class Frame:
    """A flow waiting for a sub-flow: where it was, where to come back, its data and history."""

    flow: str
    step: str
    then: str
    data: dict[str, Any]
    history: list[str]
    passthrough: bool = False  # called by an ask: "back" goes past it to the step before


@dataclass(slots=True)
class State:
    """Where one user is; stored as JSON in `conversations.state`."""

    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    stack: list[Frame] = field(default_factory=list)
    options: list[Button] = field(default_factory=list)
    prompted: bool = False  # whether the current step's ask offered options
    seq: int = 0  # the prompt's number; step-local buttons carry it, so old ones are recognised

    def enter(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start a flow afresh, leaving the current one and any callers."""
        self.flow, self.step = flow, step
        self.data = dict(data or {})
        self.history = []
        self.stack = []

    def push(
        self, flow: str, step: str, data: dict[str, Any], then: str, passthrough: bool = False
    ) -> None:
        """Call a sub-flow; the current flow waits on the stack to come back at `then`."""
        self.stack.append(Frame(self.flow, self.step, then, self.data, self.history, passthrough))
        del self.stack[:-STACK_LIMIT]
        self.flow, self.step, self.data, self.history = flow, step, dict(data), []

    def pop(self) -> Frame:
        """Return to the waiting caller; its step and `then` are in the returned frame."""
        frame = self.stack.pop()
        self.flow, self.data, self.history = frame.flow, frame.data, frame.history
        return frame

    def move(self, step: str) -> None:
        """Go forward to a step, remembering the current one for "back"."""
        if step != self.step:
            self.history.append(self.step)
            del self.history[:-HISTORY_LIMIT]
        self.step = step

    def rewind(self, step: str) -> None:
        """Return to an earlier step as "back" would, forgetting the steps taken since it."""
        if step in self.history:  # a step that is done (a message sent) is not offered by back
            del self.history[len(self.history) - 1 - self.history[::-1].index(step) :]
        self.step = step

    def dumps(self) -> str:
        """The record as compact JSON."""
        return json.dumps(
            {
                "flow": self.flow,
                "step": self.step,
                "data": self.data,
                "history": self.history,
                "stack": [
                    [f.flow, f.step, f.then, f.data, f.history, f.passthrough] for f in self.stack
                ],
                "options": [[b.label, b.payload] for b in self.options],
                "prompted": self.prompted,
                "seq": self.seq,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> State:
        """The reverse of `dumps`; raises ValueError (or KeyError/TypeError) on a corrupt record."""
        raw = json.loads(text)
        return cls(
            flow=str(raw["flow"]),
            step=str(raw["step"]),
            data=dict(raw["data"]),
            history=[str(s) for s in raw["history"]],
            stack=[
                Frame(str(a), str(b), str(c), dict(d), list(e), bool(f))
                for a, b, c, d, e, f in raw["stack"]
            ],
            options=[Button(str(label), str(payload)) for label, payload in raw["options"]],
            prompted=bool(raw["prompted"]),
            seq=int(raw["seq"]),
        )
