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
from ingest.structure import PARAGRAPH
from ingest.types import SEP, Chunk
from vectorstore.store import Store
from vectorstore.types import Hit

from .types import Citation

CLAUSE_SPLIT = re.compile(r";\s+|\.\s+(?=[A-ZĐÀ-Ỹ])")  # "; " or ". " before a capital


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
    for m in CLAUSE_SPLIT.finditer(text[start:end]):
        spans.append((pos, start + m.start() + (1 if m.group(0).startswith(".") else 0)))
        pos = start + m.end()
    spans.append((pos, end))
    lines = []
    for s, e in spans:  # one clause per line in headless blocks
        for line in re.finditer(r"\S[^\n]*", text[s:e]):
            lines.append((s + line.start(), s + line.start() + len(line.group(0).rstrip())))
    return lines


def _tokens(text: str, focus) -> set[str]:
    return set(vn.syllables(text, folded=not focus.accented))


def coverage(focus, text: str, stats: CorpusStats, title: str = "") -> float:
    """Idf-weighted share of the focus keywords in `text` (title words count half); words the
    corpus never uses count as missed at the highest weight. `focus`: a Question."""
    if not focus.keywords:
        return 0.0
    body, head = _tokens(text, focus), _tokens(title, focus) if title else set()
    total = got = 0.0
    for k in focus.keywords:
        w = stats.idf(k)
        total += w
        got += w if focus.matched(k, body) else 0.5 * w if focus.matched(k, head) else 0.0
    return got / total


def cite(n: int, chunk: Chunk, start: int, end: int, store: Store) -> Citation:
    """A citation of chunk.text[start:end] with its absolute span in the document."""
    piece = chunk.text[start:end]
    start += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    meta = store.get(chunk.doc_id)
    return Citation(n=n, doc_id=chunk.doc_id, number=chunk.number, title=meta.title if meta else "",
                    section=section_name(chunk), quote=chunk.text[start:end],
                    start=chunk.start + start, end=chunk.start + end, chunk_id=chunk.id,
                    label=meta.label if meta else chunk.number or chunk.doc_id, page=chunk.page)


def section_name(chunk: Chunk) -> str:
    """The section as a citation names it; a paragraph placed by position after a numbering jump
    (ingest.structure) reads "Điều 1 › 3, đoạn 41"."""
    return chunk.section.replace(f"{SEP}{PARAGRAPH} ", f", {PARAGRAPH} ")
