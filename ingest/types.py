"""Small frozen dataclasses that move between the ingest stages (and into the store).

file ──load──▶ RawDocument ──clean──▶ CleanDocument ──meta──▶ DocMeta
     ──structure──▶ [Section] ──chunk──▶ [Chunk] ──extract──▶ [Target], [Task]
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

SEP = " › "  # separator of section paths, as shown to users
_PLAN_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.? ")


def has_word(text: str) -> bool:
    """True when a text has a letter or digit ("", "." and "👍" say nothing)."""
    return any(ch.isalnum() for ch in text)


def section_label(path: tuple[str, ...]) -> str:
    """How a citation names a section: plan ancestors by number only.

    ("Điều 1", "3. Những nhiệm vụ …", "3.1. Thực hiện …", "3.1.4. Quản lý …")
    -> "Điều 1 › 3 › 3.1 › 3.1.4. Quản lý …"
    """
    parts = [(_PLAN_NUMBER.match(p).group(1) if _PLAN_NUMBER.match(p) else p) for p in path[:-1]]
    return SEP.join(parts + list(path[-1:]))

Row = tuple[str, ...]
Table = tuple[Row, ...]


@dataclass(frozen=True)
class RawDocument:
    text: str  # pages separated by "\f"; table lines tagged by the loader (ingest.layout.HARD)
    source: str  # the file path as given
    format: str  # txt | md | html | docx | doc | pdf | image
    tables: tuple[Table, ...] = ()  # tables found by structured loaders (docx, doc, html, md)
    reading: str = ""  # how the text was recovered: "ocr", a legacy encoding ("tcvn3" ...), both


READINGS = {"ocr": "văn bản quét, đã nhận dạng ký tự", "tcvn3": "chuyển từ bảng mã TCVN3",
            "vni": "chuyển từ bảng mã VNI", "viscii": "chuyển từ bảng mã VISCII",
            "cp1258": "chuyển từ bảng mã Windows-1258"}


def reading_label(reading: str) -> str:
    """What users are told about how a document's text was read ("" for a normal text file)."""
    return "; ".join(READINGS.get(tag, tag) for tag in reading.split("+") if tag)


HEADER_ROW, LAYOUT_ROW = -1, -2  # RowSpan.row of a data table's header/group lines, of layout lines


@dataclass(frozen=True)
class RowSpan:
    """Where a rendered table line sits in CleanDocument.text."""

    start: int
    end: int
    table: int  # index into CleanDocument.tables
    row: int  # the table's row index; HEADER_ROW (header, group line) or LAYOUT_ROW (letterhead …)


@dataclass(frozen=True)
class CleanDocument:
    text: str  # NFC, one tone placement, one paragraph per line, junk and repeats removed
    source: str
    format: str
    sha256: str  # of the cleaned text: identical content under two names is one document
    tables: tuple[Table, ...] = ()
    header: dict = field(default_factory=dict, hash=False, compare=False)  # metadata-table rows
    pages: tuple[tuple[int, int], ...] = ()  # (offset, page) where each PDF page starts
    rows: tuple[RowSpan, ...] = ()  # the table lines, in order
    reading: str = ""  # RawDocument.reading

    def page_at(self, offset: int) -> int:
        """The PDF page of a character offset (0 when the source has no pages)."""
        page = 0
        for start, n in self.pages:
            if start > offset:
                break
            page = n
        return page


@dataclass(frozen=True)
class Relation:
    """What a document does to another one, by number: amends | replaces | repeals."""

    kind: str
    target: str  # the other document's number, no spaces ("09/2022/NQ-HĐND")
    start: int = 0  # span of the sentence saying so in CleanDocument.text
    end: int = 0


