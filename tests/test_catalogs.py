"""The catalog check: complete now, and failing on each kind of broken catalog."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot import catalogs

ROOT = Path(__file__).resolve().parent.parent
GREEK = "locales/el/LC_MESSAGES/messages.po"


def test_all_four_catalogs_are_complete() -> None:
    assert catalogs.check() == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A temporary copy of the code and catalogs to break."""
    for folder in (*catalogs.SOURCE_DIRS, "locales"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def edit(path: Path, change: str, into: str) -> None:
    """Replace one piece of text in a file, which must be there."""
    text = path.read_text(encoding="utf-8")
    assert change in text
    path.write_text(text.replace(change, into, 1), encoding="utf-8")


def problems(copy: Path) -> list[str]:
    """The check run on the copy."""
    return catalogs.check(copy, copy / "locales")


def test_a_new_string_in_the_code_is_missing_everywhere(copy: Path) -> None:
    (copy / "handlers" / "extra.py").write_text(
        'def f(turn):\n    return turn.t("Brand new words")\n'
    )
    found = problems(copy)
    assert len(found) == 4
    assert all("'Brand new words' is missing" in p for p in found)


def test_a_fuzzy_entry_fails(copy: Path) -> None:
    edit(copy / GREEK, 'msgid "Thank you."', '#, fuzzy\nmsgid "Thank you."')
    assert problems(copy) == [
        f"{copy / GREEK}: 'Thank you.' is fuzzy: check the translation and remove the fuzzy flag"
    ]


def test_an_untranslated_entry_fails(copy: Path) -> None:
    path = copy / GREEK
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Thank you."].string = ""
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert problems(copy) == [f"{path}: 'Thank you.' is not translated"]


def test_a_renamed_placeholder_fails(copy: Path) -> None:
    path = copy / "locales/it/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    message = catalog["Time zone: {zone}."]
    message.string = str(message.string).replace("{zone}", "{fuso}")
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert problems(copy) == [
        f"{path}: 'Time zone: {{zone}}.': placeholders ['fuso'] do not match ['zone']"
    ]


def test_a_wrong_number_of_plural_forms_fails(copy: Path) -> None:
    (copy / "handlers" / "extra.py").write_text(
        'def f(turn, n):\n    return turn.ngettext("{n} file waits", "{n} files wait", n)\n'
    )
    for locale in ("sq", "it", "el", "en"):
        path = copy / f"locales/{locale}/LC_MESSAGES/messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        forms = ("{n} vend", "{n} vende") if locale != "el" else ("μία θέση",)
        catalog.add(("{n} file waits", "{n} files wait"), forms)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    path = copy / GREEK
    assert problems(copy) == [f"{path}: '{{n}} file waits' is not translated"]
    edit(path, 'msgstr[0] "μία θέση"\nmsgstr[1] ""', 'msgstr[0] "μία θέση"')
    assert problems(copy) == [f"{path}: '{{n}} file waits' has 1 plural forms, not 2"]
    edit(path, 'msgstr[0] "μία θέση"', 'msgstr[0] "μία θέση"\nmsgstr[1] ""')
    edit(
        path,
        'msgstr[0] "μία θέση"\nmsgstr[1] ""',
        'msgstr[0] "μία θέση"\nmsgstr[1] "{n} θέσεις"\nmsgstr[2] "x"',
    )
    assert problems(copy) == [f"{path}: '{{n}} file waits' has 3 plural forms, not 2"]


def test_a_plural_singular_may_drop_the_count_but_the_plural_may_not(copy: Path) -> None:
    (copy / "handlers" / "extra.py").write_text(
        'def f(turn, n):\n    return turn.ngettext("{n} file waits", "{n} files wait", n)\n'
    )
    for locale in ("sq", "it", "el", "en"):
        path = copy / f"locales/{locale}/LC_MESSAGES/messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        forms = ("one seat", "{n} seats") if locale != "sq" else ("one seat", "many seats")
        catalog.add(("{n} file waits", "{n} files wait"), forms)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    path = copy / "locales/sq/LC_MESSAGES/messages.po"
    assert problems(copy) == [f"{path}: '{{n}} file waits': placeholders [] do not match ['n']"]


def test_a_wrong_plural_header_fails(copy: Path) -> None:
    path = copy / "locales/it/LC_MESSAGES/messages.po"
    edit(path, "nplurals=2; plural=(n != 1);", "nplurals=3; plural=(n == 1 ? 0 : n == 2 ? 1 : 2);")
    found = problems(copy)  # every plural entry then has too few forms as well
    assert found[0] == f"{path}: header has 3 plural forms, it has 2"
    assert all("plural forms, not 3" in p for p in found[1:])


def test_update_merges_new_strings_and_english_translates_itself(copy: Path) -> None:
    (copy / "handlers" / "extra.py").write_text(
        'def f(turn):\n    return turn.t("Brand new words")\n'
    )
    catalogs.update(copy, copy / "locales")
    found = problems(copy)
    assert sorted(p.split("/locales/")[1].split("/")[0] for p in found) == ["el", "it", "sq"]
    assert all("'Brand new words' is not translated" in p for p in found)
    assert (copy / "locales/messages.pot").read_text().count('msgid "Brand new words"') == 1


def test_a_text_that_names_a_button_names_it_as_the_button_reads() -> None:
    # "press Done" must say what the Done button says in each language, or the user looks for
    # a button that is not there.
    read = {
        locale: {
            m.id: m.string
            for m in catalogs.read(catalogs.po_path(ROOT / "locales", locale), locale)
            if isinstance(m.id, str) and isinstance(m.string, str)
        }
        for locale in ("en", "sq", "it", "el")
    }
    labels = [i for i in read["en"] if 3 < len(i) <= 30 and i[:1].isupper() and i[-1].isalpha()]
    naming = [
        (label, text)
        for text in read["en"]
        for label in labels
        if re.search(rf"\b(?i:press|choose|tap) {re.escape(label)}\b", text)
    ]
    assert len(naming) >= 6  # Done, Skip, No title, No message, Delete my data…
    wrong = [
        f"{locale}: {label!r} is {read[locale][label]!r}, not in {read[locale][text]!r}"
        for locale in ("sq", "it", "el")
        for label, text in naming
        if read[locale][label].casefold() not in read[locale][text].casefold()
    ]
    assert wrong == []
