"""The letterhead: issuer, "Số: …" and "<place>, ngày …", whatever the order of its blocks.

A letterhead has four blocks: the issuer ("ỦY BAN NHÂN DÂN" / "TỈNH LÂM ĐỒNG"), the Quốc hiệu
("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc"), the number and the place
and date. A Word table gives them cell by cell; a PDF text layer or a web copy may give them in
any order, two of them on one line ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI …", "Hà Nội, ngày … Số: …"),
or the Quốc hiệu between the issuer's two lines. `cells` cuts the letterhead's lines at the
blocks' own boundaries (the Quốc hiệu's fixed words, "Số:", the end of "năm yyyy", the end of an
upper-case issuer name) and drops the Quốc hiệu, so each reader below sees one block a cell and
the issuer's lines next to each other.
"""

from __future__ import annotations

import re
from datetime import date

from .text import fold

_NUMBER_LINE = re.compile(r"^Số\s*(?:hiệu)?\s*:?\s*(.*)$", re.I)
NUMBER = re.compile(
    r"(?<![\w/])(\d[\d ]{0,8})?\s*/\s*((?:\d{4}\s*/\s*)?(?:[A-ZĐ][A-ZĐa-zđ0-9&]*)(?:\s*-\s*[A-ZĐ][A-ZĐa-zđ0-9&]*)*)")
DATE = re.compile(r"ngày\s*(\d{1,2}|[._…\s]*)\s*tháng\s*(\d{1,2}|[._…\s]*)\s*năm\s*(\d{4})", re.I)
_NUM_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
# National issuers by the code that ends their numbers ("47/2020/NĐ-CP"): a broken letterhead.
ISSUER_CODES = {"CP": "Chính phủ", "TTg": "Thủ tướng Chính phủ", "QH": "Quốc hội",
                "UBTVQH": "Ủy ban Thường vụ Quốc hội", "BTC": "Bộ Tài chính", "BNV": "Bộ Nội vụ",
                "BTP": "Bộ Tư pháp", "BCA": "Bộ Công an", "BQP": "Bộ Quốc phòng", "BYT": "Bộ Y tế",
                "BCT": "Bộ Công Thương", "BXD": "Bộ Xây dựng", "VPCP": "Văn phòng Chính phủ",
                "NHNN": "Ngân hàng Nhà nước Việt Nam", "BGDĐT": "Bộ Giáo dục và Đào tạo"}
ISSUER = re.compile(
    r"^(HỘI ĐỒNG NHÂN DÂN|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|HĐND|BỘ|SỞ|CHÍNH PHỦ|QUỐC HỘI|THỦ TƯỚNG|"
    r"VĂN PHÒNG|BAN|CỤC|TỔNG CỤC|ỦY BAN|THƯỜNG TRỰC|ĐOÀN|TÒA ÁN|VIỆN|KIỂM TOÁN|NGÂN HÀNG|TỈNH ỦY|"
    r"HUYỆN ỦY|ĐẢNG ỦY|MẶT TRẬN|CÔNG AN|BỘ CHỈ HUY|KHO BẠC|CHI CỤC|TRUNG TÂM|BẢO HIỂM)\b")
UNIT = re.compile(r"^(TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG|QUẬN|THỊ XÃ|THỊ TRẤN|ĐẶC KHU)\b")
_NOT_ISSUER = re.compile(r"CỘNG HÒA|CỘNG HOÀ|ĐỘC LẬP|Độc lập|^Số\b|^BAN HÀNH\b")
_SESSION = re.compile(r"\s+(?:KHÓA|KHOÁ)\s+[IVXL]+\b.*$|,?\s+KỲ HỌP\b.*$")
# The Quốc hiệu, on folded text (an OCR'd "CÓNG HÒA", a text layer's "ạnh phúc" still match).
_MOTTO = re.compile(r"cong hoa xa hoi chu nghia viet nam\.?|doc lap\s*[-–—]\s*tu do\s*[-–—]\s*\w*nh phuc")
_NUMBER_AT = re.compile(r"(?<=\S)\s+(?=Số\s*(?:hiệu)?\s*:)")
_NUMBER_LABEL = re.compile(r"Số\s*(?:hiệu)?\s*:\s*")
_DATE_END = re.compile(r"năm\s*\d{4}\b\s*", re.I)
_RULE = re.compile(r"^[-_=─–—.*\s]*$")
_LOWER_WORDS = {"hội", "đồng", "nhân", "dân", "ủy", "uỷ", "ban", "tỉnh", "thành", "phố", "huyện", "xã", "phường",
                "quận", "thị", "trấn", "đặc", "khu", "thường", "trực", "và", "các", "của"}
