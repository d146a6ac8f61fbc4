"""Evidence units (sentences and list clauses of retrieved chunks), how well they cover the
question, and citations.

Coverage is measured in the question's own script: syllables with diacritics when it was typed
with them (so "phủ" never matches "phú"), tone-folded syllables when it was not. A question
word's weight is its rarity in the corpus (idf); a word the corpus never uses counts as missed
with the highest weight — that is what makes "giá vàng SJC hôm nay" or "cách làm hộ chiếu"
unsupported even though "giá", "vàng", "cách", "hộ" occur somewhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ingest import text as vn
from ingest.types import Chunk
from vectorstore.store import Store
from vectorstore.types import Hit

from .query import Domain, keywords
from .types import Citation

_QUANTITY_Q = re.compile(r"\b(bao nhieu|may phan tram|ty le|ti le|phan tram|xep (thu|hang)|thu hang|"
                         r"dung thu|hang may|thu may|muc (tang|giam)|so luong|gia tri|bao xa|may %)\b|%")
# The kind of figure a "how much" question asks for: (pattern in the question, pattern in the evidence).
_FIGURE_KINDS = [
    (re.compile(r"%|phan tram"), re.compile(r"\d\s*%")),
    (re.compile(r"xep (thu|hang)|thu hang|dung thu|hang may|thu may|hang bao nhieu"),
     re.compile(r"(xếp|đứng|hạng)( thứ)? \d")),
    (re.compile(r"(bao nhieu|may) (km|ki lo met|cay so)"), re.compile(r"\d\s*km\b")),
    (re.compile(r"(bao nhieu|may) ty\b|ty dong"), re.compile(r"\d\s*tỷ")),
    (re.compile(r"(bao nhieu|may|het) tien|kinh phi|tong muc dau tu|gia tri bao nhieu|tien thuong"),
     re.compile(r"\d\s*(tỷ|triệu|nghìn|ngàn|đồng)")),
    (re.compile(r"(bao nhieu|may) trieu\b|trieu dong"), re.compile(r"\d\s*triệu")),
    (re.compile(r"\busd\b|do la"), re.compile(r"\d\s*(USD|đô)")),
    (re.compile(r"(bao nhieu|may) luot\b"), re.compile(r"\d\s*lượt")),
    (re.compile(r"(bao nhieu|may) (ha|hec ta)\b"), re.compile(r"\d\s*ha\b")),
]
# A figure: a number (not a year) with a unit or a counted noun ("10%", "56,85 triệu", "15 thùng"),
# a rank, a ratio, or a number written with separators. Labels are not figures ("Điều 1.",
# "70/NQ-HĐND", "(11)").
_FIGURE = re.compile(
    r"(?<![\w/(.-])(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*\s*(?:%|[^\W\d_]+)|xếp thứ \d+|"
    r"(?<![\d/.-])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d/])|(?<![\d/.-])\d+,\d+(?![\d/])|"
    r"(?<![\w/])\d+/\d+(?![\w/])")
_WHEN_Q = re.compile(r"\b(khi nao|bao gio|luc nao|nam nao|thoi gian nao|thoi han|den bao gio|ngay nao|"
                     r"thang nao|bao lau|thoi diem nao)\b")
_TIME = re.compile(r"\b(19|20)\d\d\b|\d{1,2}/\d{1,2}|quý [IV1-4]|tháng \d|giai đoạn|hằng năm|hàng năm|"
                   r"thường xuyên|kịp thời|trước ngày|đến năm")
_CLAUSE_SPLIT = re.compile(r";\s+|\.\s+(?=[A-ZĐÀ-Ỹ])")


@dataclass(frozen=True)
class Focus:
    """What the answer must be about: the (new part of the) question, ready for matching."""

    text: str
    folded: str
    accented: bool  # match with diacritics
    keywords: tuple[str, ...]  # content syllables, in the match script
    pairs: tuple[str, ...]  # adjacent content syllable pairs of the question ("hộ nghèo")
    quantity: bool  # asks "how much / which rank / what percentage"
    # An abbreviation is also matched by its expansion: "dti" -> (("chỉ", "số", "chuyển", "đổi", "số"),)
    alternatives: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()

    def figure_ok(self, text: str) -> bool:
        """A 'how much' question needs a figure of the asked kind in the evidence."""
        if not self.quantity:
            return True
        kinds = [ev for q, ev in _FIGURE_KINDS if q.search(self.folded)]
        if kinds:
            return any(k.search(text) for k in kinds)
        return bool(_FIGURE.search(text))

    def time_ok(self, text: str) -> bool:
        """A 'when' question needs a time in the evidence (a year, date, period, deadline)."""
        if not _WHEN_Q.search(self.folded):
            return True
        return bool(_TIME.search(text))

    def matched(self, keyword: str, tokens: set[str]) -> bool:
        if keyword in tokens:
            return True
        alts = dict(self.alternatives).get(keyword, ())
        return any(all(t in tokens for t in alt) for alt in alts)


def make_focus(text: str, domain: Domain | None = None) -> Focus:
    domain = domain or Domain.load()
    accented = vn.has_diacritics(text)
    folded = vn.fold(text)
    kws = list(keywords(text, domain))
    if accented:  # keywords() is folded: map back to the question's accented syllables
        acc = {vn.fold(s): s for s in vn.syllables(text)}
        kws = [acc.get(k, k) for k in kws]
    alternatives = []
    for exact, loose, longs in domain.abbreviations:
        m = exact.search(text) or (loose.search(folded) if loose is not None else None)
        if not m:
            continue
        short = vn.syllables(m.group(0), folded=not accented)
        if len(short) == 1 and short[0] in kws:
            alts = tuple(tuple(vn.syllables(long, folded=not accented)) for long in longs)
            alternatives.append((short[0], alts))
    for pattern, targets in domain.synonyms:  # "xếp hạng" is also matched by "xếp thứ"
        m = pattern.search(folded)
        if not m:
            continue
        phrase = set(m.group(0).split())
        alts = tuple(tuple(vn.syllables(t, folded=not accented)) for t in targets)
        alternatives.extend((k, alts) for k in kws if vn.fold(k) in phrase)
    merged: dict[str, tuple] = {}
    for k, alts in alternatives:
        merged[k] = merged.get(k, ()) + alts
    alternatives = list(merged.items())
    syl = vn.syllables(text, folded=not accented)
    kwset = set(kws)
    pairs = tuple(dict.fromkeys(f"{a} {b}" for a, b in zip(syl, syl[1:]) if a in kwset and b in kwset))
    return Focus(text, folded, accented, tuple(kws), pairs, bool(_QUANTITY_Q.search(folded)),
                 tuple(alternatives))


@dataclass(frozen=True)
class Unit:
    chunk: Chunk
    start: int  # span within chunk.text
    end: int
    rank: int  # the chunk's retrieval rank (0 = best)

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]


class CorpusStats:
    """Document frequencies of syllables (accented and folded) over all chunks."""

    def __init__(self, chunks: list[Chunk]):
        self.n = max(len(chunks), 1)
        self.df: dict[str, int] = {}
        for c in chunks:
            text = c.title + " " + c.text
            for tok in set(vn.syllables(text)) | set(vn.syllables(text, folded=True)):
                self.df[tok] = self.df.get(tok, 0) + 1
        self.max_idf = math.log(1 + self.n)

    def idf(self, token: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(token, 0)))

    def known(self, token: str) -> bool:
        return token in self.df


_stats_cache: dict[str, tuple[int, CorpusStats]] = {}


def corpus_stats(store: Store) -> CorpusStats:
    """Stats of a store's current contents, recomputed when the store changes."""
    key, gen = str(store.folder.resolve()), store.catalog.generation
    cached = _stats_cache.get(key)
    if cached is None or cached[0] != gen:
        cached = (gen, CorpusStats(store.chunks()))
        _stats_cache[key] = cached
    return cached[1]


