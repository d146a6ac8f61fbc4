"""Columns in plain text: a letterhead or signature block printed side by side.

Text that keeps the printed layout (`pdftotext -layout`, many OCR tools, .txt copies on portals)
puts the issuer beside the national motto ("HỘI ĐỒNG NHÂN DÂN      CỘNG HÒA XÃ HỘI …", "Số: …
Hà Nội, ngày …") and the "Nơi nhận" list beside the signature (TM./KT. + title + name). Read line
by line, each line mixes the two blocks, and the issuer and the signer are lost.

A zone is decided from the document's own lines, as the OCR path does with word boxes: a line
whose words fall into two segments separated by GAP or more spaces starts one; the lines around
it that keep clear of the same gutter (one column's text, or both) belong to it. A zone becomes a
layout table (rows split at the rule lines "-------" under the letterhead's blocks) when it has
two or more two-column lines and one of its cells reads as a letterhead or signature cell
(`ingest.tables.LAYOUT_CELL`); `ingest.tables.render` turns it into the same cell lines a Word
letterhead table gives. Justified body text, whose lines cross any gutter, is left alone.
Columns separated by tabs (a Word table copied as text) are aligned first: a tab stands for the gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import PAGE_BREAK
from .tables import LAYOUT_CELL, is_layout, render
from .types import Table

GAP = 3  # spaces between two columns ("Số: 12/QĐ-UBND   Hà Nội, ngày …"); words have one or two
CENTRE_SLACK = 3  # columns a centred line of the right block may be off its centre
MAX_BLANKS = 4  # blank lines inside a zone (the signature's space above the name)
MAX_LINES = 60  # lines of one zone (a long "Nơi nhận" list beside the signature)
_SEGMENT = re.compile(r"\S+(?: {1,%d}\S+)*" % (GAP - 1))
_TABS = re.compile(r"\s*\t[\t ]*")
_RULE = re.compile(r"^[-_=─–—.*\s]+$")


@dataclass
class _Zone:
    g0: int  # the gutter: no text of the zone between columns g0 and g1
    g1: int
    right: int  # where the right column's text starts, at the leftmost
    rows: list  # [left, right] per line
    centres: list  # the middle of each right-column line
    pairs: int = 0  # lines with text in both columns

    def in_right(self, start: int, end: int) -> bool:
        """A line of the right column: clear of the left one, flush with the column or centred in it."""
        centre = sorted(self.centres)[len(self.centres) // 2]
        return start >= self.g0 and (start >= self.right - 2 or abs((start + end) / 2 - centre) <= CENTRE_SLACK)


def split_columns(text: str, first_table: int = 0) -> tuple[str, tuple[Table, ...]]:
    """`text` with its side-by-side letterhead and signature zones replaced by the tagged cell
    lines of layout tables (numbered from `first_table`), and those tables."""
    tables: list[Table] = []
    pages = []
    for page in text.split(PAGE_BREAK):
        lines = _untab(page.split("\n"))
        out: list[str] = []
        i = 0
        while i < len(lines):
            found = _zone_at(lines, i)
            if not isinstance(found, tuple):  # no zone; a run of two-column lines that is none is skipped
                out.extend(lines[i:found])
                i = found
                continue
            start, end, table = found
            del out[len(out) - (i - start):]  # lines taken in above the first two-column line
            out.extend(render(table, first_table + len(tables)))
            tables.append(table)
            i = end
        pages.append("\n".join(out))
    return PAGE_BREAK.join(pages), tuple(tables)


def _segments(line: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _SEGMENT.finditer(line.expandtabs(8))]


def _untab(lines: list[str]) -> list[str]:
    """Lines whose two parts a tab separates ("Số: 12/QĐ-UBND\tHà Nội, ngày …", "\tCHỦ TỊCH"), the
    right part aligned GAP spaces after the longest left part; other lines as they are."""
    parts = {i: [p.strip() for p in _TABS.split(line.strip(" "))] for i, line in enumerate(lines)
             if "\t" in line.rstrip()}
    parts = {i: p for i, p in parts.items() if len(p) == 2 and p[1]}
    pairs = [p for p in parts.values() if p[0]]
    if not pairs:  # tabs that indent paragraphs only
        return lines
    longest = max(len(p[1]) for p in pairs)  # a tab-indented paragraph is no right-column line
    parts = {i: p for i, p in parts.items() if p[0] or len(p[1]) <= longest}
    width = max(len(p[0]) for p in pairs) + GAP
    return [parts[i][0].ljust(width) + parts[i][1] if i in parts else line for i, line in enumerate(lines)]


def _zone_at(lines: list[str], i: int) -> tuple[int, int, Table] | int:
    """(first line, line after the zone, its table) when a layout zone's first two-column line is
    line i, else the line to go on from."""
    segs = _segments(lines[i])
    if len(segs) != 2 or segs[1][0] - segs[0][1] < GAP:
        return i + 1
    zone = _Zone(segs[0][1], segs[1][0], segs[1][0], [[segs[0][2], segs[1][2]]], [(segs[1][0] + segs[1][1]) / 2], 1)
    j, blanks = i + 1, 0
    while j < len(lines) and blanks <= MAX_BLANKS and j - i < MAX_LINES:
        segs = _segments(lines[j])
        if not segs:
            blanks += 1
            zone.rows.append(["", ""])
        elif _take(zone, segs, after_blank=blanks > 0):
            blanks = 0
        else:
            break
        j += 1
    while j > i + 1 and not lines[j - 1].strip():
        j -= 1
    del zone.rows[j - i:]
    start = i
    while start > 0 and lines[start - 1].strip():  # a block's first line above the others
        segs = _segments(lines[start - 1])
        if len(segs) != 1 or not zone.in_right(segs[0][0], segs[0][1]):
            break
        zone.rows.insert(0, ["", segs[0][2]])
        start -= 1
    table = _table(zone.rows)
    if zone.pairs < 2 or not is_layout(list(table)) or not any(LAYOUT_CELL.search(p) for row in zone.rows for p in row):
        return j
    return start, j, table


def _take(zone: _Zone, segs: list[tuple[int, int, str]], after_blank: bool) -> bool:
    """Add a line to the zone if it keeps clear of the gutter: both columns, the left one (right
    after another line of the zone), or the right one (starting where that column does)."""
    if len(segs) == 2:
        g0, g1 = max(zone.g0, segs[0][1]), min(zone.g1, segs[1][0])
        if g1 - g0 < 1:
            return False
        zone.g0, zone.g1, zone.right = g0, g1, min(zone.right, segs[1][0])
        zone.centres.append((segs[1][0] + segs[1][1]) / 2)
        zone.rows.append([segs[0][2], segs[1][2]])
        zone.pairs += 1
        return True
    if len(segs) != 1:
        return False
    start, end, text = segs[0]
    if start < zone.g0 and end <= zone.g1 and not after_blank:
        zone.g0 = max(zone.g0, end)
        zone.rows.append([text, ""])
        return zone.g1 > zone.g0
    if zone.in_right(start, end):
        zone.g1 = min(zone.g1, start)
        zone.centres.append((start + end) / 2)
        zone.rows.append(["", text])
        return zone.g1 > zone.g0
    return False


def _table(rows: list[list[str]]) -> Table:
    """One table row per block: rows end at a line of rules ("-------   ---------------"), whose
    rules are dropped; a cell's lines stay lines."""
    out, left, right = [], [], []
    for a, b in rows:
        if (a or b) and all(not p or _RULE.match(p) for p in (a, b)):
            if left or right:
                out.append(("\n".join(left), "\n".join(right)))
            left, right = [], []
            continue
        left += [a] if a and not _RULE.match(a) else []
        right += [b] if b and not _RULE.match(b) else []
    if left or right:
        out.append(("\n".join(left), "\n".join(right)))
    return tuple(out)
