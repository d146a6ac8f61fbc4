"""What the store hands back: hits, stored documents and search filters (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.types import Chunk, DocMeta


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    source: str  # lexical | dense | fused | reranked
    cosine: float = 0.0  # the question's cosine with the chunk when dense retrieval found it


@dataclass(frozen=True)
class Alternate:
    """Another file of an indexed document (same number and issuer), kept out of the index
    because the indexed file has the better text."""

    doc_id: str
    source: str
    sha256: str
    quality: float  # share of valid Vietnamese syllables
    added_at: str


@dataclass(frozen=True)
class StoredDocument:
    meta: DocMeta
    chunks: int
    indexed_at: str  # ISO timestamp
    alternates: tuple[Alternate, ...] = ()
    indexed_by: str = ""  # who wrote this version ("cli:<user>", an official's account, "setup")


@dataclass(frozen=True)
class AuditEntry:
    """One write to the store: who, when, which file (sha256 of its bytes), what happened."""

    at: str  # ISO timestamp (UTC)
    user: str
    action: str  # upload | remove
    status: str  # added | updated | unchanged | alternate | duplicate | unconfirmed | failed | removed
    doc_id: str = ""
    file: str = ""
    sha256: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Filters:
    """Restrict a search to documents. Empty fields do not filter."""

    doc_ids: tuple[str, ...] = ()
    issuer: str = ""  # substring, case- and diacritic-insensitive
    type: str = ""  # e.g. "Nghị quyết"
    year: int | None = None  # year issued

    @property
    def empty(self) -> bool:
        return not (self.doc_ids or self.issuer or self.type or self.year)
