"""FAQ search across the four languages: BM25 over character n-grams, then a coverage check.

Trigrams and 4-grams of accent- and case-folded words make typos and word forms ("regjistroj",
"regjistrimi") overlap. Two sparse bm25s indexes score a query: one over each phrasing (the best
phrasing counts), one over each entry as a whole, answer included (for questions told as a
story). A query costs the postings of its own n-grams, not a scan of every phrasing. The best
entry is then checked with rapidfuzz: the share of the query's words, weighted by how rare they
are, that the entry's own words match, fuzzily. Below MIN_COVERAGE nothing matched well enough.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.i18n import normalize
from handlers.faq_content import Book

# bm25s sets its logger to DEBUG on import, whatever LOG_LEVEL says: back to the usual level.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Tuned on bench/faq_labelled.json (README, "Consular answers"): below it, "no good answer".
MIN_COVERAGE = 0.5
FUZZY_WORD = 80  # rapidfuzz ratio at which two words count as the same word misspelt
TELLING_WORD = 4  # letters a matched word needs to show what the question is about
NGRAMS = (3, 4)
CANDIDATES = 8  # entries kept from the phrasing index before the entry index adds its score


@dataclass(frozen=True, slots=True)
class Hit:
    """An entry found for a query, its score, and how much of the query it covers."""

    id: str
    score: float
    coverage: float


def words(text: str) -> list[str]:
    """Folded words of at least two characters."""
    return [w for w in normalize(text).split() if len(w) > 1]


def ngrams(text: str) -> list[str]:
    """Each word whole (marked) and its character n-grams, boundaries included."""
    out = []
    for word in words(text):
        out.append(f"={word}")
        padded = f"#{word}#"
        for n in NGRAMS:
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


def _index(corpus: list[list[str]]) -> bm25s.BM25:
    """A BM25 index over pre-tokenised documents."""
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    return retriever


class FaqIndex:
    """Indexes over every phrasing, and every entry, of every language."""

    def __init__(self, books: Mapping[str, Book]) -> None:
        self._phrasing_ids: list[str] = []
        self._entry_ids: list[str] = []
        phrasings: list[list[str]] = []
        entries: list[list[str]] = []
        vocab: dict[str, set[str]] = {}
        asked: dict[str, set[str]] = {}
        document_words: list[set[str]] = []
        for book in books.values():
            for entry in book.entries.values():
                texts = [entry.question, *entry.phrasings, " ".join(entry.keywords)]
                for text in texts:
                    phrasings.append(ngrams(text))
                    self._phrasing_ids.append(entry.id)
                    document_words.append(set(words(text)))
                    asked.setdefault(entry.id, set()).update(words(text))
                whole = " ".join([*texts, entry.answer])
                entries.append(ngrams(whole))
                self._entry_ids.append(entry.id)
                vocab.setdefault(entry.id, set()).update(words(whole))
        self._vocab = {key: sorted(value) for key, value in vocab.items()}
        self._asked = {key: sorted(value) for key, value in asked.items()}
        self._phrasings = _index(phrasings)
        self._entries = _index(entries)
        df = Counter(w for seen in document_words for w in seen)
        self.size = len(phrasings)
        self._idf = {w: math.log(1 + self.size / n) for w, n in df.items()}
        self._unseen_idf = math.log(1 + self.size)  # a word the FAQ never uses weighs the most

    def search(self, text: str, limit: int = 4) -> list[Hit]:
        """The best entries for a question, best first, each with its coverage of the query."""
        tokens = ngrams(text)
        if not tokens:
            return []
        scores: dict[str, float] = {}
        by_phrasing = self._phrasings.get_scores(tokens)
        keep = min(len(by_phrasing), CANDIDATES * 60)  # enough phrasings for CANDIDATES entries
        top = np.argpartition(-by_phrasing, keep - 1)[:keep]
        for row in top[np.argsort(-by_phrasing[top])]:
            if by_phrasing[row] <= 0:
                break
            scores.setdefault(self._phrasing_ids[row], float(by_phrasing[row]))
        by_entry = self._entries.get_scores(tokens)
        for row in np.flatnonzero(by_entry):
            entry_id = self._entry_ids[row]
            scores[entry_id] = scores.get(entry_id, 0.0) + float(by_entry[row])
        best = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:limit]
        query = words(text)
        return [Hit(entry_id, score, self.coverage(query, entry_id)) for entry_id, score in best]

    def coverage(self, query: Iterable[str], entry_id: str) -> float:
        """The rarity-weighted share of the query's words that the entry's words match.

        0 unless a matched word of TELLING_WORD letters or more is also in the entry's question,
        phrasings or keywords: short words say nothing of a topic ("no", "ok", "ναι"), and a word
        met only in an answer's prose ("events", "ανακοινώσεις") is not what the entry is about.
        """
        vocab = self._vocab.get(entry_id, [])
        asked = self._asked.get(entry_id, [])
        total = matched = 0.0
        telling = False
        for word in query:
            weight = self._idf.get(word, self._unseen_idf)
            total += weight
            if process.extractOne(word, vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD):
                matched += weight
                telling = telling or (
                    len(word) >= TELLING_WORD
                    and process.extractOne(word, asked, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD)
                    is not None
                )
        return matched / total if total and telling else 0.0
