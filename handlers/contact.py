"""Contact details a member gives: an e-mail address checked for shape, a phone number in E.164."""

from __future__ import annotations

import re

import phonenumbers

MAX_EMAIL = 254  # RFC 5321's limit for a path
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[^\W_](?:[^\W_]|-){0,62}(?<!-)")  # letters (any script), digits, -
_TOP = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}")


def email_address(text: str) -> str | None:
    """The address when the text looks like one (name@example.org), with its domain lowercased."""
    address = text.strip()
    if len(address) > MAX_EMAIL or address.count("@") != 1:
        return None
    local, domain = address.split("@")
    labels = domain.split(".")
    if len(local) > 64 or not _LOCAL.fullmatch(local) or len(labels) < 2:
        return None
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if not _TOP.fullmatch(labels[-1].lower()):
        return None
    return f"{local}@{domain.lower()}"


def phone_number(text: str, region: str | None) -> str | None:
    """The number in E.164 (+393331234567) when it is a valid one; without a leading + or 00 it
    is read as a number of `region` (the member's country of residence)."""
    typed = text.strip()
    if region is None and typed.startswith("00"):
        typed = "+" + typed[2:]  # the international prefix most of Europe dials
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_phone(region: str | None) -> str:
    """A mobile number of the member's country as the library's metadata gives it, to show the
    format expected (Italy's when the country is unknown: most of the diaspora lives there)."""
    example = phonenumbers.example_number_for_type(
        region or "IT", phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.example_number_for_type("IT", phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None  # the library ships an example for Italy
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