_FIXED_CASE = {"thủ tướng chính phủ": "Thủ tướng Chính phủ", "chính phủ": "Chính phủ", "quốc hội": "Quốc hội",
               "ủy ban thường vụ quốc hội": "Ủy ban Thường vụ Quốc hội", "văn phòng chính phủ": "Văn phòng Chính phủ"}


def cells(lines: list[str]) -> list[str]:
    """The letterhead's lines as one block a cell, in their order, without the Quốc hiệu and rules:
    'ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' / 'TỈNH CÀ MAU Độc lập - …' ->
    'ỦY BAN NHÂN DÂN', 'TỈNH CÀ MAU'."""
    out: list[str] = []
    for line in lines:
        pieces = [line]
        folded = fold(line)
        if len(folded) == len(line):  # positions map back (a decomposed line is left whole)
            pieces, at = [], 0
            for m in _MOTTO.finditer(folded):
                pieces.append(line[at:m.start()])
                at = m.end()
            pieces.append(line[at:])
        for piece in pieces:
            out.extend(c for c in _cut(piece.strip(" ,;")) if not _RULE.match(c))
    return out


def _cut(piece: str) -> list[str]:
    """One piece of a line at its blocks' boundaries: before 'Số:', after a number or 'năm yyyy',
    after an upper-case issuer name followed by other text."""
    out = []
    for part in _NUMBER_AT.split(piece):
        label = _NUMBER_LABEL.match(part)
        n = NUMBER.match(part, label.end()) if label else None
        if n:  # "Số: 15/2012/QH13 QUỐC HỘI"
            out.append(part[:n.end()])
            part = part[n.end():]
        d = DATE.search(part)
        if d and d.end() < len(part):  # "Hà Nội, ngày … năm 2025 HỘI ĐỒNG NHÂN DÂN …"
            out.extend(_cut_name(part[:d.end()]) + _cut_name(part[d.end():]))
        else:
            out.extend(_cut_name(part))
    return [c.strip() for c in out if c.strip()]


def _cut_name(part: str) -> list[str]:
    """'QUỐC HỘI Hà Nội, ngày …' -> 'QUỐC HỘI', 'Hà Nội, ngày …' (an issuer name is upper case)."""
    part = part.strip()
    if not ISSUER.match(part) or part.isupper():
        return [part]
    words = part.split()
    caps = 0
    while caps < len(words) and (words[caps].isupper() or not any(ch.isalpha() for ch in words[caps])):
        caps += 1
    if caps == 0 or caps == len(words):
        return [part]
    return [" ".join(words[:caps]), " ".join(words[caps:])]


def normalize_number(digits: str, suffix: str) -> str:
    """'0204', 'KH-UBND' -> '0204/KH-UBND'; '12 ', '2025 / NQ - HĐND' -> '12/2025/NQ-HĐND'."""
    return re.sub(r"\s+", "", f"{digits}/{suffix}") if digits.strip() else ""


def number(head: list[str]) -> tuple[str, str]:
    """(number, its code after the last '/': 'KH-UBND'); ('', code) for a draft's blank number."""
    for i, line in enumerate(head):
        m = _NUMBER_LINE.match(line)
        if not m:
            continue
        candidates = [m.group(1)] + [head[j] for j in range(i + 1, min(i + 4, len(head)))]
        for text in candidates:
            n = NUMBER.match(text.strip())
            if n:
                suffix = re.sub(r"\s+", "", n.group(2))
                return normalize_number(n.group(1) or "", suffix), suffix.split("/")[-1]
            if text is m.group(1) and re.match(r"^\s*(không số|\(không số\))", text, re.I):
                return "", ""
    return "", ""


def iso(value: str) -> str:
    """'11/12/2025' or 'ngày 11 tháng 12 năm 2025' -> '2025-12-11'; '' when not a whole date."""
    m = _NUM_DATE.search(value or "")
    if m:
        return ymd(m.group(3), m.group(2), m.group(1))
    m = DATE.search(value or "")
    if m and m.group(1).strip().isdigit() and m.group(2).strip().isdigit():
        return ymd(m.group(3), m.group(2), m.group(1))
    return ""


def ymd(y: str, m: str, d: str) -> str:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return ""


