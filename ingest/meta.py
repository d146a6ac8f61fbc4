"""Stage 3: CleanDocument -> DocMeta, from the document itself first, a web copy's metadata box
second (only for what the document does not print).

- the letterhead (`ingest.letterhead`, its blocks in any order): issuer ("ỦY BAN NHÂN DÂN" + "TỈNH
  LÂM ĐỒNG"), "Số: 0204/KH-UBND" (stray spaces removed, leading zeros kept, a draft's blank
  "Số:   /KH-UBND" recorded as ""), "<place>, ngày dd tháng mm năm yyyy" (blanks: then no date);
- without one (a web copy that lost it), what the text says (`ingest.statements`): the preamble's
  body line or enacting sentence, the closing formula, an annex header naming the document, the
  signature's "TM." body; the date from "… thông qua ngày …" or that annex header;
- the kind: its line ("NGHỊ QUYẾT"), a "V/v …" subject (Công văn), or the number's code;
- the title: the "V/v …" lines, or the lines after the kind;
- the signature block: TM./KT./Q./TL. + position + name;
- the effective date: "có hiệu lực (thi hành) (kể) từ ngày …", "… từ ngày ký", "sau N ngày kể từ …";
- relations and the "Căn cứ" basis: `ingest.relations`.

`doc_id` is stable: number + place, or, for a document without a number, its kind, place and title.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from . import letterhead as lh
from . import statements as st
from .letterhead import DATE, ISSUER
from .relations import based_on, relations
from .text import fold
from .types import CleanDocument, DocMeta

HEAD_LINES = 40  # the letterhead and title live in the first paragraphs
TAIL_LINES = 80  # the signature block in the last ones (before any annex)

_KINDS = ("NGHỊ QUYẾT LIÊN TỊCH", "THÔNG TƯ LIÊN TỊCH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "KẾ HOẠCH",
          "CHỈ THỊ", "THÔNG BÁO", "BÁO CÁO", "TỜ TRÌNH", "NGHỊ ĐỊNH", "THÔNG TƯ", "HIẾN PHÁP",
          "PHÁP LỆNH", "LUẬT", "CHƯƠNG TRÌNH", "HƯỚNG DẪN", "ĐỀ ÁN", "CÔNG ĐIỆN", "QUY CHẾ",
          "QUY ĐỊNH", "CÔNG VĂN", "KẾT LUẬN")
_KIND_LINE = re.compile(r"^(" + "|".join(_KINDS) + r")(?:\s+(.*))?$")
CODES = {"NQ": "Nghị quyết", "QĐ": "Quyết định", "KH": "Kế hoạch", "CT": "Chỉ thị", "TB": "Thông báo",
         "BC": "Báo cáo", "TTr": "Tờ trình", "NĐ": "Nghị định", "TT": "Thông tư", "QH": "Luật",
         "CTr": "Chương trình", "HD": "Hướng dẫn", "ĐA": "Đề án", "CĐ": "Công điện", "KL": "Kết luận",
         "NQLT": "Nghị quyết liên tịch", "TTLT": "Thông tư liên tịch", "PL": "Pháp lệnh", "QC": "Quy chế"}
_BODY_START = re.compile(r"^(Căn cứ|Xét|Theo đề nghị|Thực hiện|Kính gửi|Điều \d|Chương|Phần|[IVX]+\.|\d+\.|"
                         r"\(Ban hành kèm|\(Kèm theo|LỜI NÓI ĐẦU|LỜI MỞ ĐẦU|Lời nói đầu)")
_SIGN_PREFIX = re.compile(r"^(TM|KT|TL|TUQ|Q|Q\. ?)\.\s")
_POSITION = re.compile(r"^(PHÓ |Q\. )?(CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỨ TRƯỞNG|THỦ TƯỚNG|TRƯỞNG BAN|CHÁNH VĂN PHÒNG|"
                       r"CHỦ NHIỆM|TỔNG THƯ KÝ|TRƯỞNG ĐOÀN|VIỆN TRƯỞNG|CHÁNH ÁN|TỔNG KIỂM TOÁN|THỐNG ĐỐC|"
                       r"CỤC TRƯỞNG|TỔNG GIÁM ĐỐC|BÍ THƯ|TRƯỞNG PHÒNG)\b")
_SIGNED = re.compile(r"\((đã ký|Đã ký|ký)[^)]*\)|\[?đã ký\]?", re.I)
_SIGNED_LINE = re.compile(r"^(.{2,80}?)\s*\((?:đã ký|ký)[^)]*\)\s*(.*)$", re.I)  # "Chủ tịch Quốc hội (Đã ký) Tên"
_EFFECTIVE = re.compile(
    r"(có hiệu lực|hiệu lực thi hành)(?: thi hành)?(?:\s*(?:kể\s*)?từ|\s+sau)\s+(?:ngày\s*)?"
    r"(?:(\d{1,2})\s*(?:tháng|/)\s*(\d{1,2})\s*(?:năm|/)\s*(\d{4})|(ngày )?(ký|ký ban hành|ban hành|thông qua)|"
    r"(\d{1,3})\s*ngày,?\s*(?:kể\s*)?từ\s*ngày\s*(?:ký|ban hành|thông qua|công bố))", re.I)
_SELF = re.compile(r"\b(Nghị quyết|Quyết định|Thông tư|Nghị định|Luật|Kế hoạch|Chỉ thị|Hiến pháp|Văn bản|Pháp lệnh)"
                   r"\s+này\b")
_PASSED = re.compile(r"thông qua (?:ngày|vào ngày)\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.I)


def extract_meta(doc: CleanDocument) -> DocMeta:
    """Document metadata: the document's own header and signature; the web box fills gaps."""
    box = {k.lower(): v.strip() for k, v in doc.header.items()}
    lines = doc.text.split("\n")
    head = lines[:HEAD_LINES]
    kind_at = _kind(head, "")[1]
    zone = kind_at if kind_at is not None else _letterhead_end(head)
    letter = lh.cells(head[:zone])  # the letterhead's blocks, whatever their order
    number, code = lh.number(letter + head[zone:])
    if not number and not code and box.get("số hiệu"):
        number, code = lh.number([f"Số: {box['số hiệu']}"])
    place, issued = lh.place_date(letter + head[zone:])
    kind, kind_at = _kind(head, code)
    kind = kind or box.get("loại văn bản", "")
    annex = st.annex_reference(lines, kind) if not number and not code and not place else ("", "", "")
    number = number or annex[0]
    issued = issued or lh.iso(box.get("ngày ban hành", "")) or _passed(lines) or annex[1]
    signer, signer_title = _signature(lines)
    issuer = lh.issuer(letter) or lh.issuer_code(code) or (lh.issuer(head[zone:]) if kind_at is None else "") \
        or _letterhead_after(head, kind_at) or st.preamble_issuer(lines, kind_at or 0) or st.enacting_issuer(lines, kind_at or 0, kind) \
        or st.closing_issuer(lines) or annex[2] or st.summary_issuer(lines, kind) \
        or st.signature_issuer(signer_title, doc.text) or box.get("cơ quan ban hành", "")
    place = place or lh.place_of(issuer)
    title, raw_title = _title(head, kind_at, box.get("tiêu đề", ""), place)
    signer = signer or box.get("người ký", "")
    effective = _effective(doc.text, issued) or lh.iso(box.get("ngày có hiệu lực", "") or box.get("ngày hiệu lực", ""))
    doc_id = _doc_id(number, kind, place, issuer, title, doc.sha256)
    return DocMeta(doc_id=doc_id, number=number, type=kind, issuer=issuer, issued=issued,
                   effective=effective, signer=signer, fields=box.get("lĩnh vực", ""), title=title,
                   place=place, source=doc.source, sha256=doc.sha256, signer_title=signer_title,
                   relations=tuple(relations(doc.text, raw_title, number)), based_on=tuple(based_on(doc.text, number)),
                   reading=doc.reading)


