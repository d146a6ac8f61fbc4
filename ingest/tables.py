"""Tables as text: every loader (docx, html, markdown) renders its tables here, one way.

- A layout table (the two-column letterhead "issuer | Cộng hòa …", the signature block
  "Nơi nhận | TM. …", a web portal's key/value metadata box) becomes its cells' paragraphs,
  one line each, so the header and signature parsers read them like any other document's.
- A data table becomes one line per row carrying its column headers:
  "Nhiệm vụ: …; Chủ trì: Sở Tư pháp; Phối hợp: …; Thời gian: 2026 - 2030". A row that only names
  a group ("I | Hoàn thiện thể chế") becomes a heading line ("I. Hoàn thiện thể chế").

Each rendered line is tagged (`tag`) so that the clean stage knows which table and row it is:
"t.r" for data row r of table t, "t.h" for a data table's header and group lines, "t.l" for the
lines of a layout or key/value table (ordinary text to the structure parser).
"""

from __future__ import annotations

import re

from .layout import HARD, HARD_END

Row = tuple[str, ...]
Table = tuple[Row, ...]

# Cells of the letterhead and the signature block.
LAYOUT_CELL = re.compile(
    r"CỘNG H[ÒO]A XÃ HỘI|^Độc lập\s*[-–]\s*Tự do|^Số\s*:|^[^,]{2,30}, ngày\s+\S*\s*tháng|"
    r"^Nơi nhận|^(?:TM|KT|TL|TUQ|Q)\.\s|^Kính gửi")
_KEY_CELL = re.compile(r"^[^\d:|]{2,40}:$")  # "Số hiệu:", "Loại văn bản:"
_NUMERIC = re.compile(r"^[\d\s.,%/()+-]+$")
_GROUP_LABEL = re.compile(r"^(?:[IVXLC]{1,6}|[A-ZĐ]|\d{1,2})\.?$")
MAX_HEADER_CELL = 80


HEADER, LAYOUT = "h", "l"  # the row part of the tags of lines that are no data row


def tagged(line: str, table: int, row: int | str) -> str:
    """A rendered line with its loader mark: HARD + 't.r' + HARD_END + text."""
    return f"{HARD}{table}.{row}{HARD_END}{line}"


def render(table: Table, index: int) -> list[str]:
    """The tagged lines of one table (see the module doc)."""
    rows = [tuple(_squash(c) for c in row) for row in table]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    if is_layout(rows):
        return [tagged(part, index, LAYOUT) for row in rows for cell in row for part in _caps_runs(cell)]
    if is_key_value(rows):
        return [tagged(f"{row[i].rstrip(':').strip()}: {row[i + 1]}", index, LAYOUT)
                for row in rows for i in range(0, len(row) - 1, 2) if row[i] and row[i + 1]]
    if is_two_column_key_value(rows):
        head = [tagged(" | ".join(rows[0]), index, LAYOUT)] if not re.search(r"\d", rows[0][1]) else []
        body = rows[1:] if head else rows
        return head + [tagged(f"{k}: {v}".replace("\n", " "), index, LAYOUT) for k, v in body if k and v]
    out = []
    for r, row, header, is_header in data_rows(rows):
        if is_header:
            out.append(tagged(" | ".join(c.replace("\n", " ") for c in row if c), index, HEADER))
            continue
        line = row_text(header, row)
        if line is None:  # a group row: a heading of its own
            filled = [" ".join(c.split()) for c in row if c]
            label = filled[0].rstrip(".")
            text = (f"{label}. " + " ".join(filled[1:])) if len(filled) > 1 and _GROUP_LABEL.match(filled[0]) \
                else " ".join(filled)
            out.append(tagged(text, index, HEADER))
        elif line:
            out.append(tagged(line, index, r))
    return out


def is_layout(rows: list[Row]) -> bool:
    """A letterhead or signature block: few rows, a cell with its typical words."""
    cells = [c for row in rows for c in row if c]
    return len(rows) <= 4 and max(len(r) for r in rows) <= 6 and any(
        LAYOUT_CELL.search(part.strip()) for c in cells for part in c.split("\n"))


def is_key_value(rows: list[Row]) -> bool:
    """A portal's metadata box: cells alternate "Key:" and value."""
    keys = [row[i] for row in rows for i in range(0, len(row), 2) if row[i]]
    return len(keys) >= 3 and sum(bool(_KEY_CELL.match(k)) for k in keys) >= 0.8 * len(keys)


def is_two_column_key_value(rows: list[Row]) -> bool:
    """Two columns of "Số hiệu | 70/NQ-HĐND" rows: short labels without figures on the left."""
    if len(rows) < 3 or any(len(r) != 2 for r in rows):
        return False
    keys = [k for k, _ in rows[1:]]
    return all(k and len(k) <= 40 and not re.search(r"\d", k) for k in keys) and len(set(keys)) == len(keys) \
        and sum(1 for _, v in rows[1:] if re.search(r"\d", v)) >= 2


