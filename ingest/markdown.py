"""Markdown web copies -> plain text lines and tables (the .md loader).

Web portals' markdown comes in two table syntaxes: ordinary pipe rows ("| a | b |") and the
one-pipe-per-line form of HTML-to-markdown converters, where a line "|" separates cells and two
or more in a row separate rows (each extra one an empty leading cell):

    |            <- row 1        |            <- row 2 starts
    **STT**      <- cell 1       |            <- one empty leading cell ...
    |                            - Ủy viên    <- ... so this is cell 2 of row 2
    **Nội dung** <- cell 2       |

The table ends where a row already holds as many cells as the first row and text follows a
single "|", or at a blank line not followed by "|". Tables are rendered by `ingest.tables`.

Emphasis: a line that opens "**"/"*" without closing it continues on the next lines (converters
wrap inside bold headings); a line that is emphasised as a whole (a heading, an italic "Căn cứ …")
ends its paragraph. Markers are removed ("(*)" stays), "#" headings lose their hashes, links
keep their text.
"""

from __future__ import annotations

import re

from .tables import Table, dominant_width, header_of, render

_INLINE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")
_STARS = re.compile(r"(?<!\()\*+(?!\))")
MAX_EMPHASIS_LINES = 12  # an unclosed marker spans at most this many lines


def to_text(md: str) -> tuple[str, tuple[Table, ...]]:
    """Plain text (tables rendered as tagged lines) and the tables themselves."""
    lines = md.split("\n")
    out: list[str] = []
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "|":
            found, i = _lone_pipe_tables(lines, i)
        elif _INLINE_ROW.match(line) and line.count("|") >= 3:
            table, i = _inline_table(lines, i)
            found = [table]
        else:
            out.append(line)
            i += 1
            continue
        for table in found:
            if table:
                table = _continued(table, tables)
                out.append("")
                out.extend(render(table, len(tables)))
                out.append("")
                tables.append(table)
    return "\n".join(_emphasis(out)), tuple(tables)


def _continued(table: Table, before: list[Table]) -> Table:
    """A table without a header of its own, as wide as the table before it, continues that one
    (converters break a table at a spanning row): it gets that table's header row."""
    if not before or header_of(list(table))[0]:
        return table
    previous = before[-1]
    header, _ = header_of(list(previous))
    if header and len(header) == dominant_width(list(table)) == dominant_width(list(previous)):
        return (tuple(header),) + table
    return table


def _inline_table(lines: list[str], i: int) -> tuple[Table, int]:
    rows = []
    while i < len(lines) and _INLINE_ROW.match(lines[i]):
        if not _RULE_ROW.match(lines[i]):
            rows.append(tuple(_cell([c]) for c in lines[i].strip().strip("|").split("|")))
        i += 1
    return tuple(rows), i


def _lone_pipe_tables(lines: list[str], i: int) -> tuple[list[Table], int]:
    """The table(s) of the one-pipe-per-line form starting at line i, and the index after them.

    Converters run adjacent tables together; they are split again where a portal's metadata
    box ("Key:" cells) starts and ends, and where a letterhead starts (the issuer cell before
    "Cộng hòa xã hội …").
    """
    tokens, end = _tokens(lines, i)
    groups: list[list] = []
    cur: list[tuple[int, str, int, int]] = []
    base = 0  # the row number where the current group starts
    k = 0
    while k < len(tokens):
        text = tokens[k][1]
        if _KEY.match(text.split("\n")[-1]) and k + 1 < len(tokens):
            head, _, key = text.rpartition("\n")
            if head:
                cur.append((tokens[k][0], head, tokens[k][2], tokens[k][3]))
            if cur:
                groups.append(cur)
            j, pairs = k, []
            while j + 1 < len(tokens) and _KEY.match(tokens[j][1].split("\n")[-1]):
                pairs.append(("kv", tokens[j][1].split("\n")[-1], tokens[j + 1][1]))
                j += 2
            groups.append(pairs)
            cur, k = [], j
            continue
        if _QUOC_HIEU.search(text) and len(cur) > 1:
            groups.append(cur[:-1])
            cur = [(0, cur[-1][1], cur[-1][2], 0)]
            cur.append((0, text, tokens[k][2], 1))
            base = tokens[k][0]
        elif not cur:
            cur, base = [(0, text, tokens[k][2], tokens[k][3])], tokens[k][0]
        else:
            cur.append((tokens[k][0] - base, text, tokens[k][2], tokens[k][3]))
        k += 1
    if cur:
        groups.append(cur)
    tables = []
    for group in groups:
        if group and group[0][0] == "kv":
            tables.append(tuple((key, value) for _, key, value in group))
        else:
            tables.append(_rows(group))
    return tables, end


