"""The store's source of truth: one SQLite file with documents, chunks, targets and tasks.

A document's rows change in one transaction (the commit point of an update); the Chroma
collection and the BM25 files are derived from these rows and reconciled against them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from ingest.text import fold
from ingest.types import Chunk, DocMeta, ProcessedDocument, Relation, Target, Task

from .types import Alternate, AuditEntry, Filters, StoredDocument

_META_COLS = [f.name for f in fields(DocMeta)]
_JSON_COLS = {"relations", "based_on"}  # tuples stored as JSON text
_TARGET_COLS = [f.name for f in fields(Target)]
_TASK_COLS = [f.name for f in fields(Task)]

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
  {", ".join(c + (" TEXT PRIMARY KEY" if c == "doc_id" else " TEXT") for c in _META_COLS)},
  text TEXT NOT NULL, sections TEXT NOT NULL, indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, number TEXT, section_path TEXT NOT NULL,
  ord INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
  kind TEXT, words TEXT, page INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS alternates (
  doc_id TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL, quality REAL NOT NULL,
  added_at TEXT NOT NULL, PRIMARY KEY (doc_id, source)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ord);
CREATE TABLE IF NOT EXISTS targets (
  {", ".join(f'"{c}"' for c in _TARGET_COLS)}
);
CREATE INDEX IF NOT EXISTS targets_doc ON targets(doc_id);
CREATE TABLE IF NOT EXISTS tasks (
  {", ".join(f'"{c}"' for c in _TASK_COLS)}
);
CREATE INDEX IF NOT EXISTS tasks_doc ON tasks(doc_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS audit (
  at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL,
  doc_id TEXT, file TEXT, sha256 TEXT, detail TEXT
);
"""
# Columns of `documents` beyond DocMeta: who wrote the version and the sha256 of the file's bytes
# (an unchanged file is recognised before it is processed again).
_WRITE_COLS = {"indexed_by": "TEXT DEFAULT ''", "file_sha256": "TEXT DEFAULT ''"}


