"""Ingest files into a store; open the store the settings describe (building it on first use).

Used by the CLI (`python -m ingest`), the bot CLI, the app and the eval runner.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .changes import ChangeSummary, ReplaceNotConfirmed
from .errors import DuplicateDocument, IngestError
from .pipeline import find_files, process_file
from .settings import Settings

log = logging.getLogger("vnqa")


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # added | updated | unchanged | alternate | duplicate | unconfirmed | failed
    doc_id: str = ""
    chunks: int = 0
    error: str = ""  # English, for logs and stderr
    user_error: str = ""  # Vietnamese, for the UI
    sha256: str = ""  # of the file's bytes
    changes: ChangeSummary | None = None  # unconfirmed: what the replacement would change


@dataclass(frozen=True)
class IngestReport:
    results: tuple[FileResult, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    @property
    def failures(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("added", "updated"))

    @property
    def unconfirmed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "unconfirmed"]

    def summary(self) -> str:
        counts = {s: sum(r.status == s for r in self.results)
                  for s in ("added", "updated", "unchanged", "alternate", "duplicate", "unconfirmed", "failed")}
        done = counts["added"] + counts["updated"]
        return (f"{done} documents indexed ({counts['added']} new, {counts['updated']} updated), "
                f"{counts['unchanged']} unchanged, {counts['alternate']} other copies of indexed documents, "
                f"{counts['duplicate']} duplicates, {counts['unconfirmed']} replacements not confirmed, "
                f"{counts['failed']} failed; {self.chunks} chunks; {self.seconds:.1f} s")


def index_files(store, paths: list[str | Path], settings: Settings, progress: bool = True,
                on_file: Callable[[int, int, str], None] | None = None, *, user: str = "",
                replace: bool = False, embedder: Callable[[], object] | None = None) -> IngestReport:
    """Ingest every file (folders recurse). A bad file is reported; the others go on.

    `user` is recorded with each write in the audit log; `replace=True` confirms replacing the
    indexed text of a document (else such a file is 'unconfirmed', with what would change).
    `embedder`: loads the embedding model the first time a file is ready to be written, for a
    store opened without one (a bad or unchanged file then never waits for the model)."""
    from tqdm import tqdm

    started = time.perf_counter()
    files = find_files(paths)
    results: list[FileResult] = []
    job = _Job(store, settings, on_file, progress, user, replace, embedder)
    with store.bulk():
        for i, path in enumerate(tqdm(files, desc="Lập chỉ mục", unit="tệp", disable=not progress)):
            result = job.index(path, i, len(files))
            store.add_audit(_audit("upload", result, user))
            _log_result(result)
            results.append(result)
    return IngestReport(tuple(results), time.perf_counter() - started)


def remove_document(store, doc_id: str, user: str = "") -> str:
    """Remove one document (DocumentNotFound if absent) and log it; returns its label."""
    meta = store.get(doc_id)
    file_sha = store.file_sha256(doc_id)
    store.remove(doc_id)
    label = meta.label if meta else doc_id
    store.add_audit(_audit("remove", FileResult(meta.source if meta else "", "removed", doc_id,
                                                sha256=file_sha), user, label))
    return label


def _log_result(r: FileResult) -> None:
    """Every file's outcome at INFO: a refused or unchanged file is a normal result (reported to
    whoever sent it), not a fault of the system."""
    name = Path(r.path).name
    if r.status in ("added", "updated"):
        log.info("%s: %s as %s (%d chunks)", name, r.status, r.doc_id, r.chunks)
    else:
        log.info("%s: %s%s", name, r.status, f" ({r.error})" if r.error else f" ({r.doc_id})" if r.doc_id else "")


def _audit(action: str, r: FileResult, user: str, detail: str = ""):
    from vectorstore.types import AuditEntry

    if r.changes is not None:
        detail = f"{r.changes.total} chỗ khác"
    return AuditEntry(datetime.now(timezone.utc).isoformat(timespec="seconds"), user or "?", action, r.status,
                      r.doc_id, Path(r.path).name if r.path else "", r.sha256, detail or r.user_error or r.error)


def _pages(path: Path, i: int, n: int, on_file, bar: bool) -> Callable[[int, int], None]:
    """Per-page progress of an OCRed scan: through `on_file` (the app), else a tqdm bar."""
    state: dict = {}

    def report(done: int, total: int) -> None:
        if on_file:
            on_file(i, n, f"{path.name}: nhận dạng ký tự trang {done}/{total}")
        elif bar:
            from tqdm import tqdm

            if "bar" not in state:
                state["bar"] = tqdm(total=total, desc=f"OCR {path.name}", unit="trang", leave=False)
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()

    return report


@dataclass
class _Job:
    """One index_files call: what every file of it shares."""

    store: object
    settings: Settings
    on_file: Callable | None
    bar: bool
    user: str
    replace: bool
    embedder: Callable[[], object] | None

    def index(self, path: Path, i: int, n: int) -> FileResult:
        if self.on_file:
            self.on_file(i, n, path.name)
        sha = _file_sha(path, int(self.settings.max_file_mb * 1024 * 1024))
        known = self.store.indexed_file(sha) if sha else None
        if known and Path(known[1]).name == path.name:  # these very bytes, already indexed: no work
            return FileResult(str(path), "unchanged", known[0], 0, sha256=sha)
        try:
            doc = process_file(path, self.settings, _pages(path, i, n, self.on_file, self.bar))
            if self.embedder is not None and self.store.dense is None:
                loaded, self.embedder = self.embedder(), None
                if loaded is not None:
                    self.store.attach_dense(loaded, sync=False)
            status = self.store.upsert(doc, replace=self.replace, by=self.user, file_sha256=sha)
        except ReplaceNotConfirmed as e:
            return FileResult(str(path), "unconfirmed", e.doc_id, 0, str(e), e.user_message, sha, e.summary)
        except DuplicateDocument as e:
            return FileResult(str(path), "duplicate", e.doc_id, 0, str(e), e.user_message, sha)
        except IngestError as e:
            return FileResult(str(path), "failed", "", 0, str(e), e.user_message, sha)
        if status == "alternate":
            label = doc.meta.label
            return FileResult(str(path), status, doc.meta.doc_id, 0,
                              f"{path}: another copy of {doc.meta.doc_id} ({label}); the indexed copy has the better text",
                              f"{path.name}: bản khác của {label} (đã có bản chữ tốt hơn, giữ bản đang có)", sha)
        return FileResult(str(path), status, doc.meta.doc_id, len(doc.chunks), sha256=sha)


def _file_sha(path: Path, max_bytes: int) -> str:
    """sha256 of a file's bytes ("" when it cannot be read or is over the limit: the loader then
    names the problem)."""
    digest = hashlib.sha256()
    try:
        if path.stat().st_size > max_bytes:
            return ""
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def open_store(settings: Settings, ensure_default: bool = True, progress: bool = True,
               dense: bool = True):
    """The store of `settings`, with the dense model when it loads; on first use (empty store)
    index the bundled corpus in `settings.data_dir`. `dense=False`: readers of the catalog only
    (tables, lists) skip loading the model when the store already holds documents."""
    from vectorstore.embed import load_embedder
    from vectorstore.store import Store

    if not dense:
        store = Store(settings.store, None)
        if not (ensure_default and store.is_empty()):
            return store
        store.close()
    embedder = load_embedder(settings)
    store = Store(settings.store, embedder)
    if ensure_default and store.is_empty():
        log.info("the store %s is empty: indexing the default corpus in %s (first run)",
                 settings.store, settings.data_dir)
        report = index_files(store, [settings.data_dir], settings, progress=progress, user="setup",
                             replace=True)
        for failure in report.failures:
            log.error("%s", failure.error)
        log.info("%s", report.summary())
    return store
