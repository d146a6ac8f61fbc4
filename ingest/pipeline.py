"""The ingest pipeline for one file: load -> clean -> meta -> structure -> chunk -> extract.

Pure: produces a ProcessedDocument and writes nothing. Storing is `vectorstore.Store.upsert`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .chunk import make_chunks
from .clean import clean
from .errors import EmptyDocument
from .targets import extract_targets
from .tasks import extract_tasks
from .load import FORMATS, load
from .ocr import OcrConfig
from .meta import extract_meta
from .settings import Settings
from .structure import parse_structure
from .types import ProcessedDocument, RawDocument

SUPPORTED = tuple(FORMATS)


def process_file(path: str | Path, settings: Settings,
                 progress: Callable[[int, int], None] | None = None) -> ProcessedDocument:
    """Turn one file into a document ready to store; raises an IngestError naming the file.
    `progress(done, total)` is called per OCRed page of a scan."""
    ocr = (OcrConfig(lang=settings.ocr_lang, max_pages=settings.ocr_max_pages, clean=settings.ocr_clean)
           if settings.ocr else None)
    raw = load(path, max_bytes=int(settings.max_file_mb * 1024 * 1024), ocr=ocr, progress=progress)
    return process_raw(raw, settings)


def process_raw(raw: RawDocument, settings: Settings) -> ProcessedDocument:
    doc = clean(raw)
    if not doc.text.strip():
        raise EmptyDocument(raw.source, "no text left after cleaning", "không còn nội dung sau khi làm sạch")
    meta = extract_meta(doc)
    sections = parse_structure(doc)
    chunks = make_chunks(doc, meta, sections, settings.chunk_chars, settings.segment_words)
    if not chunks:
        raise EmptyDocument(raw.source, "no indexable text found", "không tìm thấy nội dung để lập chỉ mục")
    return ProcessedDocument(
        meta=meta, clean=doc, sections=tuple(sections), chunks=tuple(chunks),
        targets=tuple(extract_targets(meta, doc, sections)),
        tasks=tuple(extract_tasks(meta, doc, sections)),
    )


def find_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders recursively (supported extensions only); files are kept as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED
                              and not f.name.startswith(".")))
        else:
            out.append(p)
    return out
