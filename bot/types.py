"""What the bot hands back: processed queries, answers and their citations (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.types import has_word
from vectorstore.types import Filters, Hit


@dataclass(frozen=True)
class Query:
    text: str  # the question, NFC + one tone placement (after follow-up rewriting)
    folded: str  # lowercase, no diacritics
    expansions: tuple[str, ...]  # long forms of abbreviations, document phrases for synonyms
    keywords: tuple[str, ...]  # content syllables (folded), question words removed
    no_diacritics: bool  # typed without any Vietnamese diacritic
    filters: Filters = field(default_factory=Filters)
    original: str = ""  # as typed, before rewriting

    @property
    def expanded(self) -> str:
        return " ".join((self.text,) + self.expansions)


@dataclass(frozen=True)
class Citation:
    n: int  # the [n] marker in the answer text
    doc_id: str
    number: str  # số hiệu
    title: str  # trích yếu
    section: str  # "Điều 1 › Chỉ tiêu kinh tế › (1)"
    quote: str  # verbatim text of the document
    start: int  # span of the quote in the document's cleaned text
    end: int
    chunk_id: str = ""
    label: str = ""  # how the document is named: its number, or its kind and title (no number)
    page: int = 0  # the PDF page the quote starts on (0: the source has no pages)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def document(self) -> str:
        """How the citation names its document: the label (number, else kind and title), never
        empty."""
        return next((x.strip() for x in (self.label, self.number, self.doc_id) if has_word(x)), "Văn bản")

    @property
    def where(self) -> str:
        """'70/NQ-HĐND › Điều 1 › (11)', with ', trang 3' for a PDF; a document without a number
        is named by its label (kind and title), a section naming nothing is left out."""
        parts = [self.document] + ([self.section.strip()] if has_word(self.section) else [])
        return " › ".join(parts) + (f", trang {self.page}" if self.page else "")


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    hits: tuple[Hit, ...] = ()  # what retrieval returned, best first
    mode: str = "extractive"  # extractive | llm | llm-fallback
    flags: tuple[str, ...] = ()  # e.g. "verifier: số 57,85 không có trong nguồn [1]"
    rewritten: str = ""  # the standalone question a follow-up was rewritten to
    support: float = 0.0  # how well the evidence covers the question (refusal decision)

    def to_json(self) -> dict:
        """The stable JSON of `python -m bot ask --json` and the app's /ask endpoint."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "flags": list(self.flags),
            "rewritten": self.rewritten,
            "citations": [
                {"n": c.n, "doc_id": c.doc_id, "number": c.number, "title": c.title, "label": c.label,
                 "section": c.section, "page": c.page, "text": c.quote, "start": c.start, "end": c.end}
                for c in self.citations
            ],
            "retrieved": [
                {"doc_id": h.chunk.doc_id, "section": h.chunk.section, "text": h.chunk.text,
                 "score": round(h.score, 6), "chunk_id": h.chunk.id}
                for h in self.hits[:10]
            ],
        }
