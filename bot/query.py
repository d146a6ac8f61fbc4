"""Question -> Query: normalisation, no-diacritic detection, domain expansion, keywords.

The domain table (abbreviations, synonyms, question words) is data: bot/data/domain.json.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest import text as vn
from ingest.errors import QueryError
from ingest.types import has_word
from vectorstore.types import Filters

from .types import Query

DOMAIN_FILE = Path(__file__).parent / "data" / "domain.json"
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Domain:
    abbreviations: tuple[tuple[re.Pattern, re.Pattern | None, tuple[str, ...]], ...]
    synonyms: tuple[tuple[re.Pattern, tuple[str, ...]], ...]
    stop_phrases: tuple[str, ...]  # folded, longest first
    stop_accented: tuple[str, ...]  # lowercase with diacritics, longest first
    provinces: tuple[str, ...]

    @classmethod
    @functools.lru_cache(maxsize=4)
    def load(cls, path: Path = DOMAIN_FILE) -> "Domain":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        abbreviations = []
        for short, longs in data["abbreviations"].items():
            exact = re.compile(rf"(?<![\w-]){re.escape(short)}(?![\w-])")
            # Lowercase/no-diacritic forms only for abbreviations of 3+ letters ("ai" is a word).
            loose = (re.compile(rf"(?<![\w-]){re.escape(vn.fold(short))}(?![\w-])")
                     if len(short) >= 3 else None)
            abbreviations.append((exact, loose, tuple(longs)))
            for long in longs if len(short) >= 3 else ():  # long form -> add the short form
                abbreviations.append(
                    (re.compile(rf"(?<!\w){re.escape(long)}(?!\w)", re.IGNORECASE),
                     re.compile(rf"(?<!\w){re.escape(vn.fold(long))}(?!\w)"), (short,)))
        synonyms = tuple(
            (re.compile(rf"(?<!\w){re.escape(vn.fold(phrase))}(?!\w)"), tuple(targets))
            for phrase, targets in data["synonyms"].items())
        # Folded, a one-syllable stopword with diacritics reads as content too ("nói" -> "noi", as
        # "nội"; "đạt" -> "dat", as "đất"): only phrases and unaccented syllables stop there.
        stops = tuple(sorted({vn.fold(s) for s in data["stopwords"] if " " in s.strip() or s == vn.fold(s)},
                             key=len, reverse=True))
        accented = tuple(sorted({" ".join(vn.syllables(s)) for s in data["stopwords"]}, key=len, reverse=True))
        return cls(tuple(abbreviations), synonyms, stops, accented, tuple(data.get("provinces", ())))


NO_QUESTION = ("Tin nhắn này không có câu hỏi. Hãy đặt câu hỏi bằng chữ về nội dung văn bản, "
               "ví dụ: “Chỉ tiêu DTI năm 2026 là bao nhiêu?”")


def is_question(text: str) -> bool:
    """A message with at least one letter or digit ("👍", "???" and "..." are no question)."""
    return has_word(text)


def check_question(question: str) -> str:
    """The question with its whitespace collapsed; QueryError (with the Vietnamese message) when
    it is not text, empty, oversized, or has no letter or digit. Cheap: run before any loading."""
    if not isinstance(question, str):
        raise QueryError(f"question must be text, got {type(question).__name__}",
                         "Câu hỏi phải là văn bản.")
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", question).replace("\x00", " ")).strip()
    if not text:
        raise QueryError("empty question", "Vui lòng nhập câu hỏi.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QueryError(f"question too long: {len(text)} characters > {MAX_QUESTION_CHARS}",
                         f"Câu hỏi quá dài ({len(text)} ký tự; tối đa {MAX_QUESTION_CHARS}).")
    if not is_question(text):
        raise QueryError(f"no question: {text[:40]!r} has no letter or digit", NO_QUESTION)
    return text


def make_query(question: str, filters: Filters | None = None, domain: Domain | None = None,
               original: str | None = None) -> Query:
    """Normalise and expand a question. Raises QueryError on empty, oversized or letterless input."""
    check_question(question)
    text = re.sub(r"\s+", " ", vn.normalize(question).replace("\x00", " ")).strip()
    domain = domain or Domain.load()
    folded = vn.fold(text)
    expansions: list[str] = []
    for exact, loose, longs in domain.abbreviations:
        if exact.search(text) or (loose is not None and loose.search(folded)):
            expansions.extend(longs)
    for pattern, targets in domain.synonyms:
        if pattern.search(folded):
            expansions.extend(targets)
    expansions = [e for e in dict.fromkeys(expansions) if vn.fold(e) not in folded]
    return Query(
        text=text, folded=folded,
        expansions=tuple(expansions),
        keywords=keywords(text, domain),
        no_diacritics=not vn.has_diacritics(text) and bool(re.search(r"[a-zA-Z]{2}", text)),
        filters=filters or Filters(),
        original=original if original is not None else question,
    )


def keywords(text: str, domain: Domain | None = None) -> tuple[str, ...]:
    """Folded content syllables of a question, question words and stop phrases removed.

    Stop phrases are matched in the question's own script ("cận" is not the stopword "cần").
    """
    domain = domain or Domain.load()
    accented = vn.has_diacritics(text)
    padded = f" {' '.join(vn.syllables(text, folded=not accented))} "
    for phrase in (domain.stop_accented if accented else domain.stop_phrases):
        while f" {phrase} " in padded:
            padded = padded.replace(f" {phrase} ", " ")
    return tuple(dict.fromkeys(vn.fold(w) for w in padded.split()))
