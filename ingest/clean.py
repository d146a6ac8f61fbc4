"""Stage 2: RawDocument -> CleanDocument: one paragraph, heading, list item or table row per line.

1. Per line: NFC and one tone placement; a web copy's "| Key | Value |" metadata rows and cells
   broken over lines ("HỘI ĐỒNG NHÂN" + "DÂN |").
2. Paragraphs rebuilt from layout line breaks (`ingest.layout`), page numbers kept.
3. Junk: portal chrome (`data/boilerplate.txt`), a foreign-language translation, a portal's
   summary before the letterhead (its metadata box stays, as "Key: value" lines), portal
   notices after the signature block.
4. Exact repeated blocks (web copies repeat the header and whole sections) dropped so every
   paragraph is indexed once; table rows are facts of their own table and never dropped.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from .layout import HARD, PAGE_BREAK, Line, reconstruct
from .tables import HEADER
from .text import has_diacritics, normalize
from .types import HEADER_ROW, LAYOUT_ROW, CleanDocument, RawDocument, RowSpan

# "| Số hiệu | 70/NQ-HĐND |": a key/value row of the metadata table web copies start with.
_META_ROW = re.compile(r"^\|\s*([^|]{2,40}?)\s*\|\s*(.*?)\s*\|?\s*$")
_KEY_VALUE = re.compile(r"^([^:]{2,40}?)\s*:\s*(.+)$")
META_KEYS = {
    "số hiệu", "ngày ban hành", "ngày có hiệu lực", "loại văn bản", "cơ quan ban hành",
    "người ký", "lĩnh vực", "tình trạng", "ngày hết hiệu lực", "nơi ban hành", "trích yếu",
    "ngày công báo", "số công báo", "tình trạng hiệu lực", "ngày hiệu lực",
}
_UNKNOWN_VALUES = re.compile(r"^(đã biết|đang cập nhật|chưa biết|không xác định)$", re.I)
_LETTERHEAD = re.compile(r"CỘNG H[ÒO]A XÃ HỘI CHỦ NGHĨA|^Độc lập\s*[-–]\s*Tự do")
_SIGNATURE = re.compile(r"^(Nơi nhận|(TM|KT|TL|TUQ|Q)\.\s)")
_ANNEX = re.compile(r"^(PHỤ LỤC|Phụ lục|BIỂU|Biểu mẫu|DANH MỤC)\b")
_ENGLISH = frozenset("the of and to in for on with by is are be as this that from at or an which shall "
                     "article clause point decree circular ministry people committee".split())
# A repeated run of at least this many lines and characters is a copy artefact. Shorter repeats
# are content: laws repeat whole sentences and list items from clause to clause ("a) Công chức
# lập Phiếu …" in khoản 1 and khoản 2), and annexes repeat their "(Kèm theo …)" line.
MIN_REPEAT_LINES = 3
MIN_REPEAT_RUN_CHARS = 400
LETTERHEAD_WITHIN = 0.4  # a letterhead this far into the document starts the official text
BOILERPLATE_FILE = Path(__file__).parent / "data" / "boilerplate.txt"


def clean(raw: RawDocument) -> CleanDocument:
    """Normalise and de-junk a document; the result's text is what spans and quotes refer to."""
    header: dict[str, str] = {}
    pages = []
    for page in raw.text.split(PAGE_BREAK):
        lines = [_normalize_line(line) for line in page.split("\n")]
        found, lines = _metadata_table(lines)
        header.update(found)
        pages.append("\n".join(_join_broken_cells(lines)))
    lines = reconstruct(PAGE_BREAK.join(pages))
    chrome, tail = _boilerplate()
    lines = [line for line in lines if not chrome.fullmatch(line.text)]
    lines = _drop_foreign(lines)
    lines = _from_letterhead(lines, header)
    lines = _drop_tail(lines, tail)
    lines = _drop_repeats(lines)
    return _assemble(lines, raw, header)


def _normalize_line(line: str) -> str:
    if line.startswith(HARD):
        tag, sep, text = line.partition("\ue002")
        return tag + sep + normalize(text)
    return normalize(line)