_KEY = re.compile(r"^[^\d:|]{2,40}:$")
_QUOC_HIEU = re.compile(r"CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI", re.I)
_LAYOUT_END = re.compile(r"CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI|^Nơi nhận|^(?:TM|KT|TL|TUQ)\.\s", re.I)


def _tokens(lines: list[str], i: int) -> tuple[list[tuple[int, str, int, int]], int]:
    """(row, cell text, first line index, column) of each cell, and the index after the table.

    One "|" moves to the next column. Two or more start a new row, with one leading empty cell
    per extra "|" - unless the row is not yet as wide as the widest so far and the text does not
    look like a row's label ("a", "1", "II", "-"): then the extra ones were empty cells of this
    row ("Nhóm 1: … | | 01 lần/năm").
    The table ends at text after a single "|" that does not read like a cell: a run of more
    lines than any cell holds; once a letterhead or signature row holds two cells; once a row
    holds as many cells as the widest and the text is a wholly emphasised heading or longer
    than a cell.
    """
    tokens: list[tuple[int, str, int, int]] = []
    cell: list[str] = []
    cell_at = i
    width = row = col = 0
    layout = False  # a letterhead or signature cell was seen: rows of at most 2 cells
    pipes = 0
    header = 0  # cells of the first row when it names columns
    n = len(lines)

    def close():
        nonlocal cell, layout, header
        if cell:
            tokens.append((row, _cell(cell), cell_at, col))
            layout = layout or bool(_LAYOUT_END.search(tokens[-1][1]))
        cell = []

    while i < n:
        stripped = lines[i].strip()
        if stripped == "|":
            close()
            pipes += 1
            i += 1
            continue
        if not stripped:
            j = i
            while j < n and not lines[j].strip():
                j += 1
            if j < n and lines[j].strip() == "|" and (cell or pipes):
                i = j
                continue
            break
        if (tokens or cell) and _STRUCTURAL.match(stripped):
            break  # "**PHỤ LỤC II**" after the last row, however many "|" (or none) before it
        if pipes:
            if tokens or cell:
                if pipes == 1:
                    run = _run(lines, i)
                    cells = col + 1
                    if run >= LONG_RUN or layout and cells >= 2 or (
                            width and cells >= width and (run >= MAX_CELL_LINES or _heading(lines[i]))):
                        break
                    col += 1
                else:
                    new_row, at = _next_cell(stripped, col, pipes, header or width)
                    if new_row:
                        if row == 0 and col >= 1 and all(t[0] == 0 and not _NUMBERS.match(t[1]) for t in tokens):
                            header = col + 1
                        width = max(width, col + 1)  # the widest completed row
                        row, col = row + 1, at
                    else:
                        col = at
            else:
                col = max(pipes - 1, 0)
            pipes, cell_at = 0, i
        cell.append(lines[i])
        i += 1
    close()
    return tokens, i


_LABEL = re.compile(r"^(?:[IVXLC]{1,6}|[A-ZĐ]|[a-zđ]|\d{1,3}(?:\.\d{1,3})*|[-–+•])[.)]?$")


# A wholly bold structural heading after a table always starts the text again.
_STRUCTURAL = re.compile(r"^\*\*\s*(?:PHỤ LỤC|Phụ lục|Điều \d+|Chương [IVXLC\d]+|CHƯƠNG|Mục \d+|MỤC|PHẦN)\b.*\*\*$")
_NUMBERS = re.compile(r"^[\d\s.,%/()+-]+$")
_ROW_START = re.compile(r"^(?:[-–+•]\s|[a-zđ]\)\s|\d{1,2}\.\s)")


def _next_cell(text: str, col: int, pipes: int, width: int) -> tuple[bool, int]:
    """(new row?, column) of the cell after `pipes` (>= 2) separators from column `col`.

    In a row of `width` cells, k empty cells cost k more separators; closing a row and opening
    the next costs (width - col) + 1. Converters drop the separators of merged cells, so the
    text decides where the counts cannot: a row label or list item starts a row, a short value
    continues one.
    """
    same_ok = bool(width) and col + pipes < width
    next_at = pipes - width + col - 1 if width else pipes - 2
    bare = text.strip("* ")
    if _LABEL.match(bare) or _ROW_START.match(bare) or not same_ok:
        return True, next_at if next_at >= 0 else (0 if _LABEL.match(bare) else max(pipes - 2, 0))
    if _value_like(bare) or next_at < 0:
        return False, col + pipes
    return True, next_at


