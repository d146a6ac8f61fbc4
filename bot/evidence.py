"""Evidence units (sentences and list clauses of retrieved chunks), their scores and citations.

A unit is scored by how much of the question it covers: the question's content syllables,
weighted by their rarity in the corpus (idf), found in the unit (or, at half weight, in its
heading path), plus a bonus for the question's syllable pairs kept in order, a small prior for
the chunk's retrieval rank, and — for "how much" questions — for carrying a figure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ingest import text as vn
from ingest.types import Chunk
from vectorstore.store import Store
from vectorstore.types import Hit

from .types import Citation

_QUANTITY_Q = re.compile(r"\b(bao nhieu|bao nhieu phan tram|may phan tram|ty le|ti le|phan tram|"
                         r"xep (thu|hang)|thu hang|dung thu|muc (tang|giam)|tang bao|giam bao|"
                         r"so luong|gia tri|bao xa)\b|%")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*\s*(%|tỷ|triệu|nghìn|ngàn|km|ha|điểm|người|lao động|"
                     r"doanh nghiệp|xã|hộ|trường|cơ sở)|xếp thứ \d+|(?<![\d/.-])(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*%?")
_CLAUSE_SPLIT = re.compile(r";\s+|\.\s+(?=[A-ZĐÀ-Ỹ])")


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
    """Document frequencies of folded syllables over all chunks (refreshed per store change)."""

    def __init__(self, chunks: list[Chunk]):
        self.n = max(len(chunks), 1)
        df: dict[str, int] = {}
        for c in chunks:
            for tok in set(vn.syllables(c.title + " " + c.text, folded=True)):
                df[tok] = df.get(tok, 0) + 1
        self.df = df

    def idf(self, token: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(token, 0)))

    def known(self, token: str) -> bool:
        return token in self.df


_stats_cache: dict[int, tuple[int, CorpusStats]] = {}


def corpus_stats(store: Store) -> CorpusStats:
    key, gen = id(store), store.catalog.generation
    cached = _stats_cache.get(key)
    if cached is None or cached[0] != gen:
        cached = (gen, CorpusStats(store.chunks()))
        _stats_cache[key] = cached
    return cached[1]


def is_quantity_question(folded_question: str) -> bool:
    return bool(_QUANTITY_Q.search(folded_question))


def has_figure(text: str) -> bool:
    """A figure other than a bare year: '10%', '3.530 tỷ đồng', 'xếp thứ 32', '04 tuyến'."""
    return bool(_FIGURE.search(text))


def units(hits: list[Hit], max_chunks: int = 6) -> list[Unit]:
    """Sentences of the top chunks; list items are further split into their clauses."""
    out: list[Unit] = []
    for rank, hit in enumerate(hits[:max_chunks]):
        chunk = hit.chunk
        for a, b in vn.sentence_spans(chunk.text) or [(0, len(chunk.text))]:
            if chunk.kind in ("item", "info", "header", "preamble"):
                out.extend(Unit(chunk, s, e, rank) for s, e in _clauses(chunk.text, a, b))
            else:
                out.append(Unit(chunk, a, b, rank))
    return out


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    sentence = text[start:end]
    for m in _CLAUSE_SPLIT.finditer(sentence):
        spans.append((pos, start + m.start() + (1 if m.group(0).startswith(".") else 0)))
        pos = start + m.end()
    spans.append((pos, end))
    lines = []
    for s, e in spans:  # headless blocks: one clause per line
        for line in re.finditer(r"[^\n]+", text[s:e]):
            lines.append((s + line.start(), s + line.end()))
    return [(s, e) for s, e in lines if text[s:e].strip()]


def coverage(keywords: tuple[str, ...], unit: Unit, stats: CorpusStats) -> float:
    """Idf-weighted share of the (known) keywords found in the unit; its heading counts half."""
    known = [k for k in keywords if stats.known(k)]
    if not known:
        return 0.0
    body = set(vn.syllables(unit.text, folded=True))
    title = set(vn.syllables(unit.chunk.title, folded=True))
    total = sum(stats.idf(k) for k in known)
    got = sum(stats.idf(k) * (1.0 if k in body else 0.5 if k in title else 0.0) for k in known)
    return got / total


def pair_bonus(question_folded: str, unit: Unit) -> float:
    """Share of the question's adjacent syllable pairs that occur in the unit."""
    q = vn.syllables(question_folded, folded=True)
    pairs = {f"{a} {b}" for a, b in zip(q, q[1:])}
    if not pairs:
        return 0.0
    body = " ".join(vn.syllables(unit.text, folded=True))
    return sum(p in body for p in pairs) / len(pairs)


def score(unit: Unit, keywords: tuple[str, ...], question_folded: str, stats: CorpusStats,
          quantity: bool) -> float:
    s = coverage(keywords, unit, stats) + 0.3 * pair_bonus(question_folded, unit) + 0.1 / (1 + unit.rank)
    if quantity:
        s += 0.15 if has_figure(unit.text) else -0.3
    return s


def unknown_share(keywords: tuple[str, ...], stats: CorpusStats) -> float:
    """Share of the question's content syllables that occur nowhere in the corpus."""
    return sum(not stats.known(k) for k in keywords) / len(keywords) if keywords else 0.0


def cite(n: int, chunk: Chunk, start: int, end: int, store: Store) -> Citation:
    """A citation of chunk.text[start:end] with its absolute span in the document."""
    meta = store.get(chunk.doc_id)
    return Citation(n=n, doc_id=chunk.doc_id, number=chunk.number, title=meta.title if meta else "",
                    section=chunk.section, quote=chunk.text[start:end].strip(),
                    start=chunk.start + start, end=chunk.start + end, chunk_id=chunk.id)
