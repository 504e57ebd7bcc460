"""The optional profile: country of residence, city and time zone."""

from __future__ import annotations

from bot.flow import END, Answer, Flow, Next
from bot.messages import Button
from bot.registry import Feature
from bot.turn import Turn
from handlers import consent
from handlers.places import COUNTRIES, country_name, find_country, find_zone, zone_label, zones_for

profile = Flow("profile", entry="country")
timezone = Flow("timezone", entry="zone")

MAX_CITY = 80


@profile.ask("country")
async def ask_country(turn: Turn) -> Next | None:
    """Ask the country of residence from a short list (consent first: this is personal data)."""
    if not consent.given(turn):
        return consent.require(then="country")
    buttons = [Button(country_name(code, turn.locale), code) for code in COUNTRIES]
    buttons += [Button(turn.t("Another country"), "other"), Button(turn.t("Skip"), "skip")]
    turn.reply(
        turn.t("Which country do you live in? It helps us show you events and services nearby."),
        buttons=buttons,
    )
    return None


@profile.answer("country")
async def take_country(turn: Turn, answer: Answer) -> Next:
    """Keep the country, or ask it by name, or skip the profile."""
    if answer.choice == "skip":
        return END
    if not consent.given(turn):  # the notice changed since this was asked
        return consent.require(then="country")
    if answer.choice == "other":
        return "other_country"
    if answer.choice not in COUNTRIES:
        return profile.again
    await turn.update_user(country=answer.choice)
    return "city"


@profile.ask("other_country")
async def ask_other_country(turn: Turn) -> None:
    """Ask for the country's name, in any of the four languages."""
    turn.reply(turn.t("Please type the name of the country you live in."))


@profile.answer("other_country")
@consent.needed
async def take_other_country(turn: Turn, answer: Answer) -> Next:
    """Find the country by name; ask again when it is not clear which one."""
    code = find_country(answer.text)
    if code is None:
        turn.reply(
            turn.t(
                "I could not find a country called “{name}”. Please check the spelling.",
                name=answer.text[:60],
            )
        )
        return profile.again
    await turn.update_user(country=code)
    return "city"


@profile.ask("city")
async def ask_city(turn: Turn) -> None:
    """Ask the city, which may be skipped."""
    turn.reply(turn.t("Which city do you live in?"), buttons=[Button(turn.t("Skip"), "skip")])


@profile.answer("city", text=True)
async def take_city(turn: Turn, answer: Answer) -> Next:
    """Keep the city as typed, within reason."""
    if answer.choice != "skip":
        if not consent.given(turn):
            return consent.require(then="city")
        city = " ".join(answer.text.split())
        if len(city) > MAX_CITY or not any(ch.isalpha() for ch in city):
            turn.reply(
                turn.t("Please type just the name of the city (up to {n} characters).", n=MAX_CITY)
            )
            return profile.again
        await turn.update_user(city=city)
    return profile.call("timezone", then="saved")


@profile.ask("saved")
async def show_profile(turn: Turn) -> Next:
    """Confirm what was stored."""
    turn.reply(summary(turn))
    return END


def summary(turn: Turn) -> str:
    """The profile in one short paragraph."""
    user = turn.user
    unknown = turn.t("not given")
    return turn.t(
        "Your profile:\nCountry: {country}\nCity: {city}\nTime zone: {zone}",
        country=country_name(user.country, turn.locale) if user.country else unknown,
        city=user.city or unknown,
        zone=zone_label(user.time_zone, turn.locale) if user.time_zone else unknown,
    )


@timezone.ask("zone")
async def ask_zone(turn: Turn) -> Next | None:
    """Derive the time zone from the country, or offer its zones when there are several."""
    if not consent.given(turn):
        return consent.require(then="zone")
    zones = zones_for(turn.user.country) if turn.user.country else []
    choosing = bool(turn.data.get("choose"))
    if len(zones) == 1 and not choosing:
        await turn.update_user(time_zone=zones[0])
        return END
    if not zones and not choosing:
        return END
    turn.reply(
        turn.t(
            "Which time zone should I use for dates and reminders? You can also type one,"
            " for example Europe/Rome."
        ),
        buttons=[Button(zone_label(zone, turn.locale), zone) for zone in zones],
    )
    return None


@timezone.answer("zone", text=True)
@consent.needed
async def take_zone(turn: Turn, answer: Answer) -> Next:
    """Keep the chosen or typed zone."""
    zone = answer.choice or find_zone(answer.text)
    if zone is None or find_zone(zone) is None:
        turn.reply(
            turn.t(
                "I do not know that time zone. Choose one of the options"
                " or type a name like Europe/Rome."
            )
        )
        return timezone.again
    await turn.update_user(time_zone=zone)
    turn.reply(turn.t("Time zone: {zone}.", zone=zone_label(zone, turn.locale)))
    return END


FEATURE = Feature(flows=[profile, timezone])
