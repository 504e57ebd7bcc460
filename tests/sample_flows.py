"""Small flows that exercise every engine rule, independent of the real features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flow import END, MENU, Answer, Flow, Goto, Next
from bot.messages import Button, Reply
from bot.outbox import Render
from bot.registry import (
    ADMIN,
    Audience,
    Command,
    DeepLink,
    Fallback,
    Feature,
    MenuEntry,
    Registry,
    Word,
)
from bot.turn import Turn

begin = Flow("begin", entry="hello")
menu = Flow("menu", entry="main")
form = Flow("form", entry="pick")
sub = Flow("sub", entry="question")
counter = Flow("counter", entry="count")
thing = Flow("thing", entry="show")
secret = Flow("secret", entry="vault", roles=ADMIN)
boom = Flow("boom", entry="fuse")
loop = Flow("loop", entry="a")
info = Flow("info", entry="show")


@begin.route("start")
async def start(turn: Turn, arg: str) -> Next:
    """First contact: greet, then follow a deep link or show the menu."""
    turn.data["link"] = turn.registry.deeplink(arg) if arg else None
    return "hello"


@begin.ask("hello")
async def hello(turn: Turn) -> Next:
    """Greet and move on."""
    turn.reply("hello")
    link = turn.data.get("link")
    return Goto(link) if link else MENU


@menu.ask("main")
async def ask_main(turn: Turn) -> None:
    """The menu, from the registry."""
    entries = turn.registry.menu_for(turn.roles)
    turn.reply("Menu", buttons=[Button(e.label, e.route, route=True) for e in entries])


@menu.answer("main", text=True)
async def take_main(turn: Turn, answer: Answer) -> Next:
    """Free text at the menu goes to the fallbacks in order, else is echoed."""
    for fallback in turn.registry.fallbacks:
        found = await fallback.handler(turn, answer.text)
        if found is not None:
            return found
    turn.reply(f"echo:{answer.text}")
    return menu.again


async def shout(turn: Turn, text: str) -> Next | None:
    """A fallback that takes only exclamations."""
    if not text.endswith("!"):
        return None
    turn.reply("heard you")
    return menu.again


async def question(turn: Turn, text: str) -> Next | None:
    """A fallback that takes questions, and exclamations only if `shout` did not."""
    if not text.endswith(("?", "!")):
        return None
    turn.reply("a question")
    return Goto("thing:faq")


def by_locale(values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Users who chose a language."""
    return "SELECT key FROM users WHERE locale = ?", (values["locale"],)


