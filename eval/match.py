"""How answers are judged against the dataset: evidence hits, citation matches, answer keys.

Evidence and citations are compared as token sequences: `ingest.text.syllables` (NFC, one tone
placement, lowercase, punctuation dropped) of the quote must be a contiguous run of the
syllables of the other side. So "Người ký | Bế Thanh Tịnh" matches "Người ký: Bế Thanh Tịnh",
and a heading quote ("3.1.5. Quản lý quy hoạch …") matches a chunk through its heading path.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable, Sequence

from ingest import text as vn
from ingest.types import Chunk

_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=65536)
def _seq(text: str) -> str:
    """' a b c ': syllables joined and padded so substring search respects token boundaries."""
    tokens = vn.syllables(text)
    return f" {' '.join(tokens)} " if tokens else ""


def contains(haystack: str, needle: str) -> bool:
    """The syllables of `needle` occur, contiguous and in order, in those of `haystack`.

    A needle written "a | b | c" (the cells of one table row) matches when its parts occur in
    that order. An empty needle (no syllable at all) never matches.
    """
    hay = _seq(haystack)
    pos = 0
    parts = [_seq(p) for p in needle.split(" | ")] if " | " in needle else [_seq(needle)]
    if not all(parts):
        return False
    for part in parts:
        at = hay.find(part, pos)
        if at < 0:
            return False
        pos = at + len(part) - 1
    return True


def chunk_context(chunk: Chunk) -> str:
    """What a retrieved chunk shows: its heading path (if any) and its text."""
    title = chunk.title if chunk.section_path else ""
    return f"{title}\n{chunk.text}"


def chunk_has_evidence(chunk: Chunk, evidence: Sequence[str]) -> bool:
    context = chunk_context(chunk)
    return any(contains(context, quote) for quote in evidence)


def hit_rank(chunks: Iterable[Chunk], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first chunk holding any evidence quote; None when none does."""
    if not evidence:
        return None
    for rank, chunk in enumerate(chunks, start=1):
        if chunk_has_evidence(chunk, evidence):
            return rank
    return None


def citation_matches(section: str, quote: str, evidence: Sequence[str]) -> bool:
    """A citation supports the answer when its quote (with its section, for heading quotes)
    contains an evidence quote, or its quote is contained in one."""
    context = f"{section}\n{quote}"
    return any(contains(context, ev) or contains(ev, quote) for ev in evidence)


def canon(text: str) -> str:
    """Answer-key comparison form: NFC, one tone placement, lowercase, collapsed whitespace."""
    text = vn.normalize(unicodedata.normalize("NFC", text))
    return _SPACES.sub(" ", text).strip().lower()


def keys_found(answer_text: str, answer_keys: Sequence[Sequence[str]]) -> bool:
    """Every key group has an alternative contained in the answer text (and there is a group)."""
    if not answer_keys:
        return False
    got = canon(answer_text)
    return all(any(canon(alt) in got for alt in group if alt.strip()) for group in answer_keys)


LEAD_CHARS = 400  # an answer leads with its fact: the keys must be in its first 400 characters


def is_correct(item: dict, answer_text: str, abstained: bool) -> bool:
    """Answerable: not abstained and all key groups in the first LEAD_CHARS characters.
    Unanswerable: abstained."""
    if not item["answerable"]:
        return bool(abstained)
    return not abstained and keys_found(answer_text[:LEAD_CHARS], item["answer_keys"])
