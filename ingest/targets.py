"""Stage 6a: targets (chỉ tiêu) as data — one record per indicator of each "(n)" item, with the
value as written, its comparator, number and unit, and its span in CleanDocument.text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .spans import alternation, capitalize, heading_title, line_end, trim
from .text import fold, numbers, parse_number
from .types import CleanDocument, DocMeta, Section, Target


_ITEM = re.compile(r"\((\d{1,3})\)\s*")

# Comparators change a value's meaning and stay in it; fillers ("đạt", "chiếm") are dropped.
_CMP_TAIL = re.compile(r"(?:^|(?<=\s))(" + alternation(
    "không vượt quá|không thấp hơn|không dưới|không quá|tối thiểu|tối đa|ít nhất|xếp thứ|đứng thứ|"
    "xếp hạng|tương đương|khoảng|trên|dưới|từ|hơn|gần|tăng|giảm|còn|vượt") + r")\s*$", re.I)

_RANKS = ("xếp thứ", "đứng thứ", "xếp hạng")  # a rank has no written unit: "hạng"

_FILLER_TAIL = re.compile(r"(?:^|(?<=\s))(?:đạt|chiếm|là|ở mức|bằng|cho)\s*$", re.I)

_UNIT = re.compile(r"\s?(%|(?:" + alternation(
    "nghìn tỷ đồng|tỷ đồng|triệu đồng|nghìn đồng|đồng|triệu USD|tỷ USD|USD|điểm|km|ha|m2|m3|tấn|"
    "nghìn tấn|MW|người|lao động|hộ|xã|doanh nghiệp|hợp tác xã|lượt khách|lượt|giường bệnh|bác sĩ|"
    "sản phẩm|công trình|trường|học sinh|thôn|năm|tháng|ngày|lần") + r")(?:/[^\s,.;]+(?: dân)?)?)(?!\w)")

_SUFFIX = re.compile(r"\s+(trở lên|trở xuống)(?!\w)", re.I)

_YEAR = re.compile(r"(?:19|20)\d\d")

_NOT_UNIT = {"trở", "so", "trên", "dưới", "trong", "tại", "của", "với", "năm", "vào", "theo", "đến", "và"}

_HARD = re.compile(r";\s*|\.\s+|,?\s*(?<!\w)trong đó(?!\w)[:,]?\s*")  # ";", ". X", "(, )trong đó"


@dataclass(frozen=True)
class _Value:
    ind_end: int  # where the indicator words stop (absolute offsets throughout)
    start: int  # the value, comparator included
    end: int
    comparator: str
    numeric: float | None
    unit: str


def extract_targets(meta: DocMeta, doc: CleanDocument, sections: list[Section]) -> list[Target]:
    """One Target per indicator of every "(n)" item; the indicators of one item share its code.

    Value = the phrase's last number that is not a bare year, with the comparator words right before
    it and its unit ("tối thiểu 9%", "56,85 triệu đồng", "xếp thứ 29"). An item without numbers is
    kept (value "") only under a group that reads like a list of targets (chỉ tiêu / mục tiêu).
    """
    by_path = {s.path: s for s in sections}
    text, out = doc.text, []
    for sec in sections:
        eol = line_end(text, sec.start)
        m = _ITEM.match(text, sec.start, eol)
        if sec.kind != "item" or not m:
            continue
        parent = by_path.get(sec.path[:-1])
        group = "" if parent is None else parent.path[-1] if parent.kind == "group" else (
            heading_title(parent.heading) if parent.kind in ("plan", "roman") else "")
        base = dict(doc_id=meta.doc_id, number=meta.number, group=group, code=f"({m.group(1)})",
                    section=sec.name, text=text[sec.start:eol])
        found: list[Target] = []
        previous = ""
        for cs, ce in _clauses(text, m.end(), eol):
            if (v := _measure(text, cs, ce)) is None:
                continue
            # "…, tăng 8% so với …" has no words of its own: it belongs to the previous indicator.
            indicator = previous = capitalize(text[cs:v.ind_end].strip()) or previous
            found.append(Target(**base, indicator=indicator, value=text[v.start:v.end], start=cs,
                                end=v.end, comparator=v.comparator, numeric=v.numeric, unit=v.unit))
        if not found and re.search(r"\b(chi|muc) tieu\b", fold(group)):
            s, e = trim(text, m.end(), eol)
            found.append(Target(**base, indicator=capitalize(text[s:e]), value="", comparator="",
                                numeric=None, unit="", start=s, end=e))
        out.extend(found)
    return out


def _clauses(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Indicator phrases of an item body: hard boundaries, then ", " between two valued phrases."""
    pieces, pos = [], s
    for m in _HARD.finditer(text, s, e):
        if m.group().startswith(".") and not text[m.end():m.end() + 1].isupper():
            continue  # "47,6%." at the end, an abbreviation: not a boundary
        pieces.append((pos, m.start()))
        pos = m.end()
    out = []
    for ps, pe in pieces + [(pos, e)]:
        cur = ps
        for m in re.compile(r",\s+").finditer(text, ps, pe):
            # "… xếp thứ 29, chỉ số … xếp thứ 32": the left ends with its value, the right has one.
            left = _measure(text, cur, m.start())
            if left and len(text[left.end:m.start()].split()) <= 4 and text[m.end():m.end() + 1].isalpha() \
                    and _measure(text, m.end(), pe):
                out.append((cur, m.start()))
                cur = m.end()
        out.append((cur, pe))
    return [t for t in (trim(text, a, b) for a, b in out) if t[1] > t[0]]