def units(hits: list[Hit], max_chunks: int = 6) -> list[Unit]:
    """Sentences of the top chunks; list items and headless blocks split into clauses/lines."""
    out: list[Unit] = []
    for rank, hit in enumerate(hits[:max_chunks]):
        chunk = hit.chunk
        if chunk.kind == "recipients":
            continue  # the "Nơi nhận" list says who gets a copy, never what the document decides
        for a, b in vn.sentence_spans(chunk.text) or [(0, len(chunk.text))]:
            if chunk.kind in ("item", "info", "header", "preamble", "signature"):
                out.extend(Unit(chunk, s, e, rank) for s, e in _clauses(chunk.text, a, b))
            else:
                out.append(Unit(chunk, a, b, rank))
    return out


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for m in _CLAUSE_SPLIT.finditer(text[start:end]):
        spans.append((pos, start + m.start() + (1 if m.group(0).startswith(".") else 0)))
        pos = start + m.end()
    spans.append((pos, end))
    lines = []
    for s, e in spans:  # one clause per line in headless blocks
        for line in re.finditer(r"\S[^\n]*", text[s:e]):
            lines.append((s + line.start(), s + line.start() + len(line.group(0).rstrip())))
    return lines


def _tokens(text: str, focus: Focus) -> set[str]:
    return set(vn.syllables(text, folded=not focus.accented))