def place_date(head: list[str]) -> tuple[str, str]:
    """'Lâm Đồng, ngày … tháng 12 năm 2025' -> ('Lâm Đồng', '') (a blank day gives no date)."""
    for line in head:
        m = DATE.search(line)
        if not m or not re.search(r",\s*$", line[:m.start()]):
            continue
        words = line[:m.start()].rstrip(" ,").split()
        place: list[str] = []
        for word in reversed(words):  # "… Hạnh phúc Thanh Hóa" -> "Thanh Hóa"
            if word[:1].isupper() or word in ("phố", "xã", "thị"):
                place.insert(0, word)
            else:
                break
        while place and len(place[0]) > 1 and place[0].isupper() and place[0] != "TP.":
            place.pop(0)  # "UBND Lâm Đồng" after a joined number line
        if place and place[0] in ("phố", "xã", "thị"):
            place.pop(0)
        if place:
            return " ".join(place[-5:]), iso(line[m.start():m.end()])
    return "", ""


def issuer(head: list[str]) -> str:
    """The letterhead's issuing body: 'ỦY BAN NHÂN DÂN' + 'TỈNH LÂM ĐỒNG'; of two levels
    ('UBND TỈNH X' over 'SỞ Y'), the lower one, which issues."""
    found = ""
    for i, line in enumerate(head):
        text = _SESSION.sub("", line.strip(" -_"))  # "… HÀ NỘI KHÓA XVI, KỲ HỌP THỨ 28" in a preamble
        if not ISSUER.match(text) or _NOT_ISSUER.search(text) or len(text) > 120 or not text.isupper():
            continue
        nxt = head[i + 1].strip(" -_") if i + 1 < len(head) else ""
        if UNIT.match(nxt) and nxt.isupper() and len(nxt) < 60:
            text = f"{text} {nxt}"
        found = text
        if not (i + 1 < len(head) and any(ISSUER.match(head[j]) and head[j].isupper() and not UNIT.match(head[j])
                                          for j in range(i + 1, min(i + 3, len(head))))):
            break
    if found and not UNIT.search(found.split(" ", 4)[-1]):  # "HỘI ĐỒNG NHÂN DÂN" of a broken cell:
        longer = [line.strip() for line in head if line.strip().startswith(found + " ") and line.isupper()
                  and UNIT.match(line.strip()[len(found) + 1:])]  # its full name further down
        units = {c.strip() for c in head if UNIT.match(c.strip()) and c.isupper() and len(c) < 60}
        found = longer[0] if longer else f"{found} {units.pop()}" if len(units) == 1 else found  # its 2nd line
    return agency_case(found) if found else ""


def has_blocks(lines: list[str]) -> bool:
    """True when the lines hold a letterhead block other than the issuer: the Quốc hiệu, 'Số:', a
    place and date."""
    return any(_MOTTO.search(fold(line)) or _NUMBER_LABEL.match(line) or DATE.search(line)
               and re.search(r",\s*$", line[:DATE.search(line).start()]) for line in lines)


def issuer_code(code: str) -> str:
    org = code.split("-", 1)[1] if "-" in code else code
    org = re.sub(r"\d+$", "", org)
    return ISSUER_CODES.get(org, "")


def agency_case(line: str) -> str:
    """'HỘI ĐỒNG NHÂN DÂN TỈNH CAO BẰNG' -> 'Hội đồng nhân dân tỉnh Cao Bằng',
    'BỘ TÀI CHÍNH' -> 'Bộ Tài chính'."""
    if not line.isupper():
        return line
    if line.lower() in _FIXED_CASE:
        return _FIXED_CASE[line.lower()]
    words = line.lower().split()
    out = []
    name_next = False  # after "tỉnh", "thành phố" …: a place name, every word capitalised
    for i, word in enumerate(words):
        if i == 0:
            out.append(word.capitalize())
            name_next = word in ("bộ", "sở", "cục", "ban", "văn", "tòa", "viện") and len(words) > 1
            continue
        if word in ("tỉnh", "phố", "huyện", "xã", "phường", "quận", "trấn", "khu") and i + 1 < len(words):
            out.append(word)
            name_next = "place"
            continue
        if name_next == "place":
            out.append(word.capitalize())
        elif name_next is True:
            out.append(word.capitalize())
            name_next = False
        elif word == "và":
            out.append(word)
            name_next = True
        elif word in _LOWER_WORDS or out[0] in ("Bộ", "Sở"):
            out.append(word)
        else:
            out.append(word.capitalize() if word in ("chính", "quốc", "thủ") and i == 1 else word)
    return " ".join(out)


def place_of(issuer_name: str) -> str:
    m = re.search(r"\b(?:tỉnh|thành phố|huyện|xã|phường|quận|thị xã)\s+(.+)$", issuer_name, re.IGNORECASE)
    return m.group(1).strip() if m else ""
