"""Stage 2: RawDocument -> CleanDocument.

NFC and one tone placement; whitespace; web-copy artefacts (metadata table rows, stray `|`
cells, table cells broken over lines, page chrome after the signature); exact repeated blocks
(web copies repeat the whole header and targets block) dropped so every line is indexed once.
"""

from __future__ import annotations

import hashlib
import re

from .text import normalize
from .types import CleanDocument, RawDocument

# "| Số hiệu | 70/NQ-HĐND |": a key/value row of the metadata table web copies start with.
_META_ROW = re.compile(r"^\|\s*([^|]{2,40}?)\s*\|\s*(.*?)\s*\|?\s*$")
_META_KEYS = {
    "số hiệu", "ngày ban hành", "ngày có hiệu lực", "loại văn bản", "cơ quan ban hành",
    "người ký", "lĩnh vực", "tình trạng", "ngày hết hiệu lực", "nơi ban hành", "trích yếu",
    "ngày công báo", "số công báo", "tình trạng hiệu lực",
}
# Page chrome of the portals such copies come from (whole-line matches).
_CHROME = re.compile(
    r"^(đăng (nhập|xuất|ký)|trang chủ|tải về|tải văn bản|in văn bản|bản in|chia sẻ|"
    r"facebook|zalo|twitter|email|liên hệ|góp ý|theo dõi|lưu văn bản|xem thêm|quay lại|"
    r"việc làm\b.*|tin tức\b.*|quảng cáo|copyright.*|©.*|bản quyền.*|hotline.*|"
    r"văn bản liên quan|văn bản gốc|lược đồ|nội dung|tiếng anh|mục lục|"
    r"\d+\s*/\s*\d+|trang \d+( / \d+)?)$",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"\./\.\s*$|\./\.$")
_SIGNATURE = re.compile(
    r"^((TM|KT|Q|TL|TUQ)\.\s.*|(PHÓ )?CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỦ TƯỚNG|TRƯỞNG BAN|"
    r"CHÁNH VĂN PHÒNG|Nơi nhận:?|- .*|\(Đã ký\)|[A-ZĐÂĂÊÔƠƯ][^\s]*( [A-ZĐÂĂÊÔƠƯ][^\s]*){1,4})$"
)
MIN_REPEAT_LINES = 3  # a repeated run of at least this many lines is a copy artefact
MIN_REPEAT_CHARS = 80  # a single repeated line this long is dropped too


def clean(raw: RawDocument) -> CleanDocument:
    """Normalise and de-junk a document; the result's text is what spans and quotes refer to."""
    lines = [_squash(normalize(line)) for line in raw.text.splitlines()]
    header, lines = _metadata_table(lines)
    lines = _join_broken_cells(lines)
    lines = [line for line in lines if line and not _CHROME.match(line)]
    lines = _drop_trailing_junk(lines)
    lines = _drop_repeats(lines)
    text = "\n".join(lines).strip()
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return CleanDocument(text=text, source=raw.source, format=raw.format, sha256=sha,
                         tables=raw.tables, header=header)


def _squash(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"[ \t]+", " ", line).strip()


def _metadata_table(lines: list[str]) -> tuple[dict, list[str]]:
    """Turn '| Key | Value |' rows into 'Key: Value' lines and a header dict.

    The single line before the table (a web page title) is kept as the first line.
    """
    header: dict[str, str] = {}
    out: list[str] = []
    for line in lines:
        m = _META_ROW.match(line)
        if m and m.group(1).strip().lower() in _META_KEYS and m.group(2):
            key, value = m.group(1).strip(), m.group(2).strip()
            header[key] = value
            out.append(f"{key}: {value}")
        else:
            out.append(line)
    if header:
        first = next((i for i, line in enumerate(out) if line), None)
        if first is not None and not any(out[first].startswith(k + ":") for k in header):
            header.setdefault("Tiêu đề", out[first])
    return header, out


def _join_broken_cells(lines: list[str]) -> list[str]:
    """Web tables render a cell as lines ending with ' |'; rejoin a cell broken over lines.

    'HỘI ĐỒNG NHÂN' + 'DÂN |' -> 'HỘI ĐỒNG NHÂN DÂN'. Only all-caps fragments are joined, so
    ordinary sentences are never glued together. Lone '|' lines are dropped.
    """
    out: list[str] = []
    pending: list[str] = []  # all-caps lines that may continue into a '|'-terminated cell
    for line in lines:
        stripped = line.strip("| ").strip()
        if line.endswith("|") or line.startswith("|"):
            if pending and stripped and _is_caps(stripped):
                out.extend(pending[:-1])
                stripped = pending[-1] + " " + stripped
            else:
                out.extend(pending)
            pending = []
            if stripped:
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


def _drop_trailing_junk(lines: list[str]) -> list[str]:
    """After the closing './.' keep only a signature block (titles, names, 'Nơi nhận')."""
    end = max((i for i, line in enumerate(lines) if _END_MARK.search(line)), default=None)
    if end is None:
        return lines
    tail = [line for line in lines[end + 1:] if _SIGNATURE.match(line)]
    return lines[: end + 1] + tail


def _drop_repeats(lines: list[str]) -> list[str]:
    """Drop exact repeats: a run of >= MIN_REPEAT_LINES lines seen before, or one long line."""
    first_seen: dict[str, int] = {}
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        j = first_seen.get(lines[i])
        if j is not None:
            k = 0
            while i + k < len(lines) and j + k < i and lines[i + k] == lines[j + k]:
                k += 1
            if k >= MIN_REPEAT_LINES or (k >= 1 and len(lines[i]) >= MIN_REPEAT_CHARS):
                for n in range(k):
                    keep[i + n] = False
                i += k
                continue
        first_seen.setdefault(lines[i], i)
        i += 1
    return [line for line, k in zip(lines, keep) if k]
