"""The flows. Nothing here knows a platform: no telegram, twilio or starlette imports."""

from __future__ import annotations

from bot.registry import Feature, Registry


def features() -> list[Feature]:
    """Every feature module's declaration, in menu order of their modules."""
    from handlers import (
        announcements,
        audiences,
        audit,
        broadcasts,
        consent,
        erasure,
        event_admin,
        events,
        faq,
        idea_form,
        idea_review,
        ideas,
        insight,
        language,
        menu,
        mydata,
        onboarding,
        optout,
        profile,
        questions,
        roles,
        settings,
        skills,
        smalltalk,
    )

    modules = (
        menu,
        smalltalk,
        onboarding,
        consent,
        language,
        profile,
        settings,
        optout,
        mydata,
        erasure,
        events,
        event_admin,
        faq,
        questions,
        ideas,
        idea_form,
        idea_review,
        skills,
        roles,
        audit,
        audiences,
        announcements,
        broadcasts,
        insight,
    )
    return [m.FEATURE for m in modules]


def build_registry() -> Registry:
    """The registry of all flows; first contact follows the `start` route, END leads to the menu."""
    return Registry(features(), menu="menu")
