"""Stage 5: sections -> [Chunk]. Structure first, size second.

One chunk per target item, per khoản/điểm, per paragraph of a section; the headless blocks
(metadata, header, preamble, signature) are kept whole. Title-only heading lines are not chunks:
they travel with every chunk below them as its heading path. A unit longer than the embedding
budget is split at underthesea sentence boundaries.
"""

from __future__ import annotations

import bisect
import hashlib

from . import text as vn
from .types import Chunk, CleanDocument, DocMeta, Section

_BLOCK_KINDS = ("info", "header", "preamble", "signature")
_ALWAYS_CONTENT = ("item", "clause", "point")


def make_chunks(doc: CleanDocument, meta: DocMeta, sections: list[Section], budget: int,
                segment_words: bool = True) -> list[Chunk]:
    """Deterministic chunks with spans into `doc.text`, in document order."""
    units = _units(doc.text, sections)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section, start, end in units:
        body = doc.text[start:end]
        for a, b in vn.split_long(body, budget):
            piece = body[a:b].strip()
            if not piece:
                continue
            offset = start + body.index(piece, a)
            path = section.path if section else ()
            key = f"{meta.doc_id}|{'/'.join(path)}|{piece}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            chunk_id = hashlib.sha1(f"{key}|{n}".encode("utf-8")).hexdigest()[:20]
            chunks.append(Chunk(
                id=chunk_id, doc_id=meta.doc_id, number=meta.number, section_path=path,
                order=len(chunks), start=offset, end=offset + len(piece), text=piece,
                kind=section.kind if section else "paragraph",
                words=vn.words(piece) if segment_words else "",
            ))
    return chunks


def _units(text: str, sections: list[Section]) -> list[tuple[Section | None, int, int]]:
    """(section, start, end) of each chunkable unit: a line, or a whole headless block."""
    starts = [s.start for s in sections]
    units: list[tuple[Section | None, int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            continue
        section = _owner(sections, starts, start)
        if section and start == section.start and not _is_content_heading(section, line):
            continue  # a title-only heading: part of the path, not a chunk
        if (section and section.kind in _BLOCK_KINDS and units and units[-1][0] is section):
            units[-1] = (section, units[-1][1], end)  # merge the lines of a headless block
        else:
            units.append((section, start, end))
    return units


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
    if section.kind in _ALWAYS_CONTENT or section.kind in _BLOCK_KINDS:
        return True
    if section.kind == "article":
        return len(line) > 120 or line.rstrip().endswith((".", ":", ";"))
    return False
