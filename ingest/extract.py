"""Stage 6: targets (chỉ tiêu) and assignments (nhiệm vụ) as data, spans into CleanDocument.text.

Targets: one record per indicator of each "(n)" item. Tasks: assignment sentences ("… giao Ủy ban
nhân dân tỉnh tổ chức …", "Sở X chủ trì, phối hợp với Sở Y …"), plan paragraphs, assignment tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import fold, normalize, numbers, parse_number, sentence_spans
from .types import CleanDocument, DocMeta, Section, Target, Task


def _alts(words: str) -> str:
    """'a|bb|c' -> a regex alternation, longest first, escaped."""
    return "|".join(map(re.escape, sorted(words.split("|"), key=len, reverse=True)))


# ---- targets -------------------------------------------------------------------------------

_ITEM = re.compile(r"\((\d{1,3})\)\s*")
# Comparators change a value's meaning and stay in it; fillers ("đạt", "chiếm") are dropped.
_CMP_TAIL = re.compile(r"(?:^|(?<=\s))(" + _alts(
    "không vượt quá|không thấp hơn|không dưới|không quá|tối thiểu|tối đa|ít nhất|xếp thứ|đứng thứ|"
    "xếp hạng|tương đương|khoảng|trên|dưới|từ|hơn|gần|tăng|giảm|còn|vượt") + r")\s*$", re.I)
_RANKS = ("xếp thứ", "đứng thứ", "xếp hạng")  # a rank has no written unit: "hạng"
_FILLER_TAIL = re.compile(r"(?:^|(?<=\s))(?:đạt|chiếm|là|ở mức|bằng|cho)\s*$", re.I)
_UNIT = re.compile(r"\s?(%|(?:" + _alts(
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
        line_end = _line_end(text, sec.start)
        m = _ITEM.match(text, sec.start, line_end)
        if sec.kind != "item" or not m:
            continue
        parent = by_path.get(sec.path[:-1])
        group = "" if parent is None else parent.path[-1] if parent.kind == "group" else (
            _title(parent.heading) if parent.kind in ("plan", "roman") else "")
        base = dict(doc_id=meta.doc_id, number=meta.number, group=group, code=f"({m.group(1)})",
                    section=sec.name, text=text[sec.start:line_end])
        found: list[Target] = []
        previous = ""
        for cs, ce in _clauses(text, m.end(), line_end):
            if (v := _measure(text, cs, ce)) is None:
                continue
            # "…, tăng 8% so với …" has no words of its own: it belongs to the previous indicator.
            indicator = previous = _cap(text[cs:v.ind_end].strip()) or previous
            found.append(Target(**base, indicator=indicator, value=text[v.start:v.end], start=cs,
                                end=v.end, comparator=v.comparator, numeric=v.numeric, unit=v.unit))
        if not found and re.search(r"\b(chi|muc) tieu\b", fold(group)):
            s, e = _trim(text, m.end(), line_end)
            found.append(Target(**base, indicator=_cap(text[s:e]), value="", comparator="",
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
    return [t for t in (_trim(text, a, b) for a, b in out) if t[1] > t[0]]


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


# ---- tasks ---------------------------------------------------------------------------------

_NO_TASKS = {"info", "header", "preamble", "signature", "group"}
_MARKER = re.compile(r"^(?:Điều\s+\d+[a-z]?[.:]\s*|[IVXLC]+\.\s+|\d{1,2}(?:\.\d{1,2})*\.\s+"
                     r"|\d{1,2}(?:\.\d{1,2})+\s+(?=\D)|[a-zđ]\)\s+|\(\d{1,3}\)\s*|[-–•+*]\s+)")
# Words opening an agency phrase. The nouns need a capitalised name or "tỉnh" after them, so that
# "Ban hành", "Hội nhập", "Báo cáo", "Trường hợp" are not agencies.
_HEADS = ("ủy ban|uỷ ban|ubnd|hội đồng|hđnd|thường trực|phó chủ tịch|chủ tịch|công an|bộ chỉ huy|kho bạc|"
          "mặt trận|tỉnh ủy|tỉnh uỷ|thủ trưởng|giám đốc|người đứng đầu|bảo hiểm xã hội|liên đoàn|chính phủ|"
          "thủ tướng|tòa án|viện kiểm sát|ban quản lý|ban chỉ đạo|cơ quan|đơn vị|các sở|các ban|các bộ|"
          "các cơ quan|các đơn vị|các địa phương|các tổ chức|các huyện|các xã|các ngành").split("|")
_NOUNS = ("chi cục|văn phòng|ngân hàng|thanh tra|trung tâm|hải quan|chi nhánh|sở|ban|bộ|cục|viện|đài|"
          "báo|trường|hội|đoàn|thuế").split("|")
# Lowercase verbs that end an agency phrase and open the task ("các tổ chức" is a noun).
_VERB = re.compile(r"(?<!\w)(?<!các )(?<!những )(?<!mọi )(?:" + _alts(
    "chủ trì|phối hợp|chịu trách nhiệm|có trách nhiệm|giám sát|kiểm tra|hướng dẫn|tổ chức|triển khai|"
    "thực hiện|xây dựng|chỉ đạo|theo dõi|tham mưu|báo cáo|đôn đốc|rà soát|ban hành|bố trí|nghiên cứu|"
    "đề xuất|tiếp tục|khẩn trương|chủ động|căn cứ|cân đối|hoàn thành|tăng cường|đẩy mạnh|phê duyệt|"
    "thẩm định|quản lý|tổng hợp|lãnh đạo|điều hành|bảo đảm|đảm bảo") + r")(?!\w)")
_ASSIGN = re.compile(r"(?<!\w)(?:[Gg]iao|[Đđ]ề nghị|[Yy]êu cầu)(?: cho)?\s+")
_NOT_AGENCY = re.compile(r"(?<!\w)(?:đã|đang|sẽ|được|là|cần|phải|nhằm|để|với)(?!\w)")
_LEAD = re.compile(r"(?:chủ trì|chịu trách nhiệm|có trách nhiệm)(?: chính)?\s*,?\s*(?:và\s+)?")
_COOP = re.compile(r"phối hợp(?: chặt chẽ)? với\s+")
_PERIOD = re.compile(
    r"(?:trước|chậm nhất|trong) (?:ngày )?\d{1,2}/\d{1,2}/\d{4}|(?:trước|trong|từ) tháng \d{1,2}/\d{4}"
    r"|(?:giai đoạn|thời kỳ) \d{4}\s*[-–]\s*\d{4}|quý [IV]+(?:/| năm )\d{4}"
    r"|(?:6|9|sáu|chín) tháng (?:đầu|cuối) năm \d{4}|tháng \d{1,2}/\d{4}"
    r"|(?:(?:đến|trước|trong|từ|cuối|đầu) )?năm \d{4}|h[ằà]ng (?:năm|quý|tháng)|thường xuyên", re.I)
_SHORT_PARAGRAPH = 200  # a plan paragraph up to this long is its own task text
_TABLE_SECTION = "Bảng phân công"
# Header roles, tried in order on the folded header text ("Thời gian thực hiện" is a period).
_COLUMNS = (("cooperating", ("phoi hop",)), ("period", ("thoi gian", "thoi han", "tien do")),
            ("task", ("nhiem vu", "noi dung", "cong viec")),
            ("agency", ("chu tri", "thuc hien", "trach nhiem", "co quan", "don vi")))
_GROUP_TT = re.compile(r"[IVXLC]+\.?|[A-ZĐ]\.?")  # "I", "II.", "A": a group row's number


def extract_tasks(meta: DocMeta, doc: CleanDocument, sections: list[Section]) -> list[Task]:
    """Assignments and plan tasks in document order, then table rows.

    A plan paragraph gets an agency only when the paragraph itself names one. A resolution that
    hands the whole plan to one body ("Hội đồng nhân dân tỉnh giao Ủy ban nhân dân tỉnh tổ chức
    triển khai thực hiện Nghị quyết") yields its own Task; that agency is NOT copied onto the plan
    tasks, so stated and inferred facts stay apart: the answerer combines the two.
    """
    by_path = {s.path: s for s in sections}
    text, out = doc.text, []
    since = int(meta.issued[:4]) if meta.issued[:4].isdigit() else 0
    for i, sec in enumerate(sections):
        if sec.kind in _NO_TASKS or sec.kind == "item" and _is_target_list(sec, by_path):
            continue
        own_end = min(sec.end, sections[i + 1].start) if i + 1 < len(sections) else sec.end
        chain = [p for k in range(len(sec.path), 0, -1) if (p := by_path.get(sec.path[:k]))]
        plan = next((p for p in chain if p.kind == "plan"), None)
        sector = _title(plan.heading) if plan else next((t for p in chain if (t := _title(p.heading))), "")
        for ps, pe in _paragraphs(text, sec.start, own_end, skip_heading=sec.kind == "plan"):
            if " | " in text[ps:pe]:
                continue  # a rendered table row: see _table_tasks
            found = [_plan_task(text[ps:pe], ps, pe)] if plan else _assignments(text, ps, pe)
            out.extend(Task(doc_id=meta.doc_id, number=meta.number, section=sec.name, sector=sector,
                            period=_period(t["task"], since), **t) for t in found)
    return out + _table_tasks(meta, doc, sections, since)


def _is_target_list(item: Section, by_path: dict[tuple[str, ...], Section]) -> bool:
    """An item of a group or of a "chỉ tiêu"/"mục tiêu" heading is a target; other "(n)" lists are tasks."""
    parent = by_path.get(item.path[:-1])
    return parent is None or parent.kind == "group" or bool(
        re.search(r"\b(chi|muc) tieu\b", fold(parent.path[-1])))


def _paragraphs(text: str, s: int, e: int, skip_heading: bool) -> list[tuple[int, int]]:
    """Non-empty lines of text[s:e], their list or article marker cut off."""
    out, pos = [], s
    for n, line in enumerate(text[s:e].split("\n")):
        start, pos = pos, pos + len(line) + 1
        marker = _MARKER.match(line)
        a, b = _trim(text, start + (marker.end() if marker else 0), start + len(line))
        if b > a and not (n == 0 and skip_heading):
            out.append((a, b))
    return out


def _plan_task(para: str, ps: int, pe: int) -> dict:
    """A plan paragraph: its first sentence (all of it when short); an agency if it names one."""
    spans = sentence_spans(para) or [(0, len(para))]
    task = para if len(para) <= _SHORT_PARAGRAPH else para[spans[0][0]:spans[0][1]]
    agency = cooperating = ""
    for n, (a, b) in enumerate(spans):
        if hit := _assignment(para[a:b]):
            agency, cooperating, task = hit[0], hit[1], hit[2] if n == 0 else task
            break
    return dict(task=task.strip().rstrip(" .;"), agency=agency, cooperating=cooperating,
                text=para, start=ps, end=pe)


def _assignments(text: str, ps: int, pe: int) -> list[dict]:
    """Sentences (and their ";" clauses) that assign work to a named agency.

    A ";" clause naming no agency continues the previous assignment of its sentence.
    """
    out = []
    for a, b in sentence_spans(text[ps:pe]) or [(0, pe - ps)]:
        current = None
        for m in re.finditer(r"[^;]+", text[ps + a:ps + b]):
            cs, ce = _trim(text, ps + a + m.start(), ps + a + m.end())
            if ce > cs and (hit := _assignment(text[cs:ce])):
                current = dict(agency=hit[0], cooperating=hit[1], task=hit[2], text=text[cs:ce],
                               start=cs, end=ce)
                out.append(current)
            elif ce > cs and current:
                current.update(task=f"{current['task']}; {text[cs:ce]}", end=ce,
                               text=text[current["start"]:ce])
    return out


def _assignment(sentence: str) -> tuple[str, str, str] | None:
    """(agency, cooperating, task) for "[X] giao Y <verb> …" or "Y <verb> …"; None otherwise."""
    start = next((m.end() for m in _ASSIGN.finditer(sentence) if _agency_head(sentence, m.end())),
                 0 if _agency_head(sentence, 0) else None)
    verb = None if start is None else _VERB.search(sentence, start + _agency_head(sentence, start))
    if verb is None:
        return None
    agency = sentence[start:verb.start()].strip(" ,")
    if not agency or len(agency) > 250 or _NOT_AGENCY.search(agency):
        return None  # "Ủy ban nhân dân tỉnh đã tổ chức …" reports, it does not assign
    rest, cooperating = sentence[verb.start():], ""
    if (lead := _LEAD.match(rest)) and lead.end() < len(rest):
        rest = rest[lead.end():]  # "chủ trì, " / "chịu trách nhiệm" + the actual work
    if (coop := _COOP.match(rest)) and (nxt := _VERB.search(rest, coop.end())):
        cooperating, rest = rest[coop.end():nxt.start()].strip(" ,"), rest[nxt.start():]
    task = rest.strip().rstrip(" .;,")
    return (agency, cooperating, task) if task else None


def _agency_head(s: str, i: int) -> int:
    """Length of the agency word(s) opening s[i:]; 0 when s[i:] does not name an agency."""
    low = s[i:i + 40].lower()
    for head in _HEADS:
        if low.startswith(head) and not low[len(head):len(head) + 1].isalpha():
            return len(head)
    for noun in _NOUNS:
        after = s[i + len(noun) + 1:]
        if low.startswith(noun + " ") and (after[:1].isupper() or after.startswith(("tỉnh", "thành phố"))):
            return len(noun)
    return 0


def _period(task: str, since: int = 0) -> str:
    """The first time phrase of a task ("năm 2026", "giai đoạn 2026 - 2030", "quý I/2026").

    A bare "năm YYYY" before `since` (the issue year) names a past law or programme, not a period.
    """
    for m in _PERIOD.finditer(task):
        if re.search(r"tháng \d{1,2}\s*$", task[:m.start()]):
            continue  # the year of a citation date "ngày 22 tháng 12 năm 2024"
        if re.fullmatch(r"năm \d{4}", m.group(), re.I) and int(m.group()[-4:]) < since:
            continue  # "Luật Đất đai năm 2024"
        return m.group()[:1].lower() + m.group()[1:]
    return ""


def _table_tasks(meta: DocMeta, doc: CleanDocument, sections: list[Section], since: int) -> list[Task]:
    """Rows of assignment tables (TT | Nhiệm vụ | Cơ quan chủ trì | Phối hợp | Thời gian …)."""
    out, cursor = [], 0
    for table in doc.tables:
        header = [_cell(c) for c in table[0]] if table else []
        cols: dict[str, int] = {}
        for n, h in enumerate(map(fold, header)):
            role = "tt" if h in ("tt", "stt") else next(
                (r for r, keys in _COLUMNS if any(k in h for k in keys)), "")
            if role:
                cols.setdefault(role, n)
        if "task" not in cols or not {"agency", "period"} & cols.keys():
            continue  # not an assignment table
        sector = ""
        for row in table[1:]:
            cells = [_cell(c) for c in row] + [""] * len(header)
            get = {role: cells[n] for role, n in cols.items()}
            filled = [c for n, c in enumerate(cells) if c and n != cols.get("tt")]
            if cells[:len(header)] == header or not get["task"] and not filled:
                continue  # the header repeated after a page break, or an empty row
            if not (get.get("agency") or get.get("cooperating") or get.get("period")) and (
                    not get["tt"] or _GROUP_TT.fullmatch(get["tt"]) if "tt" in cols else len(filled) == 1):
                sector = " ".join(filled)  # "I | Lĩnh vực kinh tế": a group row
                continue
            if not get["task"]:
                continue
            start, end = _locate(doc.text, get["task"], cursor)
            cursor, line = max(cursor, end), doc.text[start:end]
            where = next((s.name for s in reversed(sections) if end and s.start <= start <= s.end), "")
            out.append(Task(doc_id=meta.doc_id, number=meta.number, section=where or _TABLE_SECTION,
                            sector=sector, task=get["task"], agency=get.get("agency", ""),
                            cooperating=get.get("cooperating", ""), start=start, end=end,
                            period=get.get("period") or _period(get["task"], since),
                            text=line if "|" in line else " | ".join(_cell(c) for c in row)))
    return out


def _locate(text: str, needle: str, cursor: int) -> tuple[int, int]:
    """The line holding `needle` at or after `cursor`, a rendered "a | b" row first; else (0, 0)."""
    fallback = None
    for pos in (m.start() + cursor for m in re.finditer(re.escape(needle), text[cursor:])):
        a = text.rfind("\n", 0, pos) + 1
        b = _line_end(text, a)
        if "|" in text[a:b]:
            return a, b
        fallback = fallback or (a, b)
    return fallback or (0, 0)


def _cell(value: str | None) -> str:
    return re.sub(r"\s+", " ", normalize(value or "")).strip()


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \t,;:.":
        s += 1
    while e > s and text[e - 1] in " \t,;:.":
        e -= 1
    return s, e


def _title(heading: str) -> str:
    """A heading as a sector name: without its number, and only when it reads like a title."""
    title = _MARKER.sub("", heading.strip(), count=1).strip()
    return title if title and len(title) <= 160 and not re.search(r"[.;:!?]$", title) else ""


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]
