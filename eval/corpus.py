"""A BEIR-style corpus through the real ingest stages into a Store.

Each record becomes one document: RawDocument(text=f"{law name}\\n{text}") -> ingest.clean.clean
-> DocMeta(doc_id=<corpus doc_id>, number=law name, title=first line) -> parse_structure ->
make_chunks. Records whose cleaned text is identical to an earlier one are not stored twice: they
become aliases of the first (same score in every run), as they would tie in a plain BM25.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import Settings

log = logging.getLogger("vnqa")
STAMP = "beir-index.json"


@dataclass(frozen=True)
class CorpusDoc:
    doc_id: str
    prefix: str  # the law name (ALQAC law_id) or BEIR title, prepended to the text
    text: str

    @property
    def full_text(self) -> str:
        return f"{self.prefix}\n{self.text}" if self.prefix else self.text


@dataclass(frozen=True)
class IndexInfo:
    documents: int
    chunks: int
    aliases: dict  # duplicate doc_id -> the stored doc_id with the same text
    seconds: float
    reused: bool


def load_corpus(path: Path) -> list[CorpusDoc]:
    """ALQAC {doc_id, law_id, text} or BEIR {_id, title, text} records, in file order."""
    docs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            doc_id = str(row.get("doc_id") or row.get("_id"))
            prefix = row.get("law_id") or row.get("title") or ""
            docs.append(CorpusDoc(doc_id, prefix, row.get("text", "")))
    return docs


def process(doc: CorpusDoc, settings: Settings):
    """One corpus record as a ProcessedDocument (targets/tasks are not needed here)."""
    from ingest.chunk import make_chunks
    from ingest.clean import clean
    from ingest.structure import parse_structure
    from ingest.types import DocMeta, ProcessedDocument, RawDocument

    cleaned = clean(RawDocument(text=doc.full_text, source=doc.doc_id, format="txt"))
    first = next((line.strip() for line in doc.text.splitlines() if line.strip()), "")
    meta = DocMeta(doc_id=doc.doc_id, number=doc.prefix, title=first, sha256=cleaned.sha256,
                   source=doc.doc_id)
    sections = parse_structure(cleaned)
    chunks = make_chunks(cleaned, meta, sections, settings.chunk_chars, settings.segment_words)
    return ProcessedDocument(meta=meta, clean=cleaned, sections=tuple(sections), chunks=tuple(chunks))


def corpus_key(path: Path, settings: Settings) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return f"{h.hexdigest()}|chunk_chars={settings.chunk_chars}|words={settings.segment_words}|chunker=2"


def index_corpus(folder: Path, corpus_path: Path, docs: list[CorpusDoc], settings: Settings,
                 progress: bool = True) -> IndexInfo:
    """Fill the lexical side of a store in `folder` (reused when its stamp matches)."""
    from tqdm import tqdm

    from ingest.errors import DuplicateDocument, IngestError
    from vectorstore.store import Store

    key = corpus_key(corpus_path, settings)
    stamp_path = folder / STAMP
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if stamp.get("key") == key:
            return IndexInfo(stamp["documents"], stamp["chunks"], stamp["aliases"], stamp["seconds"], True)
    started = time.perf_counter()
    store = Store(folder, None)
    aliases: dict[str, str] = {}
    by_sha: dict[str, str] = {}
    chunks = 0
    try:
        with store.bulk():
            for doc in tqdm(docs, desc="Lập chỉ mục điều luật", unit="điều", disable=not progress):
                try:
                    processed = process(doc, settings)
                except IngestError as e:
                    log.warning("skipping %s: %s", doc.doc_id, e)
                    continue
                first = by_sha.setdefault(processed.meta.sha256, doc.doc_id)
                if first != doc.doc_id:
                    aliases[doc.doc_id] = first
                    continue
                try:
                    store.upsert(processed, replace=True)  # a benchmark corpus is trusted
                except DuplicateDocument as e:  # stored by an earlier run under another id
                    aliases[doc.doc_id] = e.doc_id
                    continue
                chunks += len(processed.chunks)
        chunks = len(store.catalog.chunk_ids())
        documents = len(store.documents())
    finally:
        store.close()
    seconds = time.perf_counter() - started
    stamp_path.write_text(json.dumps({"key": key, "documents": documents, "chunks": chunks,
                                      "aliases": aliases, "seconds": seconds}, ensure_ascii=False),
                          encoding="utf-8")
    return IndexInfo(documents, chunks, aliases, seconds, False)