def _letterhead_after(head: list[str], kind_at: int | None) -> str:
    """The issuer of a letterhead a text layer put after the kind and title lines, before the body."""
    if kind_at is None:
        return ""
    end = next((i for i in range(kind_at + 1, len(head)) if st.PREAMBLE_END.match(head[i])), len(head))
    blocks = [i for i in range(kind_at + 1, end) if lh.has_blocks(head[i:i + 1])]
    return lh.issuer(lh.cells(head[max(kind_at + 1, blocks[0] - 3):end])) if blocks else ""


def _letterhead_end(head: list[str]) -> int:
    """Where a letterhead without a kind line ends: its 'V/v …' subject or the body's first line."""
    return next((i for i, line in enumerate(head) if re.match(r"^V/v\b", line, re.I) or _BODY_START.match(line)),
                len(head))


def _passed(lines: list[str]) -> str:
    """A resolution without a dated letterhead: "… thông qua ngày 19 tháng 02 năm 2025"."""
    for line in reversed(lines[-TAIL_LINES:]):
        m = _PASSED.search(line)
        if m:
            return lh.ymd(m.group(3), m.group(2), m.group(1))
    return ""


def _kind(head: list[str], code: str) -> tuple[str, int | None]:
    """The kind and the index of its line (None when it comes from 'V/v' or the number)."""
    for i, line in enumerate(head):
        m = _KIND_LINE.match(line.strip())
        if m and not line.rstrip().endswith(":") and (m.group(2) is None or m.group(2).isupper()
                                                       or m.group(2).startswith(("VỀ", "Về"))):
            return m.group(1).capitalize(), i
    if any(re.match(r"^V/v\b", line, re.I) for line in head):
        return "Công văn", None
    first = code.split("-")[0] if code else ""
    if first in CODES:
        return CODES[first], None
    return ("Công văn" if first else ""), None