def _value_like(text: str) -> bool:
    """A cell's value rather than a new row's first cell: short, no list marker or label."""
    text = text.strip("* ")
    return len(text) <= 30 and not _LABEL.match(text) and not re.match(r"^[-–+•]\s|^[a-zđ]\)|^\d+\.\s", text)


def _heading(line: str) -> bool:
    """A wholly bold line of words (not a bold number or total in a cell)."""
    line = line.strip()
    return (len(line) > 4 and line.startswith("**") and line.endswith("**")
            and len(re.findall(r"[^\W\d_]{2,}", line)) >= 2)


def _run(lines: list[str], i: int) -> int:
    """Lines from i before the next "|" or blank line (at most LONG_RUN)."""
    run = 0
    while i < len(lines) and lines[i].strip() not in ("|", "") and run < LONG_RUN:
        run += 1
        i += 1
    return run


MAX_CELL_LINES = 8  # a table's text after the last row has at least this many lines ...
LONG_RUN = 24  # ... and no cell has this many


def _rows(tokens: list[tuple[int, str, int, int]]) -> Table:
    rows: dict[int, dict[int, str]] = {}
    for r, text, _, c in tokens:
        rows.setdefault(r, {})[c] = text
    out = []
    for r in sorted(rows):
        cells = rows[r]
        out.append(tuple(cells.get(c, "") for c in range(max(cells) + 1)))
    return tuple(row for row in out if any(row))


def _cell(lines: list[str]) -> str:
    """A cell's lines: emphasis and rules dropped, wrapped lines joined; a rule, a "#" line or a
    wholly bold line ends a paragraph."""
    parts, cur = [], []
    for line in lines:
        text = _plain(line).strip().lstrip("#").strip()
        alone = _heading(line) or line.strip().startswith("#")
        if re.fullmatch(r"[-_=.*]{3,}", text) or alone:
            if cur:
                parts.append(" ".join(cur))
            cur = []
            if alone and text:
                parts.append(text)
        elif text:
            cur.append(text)
    if cur:
        parts.append(" ".join(cur))
    return "\n".join(parts)


def _plain(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) or "", text)
    return _STARS.sub("", text)


def _emphasis(lines: list[str]) -> list[str]:
    """Join lines inside open emphasis; a wholly emphasised line becomes its own paragraph."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("\ue001"):  # a rendered table line
            out.append(line)
            i += 1
            continue
        if re.match(r"^\s*\*\s+\S", line):  # a "* item" bullet
            line = re.sub(r"^\s*\*\s+", "- ", line)
        group = [line]
        bold, ital = _toggles(line)
        while (bold or ital) and i + 1 < len(lines) and len(group) < MAX_EMPHASIS_LINES \
                and lines[i + 1].strip() and not lines[i + 1].startswith("\ue001"):
            i += 1
            group.append(lines[i])
            b, t = _toggles(lines[i])
            bold, ital = bold ^ b, ital ^ t
        i += 1
        joined = _join_wrapped(group)
        whole = joined.strip()
        heading = whole.startswith("#")
        if heading:
            whole = whole.lstrip("#").strip()
        emphasised = len(whole) > 2 and whole[0] == "*" and whole.rstrip()[-1] == "*"
        text = _plain(whole if heading else joined).strip()
        if heading and not text:
            out.append("")  # a bare "#": a paragraph break
            continue
        out.append(text)
        if (emphasised or heading) and text:
            out.append("")
    return out


def _toggles(line: str) -> tuple[bool, bool]:
    body = re.sub(r"^\s*\*\s+", "", line)
    body = body.replace("(*)", "").replace("(**)", "")
    bold = body.count("**")
    ital = body.count("*") - 2 * bold
    return bool(bold % 2), bool(ital % 2)


def _join_wrapped(group: list[str]) -> str:
    """Lines wrapped inside one emphasis span, joined by spaces."""
    return " ".join([group[0].rstrip()] + [line.strip() for line in group[1:]])
