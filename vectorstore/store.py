"""`Store`: one folder holding the catalog (SQLite), the BM25 files and the Chroma collection.

Layout:   <store>/catalog.sqlite   documents, chunks, targets, tasks (the source of truth)
          <store>/bm25/            bm25s fields, stamped with the catalog generation
          <store>/chroma/          Chroma PersistentClient, one collection per embedding model

A document update is all-or-nothing. Vectors for new chunks are computed first (nothing written
if that fails), upserted into Chroma (harmless orphans until the commit), then the catalog
transaction commits the new rows; only then are the old vectors deleted and BM25 rebuilt. Search
only returns chunks present in the catalog, and opening the store deletes orphan vectors, so a
crash at any point leaves the previous state visible.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.changes import ReplaceNotConfirmed, describe_changes
from ingest.errors import DocumentNotFound, DuplicateDocument, StoreError
from ingest.text import syllable_share
from ingest.types import Chunk, ProcessedDocument, Target, Task

from .catalog import Catalog
from .lexical import LexicalIndex
from .types import Alternate, AuditEntry, Filters, Hit, StoredDocument

if TYPE_CHECKING:
    from .dense import DenseIndex
    from .embed import Embedder

log = logging.getLogger("vnqa")


class Store:
    def __init__(self, folder: str | Path, embedder: "Embedder | None" = None, sync: bool = True):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.catalog = Catalog(self.folder / "catalog.sqlite")
        except OSError as e:
            raise StoreError(f"cannot open store folder {self.folder}: {e}") from e
        self._thread_lock = threading.RLock()
        self._lexical: LexicalIndex | None = None
        self._lexical_gen = -1
        self._bulk = 0  # > 0 inside bulk(): BM25 is rebuilt once at the end
        self._bulk_gen = -1  # the catalog generation when the outermost bulk() began
        self.dense: DenseIndex | None = None
        if embedder is not None:
            self.attach_dense(embedder, sync)

    def attach_dense(self, embedder: "Embedder", sync: bool = True) -> None:
        """Open the Chroma collection of `embedder` (done late by writers that may not need it:
        the ingest CLI loads the model only when a file is ready to be written)."""
        from .dense import DenseIndex

        self.dense = DenseIndex(self.folder / "chroma", embedder)
        if sync:
            self.sync_dense()

    # -- what the store holds -------------------------------------------------------------
    @property
    def mode(self) -> str:
        """'hybrid' when the current embedding model has vectors for every chunk, else 'lexical'."""
        return "hybrid" if self.dense is not None else "lexical"

    @property
    def recorded_mode(self) -> str:
        """The mode recorded at the last write ('hybrid: <model>' or 'lexical')."""
        return self.catalog.get_state("mode", "empty")

    def is_empty(self) -> bool:
        return not self.catalog.documents()

    def documents(self) -> list[StoredDocument]:
        return self.catalog.documents()

    def get(self, doc_id: str):
        return self.catalog.get(doc_id)

    def chunks(self, doc_id: str | None = None, ids: list[str] | None = None) -> list[Chunk]:
        return self.catalog.chunks(ids=ids, doc_id=doc_id)

    def following(self, chunk: Chunk, n: int = 1) -> list[Chunk]:
        """The next `n` chunks of its document (the items a chunk's last line introduces)."""
        return self.catalog.following(chunk, n)

    def document_text(self, doc_id: str) -> tuple[str, list]:
        """The cleaned text and its sections [[path, heading, kind, start, end], …]."""
        return self.catalog.document_text(doc_id)

    def provenance(self, doc_id: str) -> tuple[str, str]:
        """(who, when) wrote the indexed version of a document."""
        return self.catalog.provenance(doc_id)

    def file_sha256(self, doc_id: str) -> str:
        """sha256 of the bytes of the file the indexed version came from ("" if unknown)."""
        return self.catalog.file_sha256(doc_id)

    def indexed_file(self, file_sha256: str) -> tuple[str, str] | None:
        """(doc_id, source) of the document indexed from a file with these bytes, if any."""
        return self.catalog.find_by_file_sha(file_sha256)

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        return self.catalog.audit(limit)

    def add_audit(self, entry: AuditEntry) -> None:
        self.catalog.add_audit(entry)

    def targets(self, doc_id: str | None = None) -> list[Target]:
        return self.catalog.targets(doc_id)

    def tasks(self, doc_id: str | None = None) -> list[Task]:
        return self.catalog.tasks(doc_id)

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def _write_lock(self):
        """Serialise writers: threads of this process, and other processes on the same store."""
        with self._thread_lock, open(self.folder / ".write.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def bulk(self):
        """Many upserts, one BM25 rebuild at the end (a rebuild per document is quadratic); none
        when nothing was written (a batch of refused or unchanged files returns at once)."""
        if not self._bulk:
            self._bulk_gen = self.catalog.generation
        self._bulk += 1
        try:
            yield self
        finally:
            self._bulk -= 1
            if not self._bulk and self.catalog.generation != self._bulk_gen:
                with self._write_lock():
                    self._refresh_lexical(save=True)

    def upsert(self, doc: ProcessedDocument, replace: bool = False, by: str = "",
               file_sha256: str = "") -> str:
        """Add or replace one document. Returns 'added', 'updated', 'unchanged' or 'alternate'.

        Another file of an indexed document (same doc_id: number and place, or kind, place and
        title) is not a silent replacement: the better text (more valid Vietnamese syllables,
        then more text) stays indexed and the other file is recorded as an alternate
        ('alternate' when the new file is the one kept out). A new text that would replace the
        indexed one needs `replace=True`; without it ReplaceNotConfirmed (with what changes) is
        raised and nothing is written. Raises DuplicateDocument when the same content is indexed
        under another doc_id/file. `by` (who writes) and `file_sha256` (of the file's bytes) are
        kept with the document.
        """
        meta = doc.meta
        with self._write_lock():
            same = self.catalog.find_by_sha(meta.sha256)
            if same is not None and same.doc_id == meta.doc_id and _same_file(same.source, meta.source):
                if file_sha256:  # the next upload of these bytes is recognised before it is read
                    self.catalog.set_file_sha(meta.doc_id, file_sha256)
                return "unchanged"
            if same is not None:  # the same text under another name
                raise DuplicateDocument(meta.source, same.doc_id, same.source)
            old = self.catalog.get(meta.doc_id)
            existed = old is not None
            if old is not None:
                old_text, _ = self.catalog.document_text(meta.doc_id)
                new_q, old_q = syllable_share(doc.clean.text), syllable_share(old_text)
                other_file = not _same_file(old.source, meta.source)
                if other_file and (new_q, len(doc.clean.text)) <= (old_q, len(old_text)):
                    self.catalog.add_alternate(Alternate(meta.doc_id, meta.source, meta.sha256, round(new_q, 4), _now()))
                    return "alternate"
                if not replace:
                    raise ReplaceNotConfirmed(meta.source, meta.doc_id, old.label,
                                              describe_changes(old_text, doc.clean.text))
                if other_file:
                    self.catalog.add_alternate(Alternate(meta.doc_id, old.source, old.sha256, round(old_q, 4), _now()))
            if self.dense is not None:
                have = self.dense.ids()
                self.dense.add([c for c in doc.chunks if c.id not in have])  # before the commit
            old_ids = self.catalog.replace(doc, by, file_sha256)  # the commit point
            self._record_mode()
            if self.dense is not None:
                new_ids = {c.id for c in doc.chunks}
                self.dense.delete([i for i in old_ids if i not in new_ids])
            if not self._bulk:
                self._refresh_lexical(save=True)
            return "updated" if existed else "added"

    def remove(self, doc_id: str) -> None:
        with self._write_lock():
            meta = self.catalog.get(doc_id)
            if meta is None:
                raise DocumentNotFound(doc_id)
            old_ids = self.catalog.remove(doc_id)
            if self.dense is not None:
                self.dense.delete(old_ids)
            if not self._bulk:
                self._refresh_lexical(save=True)

    def sync_dense(self, progress: bool = False) -> int:
        """Reconcile Chroma with the catalog: drop orphans, embed chunks lacking vectors."""
        if self.dense is None:
            return 0
        with self._write_lock():
            have, want = self.dense.ids(), self.catalog.chunk_ids()
            self.dense.delete(sorted(have - want))
            missing = sorted(want - have)
            if missing:
                log.info("embedding %d chunks missing from %s", len(missing), self.dense.embedder.name)
                chunks = self.catalog.chunks(ids=missing)
                step = 64
                bar = _progress(len(chunks), "Nhúng vector", progress)
                for i in range(0, len(chunks), step):
                    self.dense.add(chunks[i:i + step])
                    bar.update(len(chunks[i:i + step]))
                bar.close()
            self._record_mode()
            return len(missing)

    def _record_mode(self) -> None:
        mode = f"hybrid: {self.dense.embedder.name}" if self.dense is not None else "lexical"
        self.catalog.set_state("mode", mode)

    # -- search ---------------------------------------------------------------------------
    def _refresh_lexical(self, save: bool = False) -> LexicalIndex:
        """The BM25 index of the current catalog generation. Writers (`save=True`, under the
        write lock) rebuild and persist it; readers load the persisted one, or build a private
        in-memory copy while a writer has not saved yet."""
        gen = self.catalog.generation
        if self._lexical is None or self._lexical_gen != gen:
            folder = self.folder / "bm25"
            index = None if save else LexicalIndex.load(folder, gen)
            if index is None:
                labels = {d.meta.doc_id: f"{d.meta.number} {d.meta.title}" for d in self.catalog.documents()}
                index = LexicalIndex.build(self.catalog.chunks(), labels)
                if save:
                    try:
                        index.save(folder, gen)
                    except OSError as e:  # a read-only store still searches
                        log.warning("could not save the BM25 index to %s: %s", folder, e)
            self._lexical, self._lexical_gen = index, gen
        return self._lexical

    def _allowed(self, filters: Filters | None) -> set[str] | None:
        if filters is None or filters.empty:
            return None
        return self.catalog.doc_ids_matching(filters)

    def lexical_search(self, query: str, k: int, filters: Filters | None = None,
                       weights: dict[str, float] | None = None, expansions: str = "",
                       expansion_weight: float = 0.5) -> list[Hit]:
        """BM25 over the fields in `weights`; `expansions` (synonyms, long forms) count less."""
        weights = weights or {"accent": 1.0, "folded": 0.5}
        docs = self._allowed(filters)
        index = self._refresh_lexical()
        allowed = None
        if docs is not None:
            allowed = {c.id for d in docs for c in self.catalog.chunks(doc_id=d)}
        found = index.search(query, weights, k, allowed, expansions, expansion_weight)
        return self._hits(found, "lexical")

    def dense_search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if self.dense is None:
            return []
        found = self.dense.search(query, k, self._allowed(filters))
        return self._hits(found, "dense")

    def _hits(self, found: list[tuple[str, float]], source: str) -> list[Hit]:
        """Chunks from the catalog (the truth): vectors without a committed chunk are skipped."""
        chunks = {c.id: c for c in self.catalog.chunks(ids=[cid for cid, _ in found])}
        return [Hit(chunks[cid], score, source, score if source == "dense" else 0.0)
                for cid, score in found if cid in chunks]

    def close(self) -> None:
        self.catalog.close()


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="đoạn", disable=not enabled)
