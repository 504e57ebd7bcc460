"""The skills profile (opt-in): profession, sector of expertise, years of experience, languages,
and whether the member would mentor, volunteer or invest; editable and erasable in Settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.flow import END, Answer, Flow, Next
from bot.i18n import LOCALES, N_
from bot.messages import Attachment, AttachmentSpec, Button
from bot.registry import Audience, AudienceParam, Command, Feature
from bot.spreadsheet import csv_bytes, utc_time
from bot.turn import Turn
from handlers import consent
from handlers.idea_terms import (
    SECTORS,
    SPOKEN,
    WILLING,
    Reader,
    find_language,
    language_name,
    sector_name,
)
from handlers.ideas import chosen, sector_choices
from handlers.places import country_name
from storage import skills as store
from storage.database import Tx
from storage.skills import Skills

MAX_PROFESSION = 100
MAX_YEARS = 70
MAX_LANGUAGES = 12
# A whole number, maybe followed by a word ("12", "12 years", "12 vjet"): never "-3", "2.5" or
# "5 or 10", which are not one number of years.
_YEARS = re.compile(r"(\d{1,3})(?:\s+[^\d\s][^\d]*)?")

flow = Flow("skills", entry="show")

EDITS = {
    "profession": N_("Edit the profession"),
    "sector": N_("Edit the sector"),
    "years": N_("Edit the years of experience"),
    "languages": N_("Edit the languages"),
    "willing": N_("Edit how you would help"),
}
ORDER = ("profession", "sector", "years", "languages", "willing")


def describe(reader: Reader, profile: Skills) -> str:
    """A skills profile, one field a line."""
    locale = reader.i18n.locale
    ways = ", ".join(reader.t(WILLING[w]) for w in profile.willing) or reader.t("not for now")
    return "\n".join(
        [
            reader.t("Profession: {profession}", profession=profile.profession),
            reader.t("Sector of expertise: {sector}", sector=sector_name(reader, profile.sector)),
            reader.ngettext("Experience: {n} year", "Experience: {n} years", profile.years),
            reader.t(
                "Languages: {languages}",
                languages=", ".join(language_name(c, locale) for c in profile.languages),
            ),
            reader.t("Would help by: {ways}", ways=ways),
        ]
    )


@flow.ask("show")
async def show(turn: Turn) -> Next | None:
    """The profile with Edit and Delete, or what it is for and Create (consent first)."""
    profile = await store.get(turn.db, turn.key)
    if profile is None:
        if not consent.given(turn):
            return consent.require(then="show")
        turn.reply(
            turn.t(
                "A skills profile tells the Ministry and IOM what you know and how you would like"
                " to help, so that diaspora skills can be matched to needs in Albania. It is"
                " optional, and you can change or delete it at any time in Settings."
            ),
            title=turn.t("Skills profile"),
            buttons=[
                Button(turn.t("Create my skills profile"), "create"),
                Button(turn.t("Not now"), "later"),
            ],
        )
        return None
    buttons = [Button(turn.t(label), f"edit:{step}") for step, label in EDITS.items()]
    buttons += [
        Button(turn.t("Delete my skills profile"), "delete"),
        Button(turn.t("Done"), "done"),
    ]
    turn.reply(describe(turn, profile), title=turn.t("Your skills profile"), buttons=buttons)
    return None


@flow.answer("show")
async def take_show(turn: Turn, answer: Answer) -> Next:
    """Create, edit one field, delete, or leave (erasing never waits for an agreement)."""
    choice = answer.choice or ""
    if choice in ("create", *(f"edit:{step}" for step in EDITS)) and not consent.given(turn):
        return consent.require(then="show")  # e.g. a newer privacy notice not agreed to yet
    if choice == "create":
        turn.data.update(new={}, languages=[], willing=[], editing=False)
        return "profession"
    if choice.startswith("edit:") and choice[5:] in EDITS:
        profile = await store.get(turn.db, turn.key)
        if profile is None:
            return flow.again
        turn.data.update(
            editing=True, languages=list(profile.languages), willing=list(profile.willing)
        )
        return choice[5:]
    if choice == "delete":
        return "delete"
    return END


async def keep(turn: Turn, step: str, value: Any) -> Next:
    """Store one answer: at once when editing, else with the others at the end."""
    if not turn.data.get("editing"):
        turn.data.setdefault("new", {})[step] = value
        following = ORDER[ORDER.index(step) + 1 :]
        return following[0] if following else "save"
    profile = await store.get(turn.db, turn.key)
    if profile is None:  # deleted meanwhile (another device)
        return "show"
    if not consent.given(turn):  # the notice changed since the edit began
        return consent.require(then=step)
    values: dict[str, Any] = {
        "profession": profile.profession,
        "sector": profile.sector,
        "years": profile.years,
        "languages": list(profile.languages),
        "willing": list(profile.willing),
        step: value,
    }
    await store.save(turn.db, turn.key, now=turn.now, **values)
    turn.reply(turn.t("Saved."))
    return "show"


@flow.ask("profession")
async def ask_profession(turn: Turn) -> None:
    """The profession or field of work."""
    turn.reply(
        turn.t(
            "What is your profession or field of work? (up to {n} characters)", n=MAX_PROFESSION
        ),
        title=turn.t("Skills profile"),
    )


@flow.answer("profession")
async def take_profession(turn: Turn, answer: Answer) -> Next:
    """Keep it on one line, within reason."""
    text = " ".join(answer.text.split())
    if len(text) > MAX_PROFESSION or len(text) < 2 or not any(ch.isalpha() for ch in text):
        turn.reply(
            turn.t(
                "Please type your profession in a few words (up to {n} characters).",
                n=MAX_PROFESSION,
            )
        )
        return flow.again
    return await keep(turn, "profession", text)


@flow.ask("sector")
async def ask_sector(turn: Turn) -> None:
    """The sector of expertise."""
    turn.reply(
        turn.t("In which sector is your expertise?"),
        buttons=[Button(turn.t(name), key) for key, name in SECTORS.items()],
    )


@flow.answer("sector")
async def take_sector(turn: Turn, answer: Answer) -> Next:
    """Keep the sector."""
    if answer.choice not in SECTORS:
        return flow.again
    return await keep(turn, "sector", answer.choice)


@flow.ask("years")
async def ask_years(turn: Turn) -> None:
    """Years of experience, as a number."""
    turn.reply(turn.t("How many years of experience do you have in it? Please type a number."))


@flow.answer("years")
async def take_years(turn: Turn, answer: Answer) -> Next:
    """Keep a whole number of years ("12", "12 years", "12 vjet")."""
    found = _YEARS.fullmatch(answer.text.strip())
    if found is None or int(found.group(1)) > MAX_YEARS:
        turn.reply(
            turn.t("Please type the number of years, from 0 to {n}, for example 12.", n=MAX_YEARS)
        )
        return flow.again
    return await keep(turn, "years", int(found.group(1)))


@flow.ask("languages")
async def ask_languages(turn: Turn) -> None:
    """Languages spoken: tap each, or type another's name; then Done."""
    picked = [str(c) for c in turn.data.get("languages", [])]
    offered = list(SPOKEN) + [c for c in picked if c not in SPOKEN]
    buttons = [
        Button(("✓ " if code in picked else "") + language_name(code, turn.locale), f"lang:{code}")
        for code in offered
    ]
    buttons.append(Button(turn.t("Done"), "done"))
    text = turn.t(
        "Which languages do you speak? Tap each one, then Done. You can also type the name of"
        " another language."
    )
    if picked:
        shown = ", ".join(language_name(c, turn.locale) for c in picked)
        text += "\n" + turn.t("Chosen: {languages}", languages=shown)
    turn.reply(text, buttons=buttons)