def announced(values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """Users with announcements on."""
    return "SELECT key FROM users WHERE announcements = 1", ()


@form.ask("pick")
async def ask_pick(turn: Turn) -> None:
    """Options, one of them labelled like the global word "cancel"."""
    turn.reply(
        "Pick",
        buttons=[Button("Cancel", "cancel-option"), Button("Two", "two"), Button("Sub", "sub")],
    )


@form.answer("pick")
async def take_pick(turn: Turn, answer: Answer) -> Next:
    """Remember the pick; "Sub" calls the sub-flow."""
    turn.data["pick"] = answer.choice
    if answer.choice == "sub":
        return form.call("sub", then="after", asked_by="form")
    return "guests"


@form.ask("guests")
async def ask_guests(turn: Turn) -> None:
    """A free-text step: "0" and "2" are text here."""
    turn.reply("How many guests?")


@form.answer("guests")
async def take_guests(turn: Turn, answer: Answer) -> Next:
    """Keep the number typed."""
    if not answer.text.isdigit():
        turn.reply("a number please")
        return form.again
    turn.data["guests"] = int(answer.text)
    return "confirm"


@form.ask("confirm")
async def ask_confirm(turn: Turn) -> None:
    """A last confirmation."""
    turn.reply(f"Confirm {turn.data}?", buttons=[Button("Yes", "yes")])


@form.answer("confirm")
async def take_confirm(turn: Turn, answer: Answer) -> Next:
    """Done."""
    turn.reply(f"saved {turn.data['pick']} {turn.data['guests']}")
    return END


@form.ask("after")
async def after_sub(turn: Turn) -> Next:
    """Back from the sub-flow with this flow's own data intact."""
    turn.reply(f"back in form, pick={turn.data.get('pick')}")
    return END


@sub.ask("question")
async def ask_sub(turn: Turn) -> None:
    """The sub-flow's one question."""
    turn.reply(f"sub question (asked by {turn.data.get('asked_by')})")


@sub.answer("question")
async def take_sub(turn: Turn, answer: Answer) -> Next:
    """Answer it and return."""
    turn.reply(f"sub got {answer.text}")
    return END


@counter.ask("count")
async def ask_count(turn: Turn) -> None:
    """Collect whatever is typed."""
    turn.reply("say something")


@counter.answer("count")
async def take_count(turn: Turn, answer: Answer) -> Next:
    """Append to a list in the flow data, which must lose nothing."""
    seen = turn.data.setdefault("seen", [])
    seen.append(answer.text)
    turn.reply(f"seen {answer.text} ({len(seen)})")
    return counter.again


@thing.route("thing")
async def open_thing(turn: Turn, arg: str) -> Next:
    """A route with an argument, as `event:42` will be."""
    turn.data["id"] = arg
    return "show"


@thing.ask("show")
async def show_thing(turn: Turn) -> Next:
    """Show the thing."""
    turn.reply(f"thing {turn.data.get('id')}")
    return END


@secret.ask("vault")
async def ask_vault(turn: Turn) -> Next:
    """Admins only."""
    turn.reply("the vault")
    return END


@boom.ask("fuse")
async def ask_fuse(turn: Turn) -> None:
    """A step whose answer fails after writing."""
    turn.reply("light it?")


@boom.answer("fuse")
async def take_fuse(turn: Turn, answer: Answer) -> Next:
    """Change data, then fail: the transaction must roll back."""
    turn.data["lit"] = True
    raise RuntimeError("boom")


FAILED_ONCE: set[str] = set()  # texts the flaky step has already failed on


@boom.route("flaky")
async def open_flaky(turn: Turn, arg: str) -> Next:
    """A step that fails the first time it sees a text, as a passing outage would."""
    return "flaky"


@boom.ask("flaky")
async def ask_flaky(turn: Turn) -> None:
    """Ask for anything."""
    turn.reply("flaky?")


@boom.answer("flaky")
async def take_flaky(turn: Turn, answer: Answer) -> Next:
    """Fail once per text, then succeed."""
    if answer.text not in FAILED_ONCE:
        FAILED_ONCE.add(answer.text)
        raise ConnectionError("a passing outage")
    turn.reply(f"flaky ok {answer.text}")
    return END


LONG_TEXT = " ".join(f"Sentence number {i} says something useful." for i in range(120))


@thing.route("long")
async def open_long(turn: Turn, arg: str) -> Next:
    """A reply of about 5,000 characters, as a long FAQ answer would be."""
    turn.reply(LONG_TEXT, title="A long answer")
    return END


@loop.ask("a")
async def ask_a(turn: Turn) -> Next:
    """A loop no flow should have."""
    return "b"


@loop.ask("b")
async def ask_b(turn: Turn) -> Next:
    """The other half of the loop."""
    return "a"


@info.ask("show")
async def show_info(turn: Turn) -> Next:
    """A called flow that returns at once (like help)."""
    turn.reply("info text")
    return END


async def render_greeting(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A message in the recipient's language at send time."""
    return [
        Reply(
            render.t(
                "Messages from us are on again. To stop them, send {stop}.", stop=render.t("STOP")
            )
        )
    ]


async def render_numbered(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A message naming its number, to count deliveries."""
    return [Reply(f"message {args['n']}", title=args.get("title"))]


async def render_with_button(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """A message with a button, as a status change with "Open" is."""
    return [Reply(f"message {args['n']}", buttons=(Button("Open", "counter", route=True),))]


async def render_city(render: Render, args: Mapping[str, Any]) -> list[Reply] | None:
    """Reads the recipient's city as it is at send time."""
    city = await render.db.fetch_value("SELECT city FROM users WHERE key = ?", (render.user.key,))
    return None if city is None else [Reply(f"city is {city}")]


FEATURE = Feature(
    flows=[begin, menu, form, sub, counter, thing, secret, boom, loop, info],
    menu=[
        MenuEntry("Form", "form", order=1),
        MenuEntry("Counter", "counter", order=2),
        MenuEntry("Vault", "secret", order=3),
    ],
    commands=[
        Command("form", "the form", "form"),
        Command("vault", "admin only", "secret", roles=ADMIN),
        Command("info", "information", "info", call=True),
    ],
    words=[Word("info", "info")],
    deeplinks=[DeepLink("thing-", "thing")],
    fallbacks=[Fallback("question", question, order=20), Fallback("shout", shout, order=10)],
    renderers={
        "greeting": render_greeting,
        "numbered": render_numbered,
        "with_button": render_with_button,
        "city": render_city,
    },
    audiences=[
        Audience("announced", "Everyone with announcements on", announced),
        Audience("language", "By language", by_locale),
    ],
)


def registry() -> Registry:
    """A registry of the sample flows."""
    return Registry([FEATURE], menu="menu")
