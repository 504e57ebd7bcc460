"""The flows. Nothing here knows a platform: no telegram, twilio or starlette imports."""

from __future__ import annotations

from bot.registry import Feature, Registry


def features() -> list[Feature]:
    """Every feature module's declaration, in menu order of their modules."""
    from handlers import (
        announcements,
        audiences,
        broadcasts,
        consent,
        event_admin,
        events,
        faq,
        idea_form,
        idea_review,
        ideas,
        insight,
        language,
        menu,
        onboarding,
        optout,
        profile,
        questions,
        roles,
        settings,
        skills,
    )

    modules = (
        menu,
        onboarding,
        consent,
        language,
        profile,
        settings,
        optout,
        events,
        event_admin,
        faq,
        questions,
        ideas,
        idea_form,
        idea_review,
        skills,
        roles,
        audiences,
        announcements,
        broadcasts,
        insight,
    )
    return [m.FEATURE for m in modules]


def build_registry() -> Registry:
    """The registry of all flows; first contact follows the `start` route, END leads to the menu."""
    return Registry(features(), menu="menu")