def coverage(focus: Focus, text: str, stats: CorpusStats, title: str = "") -> float:
    """Idf-weighted share of the focus keywords in `text` (title words count half); words the
    corpus never uses count as missed at the highest weight."""
    if not focus.keywords:
        return 0.0
    body, head = _tokens(text, focus), _tokens(title, focus) if title else set()
    total = got = 0.0
    for k in focus.keywords:
        w = stats.idf(k)
        total += w
        got += w if focus.matched(k, body) else 0.5 * w if focus.matched(k, head) else 0.0
    return got / total


def pair_coverage(focus: Focus, text: str) -> float:
    if not focus.pairs:
        return 0.0
    body = " ".join(vn.syllables(text, folded=not focus.accented))
    return sum(p in body for p in focus.pairs) / len(focus.pairs)


def support(focus: Focus, unit: Unit, stats: CorpusStats) -> float:
    """How well one unit answers the focus (0..1): words covered, pairs kept together."""
    uni = coverage(focus, unit.text, stats, unit.chunk.title)
    if not focus.pairs:
        return uni
    return 0.7 * uni + 0.3 * pair_coverage(focus, unit.text + " " + unit.chunk.title)


def score(unit: Unit, focus: Focus, stats: CorpusStats) -> float:
    """Ranking score of a unit: support, a retrieval-rank prior, and the asked figure."""
    s = support(focus, unit, stats) + 0.1 / (1 + unit.rank)
    if focus.quantity:
        s += 0.15 if focus.figure_ok(unit.text) else -0.3
    return s


def unknown_entities(question: str, stats: CorpusStats, domain: Domain | None = None) -> list[str]:
    """Names in the question ("Lạng Sơn", "Hà Giang", "SJC") that the corpus never uses.

    A name is two or more capitalised syllables, or an all-caps acronym the domain table does
    not expand.
    """
    domain = domain or Domain.load()
    words = re.findall(r"\w+(?:-\w+)*", question)
    names: list[list[str]] = []
    run: list[str] = []
    for w in words + [""]:
        if w[:1].isupper() and not w.isdigit():
            run.append(w)
            continue
        if len(run) >= 2:
            names.append(run)
        elif len(run) == 1 and len(run[0]) >= 3 and run[0].isupper():
            names.append(run)
        run = []
    found = []
    for name in names:
        text = " ".join(name)
        if len(name) == 1:
            if not stats.known(name[0].lower()) and not any(e.search(text) for e, _, _ in domain.abbreviations):
                found.append(text)
        elif not all(stats.known(w.lower()) or any(e.search(w) for e, _, _ in domain.abbreviations)
                     for w in name):
            found.append(text)
    return found


def cite(n: int, chunk: Chunk, start: int, end: int, store: Store) -> Citation:
    """A citation of chunk.text[start:end] with its absolute span in the document."""
    piece = chunk.text[start:end]
    start += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    meta = store.get(chunk.doc_id)
    return Citation(n=n, doc_id=chunk.doc_id, number=chunk.number, title=meta.title if meta else "",
                    section=chunk.section, quote=chunk.text[start:end],
                    start=chunk.start + start, end=chunk.start + end, chunk_id=chunk.id,
                    label=meta.label if meta else chunk.number or chunk.doc_id, page=chunk.page)
