"""The catalog workflow: `python -m bot.catalogs extract|update|compile|check`."""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES, LOCALES_DIR, placeholders

PROJECT_ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "storage")  # never `.`: that would include .venv
# counted(singular, plural): handlers.holdings, a /mydata section that only says how many rows.
KEYWORDS = {"t": None, "N_": None, "ngettext": (1, 2), "counted": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
POT = "messages.pot"


def extract(root: Path = PROJECT_ROOT) -> Catalog:
    """Every translatable string in the code, as a template catalog."""
    template = Catalog(project="diaspora-bot", domain=DOMAIN, fuzzy=False)
    for folder in SOURCE_DIRS:
        found = extract_from_dir(
            root / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            template.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(root: Path, locale: str) -> Path:
    """Where a language's catalog lives."""
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, locale: str) -> Catalog:
    """Read a .po file."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def write(path: Path, catalog: Catalog) -> None:
    """Write a .po or .pot file without line numbers, so moving code does not churn it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, include_lineno=False, ignore_obsolete=True)


def update(root: Path = PROJECT_ROOT, locales_dir: Path = LOCALES_DIR) -> None:
    """Re-extract, write the template, merge it into each catalog; English translates itself."""
    template = extract(root)
    write(locales_dir / POT, template)
    for locale in LOCALES:
        path = po_path(locales_dir, locale)
        catalog = (
            read(path, locale)
            if path.is_file()
            else Catalog(locale=locale, domain=DOMAIN, project="diaspora-bot", fuzzy=False)
        )
        catalog.update(template, update_header_comment=False)
        if locale == "en":  # the msgids are the English text
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        write(path, catalog)
        waiting = sum(1 for m in catalog if m.id and (m.fuzzy or not _complete(m)))
        print(f"{path}: {waiting} to translate (fuzzy ones included)")


def compile_all(locales_dir: Path = LOCALES_DIR) -> None:
    """Write .mo files beside the catalogs (the bot itself reads the .po files directly)."""
    for locale in LOCALES:
        path = po_path(locales_dir, locale)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, read(path, locale))


def check(root: Path = PROJECT_ROOT, locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Problems that make a catalog incomplete or wrong against a fresh extraction of the code."""
    template = extract(root)
    problems: list[str] = []
    for locale in LOCALES:
        path = po_path(locales_dir, locale)
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        catalog = read(path, locale)
        forms = _plural_form_counts(path)
        expected = get_plural(locale)
        if catalog.num_plurals != expected.num_plurals:
            problems.append(
                f"{path}: header has {catalog.num_plurals} plural forms, {locale} has "
                f"{expected.num_plurals}"
            )
        for wanted in template:
            if not wanted.id:
                continue
            problems += [f"{path}: {p}" for p in _message_problems(catalog, wanted, forms)]
    return problems


def _plural_form_counts(path: Path) -> dict[str, int]:
    """How many `msgstr[N]` lines each plural entry has as written (read_po pads or drops them)."""
    counts: dict[str, int] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if not any(line.startswith("msgid_plural ") for line in lines):
            continue
        singular, reading = [], False
        for line in lines:
            if line.startswith("msgid "):
                reading, line = True, line[len("msgid ") :]
            elif not line.startswith('"'):
                reading = False
            if reading:
                singular.append(ast.literal_eval(line))
        counts["".join(singular)] = sum(1 for line in lines if re.match(r"msgstr\[\d+\] ", line))
    return counts


def _message_problems(catalog: Catalog, wanted: Message, forms: dict[str, int]) -> Iterable[str]:
    """What is wrong with one template message in one catalog."""
    shown = repr(_singular(wanted.id))
    found = catalog.get(wanted.id, context=wanted.context)
    if found is None:
        yield f"{shown} is missing (run `make catalogs`)"
        return
    if found.fuzzy:
        yield f"{shown} is fuzzy: check the translation and remove the fuzzy flag"
    plural = isinstance(wanted.id, list | tuple)
    strings = list(found.string) if isinstance(found.string, list | tuple) else [found.string]
    if plural != isinstance(found.string, list | tuple):
        yield f"{shown} should {'' if plural else 'not '}have plural forms"
        return
    written = forms.get(_singular(wanted.id), len(strings)) if plural else 1
    if plural and written != catalog.num_plurals:
        yield f"{shown} has {written} plural forms, not {catalog.num_plurals}"
        return
    if not all(strings):
        yield f"{shown} is not translated"
        return
    ids = [str(i) for i in wanted.id] if plural else [str(wanted.id)]
    allowed = set().union(*(placeholders(i) for i in ids))
    for index, text in enumerate(strings):
        fields = placeholders(str(text))
        last = index == len(strings) - 1
        if not fields <= allowed or (last and fields != allowed):
            yield f"{shown}: placeholders {sorted(fields)} do not match {sorted(allowed)}"


def _singular(message_id: str | Sequence[str]) -> str:
    """The singular form of a message id."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _complete(message: Message) -> bool:
    """Whether every form of a message is translated."""
    strings = message.string if isinstance(message.string, list | tuple) else [message.string]
    return all(strings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step of the workflow."""
    parser = argparse.ArgumentParser(prog="python -m bot.catalogs")
    parser.add_argument("action", choices=("extract", "update", "compile", "check"))
    args = parser.parse_args(argv)
    if args.action == "extract":
        write(LOCALES_DIR / POT, extract())
    elif args.action == "update":
        update()
    elif args.action == "compile":
        compile_all()
    else:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} catalog problems", file=sys.stderr)
            return 1
        print(f"catalogs complete: {', '.join(LOCALES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
