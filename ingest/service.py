"""Ingest files into a store; open the store the settings describe (building it on first use).

Used by the CLI (`python -m ingest`), the bot CLI, the app and the eval runner.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DuplicateDocument, IngestError
from .pipeline import find_files, process_file
from .settings import Settings

log = logging.getLogger("vnqa")


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # added | updated | unchanged | alternate | duplicate | failed
    doc_id: str = ""
    chunks: int = 0
    error: str = ""  # English, for logs and stderr
    user_error: str = ""  # Vietnamese, for the UI


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

    def summary(self) -> str:
        counts = {s: sum(r.status == s for r in self.results)
                  for s in ("added", "updated", "unchanged", "alternate", "duplicate", "failed")}
        done = counts["added"] + counts["updated"]
        return (f"{done} documents indexed ({counts['added']} new, {counts['updated']} updated), "
                f"{counts['unchanged']} unchanged, {counts['alternate']} other copies of indexed documents, "
                f"{counts['duplicate']} duplicates, {counts['failed']} failed; {self.chunks} chunks; "
                f"{self.seconds:.1f} s")


def index_files(store, paths: list[str | Path], settings: Settings, progress: bool = True,
                on_file: Callable[[int, int, str], None] | None = None) -> IngestReport:
    """Ingest every file (folders recurse). A bad file is reported; the others go on."""
    from tqdm import tqdm

    started = time.perf_counter()
    files = find_files(paths)
    results: list[FileResult] = []
    with store.bulk():
        for i, path in enumerate(tqdm(files, desc="Lập chỉ mục", unit="tệp", disable=not progress)):
            results.append(_index_one(store, path, settings, i, len(files), on_file, progress))
    return IngestReport(tuple(results), time.perf_counter() - started)


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


def _index_one(store, path: Path, settings: Settings, i: int, n: int, on_file, bar: bool = False) -> FileResult:
    if on_file:
        on_file(i, n, path.name)
    try:
        doc = process_file(path, settings, _pages(path, i, n, on_file, bar))
        status = store.upsert(doc)
        if status == "alternate":
            label = doc.meta.label
            return FileResult(str(path), status, doc.meta.doc_id, 0,
                              f"{path}: another copy of {doc.meta.doc_id} ({label}); the indexed copy has the better text",
                              f"{path.name}: bản khác của {label} (đã có bản chữ tốt hơn, giữ bản đang có)")
        return FileResult(str(path), status, doc.meta.doc_id, len(doc.chunks))
    except DuplicateDocument as e:
        return FileResult(str(path), "duplicate", e.doc_id, 0, str(e), e.user_message)
    except IngestError as e:
        return FileResult(str(path), "failed", "", 0, str(e), e.user_message)


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
        log.warning("the store %s is empty: indexing the default corpus in %s (first run)",
                    settings.store, settings.data_dir)
        report = index_files(store, [settings.data_dir], settings, progress=progress)
        for failure in report.failures:
            log.error("%s", failure.error)
        log.warning("%s", report.summary())
    return store
