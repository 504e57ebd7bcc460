"""What the drill's users do: first contact, then sign-ups, FAQ questions, project ideas and
questions to officers; an admin sends the announcement; two officers answer the questions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx

from bench.drill_load import Ledger, Member, TelegramMember, WhatsAppMember, client
from bench.drill_platforms import Telegram

ADMIN_CHAT = 1  # telegram:1, in ADMINS
OFFICER_CHAT = 2  # telegram:2, in OFFICERS
OFFICER_NUMBER = "+355690000002"  # whatsapp:+355690000002, in OFFICERS
FIRST_CHAT = 100_000  # the traffic's Telegram chats: FIRST_CHAT + n
FAQ = (
    "How do I renew my passport while living abroad?",
    "I lost my ID card abroad, what should I do?",
    "How can I register the birth of my child born in Italy?",
    "Can I get a certificate of civil status online?",
)
IDEA_TEXT = "We will teach programming to young people in Shkodër with diaspora volunteers."
QUESTION_TEXT = "My birth certificate from Tirana has a wrong date. How can I fix it?"
ANSWER_TEXT = "Officer answer: please bring the certificate and your passport to the consulate."
STALLED = 100  # rounds of an officer without an answer before the drill calls it stuck
ACTIVITIES = ("faq", "signup", "idea", "question", "browse")


@dataclass
class Roles:
    """Who did what, for the checks: user keys per activity."""

    by_activity: dict[str, list[str]] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)  # signed up, then cancelled
    ideas: dict[str, str] = field(default_factory=dict)  # user -> the idea's title
    questions: dict[str, str] = field(default_factory=dict)  # user -> the question's text
    answered: int = 0  # answers the officers sent


async def onboard(user: Member, n: int) -> None:
    """First contact: language, the privacy notice, and the profile (given or skipped)."""
    await user.say(user.first_words, expect="Language")  # the picker speaks four
    await user.say("4", expect="Privacy notice")
    await user.press("I agree", expect="Which country")
    if n % 2:
        await user.press("Italy", expect="Which city")
        await user.say("Milano", expect="Main menu")
    else:
        await user.press("Skip", expect="Main menu")


async def faq(user: Member, n: int, roles: Roles, event: int) -> None:
    """A consular question in the user's own words, then a vote on the answer."""
    await user.say(FAQ[n % len(FAQ)], expect="Did this answer help you?")
    await user.press("Yes, it helped", expect="Thank you for telling us.")


async def signup(user: Member, n: int, roles: Roles, event: int) -> None:
    """Open the event, sign up with 0-2 guests (a seat or the waitlist); a third cancel."""
    card = await user.open_event(event, expect=("Sign up", "Join the waitlist"))
    label = "Join the waitlist" if "Join the waitlist" in card else "Sign up"
    await user.press(label, expect="How many guests")
    await user.say(str(n % 3), expect=("You are signed up for", "on the waitlist"))
    if n % 3 == 0:
        await user.say("/registrations", expect="My registrations")
        await user.say("1", expect="Cancel my registration")
        await user.press(
            "Cancel my registration",
            expect=("Cancel your registration for", "Leave the waitlist for"),  # seat, or waiting
        )
        await user.press("Yes, cancel my registration", expect="is cancelled")
        roles.cancelled.append(user.key)


async def idea(user: Member, n: int, roles: Roles, event: int) -> None:
    """A project idea through the whole guided intake."""
    title = f"Drill idea {n}"
    await user.say("/ideas", expect="Submit an idea")
    await user.press("Submit an idea", expect="Which sector")
    await user.press("Education", expect="offer something")
    await user.press("I offer something", expect="What do you offer")
    await user.press("Volunteering", expect="What is your idea called")
    await user.say(title, expect="Describe your idea")
    await user.say(IDEA_TEXT, expect="so far")
    await user.press("Done", expect="Where in Albania")
    await user.press("Shkodër", expect="How may the team contact you")
    await user.press("Here in this chat", expect="Is everything right?")
    await user.press("Submit", expect="is submitted")
    roles.ideas[user.key] = title


async def question(user: Member, n: int, roles: Roles, event: int) -> None:
    """A question to the consular officers."""
    text = f"{QUESTION_TEXT} ({n})"
    await user.say("/ask", expect="Write your question")
    await user.say(text, expect="Which consulate")
    await user.press("Skip", expect="Your question:")
    await user.press("Send it", expect="Your question is sent")
    roles.questions[user.key] = text