def _title(head: list[str], kind_at: int | None, web_title: str, place: str) -> tuple[str, str]:
    """The trích yếu (sentence case) and its text as printed: the 'V/v …' lines, else the lines
    after the kind up to the body (lines of the same case as the first)."""
    vv = next((i for i, line in enumerate(head) if re.match(r"^V/v\b", line, re.I)), None)
    if vv is not None:
        parts = [head[vv]]
        for line in head[vv + 1:vv + 5]:
            if _BODY_START.match(line) or ISSUER.match(line) or len(line) > 200 or DATE.search(line):
                break
            parts.append(line)
    elif kind_at is not None:
        m = _KIND_LINE.match(head[kind_at].strip())
        parts = [m.group(2)] if m and m.group(2) else []
        for line in head[kind_at + 1:kind_at + 5]:
            if _BODY_START.match(line) or (ISSUER.match(line) and line.isupper() and parts) or len(line) > 400 \
                    or parts and line.isupper() != parts[0].isupper():
                break
            parts.append(line)
    else:  # no kind line: a "VỀ …" subject line stands for the title
        parts = [line for line in head if re.match(r"^(VỀ|Về)\s", line)][:1]
    if not parts:
        return web_title, web_title
    raw = " ".join(" ".join(parts).split())
    return _sentence_case(raw, web_title, place), raw


def _sentence_case(line: str, web_title: str, place: str) -> str:
    """An all-caps title in sentence case (the web title's casing when it has the title);
    document numbers and the place keep their case."""
    if not line.isupper():
        return line
    found = web_title.lower().find(line.lower())
    if found >= 0:
        out = web_title[found:found + len(line)]
    else:
        out = line.lower()
        if place:
            out = re.sub(re.escape(place.lower()), place, out)
        for number in re.findall(r"\S*\d\S*/\S+", line):
            out = out.replace(number.lower(), number)
    return out[:1].upper() + out[1:]


def _signature(lines: list[str]) -> tuple[str, str]:
    """(name, position block) of the first signature block: 'KT. CHỦ TỊCH' / 'PHÓ CHỦ TỊCH' / name."""
    for i, line in enumerate(lines):
        if re.fullmatch(r"\(?(đã ký|Đã ký|ĐÃ KÝ)\)?", line.strip()) and 0 < i < len(lines) - 1:
            name = _trailing_name(lines[i + 1].strip())
            if name and name == lines[i + 1].strip():
                return name, lines[i - 1].strip()  # "Chủ tịch Quốc hội" / "(Đã ký)" / name
        signed = _SIGNED_LINE.match(line.strip())
        if signed and _trailing_name(signed.group(2)) == signed.group(2).strip() and signed.group(2).strip():
            return signed.group(2).strip(), signed.group(1).strip()
        text = _SIGNED.sub(" ", line).strip()
        if not (_SIGN_PREFIX.match(text) or _POSITION.match(text) and text.isupper()):
            continue
        block = [text]
        for nxt in lines[i + 1:i + 6]:
            nxt = _SIGNED.sub(" ", nxt).strip()
            if not nxt:
                continue
            name = _trailing_name(nxt)
            if name and nxt == name:
                return name, " ".join(block)
            if _SIGN_PREFIX.match(nxt) or _POSITION.match(nxt) or nxt.isupper():
                block.append(nxt)
                if name := _trailing_name(nxt):
                    return name, " ".join(block)[: -len(name)].strip()
                continue
            break
        name = _trailing_name(text)
        if name:
            return name, text[: -len(name)].strip()
    return "", ""


def _trailing_name(text: str) -> str:
    """A Vietnamese name ending the text: 2-5 words, each capitalised ('Nguyễn Thị Bích Ngọc')."""
    words = text.split()
    name: list[str] = []
    for word in reversed(words):
        if len(word) > 1 and word[0].isupper() and word[1:].islower() and word.isalpha() or (
                len(word) == 1 and word.isupper() and word.isalpha()):
            name.insert(0, word)
            if len(name) == 5:
                break
        else:
            break
    return " ".join(name) if 2 <= len(name) <= 5 else ""


def _effective(text: str, issued: str) -> str:
    """The date the document takes effect, from the sentence saying so about itself."""
    best = None
    for m in _EFFECTIVE.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        sentence_head = text[max(start, m.start() - 120):m.start()]
        own = bool(_SELF.search(sentence_head))
        if best is None or own and not best[0]:
            best = (own, m)
        if own:
            break
    if best is None:
        return ""
    m = best[1]
    if m.group(4):
        return lh.ymd(m.group(4), m.group(3), m.group(2))
    if m.group(6) and issued:
        return issued
    if m.group(7) and issued:
        return (date.fromisoformat(issued) + timedelta(days=int(m.group(7)))).isoformat()
    return ""


def _doc_id(number: str, kind: str, place: str, issuer: str, title: str, sha: str) -> str:
    if number:
        return _slug(number) + (("-" + _slug(place)) if place else "")
    if title:
        return _slug(" ".join(x for x in (kind, place or issuer, title) if x))[:80].rstrip("-")
    return "doc-" + sha[:12]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
