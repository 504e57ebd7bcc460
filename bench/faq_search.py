"""FAQ search quality and speed: top-1/top-3 accuracy per language on a labelled set, and the p95
time per query for the FAQ as shipped and grown to 2,000 entries (synthetic variants).

The labelled set (bench/faq_labelled.json) was written independently of the FAQ's phrasings:
paraphrases, typos, missing accents, other word forms, questions in another language than the
user's, and questions the FAQ does not answer (which must find nothing).

    python bench/faq_search.py [--grow 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.faq_content import Book, load
from handlers.faq_search import MIN_COVERAGE, FaqIndex

LABELLED = Path(__file__).resolve().parent / "faq_labelled.json"


def accuracy(
    index: FaqIndex, questions: list[dict[str, str]]
) -> dict[str, tuple[float, float, int]]:
    """Per user language: the share found first (and shown), found in the top three, and count."""
    found: dict[str, list[tuple[bool, bool]]] = {}
    for q in questions:
        hits = index.search(q["text"])
        first = bool(hits) and hits[0].id == q["expect"] and hits[0].coverage >= MIN_COVERAGE
        top3 = any(h.id == q["expect"] for h in hits[:3])
        found.setdefault(q["user_lang"], []).append((first, top3))
    return {
        lang: (sum(a for a, _ in r) / len(r), sum(b for _, b in r) / len(r), len(r))
        for lang, r in sorted(found.items())
    }


def rejected(index: FaqIndex, questions: list[dict[str, str]]) -> dict[str, float]:
    """Per language: the share of unanswerable questions for which nothing is shown."""
    out: dict[str, list[bool]] = {}
    for q in questions:
        hits = index.search(q["text"])
        out.setdefault(q["lang"], []).append(not hits or hits[0].coverage < MIN_COVERAGE)
    return {lang: sum(r) / len(r) for lang, r in sorted(out.items())}


def grown(books: dict[str, Book], size: int, seed: int = 7) -> dict[str, Book]:
    """The FAQ with synthetic entries up to `size`: variants of real ones with shuffled, misspelt
    and extra words, so the index grows as a real FAQ would (more phrasings, more vocabulary)."""
    rng = random.Random(seed)
    out = {}
    for locale, book in books.items():
        entries = dict(book.entries)
        originals = list(book.entries.values())
        vocabulary = sorted({w for e in originals for w in e.question.split()})
        n = 0
        while len(entries) < size:
            base = originals[n % len(originals)]
            n += 1
            key = f"syn-{n}"
            entries[key] = replace(
                base,
                id=key,
                question=vary(base.question, vocabulary, rng),
                phrasings=tuple(vary(p, vocabulary, rng) for p in base.phrasings),
                keywords=tuple(rng.sample(vocabulary, 5)),
            )
        out[locale] = replace(book, entries=entries)
    return out


def vary(text: str, vocabulary: list[str], rng: random.Random) -> str:
    """A variant of a phrasing: words shuffled, one added, one misspelt."""
    words = text.split()
    rng.shuffle(words)
    words.append(rng.choice(vocabulary))
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3:
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def p95_ms(index: FaqIndex, texts: list[str], rounds: int = 3) -> float:
    """The 95th percentile of one query's time, in milliseconds."""
    times = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            index.search(text)
            times.append(time.perf_counter() - start)
    return statistics.quantiles(times, n=20)[18] * 1000


def main() -> None:
    """Print accuracy per language and the speed as shipped and grown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grow", type=int, default=2000)
    args = parser.parse_args()
    labelled = json.loads(LABELLED.read_text(encoding="utf-8"))
    books = load()
    shipped = FaqIndex(books)
    print(f"FAQ as shipped: {len(books['en'].entries)} entries, {shipped.size} phrasings indexed")
    print(f"{'user language':14} {'top-1':>6} {'top-3':>6} {'questions':>9}")
    for lang, (top1, top3, n) in accuracy(shipped, labelled["questions"]).items():
        print(f"{lang:14} {top1:6.2f} {top3:6.2f} {n:9d}")
    print("unanswerable, nothing shown:", rejected(shipped, labelled["unanswerable"]))
    texts = [q["text"] for q in labelled["questions"] + labelled["unanswerable"]]
    start = time.perf_counter()
    big = FaqIndex(grown(books, args.grow))
    built = time.perf_counter() - start
    small_p95, big_p95 = p95_ms(shipped, texts), p95_ms(big, texts)
    print(
        f"p95 per query: {small_p95:.2f} ms shipped, {big_p95:.2f} ms at {args.grow} entries"
        f" ({big.size} phrasings, built in {built:.1f} s); ratio {big_p95 / small_p95:.1f}"
        f" for {big.size / shipped.size:.0f} times the phrasings"
    )


if __name__ == "__main__":
    main()
