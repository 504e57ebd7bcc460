"""Submitting a project idea: a guided intake kept as a draft at every answer, a summary with Edit
for each field, then a reference."""

from __future__ import annotations

from typing import Any

from bot.flow import END, Answer, Flow, Next
from bot.i18n import N_
from bot.messages import Button
from bot.registry import Command, Feature
from bot.turn import Turn
from handlers import consent
from handlers.contact import email_address, example_phone, phone_number
from handlers.idea_terms import COUNTIES, DIRECTIONS, NATIONWIDE, SECTORS, SUPPORT, find_county
from handlers.ideas import describe
from storage import ideas as store
from storage.references import next_reference

MAX_TITLE = 120
MAX_DESCRIPTION = 3000  # characters of the description in all its messages
MIN_DESCRIPTION_WORDS = 3

form = Flow("newidea", entry="start")

# The steps in order, each with the field that tells it was answered.
STEPS = (
    ("sector", "sector"),
    ("direction", "support"),
    ("title", "title"),
    ("description", "described"),
    ("county", "county"),
    ("contact", "contact_way"),
)
# What each Edit button of the summary opens.
EDITS = {
    "sector": N_("Edit the sector"),
    "direction": N_("Edit what you offer or seek"),
    "title": N_("Edit the title"),
    "description": N_("Edit the description"),
    "county": N_("Edit the place"),
    "contact": N_("Edit the contact"),
}


async def answers(turn: Turn) -> dict[str, Any]:
    """The draft's answers so far (an empty dict before the first one)."""
    return await store.draft(turn.db, turn.key) or {}


async def remember(turn: Turn, **changes: Any) -> dict[str, Any]:
    """Add answers to the draft at once, so nothing is lost if the member leaves or we restart."""
    found = await answers(turn)
    found.update(changes)
    await store.save_draft(turn.db, turn.key, found, turn.now)
    return found


def missing(found: dict[str, Any]) -> str:
    """The first step not answered yet, or the summary."""
    return next((step for step, field in STEPS if not found.get(field)), "summary")


def after(turn: Turn, step: str) -> str:
    """The next step, or back to the summary when the member is editing one field."""
    return "summary" if turn.data.get("editing") else step


def title(turn: Turn, step: str) -> str:
    """The prompt's title, with how far along the member is."""
    number = [name for name, _ in STEPS].index(step) + 1
    return turn.t("New project idea · {step} of {total}", step=number, total=len(STEPS))


@form.route("newidea")
async def open_form(turn: Turn, arg: str) -> Next:
    """`newidea` offers a draft if there is one; `newidea:continue` goes on with it."""
    turn.data["resume"] = arg == "continue"
    return "start"


@form.ask("start")
async def start(turn: Turn) -> Next | None:
    """Consent first (an idea is personal data); then the draft to continue, or the first step."""
    if not consent.given(turn):
        return consent.require(then="start")
    draft = await store.draft(turn.db, turn.key)
    if draft is None or turn.data.pop("resume", False):
        return missing(draft or {})
    turn.reply(
        turn.t(
            "You have an unfinished idea: {title}. Would you like to continue it, or discard it"
            " and start again?",
            title=draft.get("title") or turn.t("no title yet"),
        ),
        title=turn.t("Project ideas"),
        buttons=[
            Button(turn.t("Continue my draft"), "continue"),
            Button(turn.t("Discard it and start again"), "discard"),
        ],
    )
    return None


@form.answer("start")
async def take_start(turn: Turn, answer: Answer) -> Next:
    """Continue where the draft stops, or start from scratch."""
    if answer.choice == "discard":
        await store.discard_draft(turn.db, turn.key)
        turn.reply(turn.t("Your draft is discarded."))
        return "sector"
    return missing(await answers(turn))


@form.ask("sector")
async def ask_sector(turn: Turn) -> None:
    """The sector."""
    turn.reply(
        turn.t("Which sector is your idea about?"),
        title=title(turn, "sector"),
        buttons=[Button(turn.t(name), key) for key, name in SECTORS.items()],
    )


@form.answer("sector")
@consent.needed
async def take_sector(turn: Turn, answer: Answer) -> Next:
    """Keep the sector."""
    if answer.choice not in SECTORS:
        return form.again
    await remember(turn, sector=answer.choice)
    return after(turn, "direction")


@form.ask("direction")
async def ask_direction(turn: Turn) -> None:
    """Offer or seek."""
    turn.reply(
        turn.t("Do you offer something, or are you looking for something?"),
        title=title(turn, "direction"),
        buttons=[Button(turn.t(name), key) for key, name in DIRECTIONS.items()],
    )


@form.answer("direction")
@consent.needed
async def take_direction(turn: Turn, answer: Answer) -> Next:
    """Keep the direction; what is offered or sought comes next, even when editing."""
    if answer.choice not in DIRECTIONS:
        return form.again
    await remember(turn, direction=answer.choice)
    return "support"