def _assemble(lines: list[Line], raw: RawDocument, header: dict) -> CleanDocument:
    parts, pages, rows = [], [], []
    pos = 0
    for line in lines:
        if line.page and (not pages or pages[-1][1] != line.page):
            pages.append((pos, line.page))
        if line.hard and line.tag:
            table, _, row = line.tag.partition(".")
            if table.isdigit():
                number = int(row) if row.isdigit() else HEADER_ROW if row == HEADER else LAYOUT_ROW
                rows.append(RowSpan(pos, pos + len(line.text), int(table), number))
        parts.append(line.text)
        pos += len(line.text) + 1
    text = "\n".join(parts)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return CleanDocument(text=text, source=raw.source, format=raw.format, sha256=sha, tables=raw.tables,
                         header=header, pages=tuple(pages), rows=tuple(rows), reading=raw.reading)


@functools.lru_cache(maxsize=1)
def _boilerplate() -> tuple[re.Pattern, re.Pattern]:
    rules = {"line": [], "tail": []}
    for raw in BOILERPLATE_FILE.read_text(encoding="utf-8").splitlines():
        kind, _, rx = raw.partition(":")
        if kind in rules and rx.strip():
            rules[kind].append(normalize(rx.strip()))
    return tuple(re.compile("|".join(f"(?:{r})" for r in rules[k]), re.I) for k in ("line", "tail"))


def _metadata_table(lines: list[str]) -> tuple[dict, list[str]]:
    """Turn '| Key | Value |' rows into 'Key: Value' lines and a header dict.

    The single line before the table (a web page title) is kept as the first line.
    """
    header: dict[str, str] = {}
    out: list[str] = []
    for line in lines:
        m = _META_ROW.match(line)
        if m and m.group(1).strip().lower() in META_KEYS and m.group(2):
            key, value = m.group(1).strip(), m.group(2).strip()
            header[key] = value
            out.append(f"{key}: {value}")
        else:
            out.append(line)
    if header:
        first = next((i for i, line in enumerate(out) if line.strip()), None)
        if first is not None and not any(out[first].startswith(k + ":") for k in header):
            header.setdefault("Tiêu đề", out[first].strip())
    return header, out


