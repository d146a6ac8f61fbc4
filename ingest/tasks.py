"""Stage 6b: assignments (nhiệm vụ) as data — assignment sentences ("… giao Ủy ban nhân dân tỉnh
tổ chức …", "Sở X chủ trì, phối hợp với Sở Y …"), plan paragraphs and assignment tables, each with
its agency, period, sector and span in CleanDocument.text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .spans import MARKER, alternation, heading_title, trim
from .tables import data_rows
from .text import fold, normalize, sentence_spans
from .types import LAYOUT_ROW, CleanDocument, DocMeta, Section, Task


_NO_TASKS = {"info", "header", "preamble", "signature", "group"}

# Words opening an agency phrase. The nouns need a capitalised name or "tỉnh" after them, so that
# "Ban hành", "Hội nhập", "Báo cáo", "Trường hợp" are not agencies.
_HEADS = ("ủy ban|uỷ ban|ubnd|hội đồng|hđnd|thường trực|phó chủ tịch|chủ tịch|công an|bộ chỉ huy|kho bạc|"
          "mặt trận|tỉnh ủy|tỉnh uỷ|thủ trưởng|giám đốc|người đứng đầu|bảo hiểm xã hội|liên đoàn|chính phủ|"
          "thủ tướng|tòa án|viện kiểm sát|ban quản lý|ban chỉ đạo|cơ quan|đơn vị|các sở|các ban|các bộ|"
          "các cơ quan|các đơn vị|các địa phương|các tổ chức|các huyện|các xã|các ngành").split("|")

_NOUNS = ("chi cục|văn phòng|ngân hàng|thanh tra|trung tâm|hải quan|chi nhánh|sở|ban|bộ|cục|viện|đài|"
          "báo|trường|hội|đoàn|thuế").split("|")

# Lowercase verbs (and the adverbs that open a clause: "thường xuyên", "định kỳ") that end an
# agency phrase and open the task ("các tổ chức", "chương trình", "việc làm" are nouns; "Ban quản lý",
# "Ban chỉ đạo" are names).
_VERB = re.compile(r"(?<!\w)(?<!các )(?<!những )(?<!mọi )(?<!chương )(?<!tờ )(?<!việc )(?<![Bb]an )(?:" + alternation(
    "thường xuyên|định kỳ|hằng|hàng tuần|hàng tháng|hàng quý|hàng năm|kịp thời|trực tiếp|nghiêm túc|"
    "tập trung|tham gia|tích cực|trình|làm|"
    "chủ trì|phối hợp|chịu trách nhiệm|có trách nhiệm|giám sát|kiểm tra|hướng dẫn|tổ chức|triển khai|"
    "thực hiện|xây dựng|chỉ đạo|theo dõi|tham mưu|báo cáo|đôn đốc|rà soát|ban hành|bố trí|nghiên cứu|"
    "đề xuất|tiếp tục|khẩn trương|chủ động|căn cứ|cân đối|hoàn thành|tăng cường|đẩy mạnh|phê duyệt|"
    "thẩm định|quản lý|tổng hợp|lãnh đạo|điều hành|bảo đảm|đảm bảo") + r")(?!\w)")

_ASSIGN = re.compile(r"(?<!\w)(?:[Gg]iao|[Đđ]ề nghị|[Yy]êu cầu)(?: cho)?\s+")

# What follows an agency's name without being part of it: its remit ("…, trong phạm vi chức năng,
# nhiệm vụ", "theo chức năng") or a role after a colon ("Sở X: Chủ trì").
_AGENCY_TAIL = re.compile(r"[ ,;]*(?:(?<!\w)(?:trong phạm vi|theo (?:chức năng|phạm vi|thẩm quyền|phân cấp|"
                          r"nhiệm vụ được giao))(?!\w)|:\s*(?:chủ trì|phối hợp|thực hiện|tổ chức)(?!\w)).*$",
                          re.I | re.S)

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
_COLUMNS = (("unit", ("don vi tinh", "dvt")), ("cooperating", ("phoi hop",)),
            ("period", ("thoi gian", "thoi han", "tien do")),
            ("task", ("nhiem vu", "noi dung", "cong viec")),
            ("agency", ("chu tri", "thuc hien", "trach nhiem", "co quan", "don vi")))

_GROUP_TT = re.compile(r"[IVXLC]+\.?|[A-ZĐ]\.?")  # "I", "II.", "A": a group row's number
_TASK_HEADING = re.compile(r"\b(nhiem vu|giai phap|phan cong|to chuc thuc hien)\b")


def extract_tasks(meta: DocMeta, doc: CleanDocument, sections: list[Section]) -> list[Task]:
    """Assignments and plan tasks in document order, then table rows.

    A plan paragraph gets an agency only when the paragraph itself names one. A resolution that
    hands the whole plan to one body ("Hội đồng nhân dân tỉnh giao Ủy ban nhân dân tỉnh tổ chức
    triển khai thực hiện Nghị quyết") yields its own Task; that agency is NOT copied onto the plan
    tasks, so stated and inferred facts stay apart: `lead_agencies` gives each task its stated
    agency or the one it inherits from that clause (marked as inherited, naming the clause).
    """
    by_path = {s.path: s for s in sections}
    text, out = doc.text, []
    since = int(meta.issued[:4]) if meta.issued[:4].isdigit() else 0
    table_lines = sorted((r.start, r.end) for r in doc.rows if r.row != LAYOUT_ROW)
    for i, sec in enumerate(sections):
        if sec.kind in _NO_TASKS or sec.kind == "item" and _is_target_list(sec, by_path):
            continue
        own_end = min(sec.end, sections[i + 1].start) if i + 1 < len(sections) else sec.end
        chain = [p for k in range(len(sec.path), 0, -1) if (p := by_path.get(sec.path[:k]))]
        # A plan paragraph is a task (even naming no agency) only under a heading about tasks.
        plan = next((p for p in chain if p.kind == "plan"), None)
        if plan and not any(_TASK_HEADING.search(fold(p.heading)) for p in chain):
            plan = None
        sector = heading_title(plan.heading) if plan else next((t for p in chain if (t := heading_title(p.heading))), "")
        owner = next((a for p in chain[:2] if (a := _heading_agency(p.heading))), "")  # "a) Sở Xây dựng"
        for ps, pe in _paragraphs(text, sec.start, own_end, skip_heading=sec.kind == "plan"):
            if _in_table(table_lines, ps):
                continue  # a rendered table line: see _table_tasks
            if owner and text[ps:pe].strip(" :") == owner:
                continue  # the heading that names the agency
            found = [_plan_task(text[ps:pe], ps, pe)] if plan else _assignments(text, ps, pe)
            if owner and not found:  # a duty listed under the agency's heading
                found = [_plan_task(text[ps:pe], ps, pe)]
            for t in found:
                if owner and not t["agency"]:
                    t["agency"] = owner
            out.extend(Task(doc_id=meta.doc_id, number=meta.number, section=sec.name, sector=sector,
                            period=_period(t["task"], since), **t) for t in found)
    return out + _table_tasks(meta, doc, sections, since)


def _heading_agency(heading: str) -> str:
    """A heading that is an agency's name alone ("a) Sở Xây dựng", "2. Công an tỉnh:"): the duties
    listed under it are that agency's. A heading with a verb or a report word is not."""
    title = MARKER.sub("", heading.strip(), count=1).strip().rstrip(":").strip()
    if not title or len(title) > 160 or not _agency_head(title, 0) or _VERB.search(title) or _NOT_AGENCY.search(title):
        return ""
    return title


def _in_table(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos <= spans[i][1]


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
        marker = MARKER.match(line)
        a, b = trim(text, start + (marker.end() if marker else 0), start + len(line))
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
            cs, ce = trim(text, ps + a + m.start(), ps + a + m.end())
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
    agency = _AGENCY_TAIL.sub("", sentence[start:verb.start()]).strip(" ,")
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
    """Rows of assignment tables (TT | Nhiệm vụ | Cơ quan chủ trì | Phối hợp | Thời gian …): a
    table whose header names a task column and an agency or time column. A group line of the
    table ("I. Hoàn thiện thể chế") is the sector of the rows below it."""
    out: list[Task] = []
    sector_of: dict[int, str] = {}
    rows_of: dict[int, dict[int, tuple]] = {}
    for span in doc.rows:
        if span.row == LAYOUT_ROW or span.table >= len(doc.tables):
            continue
        if span.table not in rows_of:
            rows_of[span.table] = {i: (row, header, is_h) for i, row, header, is_h in data_rows(doc.tables[span.table])}
        if span.row < 0:
            line = doc.text[span.start:span.end]
            if " | " not in line:  # a group line ("I. Hoàn thiện thể chế"), not a header
                sector_of[span.table] = _cell(line)
            continue
        row, header, _ = rows_of[span.table].get(span.row, ((), (), True))
        cols = _roles(header)
        if "task" not in cols or not {"agency", "period"} & cols.keys():
            continue
        if len(row) != len(header):
            continue  # a row with merged cells cannot be aligned to the header
        get = {role: _cell(row[n]) for role, n in cols.items()}
        if not get["task"]:
            continue
        where = next((s.name for s in reversed(sections) if s.start <= span.start <= s.end), "")
        out.append(Task(doc_id=meta.doc_id, number=meta.number, section=where or _TABLE_SECTION,
                        sector=sector_of.get(span.table, ""), task=get["task"], agency=get.get("agency", ""),
                        cooperating=get.get("cooperating", ""), start=span.start, end=span.end,
                        period=get.get("period") or _period(get["task"], since),
                        text=doc.text[span.start:span.end]))
    return out


def _roles(header: tuple[str, ...]) -> dict[str, int]:
    """Column index of each role the header names (the first column per role)."""
    cols: dict[str, int] = {}
    for n, h in enumerate(map(fold, header)):
        role = "tt" if h.strip() in ("tt", "stt", "so tt") else next(
            (r for r, keys in _COLUMNS if any(k in h for k in keys)), "")
        if role:
            cols.setdefault(role, n)
    return cols


def _cell(value: str | None) -> str:
    return re.sub(r"\s+", " ", normalize(value or "")).strip()


# ---------------------------------------------------------------------------------------------
# Inherited lead agencies
# ---------------------------------------------------------------------------------------------
# An implementation clause: an agency to "(tổ chức) (triển khai) thực hiện" the document itself
# ("Giao Ủy ban nhân dân tỉnh tổ chức triển khai thực hiện Nghị quyết"). The closing "… chịu trách
# nhiệm thi hành Quyết định này" of a decision names everyone it concerns, no lead: not one.
_IMPLEMENTS = re.compile(r"^(?:tổ chức |triển khai |chỉ đạo )*thực hiện (?:nghị quyết|quyết định|"
                         r"kế hoạch|chỉ thị|nghị định|thông tư|chương trình|đề án|văn bản)(?!\w)", re.I)


@dataclass(frozen=True)
class Lead:
    """A task's lead agency: stated in the task, or inherited from its document's
    implementation clause (`clause`, the Task of that clause)."""

    agency: str
    clause: Task | None = None

    @property
    def inherited(self) -> bool:
        return self.clause is not None

    def label(self) -> str:
        """'Sở Tài chính'; 'Ủy ban nhân dân tỉnh (kế thừa từ Điều 2)' when inherited."""
        if self.clause is None:
            return self.agency
        return f"{self.agency} (kế thừa từ {self.clause.section or 'điều khoản tổ chức thực hiện'})"


def lead_agencies(tasks: list[Task]) -> list[Lead]:
    """The lead agency of each task, in order. A task naming its agency keeps it; one naming none
    inherits the agency its document gives the implementation of the whole document, if any."""
    clauses: dict[str, Task] = {}
    for t in tasks:
        if t.agency and t.doc_id not in clauses and _IMPLEMENTS.match(t.task):
            clauses[t.doc_id] = t
    return [Lead(t.agency) if t.agency or t.doc_id not in clauses else Lead(clauses[t.doc_id].agency, clauses[t.doc_id])
            for t in tasks]