@dataclass(frozen=True)
class DocMeta:
    doc_id: str
    number: str = ""  # số hiệu, e.g. "70/NQ-HĐND"
    type: str = ""  # loại văn bản, e.g. "Nghị quyết"
    issuer: str = ""  # cơ quan ban hành
    issued: str = ""  # ISO date
    effective: str = ""  # ISO date
    signer: str = ""
    fields: str = ""  # lĩnh vực
    title: str = ""  # trích yếu
    place: str = ""
    source: str = ""
    sha256: str = ""
    signer_title: str = ""  # "KT. CHỦ TỊCH PHÓ CHỦ TỊCH"
    relations: tuple[Relation, ...] = ()
    based_on: tuple[str, ...] = ()  # numbers of the documents its "Căn cứ …" lines cite
    reading: str = ""  # "ocr", a legacy encoding …: RawDocument.reading (reading_label for users)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        """How a citation names the document: its number; else (an uploaded draft, a note) its kind
        and title; else its kind and file name; else its doc_id. Never empty or bare punctuation."""
        if has_word(self.number):
            return self.number.strip()
        kind = self.type or "Văn bản"
        title = " ".join(self.title.split())
        if has_word(title):
            title = title if len(title) <= 70 else title[:70].rsplit(" ", 1)[0] + "…"
            if title.lower().startswith(("v/v ", "về ")) or title.lower().startswith(kind.lower()):
                return f"{kind} {title}" if not title.lower().startswith(kind.lower()) else title
            return f"{kind} {title[:1].lower()}{title[1:]}"
        name = re.split(r"[\\/]", self.source.strip())[-1]
        return f"{kind} {name}" if has_word(name) else self.doc_id


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]  # e.g. ("Điều 1", "Chỉ tiêu kinh tế", "(1)")
    heading: str  # the heading line as written ("" for a headless block)
    kind: str  # header | preamble | part | chapter | article | clause | point | plan | group | item
    start: int  # character span in CleanDocument.text (heading included)
    end: int

    @property
    def name(self) -> str:
        return section_label(self.path)


@dataclass(frozen=True)
class Chunk:
    id: str  # deterministic: hash of doc_id, section path and text
    doc_id: str
    number: str
    section_path: tuple[str, ...]
    order: int  # position in the document
    start: int  # character span in CleanDocument.text
    end: int
    text: str
    kind: str = "paragraph"  # the kind of the section it belongs to, "table", or "paragraph"
    words: str = ""  # underthesea word segmentation (space separated, syllables joined by "_")
    page: int = 0  # the PDF page the chunk starts on (0: the source has no pages)

    @property
    def section(self) -> str:
        """The section as citations show it: 'Điều 1 › Chỉ tiêu kinh tế › (1)'."""
        return section_label(self.section_path)

    @property
    def title(self) -> str:
        """The full heading path, used as the embedding title."""
        return SEP.join(self.section_path) or "none"


@dataclass(frozen=True)
class Target:
    doc_id: str
    number: str
    group: str  # "Chỉ tiêu kinh tế" ...
    code: str  # "(1)"
    indicator: str  # "Tốc độ tăng trưởng GRDP"
    value: str  # as written, with comparator and unit: "tối thiểu 9%"
    comparator: str  # "", "tối thiểu", "trên", "từ", "tăng", "giảm", "xếp thứ" ...
    numeric: float | None
    unit: str  # "%", "triệu đồng", "tỷ đồng", "hạng", ...
    section: str
    text: str  # the verbatim item text
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Task:
    doc_id: str
    number: str
    section: str
    sector: str  # from the section heading
    task: str  # what must be done
    agency: str  # responsible agency ("" when the text names none)
    cooperating: str  # cơ quan phối hợp
    period: str  # "năm 2026", "giai đoạn 2026 - 2030", a deadline ...
    text: str  # verbatim source text
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ProcessedDocument:
    """Everything ingest produces for one file; the store's unit of all-or-nothing update."""

    meta: DocMeta
    clean: CleanDocument
    sections: tuple[Section, ...]
    chunks: tuple[Chunk, ...]
    targets: tuple[Target, ...] = ()
    tasks: tuple[Task, ...] = ()
