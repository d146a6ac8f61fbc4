"""Stage 3: CleanDocument -> DocMeta.

From the web copy's metadata table when present, otherwise from the header of the document
itself ("Số: 70/NQ-HĐND", "Cao Bằng, ngày 11 tháng 12 năm 2025", "VỀ KẾ HOẠCH …", the issuing
body's line, the signature block). `doc_id` is stable: number + issuer place, or a content hash.
"""

from __future__ import annotations

import re

from .text import fold
from .types import CleanDocument, DocMeta

HEAD_LINES = 40  # the header lives in the first lines

_NUMBER = re.compile(r"^Số(?: hiệu)?\s*:\s*(\S+)", re.IGNORECASE)
_PLACE_DATE = re.compile(
    r"^([A-ZĐÀ-Ỹ][^,\d]{1,40}),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_NUM_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_VN_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_EFFECTIVE = re.compile(
    r"có hiệu lực(?: thi hành)?(?: kể)? từ (ngày thông qua|ngày ký(?: ban hành)?|"
    r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|ngày\s+\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
_ISSUER = re.compile(
    r"^(HỘI ĐỒNG NHÂN DÂN|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|BỘ|SỞ|CHÍNH PHỦ|QUỐC HỘI|THỦ TƯỚNG)"
    r"(\s+(TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG|QUẬN|THỊ XÃ)\s+[A-ZĐÀ-Ỹ ]+|\s+[A-ZĐÀ-Ỹ ,]+)?$")
_TYPES = {
    "NQ": "Nghị quyết", "QĐ": "Quyết định", "KH": "Kế hoạch", "CT": "Chỉ thị", "TB": "Thông báo",
    "BC": "Báo cáo", "TTr": "Tờ trình", "CV": "Công văn", "HD": "Hướng dẫn", "NĐ": "Nghị định",
    "TT": "Thông tư", "QH": "Luật", "CTr": "Chương trình", "ĐA": "Đề án",
}
_TYPE_LINE = re.compile(r"^(NGHỊ QUYẾT|QUYẾT ĐỊNH|KẾ HOẠCH|CHỈ THỊ|THÔNG BÁO|BÁO CÁO|TỜ TRÌNH|"
                        r"NGHỊ ĐỊNH|THÔNG TƯ|CHƯƠNG TRÌNH|HƯỚNG DẪN|ĐỀ ÁN|LUẬT)(?: [A-ZĐÀ-Ỹ ]+)?$")
_LOWER_WORDS = {"hội", "đồng", "nhân", "dân", "ủy", "ban", "tỉnh", "thành", "phố", "huyện", "xã",
                "phường", "quận", "thị", "bộ", "sở", "chính", "phủ", "quốc", "thủ", "tướng"}


def extract_meta(doc: CleanDocument) -> DocMeta:
    """Document metadata: table values win; the header fills what the table lacks."""
    table = {k.lower(): v for k, v in doc.header.items()}
    lines = doc.text.split("\n")
    head = lines[:HEAD_LINES]

    number = table.get("số hiệu") or _first(_NUMBER, head, 1)
    place, issued_from_text = _place_date(head)
    issued = _iso(table.get("ngày ban hành", "")) or issued_from_text
    # The longest issuing-body line: "HỘI ĐỒNG NHÂN DÂN TỈNH CAO BẰNG" beats "HỘI ĐỒNG NHÂN DÂN".
    issuers = [line for line in head if _ISSUER.match(line) and len(line) < 80 and "VIỆT NAM" not in line]
    issuer = _agency_case(max(issuers, key=len)) if issuers else table.get("cơ quan ban hành", "")
    place = place or _place_of(issuer)
    doc_type = table.get("loại văn bản") or _type_of(number, head)
    title = table.get("trích yếu") or _title(head, table.get("tiêu đề", ""), place)
    effective = _iso(table.get("ngày có hiệu lực", "")) or _effective(doc.text, issued)
    signer = table.get("người ký") or _signer(lines)

    if number:
        doc_id = _slug(number) + (("-" + _slug(place)) if place else "")
    else:
        doc_id = "doc-" + doc.sha256[:12]
    return DocMeta(doc_id=doc_id, number=number, type=doc_type, issuer=issuer, issued=issued,
                   effective=effective, signer=signer, fields=table.get("lĩnh vực", ""),
                   title=title, place=place, source=doc.source, sha256=doc.sha256)


def _first(pattern: re.Pattern, lines: list[str], group: int) -> str:
    for line in lines:
        m = pattern.search(line)
        if m:
            return m.group(group).strip(" .;|")
    return ""


def _place_date(head: list[str]) -> tuple[str, str]:
    for line in head:
        m = _PLACE_DATE.match(line)
        if m:
            return m.group(1).strip(), _ymd(m.group(4), m.group(3), m.group(2))
    return "", ""


def _ymd(y: str, m: str, d: str) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _iso(value: str) -> str:
    """'11/12/2025' or 'ngày 11 tháng 12 năm 2025' -> '2025-12-11'; '' when not a date."""
    m = _NUM_DATE.search(value) or None
    if m:
        return _ymd(m.group(3), m.group(2), m.group(1))
    m = _VN_DATE.search(value)
    return _ymd(m.group(3), m.group(2), m.group(1)) if m else ""


def _agency_case(line: str) -> str:
    """'HỘI ĐỒNG NHÂN DÂN TỈNH CAO BẰNG' -> 'Hội đồng nhân dân tỉnh Cao Bằng'."""
    if not line.isupper():
        return line
    words = line.lower().split()
    out = []
    for i, word in enumerate(words):
        if i == 0:
            out.append(word.capitalize())
        elif word in _LOWER_WORDS and all(w in _LOWER_WORDS for w in words[:i]):
            out.append(word)
        else:
            out.append(word.capitalize())
    return " ".join(out)


def _place_of(issuer: str) -> str:
    m = re.search(r"\b(?:tỉnh|thành phố|huyện|xã|phường|quận|thị xã)\s+(.+)$", issuer, re.IGNORECASE)
    return m.group(1).strip() if m else ""


def _type_of(number: str, head: list[str]) -> str:
    for line in head:
        m = _TYPE_LINE.match(line)
        if m:
            return m.group(1).capitalize()
    m = re.search(r"/([A-ZĐa-z]+)(?:-|\d|$)", number.split("/", 1)[-1] if number.count("/") > 1 else number)
    return _TYPES.get(m.group(1), "") if m else ""


def _title(head: list[str], web_title: str, place: str) -> str:
    """The trích yếu: the 'VỀ …' / 'V/v …' line, in the web title's casing when it has one."""
    line = next((l for l in head if re.match(r"^(VỀ|V/v|Về)\s", l)), "")
    if not line:
        return web_title
    if line.isupper():
        found = web_title.lower().find(line.lower())
        if found >= 0:
            line = web_title[found:found + len(line)]
        else:
            line = line.lower().replace(place.lower(), place) if place else line.lower()
        line = line[0].upper() + line[1:]
    return line


def _effective(text: str, issued: str) -> str:
    m = _EFFECTIVE.search(text)
    if not m:
        return ""
    phrase = m.group(1).lower()
    if phrase.startswith(("ngày thông qua", "ngày ký")):
        return issued
    return _iso(phrase)


def _signer(lines: list[str]) -> str:
    """The name under the signature block: a Title Case line after 'CHỦ TỊCH', 'TM. …' etc."""
    for i in range(len(lines) - 1, max(len(lines) - 15, 0), -1):
        line = lines[i]
        words = line.split()
        if 2 <= len(words) <= 5 and all(w[:1].isupper() and not w.isupper() for w in words):
            prev = " ".join(lines[max(i - 3, 0):i])
            if re.search(r"CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG|TM\.|KT\.|Đã ký", prev):
                return line
    return ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