@form.ask("support")
async def ask_support(turn: Turn) -> None:
    """What is offered or sought."""
    found = await answers(turn)
    question = (
        turn.t("What do you offer?")
        if found.get("direction") == "offer"
        else turn.t("What are you looking for?")
    )
    turn.reply(
        question,
        title=title(turn, "direction"),
        buttons=[Button(turn.t(name), key) for key, name in SUPPORT.items()],
    )


@form.answer("support")
@consent.needed
async def take_support(turn: Turn, answer: Answer) -> Next:
    """Keep what is offered or sought."""
    if answer.choice not in SUPPORT:
        return form.again
    await remember(turn, support=answer.choice)
    return after(turn, "title")


@form.ask("title")
async def ask_title(turn: Turn) -> None:
    """A short title."""
    turn.reply(
        turn.t("What is your idea called? A short title, up to {n} characters.", n=MAX_TITLE),
        title=title(turn, "title"),
    )


@form.answer("title", longest=MAX_TITLE)
@consent.needed
async def take_title(turn: Turn, answer: Answer) -> Next:
    """Keep the title on one line, within the limit."""
    text = " ".join(answer.text.split())
    if len(text) > MAX_TITLE:
        turn.reply(
            turn.t(
                "That title has {length} characters; please keep it under {n}. The description"
                " comes next.",
                length=len(text),
                n=MAX_TITLE,
            )
        )
        return form.again
    if len(text) < 3 or not any(ch.isalpha() for ch in text):
        turn.reply(turn.t("Please give your idea a title of a few words."))
        return form.again
    await remember(turn, title=text)
    return after(turn, "description")


@form.ask("description")
async def ask_description(turn: Turn) -> None:
    """The description, in as many messages as the member likes, until Done."""
    found = await answers(turn)
    so_far = str(found.get("description") or "")
    done = Button(turn.t("Done"), "done")
    if so_far:
        turn.reply(
            turn.t(
                "Your description has {used} of {n} characters so far. Send more to add to it,"
                " or press Done.",
                used=len(so_far),
                n=MAX_DESCRIPTION,
            ),
            buttons=[done],
        )
        return
    text = turn.t(
        "Describe your idea: what you would like to do, who it helps, and what it needs. You can"
        " write it in several messages, up to {n} characters in all. Press Done when you have"
        " finished.",
        n=MAX_DESCRIPTION,
    )
    if found.get("previous_description"):
        text += "\n\n" + turn.t(
            "What you send replaces the current description. If you press Done without"
            " sending anything, the current one stays."
        )
    turn.reply(text, title=title(turn, "description"), buttons=[done])


@form.answer("description", text=True, longest=MAX_DESCRIPTION)
@consent.needed
async def take_description(turn: Turn, answer: Answer) -> Next:
    """Add a message to the description (nothing is lost over the limit), or finish it."""
    found = await answers(turn)
    so_far = str(found.get("description") or "")
    if answer.choice == "done":
        if not so_far and found.get("previous_description"):
            so_far = str(found["previous_description"])  # editing, nothing new: keep the old one
        if len(so_far.split()) < MIN_DESCRIPTION_WORDS:
            turn.reply(turn.t("Please describe your idea in a few sentences first."))
            return form.again
        found.pop("previous_description", None)
        found.update(description=so_far, described=True)
        await store.save_draft(turn.db, turn.key, found, turn.now)
        return after(turn, "county")
    part = answer.text.strip()
    combined = f"{so_far}\n\n{part}" if so_far else part
    if len(combined) > MAX_DESCRIPTION:
        turn.reply(
            turn.t(
                "That message would make the description {total} characters long, over the"
                " limit of {n}. It was not added; everything you sent before is kept. Please"
                " send a shorter part, or press Done.",
                total=len(combined),
                n=MAX_DESCRIPTION,
            )
        )
        return form.again
    await remember(turn, description=combined, described=False)
    return form.again


@form.ask("county")
async def ask_county(turn: Turn) -> None:
    """One of the 12 counties, or nationwide."""
    buttons = [Button(name, key) for key, name in COUNTIES.items()]
    buttons.append(Button(turn.t("Nationwide"), NATIONWIDE))
    turn.reply(
        turn.t("Where in Albania would it happen? Choose a county, or Nationwide."),
        title=title(turn, "county"),
        buttons=buttons,
    )


@form.answer("county", text=True)
@consent.needed
async def take_county(turn: Turn, answer: Answer) -> Next:
    """Keep the county chosen or typed (Korça, Corizza, Κορυτσά all mean Korçë)."""
    county = answer.choice or find_county(answer.text)
    if county != NATIONWIDE and county not in COUNTIES:
        turn.reply(turn.t("I do not know that county. Please choose one of the 12, or Nationwide."))
        return form.again
    await remember(turn, county=county)
    return after(turn, "contact")


@form.ask("contact")
async def ask_contact(turn: Turn) -> None:
    """How the team may contact the member about the idea."""
    turn.reply(
        turn.t(
            "How may the team contact you about this idea? You can also type an e-mail address"
            " or a phone number."
        ),
        title=title(turn, "contact"),
        buttons=[
            Button(turn.t("Here in this chat"), "chat"),
            Button(turn.t("By e-mail"), "email"),
            Button(turn.t("By phone"), "phone"),
        ],
    )


