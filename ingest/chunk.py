"""Stage 5: sections -> [Chunk]. Structure first, size second.

- A chunk never crosses a section boundary, and never cuts a sentence (a paragraph longer than
  the budget is split at underthesea sentence boundaries; only a "sentence" over MAX_CHARS, a
  line without punctuation, is cut hard, at a space when there is one).
- A section's heading line stays in the text of its first chunk: title-only headings ("Điều 2.
  Nguyên tắc đánh giá", "Chương I", "QUY ĐỊNH CHUNG") open the chunk of the content below them.
- A paragraph shorter than MIN_CHARS that is not a list item, clause or heading joins its
  neighbours of the same section (up to the budget), so no chunk is a stray fragment; so does a
  line of an item that opens with no marker of its own (the rest of "… các tỉnh:").
- Table rows of one table and section are packed together up to the budget (kind "table");
  the headless blocks (metadata, header, preamble, recipients, signature) are kept whole.
- Every chunk keeps the PDF page it starts on.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass

from . import text as vn
from .types import LAYOUT_ROW, Chunk, CleanDocument, DocMeta, Section

MAX_CHARS = 2000  # no chunk is longer
MIN_CHARS = 160  # a shorter plain paragraph joins its neighbours
_BLOCK_KINDS = ("info", "header", "preamble", "signature", "recipients")
_ALWAYS_CONTENT = ("item", "clause", "point")


@dataclass
class _Unit:
    section: Section | None
    start: int
    end: int
    kind: str
    table: int = -1  # the table index of a row
    heading: bool = False  # a title-only heading line
    marked: bool = True  # the line opens with a list marker ("b)", "2.", "-")

    @property
    def path(self) -> tuple[str, ...]:
        return self.section.path if self.section else ()


def make_chunks(doc: CleanDocument, meta: DocMeta, sections: list[Section], budget: int,
                segment_words: bool = False) -> list[Chunk]:
    """Deterministic chunks with spans into `doc.text`, in document order."""
    budget = min(budget, MAX_CHARS)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for unit in _pack(_units(doc, sections), budget):
        body = doc.text[unit.start:unit.end]
        for a, b in _split(body, budget):
            piece = body[a:b].strip()
            if not piece:
                continue
            offset = unit.start + body.index(piece, a)
            key = f"{meta.doc_id}|{'/'.join(unit.path)}|{piece}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            chunk_id = hashlib.sha1(f"{key}|{n}".encode("utf-8")).hexdigest()[:20]
            chunks.append(Chunk(
                id=chunk_id, doc_id=meta.doc_id, number=meta.number, section_path=unit.path,
                order=len(chunks), start=offset, end=offset + len(piece), text=piece, kind=unit.kind,
                words=vn.words(piece) if segment_words else "", page=doc.page_at(offset)))
    return chunks


def _units(doc: CleanDocument, sections: list[Section]) -> list[_Unit]:
    """One unit per line: its section, kind, table and whether it is a title-only heading."""
    starts = [s.start for s in sections]
    rows = {r.start: r.table for r in doc.rows if r.row != LAYOUT_ROW}
    units: list[_Unit] = []
    pos = 0
    for line in doc.text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            continue
        section = _owner(sections, starts, start)
        kind = section.kind if section else "paragraph"
        if start in rows:
            units.append(_Unit(section, start, end, "table", rows[start]))
        elif section and start == section.start and kind not in _BLOCK_KINDS \
                and not _is_content_heading(section, line):
            units.append(_Unit(section, start, end, kind, heading=True))
        else:
            marked = vn.LIST_MARKER.match(line.lstrip("“\"'(")) is not None or (section and start == section.start)
            units.append(_Unit(section, start, end, kind, marked=bool(marked)))
    return units


def _pack(units: list[_Unit], budget: int) -> list[_Unit]:
    """Merge units into chunk spans (see the module doc)."""
    out: list[_Unit] = []
    heads: list[_Unit] = []  # title-only headings waiting for their content
    cur: _Unit | None = None
    for u in units:
        if u.heading:
            if cur is not None:
                out.append(cur)
                cur = None
            heads.append(u)
            continue
        if cur is not None and not heads and _mergeable(cur, u, budget):
            cur.end = u.end
            continue
        if cur is not None:
            out.append(cur)
        cur = _Unit(u.section, u.start, u.end, u.kind, u.table)
        if heads:
            if sum(h.end - h.start for h in heads) + (u.end - u.start) <= MAX_CHARS:
                cur.start = heads[0].start
            else:
                out.extend(heads)
            heads = []
    if cur is not None:
        out.append(cur)
    out.extend(heads)
    return sorted(out, key=lambda x: x.start)


def _mergeable(cur: _Unit, u: _Unit, budget: int) -> bool:
    if cur.path != u.path or (cur.kind == "table") != (u.kind == "table") or cur.table != u.table:
        return False
    size = u.end - cur.start
    if cur.kind in _BLOCK_KINDS:
        return size <= MAX_CHARS
    if cur.kind == "table":
        return size <= budget
    if u.kind in _ALWAYS_CONTENT and cur.kind in _ALWAYS_CONTENT and u.marked:
        return False  # list items stay apart; an unmarked line goes on its item's text
    small = cur.end - cur.start < MIN_CHARS or u.end - u.start < MIN_CHARS
    return small and size <= budget


def _split(body: str, budget: int) -> list[tuple[int, int]]:
    """Spans of at most ~budget characters at sentence boundaries; over MAX_CHARS, hard."""
    out = []
    for a, b in vn.split_long(body, budget):
        while b - a > MAX_CHARS:
            cut = body.rfind(" ", a + MAX_CHARS // 2, a + MAX_CHARS)
            cut = cut if cut > a else a + MAX_CHARS
            out.append((a, cut))
            a = cut
        out.append((a, b))
    return out


def _owner(sections: list[Section], starts: list[int], pos: int) -> Section | None:
    """The deepest section whose span contains `pos` (the latest-starting one)."""
    i = bisect.bisect_right(starts, pos) - 1
    while i >= 0:
        if sections[i].start <= pos <= sections[i].end:
            return sections[i]
        i -= 1
    return None


def _is_content_heading(section: Section, line: str) -> bool:
    """Heading lines that say something themselves ('Điều 2. Hội đồng … giao …', '(1) …')."""
    if section.kind in _ALWAYS_CONTENT or section.kind in _BLOCK_KINDS or not section.heading:
        return True  # (a section without a heading, "đoạn 32", starts with its content)
    if section.kind == "article":
        return len(line) > 120 or line.rstrip().endswith((".", ":", ";"))
    return len(line) > 300
