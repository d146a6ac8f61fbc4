"""What a document says about its own issuer, number and date outside the letterhead.

A web copy whose letterhead table was lost starts at its kind line ("NGHỊ QUYẾT"), but its text
still names them:

- the preamble's body line before "Căn cứ …": "HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI KHÓA XVI, KỲ
  HỌP THỨ 28", "ỦY BAN NHÂN DÂN TỈNH …", "BỘ TRƯỞNG BỘ …" (the body its head speaks for);
- the closing formula: "Nghị quyết này đã được Hội đồng nhân dân tỉnh … khóa …, kỳ họp thứ …
  thông qua ngày …" (its date is read by `meta`);
- an annex's header naming the document by its kind: "(Kèm theo Kế hoạch số …/KH-UBND ngày
  …/…/2025 của Ủy ban nhân dân tỉnh …)": the number, the date and the issuer;
- the signature's "TM. ỦY BAN NHÂN DÂN", completed with the one place the text names that body
  with ("Ủy ban nhân dân tỉnh …", more than once); several places, or a single mention, leave it out.

Only what the text says: a local body named without its place ("Hội đồng nhân dân ban hành …")
is no issuer, and nothing is guessed from the file name or the topic.
"""

from __future__ import annotations

import re

from .letterhead import ISSUER, NUMBER, UNIT, agency_case, iso
from .text import fold

PREAMBLE_END = re.compile(r"^(Căn cứ|Xét|Theo đề nghị|Thực hiện|Trên cơ sở|Điều \d|Chương|QUYẾT NGHỊ|QUYẾT ĐỊNH:)")
_HEAD_OF = re.compile(r"(?i)^(?:PHÓ )?(?:BỘ TRƯỞNG|CHỦ TỊCH|GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TỔNG CỤC TRƯỞNG|CỤC TRƯỞNG|"
                      r"TRƯỞNG|CHỦ NHIỆM|TỔNG KIỂM TOÁN|THỐNG ĐỐC|VIỆN TRƯỞNG|CHÁNH ÁN)\s+(?=\S)")
_BODY_END = re.compile(r"(?i)\s+(?:NƯỚC CỘNG HÒA|NƯỚC CỘNG HOÀ|KHÓA|KHOÁ|TẠI KỲ HỌP|KỲ HỌP|THÔNG QUA)\b.*$|\s*[,;(].*$")
_LOCAL = re.compile(r"(?i)^(?:THƯỜNG TRỰC )?(?:HỘI ĐỒNG NHÂN DÂN|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN)\b")
_GENERIC = {"BỘ", "SỞ", "BAN", "CỤC", "TỔNG CỤC", "CHI CỤC", "VĂN PHÒNG", "ỦY BAN", "TRUNG TÂM", "VIỆN", "ĐOÀN"}
_ABBREVIATIONS = ((re.compile(r"\bUBND\b"), "ỦY BAN NHÂN DÂN"), (re.compile(r"\bHĐND\b"), "HỘI ĐỒNG NHÂN DÂN"))
_UNIT_AT = re.compile(r"(?i)\s+(?:tỉnh|thành phố|huyện|xã|phường|quận|thị xã|thị trấn|đặc khu)\b")
_SUMMARY = re.compile(r"^Trên đây là\s+(\w+(?:\s+\w+)?)", re.I)
_CLOSING = re.compile(r"^\W*(?:Nghị quyết|Luật|Bộ luật|Hiến pháp|Pháp lệnh)(?:\s+này)?\s+(?:đã\s+)?được\s+(.{4,160}?)"
                      r"\s*,?\s+(?:khóa|khoá|tại kỳ họp|kỳ họp|thông qua)\b.*thông qua", re.I)
_ENACTING = re.compile(r"^[\W_]*([^,;:()]{3,100}?)\s+ban hành\s+(\w+(?:\s+\w+)?)(?!\s+số)\b")
_BODY_TEXT_END = re.compile(r"^(Điều \d|Chương [IVX\d]|Phần|[IVX]+\.|\d+\.)")
_ANNEX = re.compile(r"^\(?\s*(?:Ban hành\s+)?kèm theo\s+(?P<kind>\D{2,40}?)\s+số\s*:?\s*(?P<num>\S+(?:\s*/\s*\S+)*)\s*,?"
                    r"\s+ngày\s+(?P<date>.{6,30}?)(?:\s+(?:của|do)\s+(?P<body>[^()]{4,120}?))?\s*\)?\s*[.;]?\s*$", re.I)
_TM = re.compile(r"\bTM\.\s*(.+?)(?=\s+(?:KT\.|TL\.|TUQ\.|Q\.|PHÓ\b|CHỦ TỊCH\b|THỦ TƯỚNG\b|BỘ TRƯỞNG\b|GIÁM ĐỐC\b|"
                 r"TRƯỞNG\b|CHÁNH\b)|$)")
_UNIT_WORDS = r"(tỉnh|thành phố|huyện|xã|phường|quận|thị xã|thị trấn|đặc khu)"
_BODY_WORDS = {"HỘI ĐỒNG NHÂN DÂN": r"(?:hội đồng nhân dân|hđnd)", "ỦY BAN NHÂN DÂN": r"(?:ủy ban nhân dân|uỷ ban nhân dân|ubnd)"}