@form.answer("contact", text=True)
@consent.needed
async def take_contact(turn: Turn, answer: Answer) -> Next:
    """The chat needs nothing more; an address or number typed here is taken at once."""
    if answer.choice == "chat":
        await remember(turn, contact_way="chat", contact=None)
        return "summary"
    if answer.choice in ("email", "phone"):
        return answer.choice
    if "@" in answer.text:
        return await take_email(turn, answer)
    if any(ch.isdigit() for ch in answer.text):
        return await take_phone(turn, answer)
    turn.reply(
        turn.t("Please choose one of the options, or type an e-mail address or a phone number.")
    )
    return form.again


@form.ask("email")
async def ask_email(turn: Turn) -> None:
    """The e-mail address, with a way back to the ways of contact."""
    turn.reply(
        turn.t("Please type your e-mail address."),
        buttons=[Button(turn.t("Choose another way"), "back")],
    )


@form.answer("email", text=True)
@consent.needed
async def take_email(turn: Turn, answer: Answer) -> Next:
    """Keep an address that has the shape of one; a valid phone number typed here is taken too."""
    if answer.choice == "back":
        return "contact"
    address = email_address(answer.text)
    if address is None and "@" not in answer.text and phone_number(answer.text, turn.user.country):
        return await take_phone(turn, answer)  # the member changed their mind: no need to go back
    if address is None:
        turn.reply(
            turn.t(
                "That does not look like an e-mail address. Please check it: it should look like"
                " name@example.org."
            )
        )
        return "email"
    await remember(turn, contact_way="email", contact=address)
    return "summary"


@form.ask("phone")
async def ask_phone(turn: Turn) -> None:
    """The phone number, read as a number of the member's country unless it starts with +."""
    turn.reply(
        turn.t(
            "Please type your phone number with the country code, for example {example}.",
            example=example_phone(turn.user.country),
        ),
        buttons=[Button(turn.t("Choose another way"), "back")],
    )


@form.answer("phone", text=True)
@consent.needed
async def take_phone(turn: Turn, answer: Answer) -> Next:
    """Keep a valid number, normalised to E.164; an e-mail address typed here is taken too."""
    if answer.choice == "back":
        return "contact"
    if "@" in answer.text:  # no phone number has one: the member gave an address instead
        return await take_email(turn, answer)
    number = phone_number(answer.text, turn.user.country)
    if number is None:
        turn.reply(
            turn.t(
                "That does not look like a valid phone number. Please type it with the country"
                " code, for example {example}.",
                example=example_phone(turn.user.country),
            )
        )
        return "phone"
    await remember(turn, contact_way="phone", contact=number)
    return "summary"


@form.ask("summary")
async def ask_summary(turn: Turn) -> Next | None:
    """Everything at once, with Edit for each field and Submit."""
    found = await answers(turn)
    step = missing(found)
    if step != "summary":
        return step
    turn.data.pop("editing", None)
    buttons = [Button(turn.t("Submit"), "submit")]
    buttons += [Button(turn.t(label), f"edit:{step}") for step, label in EDITS.items()]
    buttons.append(Button(turn.t("Discard the draft"), "discard"))
    turn.reply(
        describe(turn, found) + "\n\n" + turn.t("Is everything right? Submit it, or edit a field."),
        title=turn.t("Your project idea"),
        buttons=buttons,
    )
    return None


@form.answer("summary")
async def take_summary(turn: Turn, answer: Answer) -> Next:
    """Submit with a reference, edit one field, or discard the draft."""
    choice = answer.choice or ""
    if (choice == "submit" or choice.startswith("edit:")) and not consent.given(turn):
        return consent.require(then="summary")  # discarding needs no agreement
    if choice.startswith("edit:") and choice[5:] in EDITS:
        step = choice[5:]
        turn.data["editing"] = True
        if step == "description":  # what is sent next replaces it; Done alone keeps it
            found = await answers(turn)
            await remember(
                turn, previous_description=found.get("description"), description="", described=False
            )
        return step
    if choice == "discard":
        await store.discard_draft(turn.db, turn.key)
        turn.reply(turn.t("Your draft is discarded."))
        return END
    if choice != "submit":
        return form.again
    found = await answers(turn)
    if missing(found) != "summary":
        return missing(found)
    reference = await next_reference(turn.db, "IDEA", turn.now.year)
    await store.create(
        turn.db,
        reference=reference,
        user_key=turn.key,
        answers=found,
        locale=turn.locale,
        channel=turn.channel,
        country=turn.user.country,
        now=turn.now,
    )
    await store.discard_draft(turn.db, turn.key)
    turn.reply(
        turn.t(
            "Thank you! Your project idea is submitted. Its reference is {reference}. The team"
            " will review it, and you will be told here whenever its status changes.",
            reference=reference,
        ),
        # Called from Project ideas, which comes back next and offers My ideas itself.
        buttons=[] if turn.data.get("hub") else [Button(turn.t("My ideas"), "myideas", route=True)],
    )
    return END


FEATURE = Feature(
    flows=[form],
    commands=[Command("newidea", N_("Submit a project idea"), "newidea")],
)