class Catalog:
    """One SQLite connection per thread (WAL): a reader never sees a writer's open transaction."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added since a store was built get their defaults (old rows stay readable)."""
        for table, wanted in (("documents", {**{c: "TEXT DEFAULT ''" for c in _META_COLS}, **_WRITE_COLS}),
                              ("chunks", {"page": "INTEGER NOT NULL DEFAULT 0"})):
            have = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for column, decl in wanted.items():
                if column not in have:
                    self._db.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {decl}')

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._local.db = db
            self._connections.append(db)
        return db

    def close(self) -> None:
        for db in self._connections:
            db.close()
        self._connections.clear()
        self._local = threading.local()

    # -- state ----------------------------------------------------------------------------
    def get_state(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every committed change; derived indexes remember the one they were built at."""
        return int(self.get_state("generation", "0"))

    # -- documents ------------------------------------------------------------------------
    def find_by_sha(self, sha256: str) -> DocMeta | None:
        row = self._db.execute(f"SELECT {_COLS} FROM documents WHERE sha256=?", (sha256,)).fetchone()
        return _meta(row) if row else None

    def find_by_file_sha(self, sha256: str) -> tuple[str, str] | None:
        """(doc_id, source) of the document last indexed from a file with these bytes."""
        row = self._db.execute("SELECT doc_id, source FROM documents WHERE file_sha256=? AND file_sha256<>''",
                               (sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    def set_file_sha(self, doc_id: str, file_sha256: str) -> None:
        """Record the bytes an indexed document was (re)read from (its text unchanged)."""
        self._db.execute("UPDATE documents SET file_sha256=? WHERE doc_id=?", (file_sha256, doc_id))

    def get(self, doc_id: str) -> DocMeta | None:
        row = self._db.execute(f"SELECT {_COLS} FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return _meta(row) if row else None

    def documents(self) -> list[StoredDocument]:
        rows = self._db.execute(
            f"SELECT {','.join('d.' + chr(34) + c + chr(34) for c in _META_COLS)}, d.indexed_at, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id), d.indexed_by "
            "FROM documents d ORDER BY d.issued DESC, d.doc_id").fetchall()
        n = len(_META_COLS)
        alternates = self.alternates()
        return [StoredDocument(_meta(r[:n]), chunks=r[n + 1], indexed_at=r[n], indexed_by=r[n + 2] or "",
                               alternates=tuple(a for a in alternates if a.doc_id == r[0])) for r in rows]

    def provenance(self, doc_id: str) -> tuple[str, str]:
        """(who, when) wrote the indexed version of a document; ("", "") if unknown."""
        row = self._db.execute("SELECT indexed_by, indexed_at FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return (row[0] or "", row[1] or "") if row else ("", "")

    def file_sha256(self, doc_id: str) -> str:
        row = self._db.execute("SELECT file_sha256 FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return (row[0] or "") if row else ""

    def alternates(self, doc_id: str | None = None) -> list[Alternate]:
        """Other files of a document that were kept out (the better text is indexed)."""
        sql = "SELECT doc_id, source, sha256, quality, added_at FROM alternates"
        rows = self._db.execute(sql + (" WHERE doc_id=?" if doc_id else "") + " ORDER BY added_at",
                                (doc_id,) if doc_id else ()).fetchall()
        return [Alternate(*r) for r in rows]

    def add_alternate(self, alternate: Alternate) -> None:
        self._db.execute("INSERT OR REPLACE INTO alternates VALUES (?,?,?,?,?)",
                         (alternate.doc_id, alternate.source, alternate.sha256, alternate.quality,
                          alternate.added_at))

    def document_text(self, doc_id: str) -> tuple[str, list]:
        row = self._db.execute("SELECT text, sections FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else ("", [])

    def replace(self, doc: ProcessedDocument, by: str = "", file_sha256: str = "") -> list[str]:
        """Replace (or insert) one document's rows atomically; returns the old chunk ids.
        `by`: who writes it; `file_sha256`: of the file's bytes."""
        meta = doc.meta
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            old = [r[0] for r in cur.execute("SELECT id FROM chunks WHERE doc_id=?", (meta.doc_id,))]
            self._delete_rows(cur, meta.doc_id)
            sections = [[list(s.path), s.heading, s.kind, s.start, s.end] for s in doc.sections]
            cur.execute(
                f"INSERT INTO documents ({_COLS}, text, sections, indexed_at, indexed_by, file_sha256) "
                f"VALUES ({','.join('?' * (len(_META_COLS) + 5))})",
                _meta_row(meta) + [doc.clean.text, json.dumps(sections, ensure_ascii=False),
                                   datetime.now(timezone.utc).isoformat(timespec="seconds"), by, file_sha256])
            cur.executemany(
                'INSERT INTO chunks (id, doc_id, number, section_path, ord, start, "end", text, kind, words, page) '
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(c.id, c.doc_id, c.number, json.dumps(c.section_path, ensure_ascii=False), c.order,
                  c.start, c.end, c.text, c.kind, c.words, c.page) for c in doc.chunks])
            cur.executemany(f"INSERT INTO targets VALUES ({','.join('?' * len(_TARGET_COLS))})",
                            [[getattr(t, c) for c in _TARGET_COLS] for t in doc.targets])
            cur.executemany(f"INSERT INTO tasks VALUES ({','.join('?' * len(_TASK_COLS))})",
                            [[getattr(t, c) for c in _TASK_COLS] for t in doc.tasks])
            self._bump(cur)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return old

    def remove(self, doc_id: str) -> list[str]:
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            old = [r[0] for r in cur.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
            self._delete_rows(cur, doc_id)
            self._bump(cur)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return old

    @staticmethod
    def _delete_rows(cur: sqlite3.Cursor, doc_id: str) -> None:
        for table in ("documents", "chunks", "targets", "tasks"):
            cur.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))

    @staticmethod
    def _bump(cur: sqlite3.Cursor) -> None:
        cur.execute("INSERT INTO state VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                    "SET value = CAST(value AS INTEGER) + 1")

    # -- audit log ------------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        self._db.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?)",
                         (entry.at, entry.user, entry.action, entry.status, entry.doc_id, entry.file,
                          entry.sha256, entry.detail))

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        """The latest writes first."""
        rows = self._db.execute("SELECT * FROM audit ORDER BY rowid DESC LIMIT ?", (limit,)).fetchall()
        return [AuditEntry(*(v or "" for v in r)) for r in rows]

    # -- chunks ---------------------------------------------------------------------------
    def chunks(self, ids: list[str] | None = None, doc_id: str | None = None) -> list[Chunk]:
        sql = ('SELECT id, doc_id, number, section_path, ord, start, "end", text, kind, words, page '
               "FROM chunks")
        if ids is not None:
            rows, wanted = [], list(ids)
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                rows += self._db.execute(f"{sql} WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
            by_id = {r[0]: r for r in rows}
            rows = [by_id[i] for i in wanted if i in by_id]
        elif doc_id is not None:
            rows = self._db.execute(f"{sql} WHERE doc_id=? ORDER BY ord", (doc_id,)).fetchall()
        else:
            rows = self._db.execute(f"{sql} ORDER BY doc_id, ord").fetchall()
        return [Chunk(id=r[0], doc_id=r[1], number=r[2], section_path=tuple(json.loads(r[3])),
                      order=r[4], start=r[5], end=r[6], text=r[7], kind=r[8], words=r[9] or "", page=r[10] or 0)
                for r in rows]

    def following(self, chunk: Chunk, n: int = 1) -> list[Chunk]:
        """The next `n` chunks of the chunk's document, in order."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id=? AND ord>? ORDER BY ord LIMIT ?",
                                              (chunk.doc_id, chunk.order, n))]
        return self.chunks(ids=ids)

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    def doc_ids_matching(self, filters: Filters) -> set[str]:
        """The documents a filter admits (resolved here so every index filters the same way)."""
        docs = [s.meta for s in self.documents()]
        out = set()
        for m in docs:
            if filters.doc_ids and m.doc_id not in filters.doc_ids and m.number not in filters.doc_ids:
                continue
            if filters.issuer and fold(filters.issuer) not in fold(m.issuer + " " + m.place):
                continue
            if filters.type and fold(filters.type) != fold(m.type):
                continue
            if filters.year and not m.issued.startswith(str(filters.year)):
                continue
            out.add(m.doc_id)
        return out

    # -- targets and tasks ----------------------------------------------------------------
    def targets(self, doc_id: str | None = None) -> list[Target]:
        sql = f"SELECT {','.join(chr(34) + c + chr(34) for c in _TARGET_COLS)} FROM targets"
        rows = self._db.execute(sql + (" WHERE doc_id=?" if doc_id else ""),
                                (doc_id,) if doc_id else ()).fetchall()
        return [Target(*r) for r in rows]

    def tasks(self, doc_id: str | None = None) -> list[Task]:
        sql = f"SELECT {','.join(chr(34) + c + chr(34) for c in _TASK_COLS)} FROM tasks"
        rows = self._db.execute(sql + (" WHERE doc_id=?" if doc_id else ""),
                                (doc_id,) if doc_id else ()).fetchall()
        return [Task(*r) for r in rows]


_COLS = ",".join(f'"{c}"' for c in _META_COLS)


def _meta_row(meta: DocMeta) -> list:
    row = []
    for c in _META_COLS:
        value = getattr(meta, c)
        if c == "relations":
            value = json.dumps([[r.kind, r.target, r.start, r.end] for r in value], ensure_ascii=False)
        elif c in _JSON_COLS:
            value = json.dumps(list(value), ensure_ascii=False)
        row.append(value)
    return row


def _meta(row) -> DocMeta:
    values = {}
    for c, value in zip(_META_COLS, row):
        if c == "relations":
            value = tuple(Relation(*r) for r in json.loads(value or "[]"))
        elif c in _JSON_COLS:
            value = tuple(json.loads(value or "[]"))
        values[c] = value if value is not None else ""
    return DocMeta(**values)