def body_name(text: str) -> str:
    """A body as named in any case, in its letterhead form ('Hội đồng nhân dân thành phố Hà Nội khóa
    XVI' -> 'Hội đồng nhân dân thành phố Hà Nội'); '' unless it is a whole issuer name."""
    name = re.split(r"\s*[,;()“”\"]", " ".join(text.split()))[0]
    name = _HEAD_OF.sub("", name)  # "Bộ trưởng Bộ Tài chính" -> "Bộ Tài chính"
    for pattern, full in _ABBREVIATIONS:
        name = pattern.sub(full, name)
    name = _BODY_END.sub("", name).strip(" .:-")
    local = _LOCAL.match(name)
    if local:  # a province's or commune's body needs its place: "ỦY BAN NHÂN DÂN TỈNH X"
        unit = _UNIT_AT.match(name, local.end())
        place = []
        for word in name[unit.end():].split() if unit else []:
            if not word[:1].isupper():  # "tỉnh đã ban hành" names no place
                break
            place.append(word)
        if not place:
            return ""
        name = re.sub(r"^THƯỜNG TRỰC ", "", f"{name[:unit.end()]} {' '.join(place)}".upper())
    name = name.upper()
    if not ISSUER.match(name) or name.startswith("BAN HÀNH") or len(name) > 90 or name in _GENERIC:
        return ""
    return agency_case(name)


def summary_issuer(lines: list[str], kind: str) -> str:
    """'Trên đây là Báo cáo … của Ủy ban nhân dân tỉnh …', 'Trên đây là Kế hoạch …, Ủy ban nhân dân
    tỉnh … báo cáo …': the document naming its own author."""
    for line in reversed(lines):
        m = _SUMMARY.match(line.strip())
        if not m or not kind or not fold(m.group(1)).startswith(fold(kind)):
            continue
        for at in re.finditer(r"(?:\bcủa|,)\s+", line):
            if name := body_name(line[at.end():]):
                return name
    return ""


def preamble_issuer(lines: list[str], start: int) -> str:
    """The upper-case body line that opens the preamble, just before 'Căn cứ …'."""
    end = next((i for i in range(start, min(len(lines), start + 40)) if PREAMBLE_END.match(lines[i].strip())), None)
    if end is None:
        return ""
    for i in range(end - 1, max(start, end - 3) - 1, -1):
        line = lines[i].strip()
        if not line or not line.isupper() or "CỘNG HÒA" in line or "CỘNG HOÀ" in line:
            continue
        nxt = lines[i + 1].strip() if i + 1 < end else ""
        name = body_name(f"{line} {nxt}" if UNIT.match(nxt) and nxt.isupper() else line)
        if name:
            return name
    return ""


def enacting_issuer(lines: list[str], start: int, kind: str) -> str:
    """'Bộ trưởng Bộ … ban hành Thông tư …', 'UBND tỉnh … ban hành Kế hoạch …' ending the preamble."""
    for line in lines[start:start + 40]:
        if _BODY_TEXT_END.match(line.strip()):
            break
        m = _ENACTING.match(line.strip())
        if m and kind and fold(m.group(2)).startswith(fold(kind)) and (name := body_name(m.group(1))):
            return name
    return ""


def closing_issuer(lines: list[str]) -> str:
    """'… được Hội đồng nhân dân tỉnh X khóa …, kỳ họp thứ … thông qua ngày …' -> its body."""
    for line in reversed(lines):
        m = _CLOSING.search(line)
        if m and (name := body_name(m.group(1))):
            return name
    return ""


def annex_reference(lines: list[str], kind: str) -> tuple[str, str, str]:
    """(number, date, issuer) from the annexes' headers naming this document by its kind; empty when
    they name different numbers."""
    found = set()
    for line in lines:
        m = _ANNEX.match(line.strip(" *_"))
        if not m or not kind or fold(m.group("kind")) != fold(kind):
            continue
        n = NUMBER.match(m.group("num"))
        if n and n.group(1):
            number = re.sub(r"\s+", "", n.group(0))
            found.add((number, iso("ngày " + m.group("date")), body_name(m.group("body") or "")))
    return found.pop() if len({f[0] for f in found}) == 1 and len(found) == 1 else ("", "", "")


def signature_issuer(signer_title: str, text: str) -> str:
    """The 'TM.' body of the signature; a local body completed with the one place the text names it
    with ('Ủy ban nhân dân tỉnh Cà Mau')."""
    m = _TM.search(signer_title)
    if not m:
        return ""
    body = " ".join(m.group(1).split()).upper()
    name = body_name(body)
    if name or body not in _BODY_WORDS:
        return name
    mention = re.compile(r"(?i:" + _BODY_WORDS[body] + r")\s+(?i:" + _UNIT_WORDS + r")\s+(\S+(?:\s+\S+){0,3})")
    places: dict[tuple[str, str], int] = {}
    for found in mention.finditer(text):
        words = []
        for word in found.group(2).split():
            clean = word.strip(",.;:()")
            if not clean[:1].isupper() or clean.isupper() and len(clean) > 1:
                break
            words.append(clean)
            if clean != word:
                break
        if words:
            key = (found.group(1).lower(), " ".join(words))
            places[key] = places.get(key, 0) + 1
    if len(places) != 1 or sum(places.values()) < 2:  # one place, named more than once
        return ""
    unit, place = next(iter(places))
    return body_name(f"{body} {unit} {place}")