def _join_broken_cells(lines: list[str]) -> list[str]:
    """Web tables render a cell as lines ending with ' |'; rejoin a cell broken over lines.

    'HỘI ĐỒNG NHÂN' + 'DÂN |' -> 'HỘI ĐỒNG NHÂN DÂN'. Only all-caps fragments are joined, so
    ordinary sentences are never glued together. Lone '|' lines become blank lines. Lines the
    loaders rendered (tables) are left alone.
    """
    out: list[str] = []
    pending: list[str] = []  # all-caps lines that may continue into a '|'-terminated cell
    for line in lines:
        if line.startswith(HARD):
            out.extend(pending)
            pending = []
            out.append(line)
            continue
        stripped = line.strip("| ").strip()
        if line.endswith("|") or line.startswith("|"):
            if pending and stripped and _is_caps(stripped):
                out.extend(pending[:-1])
                stripped = pending[-1] + " " + stripped
            else:
                out.extend(pending)
            pending = []
            out.append(stripped)
            continue
        if _is_caps(line) and len(line) < 40:
            pending.append(line)
            continue
        out.extend(pending)
        pending = []
        out.append(line)
    out.extend(pending)
    return out


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _is_foreign(text: str) -> bool:
    """A paragraph of an English translation: few words with Vietnamese diacritics, and English
    function words."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 3:
        return False
    marked = sum(map(has_diacritics, words)) / len(words)
    hits = sum(1 for w in words if w in _ENGLISH)
    if marked <= 0.05:
        return hits >= 2 or hits / len(words) >= 0.2
    # A translation glued to a portal's Vietnamese notice: Vietnamese has a mark on most words
    # and never this many English function words.
    return marked < 0.3 and hits / len(words) >= 0.15


def _drop_foreign(lines: list[Line]) -> list[Line]:
    """Foreign paragraphs, and the diacritic-free lines between two of them (its headers)."""
    foreign = [_is_foreign(line.text) for line in lines]
    plain = [not has_diacritics(line.text) for line in lines]
    between = [p and not f for p, f in zip(plain, foreign)]  # judged by the lines around it
    # Whether the nearest line before / after each line that is not `between` is foreign: one
    # pass each way (a scan per line was quadratic: 100k plain lines took 5 minutes).
    before, after = [False] * len(lines), [False] * len(lines)
    last = False
    for i in range(len(lines)):
        before[i] = last
        last = foreign[i] if not between[i] else last
    last = False
    for i in reversed(range(len(lines))):
        after[i] = last
        last = foreign[i] if not between[i] else last
    drop = [f or (b and before[i] and after[i]) for i, (f, b) in enumerate(zip(foreign, between))]
    return [line for line, d in zip(lines, drop) if not d]


def _from_letterhead(lines: list[Line], header: dict) -> list[Line]:
    """Drop what a portal puts before the letterhead (its summary, notices), keeping its
    metadata box ("Key: value" lines, also recorded in `header`) and its page title."""
    at = next((i for i, line in enumerate(lines[: max(int(LETTERHEAD_WITHIN * len(lines)), 1)])
               if _LETTERHEAD.search(line.text)), None)
    if at is None:
        return lines
    back = at
    while back > 0 and at - back < 8 and _letterhead_part(lines[back - 1]):
        back -= 1  # the issuer, number and date lines before "Cộng hòa …"
    at = back
    kept = []
    for line in lines[:at]:
        kv = _key_value(line.text)
        if kv:
            key, value = kv
            if not _UNKNOWN_VALUES.match(value):
                header.setdefault(key, value)
                kept.append(line)
    if kept and "Tiêu đề" in header:
        title = next((line for line in lines[:at] if line.text == header["Tiêu đề"]), None)
        kept = ([title] if title is not None else []) + kept
    return kept + lines[at:]


def _letterhead_part(line: Line) -> bool:
    text = line.text
    if _key_value(text):
        return False
    return (_is_caps(text) or bool(re.match(r"^(Số|Số hiệu)\s*:", text)) or bool(re.search(r"ngày .{0,12}tháng", text))
            or not re.search(r"\w", text) or line.hard and len(text) <= 100)


def _key_value(text: str) -> tuple[str, str] | None:
    m = _KEY_VALUE.match(text)
    if m and m.group(1).strip().lower() in META_KEYS:
        return m.group(1).strip(), m.group(2).strip()
    return None


def _drop_tail(lines: list[Line], tail: re.Pattern) -> list[Line]:
    """Portal notices after the last signature block, unless an annex follows them."""
    last = max((i for i, line in enumerate(lines) if _SIGNATURE.match(line.text)), default=None)
    if last is None:
        return lines
    for i in range(last + 1, len(lines)):
        if tail.fullmatch(lines[i].text):
            if not any(_ANNEX.match(line.text) for line in lines[i + 1:]):
                return lines[:i]
    return lines


def _drop_repeats(lines: list[Line]) -> list[Line]:
    """Drop exact repeats: a run of >= MIN_REPEAT_LINES lines (MIN_REPEAT_RUN_CHARS) seen before.
    Table rows are never dropped (the same row in two tables is two facts)."""
    texts = [line.text for line in lines]
    first_seen: dict[str, int] = {}
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        j = first_seen.get(texts[i])
        if j is not None and not lines[i].hard:
            k = 0
            while i + k < len(lines) and j + k < i and texts[i + k] == texts[j + k] and not lines[i + k].hard:
                k += 1
            run = sum(len(t) for t in texts[i:i + k])
            if k >= MIN_REPEAT_LINES and run >= MIN_REPEAT_RUN_CHARS:
                for n in range(k):
                    keep[i + n] = False
                i += k
                continue
        first_seen.setdefault(texts[i], i)
        i += 1
    return [line for line, k in zip(lines, keep) if k]
