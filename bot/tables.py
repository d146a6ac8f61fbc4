"""The app's tables: the documents, and the targets and tasks extracted from them.

Each is a pandas DataFrame (what `gr.Dataframe` shows); the targets and tasks are searched
without regard to case or diacritics ("ubnd tinh") and exported as a UTF-8 CSV with BOM, so
that Excel shows Vietnamese.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from ingest.tasks import lead_agencies
from ingest.text import fold
from ingest.types import reading_label

DOC_HEADERS = ["Số hiệu", "Trích yếu", "Cơ quan ban hành", "Ngày ban hành", "Người ký", "Số đoạn", "Nạp bởi", "Ghi chú"]
TARGET_HEADERS = ["Mã", "Chỉ tiêu", "Giá trị", "Đơn vị", "Nhóm", "Mục", "Văn bản"]
TASK_HEADERS = ["Nhiệm vụ", "Cơ quan chủ trì", "Phối hợp", "Thời hạn", "Lĩnh vực", "Mục", "Văn bản"]


def documents_table(store):
    return frame(DOC_HEADERS, document_rows(store))


def targets_table(store, query: str = ""):
    """(the targets containing every word of the query, their CSV path)."""
    return _found(TARGET_HEADERS, target_rows(store), query, "chi-tieu.csv")


def tasks_table(store, query: str = ""):
    """(the tasks containing every word of the query, their CSV path). A query naming an agency
    ("uy ban nhan dan tinh") matches the agency columns only (search_tasks)."""
    rows = search_tasks(task_rows(store), query)
    return frame(TASK_HEADERS, rows), write_csv(TASK_HEADERS, rows, "nhiem-vu.csv")


def _found(headers: list[str], rows: list[list[Any]], query: str, name: str):
    rows = search_rows(rows, query)
    return frame(headers, rows), write_csv(headers, rows, name)


def frame(headers: list[str], rows: list[list[Any]]):
    import pandas as pd  # noqa: PLC0415  (slow to import; only the table views need it)

    return pd.DataFrame(rows, columns=headers)


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------
def vn_time(iso: str) -> str:
    """'2026-12-02T10:05:00+00:00' -> '02/12/2026 10:05 UTC'; anything else as it is."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})", iso or "")
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)} {m.group(4)}:{m.group(5)} UTC" if m else (iso or "")


def provenance(by: str, at: str) -> str:
    """Who wrote a document's indexed version, and when: 'tester, 02/12/2026'; the bundled
    corpus indexed on first run and the CLI's writes are named as such."""
    if by == "setup":
        by = "kho mặc định"
    elif by.startswith("cli:"):
        by = f"dòng lệnh ({by[4:]})" if by[4:] else "dòng lệnh"
    return ", ".join(x for x in (by, vn_date(at[:10])) if x)


