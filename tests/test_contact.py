"""Contact details: e-mail addresses checked for shape, phone numbers normalised to E.164."""

from __future__ import annotations

import pytest

from handlers.contact import email_address, example_phone, phone_number


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ana@example.org", "ana@example.org"),
        ("  Ana.Koci+ideas@Example.ORG ", "Ana.Koci+ideas@example.org"),
        ("ana@shqipëri.al", "ana@shqipëri.al"),
        ("ana@xn--shqipri-iya.al", "ana@xn--shqipri-iya.al"),
    ],
)
def test_addresses_of_the_right_shape_are_kept(typed: str, kept: str) -> None:
    assert email_address(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "ana",
        "ana@example",
        "ana@@example.org",
        "ana koci@example.org",
        ".ana@example.org",
        "ana.@example.org",
        "ana..koci@example.org",
        "ana@-example.org",
        "ana@example..org",
        "ana@example.o",
        "ana@example.org.",
        "ana@[127.0.0.1]",
        "<ana@example.org>",
        "a" * 65 + "@example.org",
        "ana@" + "a" * 250 + ".org",
    ],
)
def test_addresses_of_the_wrong_shape_are_refused(typed: str) -> None:
    assert email_address(typed) is None


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("333 123 4567", "IT", "+393331234567"),
        ("+39 333 123 4567", None, "+393331234567"),
        ("0039 333 123 4567", None, "+393331234567"),
        ("(069) 123-4567", "AL", "+355691234567"),
        ("+355 69 123 4567", "GR", "+355691234567"),  # the + wins over the region
        ("044 123 456", "XK", "+38344123456"),
        ("+1 212 555 0123", "IT", "+12125550123"),
    ],
)
def test_valid_numbers_are_normalised_to_e164(typed: str, region: str | None, e164: str) -> None:
    assert phone_number(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("333 123 4567", None),  # no country code and no country to assume
        ("12345", "IT"),
        ("+39 12", None),
        ("+999 123 456 789", None),
        ("call me", "IT"),
        ("", "IT"),
    ],
)
def test_invalid_numbers_are_refused(typed: str, region: str | None) -> None:
    assert phone_number(typed, region) is None


def test_the_example_is_a_mobile_number_of_the_members_country() -> None:
    assert example_phone("GR") == "+30 691 234 5678"
    assert example_phone(None).startswith("+39 ")
    assert phone_number(example_phone("AL"), None) is not None