@flow.answer("languages", text=True)
async def take_languages(turn: Turn, answer: Answer) -> Next:
    """Toggle a language, add a typed one, or finish (at least one)."""
    picked: list[str] = [str(c) for c in turn.data.get("languages", [])]
    choice = answer.choice or ""
    if choice == "done":
        if not picked:
            turn.reply(turn.t("Please choose at least one language."))
            return flow.again
        return await keep(turn, "languages", picked)
    if choice.startswith("lang:"):
        code = choice[5:]
        if code in picked:
            picked.remove(code)
        elif len(picked) < MAX_LANGUAGES:
            picked.append(code)
    else:
        code_found = find_language(answer.text)
        if code_found is None:
            turn.reply(
                turn.t(
                    "I do not know a language called “{name}”. Choose one of the options, or"
                    " check the spelling.",
                    name=answer.text[:40],
                )
            )
            return flow.again
        if code_found not in picked and len(picked) < MAX_LANGUAGES:
            picked.append(code_found)
    turn.data["languages"] = picked
    return flow.again


@flow.ask("willing")
async def ask_willing(turn: Turn) -> None:
    """Mentor, volunteer, invest: any of them, or none for now."""
    picked = [str(w) for w in turn.data.get("willing", [])]
    buttons = [
        Button(("✓ " if way in picked else "") + turn.t(label), f"way:{way}")
        for way, label in WILLING.items()
    ]
    buttons.append(Button(turn.t("Done"), "done"))
    turn.reply(
        turn.t(
            "Would you like to help by mentoring, volunteering or investing? Tap any that apply,"
            " then Done (Done alone if none does for now)."
        ),
        buttons=buttons,
    )


@flow.answer("willing")
async def take_willing(turn: Turn, answer: Answer) -> Next:
    """Toggle a way of helping, or finish."""
    picked: list[str] = [str(w) for w in turn.data.get("willing", [])]
    choice = answer.choice or ""
    if choice == "done":
        return await keep(turn, "willing", picked)
    way = choice.partition(":")[2]
    if way in WILLING:
        picked = [w for w in picked if w != way] if way in picked else [*picked, way]
    turn.data["willing"] = picked
    return flow.again