def _measure(text: str, s: int, e: int) -> _Value | None:
    """The value of the phrase text[s:e], or None when it holds no number but years."""
    for ns, ne, token in reversed(_number_spans(text, s, e)):
        unit_m = _UNIT.match(text, ne, e)
        if _YEAR.fullmatch(token) and not unit_m:
            continue  # "so với năm 2025", "giai đoạn 2026 - 2030"
        head, cmps = text[s:ns], []
        while m := _CMP_TAIL.search(head):
            cmps.insert(0, m.group(1).lower())
            head = head[:m.start(1)]
        value_start = s + len(head)
        while (shorter := _FILLER_TAIL.sub("", head).rstrip(" :,;–-\t")) != head:
            head = shorter
        if cmps and cmps[-1] in _RANKS:
            unit, end = "hạng", ne
        elif unit_m:
            unit, end = unit_m.group(1), unit_m.end()
        else:  # a unit not in the list: one or two lowercase words ending the phrase ("500 cán bộ")
            bare = re.match(r"\s+([^\W\d_]+(?: [^\W\d_]+)?)[\s.;,]*$", text[ne:e])
            ok = bare and bare.group(1).islower() and bare.group(1).split()[0] not in _NOT_UNIT
            unit, end = (bare.group(1), ne + bare.end(1)) if ok else ("", ne)
        if suffix := _SUFFIX.match(text, end, e):
            end, cmps = suffix.end(), cmps or [suffix.group(1).lower()]
        return _Value(s + len(head), value_start, end, " ".join(cmps), parse_number(token), unit)
    return None


def _number_spans(text: str, s: int, e: int) -> list[tuple[int, int, str]]:
    """Where the numbers of text[s:e] (as `numbers` reads them) sit."""
    out, pos = [], s
    for token in numbers(text[s:e]):
        i = text.find(token, pos, e)
        while i >= 0 and ((i > s and (text[i - 1].isalnum() or text[i - 1] in "._,"))
                          or (i + len(token) < e and text[i + len(token)].isalnum())):
            i = text.find(token, i + 1, e)
        if i >= 0:
            out.append((i, i + len(token), token))
            pos = i + len(token)
    return out