async def browse(user: Member, n: int, roles: Roles, event: int) -> None:
    """Settings, the menu, who am I, help."""
    await user.say("/settings", expect="Settings")
    await user.say("menu", expect="Main menu")
    await user.say("/whoami", expect=user.key)
    await user.say("help", expect="Help")


SCRIPTS: dict[str, Callable[[Member, int, Roles, int], Awaitable[None]]] = {
    "faq": faq,
    "signup": signup,
    "idea": idea,
    "question": question,
    "browse": browse,
}


async def announce(admin: Member, marker: str, roles: Roles) -> None:
    """The admin writes one text for everyone, looks at the preview and sends it now."""
    await onboard(admin, 0)
    await admin.say("/broadcast", expect="New announcement")
    await admin.say("Diaspora Summit", expect="one text for everyone")
    await admin.press("One text for everyone", expect="Write the announcement")
    text = f"The Diaspora Summit opens in Tirana on 12 December ({marker}). Sign up in Events."
    await admin.say(text, expect="Who should receive it?")
    await admin.press("Continue to the preview", expect="Preview of announcement")
    await admin.press("Send now", expect="is on its way")


async def answer_questions(officer: Member, pick: int, roles: Roles, done: asyncio.Event) -> None:
    """An officer takes waiting questions (their `pick`-th in the list) until none is left and
    every member has finished; two officers race for some of them."""
    await onboard(officer, 0)
    idle = 0
    while idle < STALLED:
        await officer.say("/questions", expect="Questions to answer")
        waiting = [label for label in officer.options if label.startswith("Q-")]
        if not waiting:
            if done.is_set():
                return
            await asyncio.sleep(0.5)
            continue
        idle += 1
        await officer.press(waiting[min(pick, len(waiting)) - 1], expect="Q-")
        if "Claim it" not in officer.options:  # the other officer's: wait for a new list
            await asyncio.sleep(0.2)
            continue
        await officer.press("Claim it", expect=("It is yours now.", "Someone else claimed it"))
        if "It is yours now." not in officer.last:
            continue
        await officer.press("Answer", expect="Write your message to the member")
        await officer.say(ANSWER_TEXT, expect="Sent to the member of")
        roles.answered += 1
        idle = 0
    officer.ledger.problems.append(f"{officer.key}: answered nothing in {STALLED} rounds")


class Traffic:
    """Every member's script, a bounded number at a time, beside the admin and the officers."""

    def __init__(
        self,
        url: str,
        telegram: Telegram,
        *,
        users: int,
        concurrency: int,
        event: int,
        marker: str,
    ) -> None:
        self.url = url
        self.telegram = telegram
        self.users = users
        self.concurrency = concurrency
        self.event = event
        self.marker = marker
        self.ledger = Ledger()
        self.roles = Roles()
        self.finished = 0  # members whose script is done
        self._next = 0

    def member(self, n: int, http: httpx.AsyncClient) -> Member:
        """User n: every third on WhatsApp, the others on Telegram."""
        if n % 3 == 2:
            return WhatsAppMember(http, self.ledger, f"+4917{n:08d}")
        return TelegramMember(http, self.ledger, self.telegram, FIRST_CHAT + n)

    async def run(self) -> None:
        """All members, the admin's announcement and the officers; returns when all are done."""
        members_done = asyncio.Event()
        async with AsyncExitStack() as stack:
            http = [
                await stack.enter_async_context(client(self.url))
                for _ in range(self.concurrency + 3)
            ]
            admin = TelegramMember(http[0], self.ledger, self.telegram, ADMIN_CHAT)
            officers = [
                TelegramMember(http[1], self.ledger, self.telegram, OFFICER_CHAT),
                WhatsAppMember(http[2], self.ledger, OFFICER_NUMBER),
            ]
            async with asyncio.TaskGroup() as group:  # one failure stops them all
                group.create_task(announce(admin, self.marker, self.roles))
                for pick, officer in enumerate(officers, start=1):
                    group.create_task(answer_questions(officer, pick, self.roles, members_done))
                await asyncio.gather(*(group.create_task(self._work(c)) for c in http[3:]))
                members_done.set()

    async def _work(self, http: httpx.AsyncClient) -> None:
        """Run members one after the other until none is left."""
        while self._next < self.users:
            n = self._next
            self._next += 1
            user = self.member(n, http)
            activity = ACTIVITIES[n % len(ACTIVITIES)]
            self.roles.by_activity.setdefault(activity, []).append(user.key)
            await onboard(user, n)
            await SCRIPTS[activity](user, n, self.roles, self.event)
            if n % 4 == 0 and activity != "faq":
                await faq(user, n, self.roles, self.event)
            self.finished += 1
