"""Paragraph reconstruction for text that comes with layout line breaks (PDF text layers, layout
.txt, web copies wrapped at a width, later OCR output).

`reconstruct(text)` returns one `Line` per paragraph, heading, list item or table row, each with
its PDF page. Pages are separated by form feeds ("\\f") in the loaders' text.

1. Page furniture goes first: page numbers and running headers/footers (the same line at the top
   or bottom of many pages), then footnotes (a page's bottom lines "2 Trước sáp nhập …" whose
   number is glued to a word above, "… trên địa bàn tỉnh2."): the markers are dropped and the
   notes move to the end of the document, so a paragraph flows across pages.
2. Whether and how to join lines is decided per document from its own line statistics, never
   from the file format:
   - `none`: lines already are paragraphs (a line rarely runs on into a lowercase next line);
   - `blocks`: paragraphs are separated by blank lines, lines inside a block are wrapped;
   - `fixed`: wrapped at a fixed width (the median length of lines that run on): a line shorter
     than the width ends its paragraph;
   - `loose`: wrapped at varying widths: a line runs on unless it ends a sentence.
   In every mode a line that starts a list item or heading ("1.", "a)", "-", "+", "Điều 3.",
   "II.", "Căn cứ …") starts a new paragraph, and loader-marked table rows (`HARD`) are kept.
3. De-hyphenation: "KT-" + "XH" -> "KT-XH"; "kinh tế -" + "xã hội" -> "kinh tế - xã hội".
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

# Loaders prefix table rows and layout cells with HARD + tag + HARD_END ("\ue0013.7\ue002…": table 3,
# row 7): such a line is never joined to its neighbours, and its tag travels with it.
HARD, HARD_END = "\ue001", "\ue002"
PAGE_BREAK = "\f"
_PAGE_END = "page-end"

# A line that starts a list item, a heading or a block of its own.
_MARKER = re.compile(
    r"^(?:[-–•+*]\s+(?=\S)(?![a-zđà-ỹ])|[-–•]\s*$|\(?\d{1,2}(?:\.\d{1,2})*[.)](?:\s|$)|\d{1,2}(?:\.\d{1,2})+\s"
    r"|\(\d{1,3}\)|\([a-zđ]\)\s|[a-zđ][).]\s|[IVXLC]{1,6}[.)/]\s|[A-ZĐ][.)]\s"
    r"|(?:Điều|ĐIỀU)\s+\d+[a-z]?(?:[.:]|\s*$)"
    r"|(?:Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN|Phụ lục|PHỤ LỤC|Biểu|BIỂU)\s+(?:[IVXLC]+|\d+(?:\.\d+)?|số \S+|thứ \S+|THỨ \S+)"
    r"(?:[.:]|\s*$|\s+[A-ZĐ(])|(?:PHỤ LỤC|Phụ lục)\s*$|LỜI NÓI ĐẦU|LỜI MỞ ĐẦU"
    r"|(?:Căn cứ|Xét|Theo đề nghị|Nơi nhận|Kính gửi|Trân trọng)\b"
    r"|(?:TM|KT|TL|TUQ|Q)\.\s)")
# Letterhead lines that start a block of their own: the motto, the number, the place and date.
_LETTERHEAD = re.compile(r"(?:CỘNG H[ÒO]A XÃ HỘI|Độc lập\s*[-–]\s*Tự do|Số\s*:"
                         r"|[^,\d]{2,30}, ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}\s*$)")
_RULE = re.compile(r"[-_=–—]{3,}")  # the rule under a letterhead block
# Structural headings: in `loose` mode the line after one starts afresh when it starts uppercase.
_HEADING = re.compile(r"^(?:Điều|ĐIỀU|Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN|Phụ lục|PHỤ LỤC)\s+\S|^[IVXLC]{1,6}\.\s")
_BARE_MARKER = re.compile(r"\(?\d{1,2}(?:\.\d{1,2})*[.)]?|\([a-zđ\d]{1,3}\)|[a-zđ]\)|[IVXLC]{1,6}\.|[-–•+]")
_CLOSERS = "”\"')]*_ "
_TERMINAL = ".:;!?…"
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–—\s]*$", re.I)
_FOOTNOTE_START = re.compile(r"^(\d{1,3})\s+\S")
MIN_RUN_ON = 3  # run-on lines (into a lowercase next line) a document needs to count as wrapped
WRAPPED_SHARE = 0.08  # ... and their share of line pairs
FIXED_SPREAD = 0.25  # (p75 - p25) / median of run-on line lengths at or below this: fixed width


@dataclass(frozen=True)
class Line:
    text: str
    page: int = 0  # 1-based page of the line's first character (0: the source has no pages)
    hard: bool = False  # a table row or layout cell: kept as is
    tag: str = ""  # the loader's tag of a hard line ("table.row")


def reconstruct(text: str) -> list[Line]:
    """Paragraph lines of `text` (pages split at form feeds), furniture removed."""
    pages = text.split(PAGE_BREAK)
    raw_pages = [page.split("\n") for page in pages]
    paged = len(raw_pages) > 1
    if paged:
        raw_pages = _drop_furniture(raw_pages)
        raw_pages, notes = _footnotes(raw_pages)
    else:
        notes = []
    lines: list[Line] = []
    for n, page in enumerate(raw_pages, start=1):
        for line in page:
            if line.startswith(HARD) and HARD_END in line:
                tag, _, line = line[1:].partition(HARD_END)
                lines.append(Line(line, n if paged else 0, True, tag))
            else:
                lines.append(Line(line, n if paged else 0))
        lines.append(Line("", n if paged else 0, tag=_PAGE_END))  # not a paragraph break (reflow)
    body = reflow(lines, page_breaks=paged)
    return body + reflow(notes, page_breaks=False)


def mode_of(lines: list[Line]) -> tuple[str, float]:
    """('none' | 'blocks' | 'fixed' | 'loose', full-line width) from the lines' own statistics."""
    texts = [line.text.strip() for line in lines if not line.hard and line.tag != _PAGE_END]
    pairs = [(a, b) for a, b in zip(texts, texts[1:]) if a and b]
    run_on = [a for a, b in pairs if _runs_on(a, b)]
    if len(run_on) < MIN_RUN_ON or len(run_on) < WRAPPED_SHARE * max(len(pairs), 1):
        return "none", 0.0
    lengths = sorted(len(a) for a in run_on)
    spread = (lengths[3 * len(lengths) // 4] - lengths[len(lengths) // 4]) / max(statistics.median(lengths), 1)
    width = lengths[len(lengths) // 10]  # nearly every wrapped line is at least this long
    blanks = sum(1 for t in texts if not t)
    nonblank = len(texts) - blanks
    if blanks >= 0.15 * nonblank and _multi_line_blocks(texts) >= 0.5:
        return "blocks", width
    return ("fixed" if spread <= FIXED_SPREAD else "loose"), width


def reflow(lines: list[Line], page_breaks: bool = False) -> list[Line]:
    """Join wrapped lines into paragraphs; blank lines end paragraphs (page ends do not when
    `page_breaks`: the loader's blank line after each page is then only a page boundary)."""
    mode, width = mode_of(lines)
    out: list[Line] = []
    parts: list[str] = []  # the current paragraph's lines and separators, joined when it ends
    page = 0
    last = ""  # the last physical line of the paragraph: its length decides in `fixed` mode
    last_page_blank = False
    for i, line in enumerate(lines):
        text = _squash(line.text)
        page_end = page_breaks and line.tag == _PAGE_END
        if not text:
            if page_end:
                last_page_blank = True
                continue
            _flush(parts, page, out)
            continue
        if line.hard:
            _flush(parts, page, out)
            out.append(Line(text, line.page, True, line.tag))
            continue
        if parts and mode != "none" and _joins(last, text, mode, width):
            parts += [_separator("".join(parts[-3:]), text), text]
        elif parts and mode == "none" and last_page_blank and _runs_on(last, text):
            parts += [_separator("".join(parts[-3:]), text), text]  # a paragraph broken by a page end
        else:
            _flush(parts, page, out)
            parts, page = [text], line.page
        last = text
        last_page_blank = False
    _flush(parts, page, out)
    return out


def _flush(parts: list[str], page: int, out: list[Line]) -> None:
    """End the current paragraph (a list joined once: adding to a string was quadratic)."""
    if parts:
        out.append(Line("".join(parts), page))
        parts.clear()


def _joins(cur: str, nxt: str, mode: str, width: float) -> bool:
    """Whether `nxt` continues the paragraph `cur` (both non-empty, squashed)."""
    if _BARE_MARKER.fullmatch(cur):
        return True  # "3.2." alone, then its text
    if _MARKER.match(nxt) or _LETTERHEAD.match(nxt) or _RULE.fullmatch(cur):
        return False  # a letterhead's blocks (each up to its rule) stand alone, in blank-separated text too
    first = _first_letter(nxt)
    if not first:
        return True  # "." or ")" alone: the end of the line above
    end = cur.rstrip(_CLOSERS)
    terminal = end.endswith(tuple(_TERMINAL))
    if first.islower() or cur.endswith("-") and not cur.endswith(" -") and first:
        return True
    if mode == "blocks":
        return True
    if terminal:
        return False
    if first.isdigit():
        return True
    if _is_caps_title(nxt) and _has_lower(cur) or _is_caps_title(cur) and _has_lower(nxt):
        return False  # a caps title and its body, or a name under a caps position
    if mode == "fixed":
        return len(cur) >= width
    return not _HEADING.match(cur)


def _runs_on(a: str, b: str) -> bool:
    """`a` does not end a sentence and `b` goes on in lowercase (and starts no list item)."""
    return (not a.rstrip(_CLOSERS).endswith(tuple(_TERMINAL)) and _first_letter(b).islower()
            and not _MARKER.match(b))


def _multi_line_blocks(texts: list[str]) -> float:
    """Share of blank-separated blocks that hold more than one line."""
    sizes, n = [], 0
    for t in texts + [""]:
        if t:
            n += 1
        elif n:
            sizes.append(n)
            n = 0
    return sum(1 for s in sizes if s > 1) / max(len(sizes), 1)


def _separator(a: str, b: str) -> str:
    """What goes between a paragraph ending in `a` and its next line `b`: nothing after a
    hyphenated word ("KT-" + "XH", "Covid-" + "19") or before punctuation, else a space."""
    if a.endswith("-") and not a.endswith(" -") and a[-2:-1].isalnum():
        return ""
    if not _first_letter(b) and b[:1] in ".,;:)”":
        return ""
    return " "


def _first_letter(s: str) -> str:
    for ch in s:
        if ch.isalnum():
            return ch
    return ""


def _has_lower(s: str) -> bool:
    return any(c.islower() for c in s)


def _is_caps_title(s: str) -> bool:
    """Two or more words, all in capitals ("THƯỜNG TRỰC HỘI ĐỒNG"; not the acronym "OKR/KPI;")."""
    letters = [c for c in s if c.isalpha()]
    return len(re.findall(r"[^\W\d_]{2,}", s)) >= 2 and all(c.isupper() for c in letters)


def _squash(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"[ \t]+", " ", line).strip()


# -- page furniture -----------------------------------------------------------------------------
def _edge_indexes(page: list[str], n: int = 2) -> list[int]:
    """Indexes of the first and last `n` non-blank lines of a page."""
    filled = [i for i, line in enumerate(page) if line.strip() and not line.startswith(HARD)]
    return sorted(set(filled[:n] + filled[-n:]))


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", _squash(line).lower())


def _drop_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Page numbers and running headers/footers at the top or bottom of pages."""
    counts = Counter(_furniture_key(pages[p][i]) for p in range(len(pages)) for i in _edge_indexes(pages[p]))
    repeated = {k for k, c in counts.items() if c >= max(3, 0.3 * len(pages)) and len(k) > 1}
    out = []
    for page in pages:
        drop = {i for i in _edge_indexes(page)
                if _PAGE_NUMBER.match(_squash(page[i])) or _furniture_key(page[i]) in repeated}
        out.append([line for i, line in enumerate(page) if i not in drop])
    return out


def _footnotes(pages: list[list[str]]) -> tuple[list[list[str]], list[Line]]:
    """Move footnotes (bottom lines "n text" whose n is glued to a word above) to the end."""
    out, notes = [], []
    for p, page in enumerate(pages, start=1):
        start = _footnote_start(page)
        if start is None:
            out.append(page)
            continue
        numbers = set()
        for line in page[start:]:
            m = _FOOTNOTE_START.match(line.strip())
            if m:
                numbers.add(m.group(1))
                notes.append(Line("", p))  # each note is its own paragraph
            notes.append(Line(line, p))
        marker = re.compile(r"(?<=[^\W\d_])(?:" + "|".join(sorted(numbers, key=len, reverse=True))
                            + r")(?=[\s.,;:)”]|$)")
        out.append([marker.sub("", line) for line in page[:start]])
    return out, notes


def _footnote_start(page: list[str]) -> int | None:
    """Index of the first footnote line at the bottom of a page, or None."""
    filled = [i for i, line in enumerate(page) if line.strip()]
    if len(filled) < 4:
        return None
    for i in filled[1:]:
        m = _FOOTNOTE_START.match(page[i].strip())
        if not m:
            continue
        n = m.group(1)
        above = "\n".join(page[:i])
        if re.search(rf"(?<=[^\W\d_]){n}(?=[\s.,;:)”]|$)", above, re.M):
            return i
    return None