@flow.ask("save")
async def save(turn: Turn) -> Next:
    """Store the new profile, once every answer is there."""
    new = dict(turn.data.get("new", {}))
    step = next((name for name in ORDER if name not in new), None)
    if step is not None:
        return step
    if not consent.given(turn):  # the notice changed while the profile was being written
        return consent.require(then="save")
    await store.save(
        turn.db,
        turn.key,
        profession=str(new["profession"]),
        sector=str(new["sector"]),
        years=int(new["years"]),
        languages=[str(c) for c in new["languages"]],
        willing=[str(w) for w in new["willing"]],
        now=turn.now,
    )
    turn.data.pop("new", None)
    turn.reply(
        turn.t("Your skills profile is saved. You can change or delete it at any time in Settings.")
    )
    return "show"


@flow.ask("delete")
async def ask_delete(turn: Turn) -> None:
    """Make sure."""
    turn.reply(
        turn.t("Delete your skills profile? This cannot be undone."),
        buttons=[
            Button(turn.t("Yes, delete it"), "yes"),
            Button(turn.t("No, keep it"), "no"),
        ],
    )


@flow.answer("delete")
async def take_delete(turn: Turn, answer: Answer) -> Next:
    """Erase the profile, or keep it."""
    if answer.choice != "yes":
        return "show"
    await store.delete(turn.db, turn.key)
    turn.reply(turn.t("Your skills profile is deleted."))
    return END


# -- the admins' export ----------------------------------------------------------------------------


def csv_spec(turn: Turn, path: str, day: str) -> AttachmentSpec:
    """What the skills CSV needs, with its headers and names in the admin's language."""
    return AttachmentSpec(
        "skills.csv",
        {
            "db": path,
            "filename": f"skills-{day}.csv",
            "locale": turn.locale,
            "header": [
                turn.t("Member"),
                turn.t("Country of residence"),
                turn.t("Language"),
                turn.t("Profession"),
                turn.t("Sector of expertise"),
                turn.t("Years of experience"),
                turn.t("Languages spoken"),
                turn.t("Mentoring"),
                turn.t("Volunteering"),
                turn.t("Investing"),
                turn.t("Updated (UTC)"),
            ],
            "sectors": {k: turn.t(v) for k, v in SECTORS.items()},
            "languages": {code: turn.i18n.language(code) for code in LOCALES},
            "yes": turn.t("yes"),
            "no": turn.t("no"),
        },
        export=True,
    )


def render_csv(args: Mapping[str, Any]) -> Attachment:
    """The skills CSV (run in a worker thread: it reads the database on its own connection)."""
    locale = str(args["locale"])
    sectors: dict[str, str] = args["sectors"]
    yes, no = str(args["yes"]), str(args["no"])
    languages: Mapping[str, str] = args.get("languages", {})  # absent in exports queued before
    rows = [
        [
            r["user_key"],
            country_name(r["country"], locale) if r["country"] else "",
            languages.get(r["locale"], r["locale"]) if r["locale"] else "",
            r["profession"],
            sectors.get(r["sector"], r["sector"]),
            r["years"],
            ", ".join(language_name(c, locale) for c in str(r["languages"]).split()),
            yes if r["mentor"] else no,
            yes if r["volunteer"] else no,
            yes if r["invest"] else no,
            utc_time(r["updated_at"]),
        ]
        for r in store.export(str(args["db"]))
    ]
    return Attachment(str(args["filename"]), "text/csv", csv_bytes(args["header"], rows))


# -- announcement audience -------------------------------------------------------------------------


async def willing_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """Any way of helping, or one."""
    return [(turn.t("Any way of helping"), "any")] + [
        (turn.t(label), way) for way, label in WILLING.items()
    ]


def select_skilled(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Members with a skills profile in a sector who would help in a way ("mentors in health")."""
    sector = chosen(values, "sector", SECTORS)
    way = chosen(values, "willing", WILLING)
    # A column name cannot be a bound parameter: it comes from this fixed table, never from input.
    condition = {
        "any": "1",
        "mentor": "mentor = 1",
        "volunteer": "volunteer = 1",
        "invest": "invest = 1",
    }[way]
    return (
        "SELECT user_key AS key FROM skills_profiles"
        f" WHERE (? = 'any' OR sector = ?) AND {condition}",
        (sector, sector),
    )


FEATURE = Feature(
    flows=[flow],
    commands=[Command("skills", N_("Your skills profile"), "skills")],
    attachments={"skills.csv": render_csv},
    audiences=[
        Audience(
            "skills",
            N_("Members with a skills profile"),
            select_skilled,
            params=(
                AudienceParam("sector", N_("Expertise in which sector?"), sector_choices),
                AudienceParam("willing", N_("Willing to help how?"), willing_choices),
            ),
        )
    ],
)