def _caps_runs(cell: str) -> list[str]:
    """A cell's paragraphs; an all-caps fragment broken off its line ("HỘI ĐỒNG NHÂN" + "DÂN")
    is joined back, a new unit ("TỈNH LÂM ĐỒNG" under "ỦY BAN NHÂN DÂN") stays a line."""
    out: list[str] = []
    for part in (p.strip() for p in cell.split("\n")):
        if not part:
            continue
        if out and out[-1].isupper() and part.isupper() and len(part.split()) <= 2 and not _UNIT_START.match(part):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


_UNIT_START = re.compile(r"^(TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG|QUẬN|THỊ XÃ|ĐẶC KHU|SỐ|SỞ|BỘ|BAN)\b")


def data_rows(table: Table) -> list[tuple[int, Row, Row, bool]]:
    """(index, row, the header it sits under, whether it is a header itself) of a data table's
    non-empty rows. Rows are put on the table's dominant width first (converters shift a row by
    empty leading cells); a header row repeated further down (after a page break, or for a new
    part of the table) heads the rows below it."""
    rows = [tuple(_squash(c) for c in row) for row in table]
    width = dominant_width(rows)
    header, body_at = header_of([r for r in rows if any(r)])
    out = []
    seen_header = False
    for i, row in enumerate(rows):
        if not any(row):
            continue
        if width and len(row) > width and not any(row[:len(row) - width]):
            row = row[len(row) - width:]
        if not seen_header and header and row == tuple(header[:len(row)]) and body_at == 1:
            seen_header = True
            out.append((i, row, header, True))
            continue
        if header and len(row) == len(header) and _looks_header(row) and _named_like(row, header):
            header = row
            out.append((i, row, header, True))
            continue
        out.append((i, row, header, False))
    return out


def dominant_width(rows: list[Row]) -> int:
    """The most common length of the rows that fill at least three cells."""
    from collections import Counter

    counts = Counter(len(r) for r in rows if sum(1 for c in r if c) >= 3)
    return counts.most_common(1)[0][0] if counts else 0


def _named_like(row: Row, header: Row) -> bool:
    """A row that names columns as the header does (most cells share a word with its labels)."""
    words = lambda c: set(c.lower().split())  # noqa: E731
    same = sum(1 for a, b in zip(row, header) if a and b and words(a) & words(b))
    return same >= max(2, len([c for c in row if c]) // 2)


def header_of(rows: list[Row]) -> tuple[Row, int]:
    """The column labels and the index of the first body row. A header row names its columns:
    two or more short, non-numeric cells. A second such row under a first one with merged
    (empty) cells refines it ("Năm 2026" over "Dự toán" -> "Năm 2026 - Dự toán")."""
    first = rows[0]
    if not _looks_header(first):
        return (), 0
    header, at = list(first), 1
    if len(rows) > 2 and _looks_header(rows[1]) and "" in first and len(rows[1]) >= len(first):
        carried, merged = "", []
        for i, cell in enumerate(rows[1]):
            top = first[i] if i < len(first) else ""
            carried = top or carried
            merged.append(f"{carried} - {cell}" if carried and cell and top != cell else (cell or top))
        header, at = merged, 2
    return tuple(header), at


def _looks_header(row: Row) -> bool:
    filled = [c for c in row if c]
    return (len(filled) >= 2 and all(len(c) <= MAX_HEADER_CELL and not _NUMERIC.match(c) for c in filled)
            and sum(1 for c in filled if re.search(r"\d{3,}", c)) <= len(filled) // 3)


def row_text(header: Row, row: Row) -> str | None:
    """'Label: cell; Label: cell' when the row has the header's columns, else 'cell | cell' (a
    row with merged or missing cells cannot be aligned to its labels); None for a group row
    (its number and a title under a wider header)."""
    filled = [(i, " ".join(c.split())) for i, c in enumerate(row) if c]
    if not filled:
        return ""
    if header and len(header) >= 3 and len(filled) <= 2 and (
            len(filled) == 1 or _GROUP_LABEL.match(filled[0][1])) and not any(
            _NUMERIC.match(c) for _, c in filled[1:]):
        return None
    if len(row) != len(header):
        return " | ".join(c for _, c in filled)
    parts = []
    for i, cell in filled:
        label = header[i].replace("\n", " ")
        if label.strip().lower() in ("stt", "tt", "số tt", "số thứ tự"):
            parts.append(cell)
        else:
            parts.append(f"{label}: {cell}" if label and label != cell else cell)
    if len(parts) > 1 and re.fullmatch(r"[\dIVXLCa-zđ.]{1,8}", parts[0]):  # "1.1. Nhiệm vụ: …"
        return f"{parts[0].rstrip('.')}. " + "; ".join(parts[1:])
    return "; ".join(parts)


def _squash(cell: str) -> str:
    """Whitespace inside a cell's paragraphs collapsed; paragraphs kept apart by newlines."""
    parts = [" ".join(p.split()) for p in (cell or "").split("\n")]
    return "\n".join(p for p in parts if p and not re.fullmatch(r"[-_=.*]{3,}", p))