def vn_date(iso: str) -> str:
    """'2025-12-11' -> '11/12/2025'; anything else as it is."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else (iso or "")


def document_rows(store) -> list[list[Any]]:
    return [[d.meta.number or "—", d.meta.title, d.meta.issuer, vn_date(d.meta.issued), d.meta.signer, d.chunks,
             provenance(d.indexed_by, d.indexed_at), reading_label(d.meta.reading)] for d in store.documents()]


def document_names(store) -> dict[str, str]:
    """doc_id -> how the tables name the document: its number, else its kind and title (an
    uploaded draft has no number), else its doc_id (DocMeta.label)."""
    return {d.meta.doc_id: d.meta.label for d in store.documents()}


def target_rows(store) -> list[list[str]]:
    names = document_names(store)
    return [[t.code, t.indicator, t.value, t.unit, t.group, t.section, t.number or names.get(t.doc_id, t.doc_id)]
            for t in store.targets()]


def task_rows(store) -> list[list[str]]:
    """One row per task; a task naming no agency shows the one it inherits from its document's
    implementation clause, marked ("Ủy ban nhân dân tỉnh (kế thừa từ Điều 2)")."""
    names = document_names(store)
    tasks = store.tasks()
    return [[t.task, lead.label(), t.cooperating, t.period, t.sector, short_section(t.section),
             t.number or names.get(t.doc_id, t.doc_id)] for t, lead in zip(tasks, lead_agencies(tasks))]


def short_section(section: str) -> str:
    """'Điều 1 › 3 › 3.1 › 3.1.1. Phát triển …' -> 'Điều 1 › 3 › 3.1 › 3.1.1' (the name is in Lĩnh vực)."""
    m = re.match(r"^(.*?)(\d+(?:\.\d+)*)\.? \S.*$", section.rsplit(" › ", 1)[-1])
    if not m or m.group(1):
        return section
    head = section.rsplit(" › ", 1)[0] if " › " in section else ""
    return f"{head} › {m.group(2)}" if head else m.group(2)


# ---------------------------------------------------------------------------------------------
# Search and CSV
# ---------------------------------------------------------------------------------------------
def search_rows(rows: list[list[Any]], query: str) -> list[list[Any]]:
    """Rows containing every word of the query, ignoring case and diacritics ("ubnd tinh")."""
    words = fold(query or "").split()
    if not words:
        return rows
    return [r for r in rows if _contains(r, words)]


def _contains(cells: list[Any], words: list[str]) -> bool:
    text = fold(" ".join(str(c) for c in cells))
    return all(w in text for w in words)


# How an agency's name begins (folded). A query beginning with one of these names an agency; of
# the one-syllable ones ("so" is also "số") only when some agency matches it.
AGENCY_HEADS = ("uy ban", "ubnd", "hoi dong", "hdnd", "thuong truc", "chu tich", "pho chu tich", "cong an",
                "bo chi huy", "kho bac", "mat tran", "tinh uy", "bao hiem xa hoi", "lien doan", "chinh phu",
                "thu tuong", "toa an", "vien kiem sat", "ban quan ly", "ban chi dao", "chi cuc", "van phong",
                "ngan hang", "thanh tra", "trung tam", "hai quan", "cac so", "cac ban", "cac bo", "co quan")
AGENCY_NOUNS = ("so", "ban", "bo", "cuc", "doan", "hoi")
TASK_AGENCY_COLUMNS = (1, 2)  # Cơ quan chủ trì, Phối hợp of task_rows


def search_tasks(rows: list[list[Any]], query: str) -> list[list[Any]]:
    """search_rows, but a query naming an agency ("so tai chinh", "uy ban nhan dan tinh") is
    matched against the agency columns only: a task that merely mentions the agency in its text,
    or names no agency at all, is not one of that agency's tasks."""
    words = fold(query or "").split()
    folded = " ".join(words)
    head = next((h for h in AGENCY_HEADS if folded == h or folded.startswith(h + " ")), None)
    noun = len(words) > 1 and words[0] in AGENCY_NOUNS
    if head is None and not noun:
        return search_rows(rows, query)
    found = [r for r in rows if _contains([r[i] for i in TASK_AGENCY_COLUMNS], words)]
    return found if found or head is not None else search_rows(rows, query)


def _cell(value: Any) -> Any:
    """Document text as text in a spreadsheet: a cell starting with = + - @ (or a tab or carriage
    return) would run as a formula when the CSV is opened in Excel, so it gets a leading apostrophe
    (OWASP's CSV-injection guard). Numbers stay numbers; "-" alone (an empty cell's mark) stays."""
    if isinstance(value, str) and len(value) > 1 and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def write_csv(headers: list[str], rows: list[list[Any]], name: str) -> str:
    """A UTF-8 CSV with BOM (Excel shows Vietnamese), at a content-addressed temp path."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    data = buf.getvalue()
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "vnqa-csv" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        # A private temp name per writer: two sessions exporting at once never collide.
        with tempfile.NamedTemporaryFile("w", encoding="utf-8-sig", newline="", dir=folder,
                                         suffix=".part", delete=False) as fh:
            fh.write(data)
        Path(fh.name).replace(path)
    return str(path)
