"""Announcement audiences: everyone with announcements on, by country, by language (AND)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.broadcasts import BASE
from bot.i18n import LANGUAGE_NAMES, LOCALES, N_
from bot.registry import Audience, AudienceParam, Feature
from bot.turn import Turn
from handlers.places import country_name
from storage import audiences
from storage.database import Tx

COUNTRY_CHOICES = 30  # the countries offered, the most common first


def select_everyone(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Everyone with announcements on (the base of every broadcast)."""
    return audiences.reachable()


def select_country(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Users living in one country."""
    return audiences.in_country(values["country"])


def select_language(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Users who read one language (`default_locale` is added by bot.broadcasts)."""
    return audiences.in_language(values["language"], LOCALES, values["default_locale"])


async def country_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """The countries where users with announcements on live, the most common first."""
    found = await audiences.countries(tx, COUNTRY_CHOICES)
    return [(country_name(code, turn.locale), code) for code, _ in found]


async def language_choices(tx: Tx, turn: Turn) -> list[tuple[str, str]]:
    """The four languages, each in its own name."""
    return [(LANGUAGE_NAMES[locale], locale) for locale in LOCALES]


AUDIENCES = [
    Audience(BASE, N_("Everyone with announcements on"), select_everyone),
    Audience(
        "country",
        N_("By country of residence"),
        select_country,
        (AudienceParam("country", N_("Which country of residence?"), country_choices),),
    ),
    Audience(
        "language",
        N_("By language"),
        select_language,
        (AudienceParam("language", N_("Which language?"), language_choices),),
    ),
]


FEATURE = Feature(audiences=AUDIENCES)
