"""Stage 4: CleanDocument -> [Section], the hierarchy of Vietnamese legal and planning documents.

Recognised, line by line (a line is a paragraph): the metadata block of web copies, the header,
the "Căn cứ …" preamble, Phần / Chương / Mục / Điều N., "A." parts and roman plan headings "I.",
plan numbering "3.", "3.1.", "3.1.7.", khoản "1." (a numbered line that is a sentence rather
than a title), điểm "a)", grouped items ("- Chỉ tiêu kinh tế:" then "(1)" … "(11)"), the
recipients ("Nơi nhận") and signature blocks at the end of the body, and annexes ("PHỤ LỤC …")
after it. Table rows (CleanDocument.rows) belong to the section around their table; a table's
group lines ("I. Hoàn thiện thể chế") are headings like any other.

Never invents a heading: when numbering skips (3.1.5 -> 3.1.7) or a parent heading is missing
(3.2.1 without 3.2), a section hangs under the nearest real ancestor, and text without a heading
stays in the section it follows — while it plausibly belongs there. Where the numbering jumps
(3.2.2 followed by 3.7: the headings 3.2.3 … 3.6 were lost), the paragraphs of the heading before
the jump stay under it only as long as each one's topic (its first sentence) shares a content
word with the heading; from the first that does not on, each paragraph is a section of its own
under the last certain ancestor (the deepest one that also holds the heading after the jump),
named by its position there: ("Điều 1", "3. Những nhiệm vụ …", "đoạn 32"). Content words are
the heading's syllables and syllable pairs that are rare in the document itself (no word list).
Continuous numbering is never touched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from . import text as vn
from .types import LAYOUT_ROW, CleanDocument, Section

# Labels for blocks that carry no heading of their own (names, not invented headings).
INFO, HEADER, PREAMBLE, SIGNATURE = "Thông tin văn bản", "Phần mở đầu", "Căn cứ ban hành", "Phần ký"
RECIPIENTS = "Nơi nhận"
PARAGRAPH = "đoạn"  # a paragraph cited by its position under an ancestor: "đoạn 32"
_CONTENT_SHARE = 0.1  # a content term occurs in at most this share of the document's lines

_PART = re.compile(r"^(?:PHẦN|Phần)\s+(THỨ\s+\S+|thứ\s+\S+|[IVXLC]+|\d+)\b\.?")
_CHAPTER = re.compile(r"^(?:CHƯƠNG|Chương)\s+([IVXLC]+|\d+)\b\.?(?=\s*$|[.:]|\s+[A-ZĐ(“])")
_FOREWORD = re.compile(r"^(LỜI NÓI ĐẦU|LỜI MỞ ĐẦU|Lời nói đầu)\s*$")
_LEGAL_SECTION = re.compile(r"^(?:MỤC|Mục)\s+(\d+|[IVXLC]+)\b\.?(?!\d)")
_ARTICLE = re.compile(r"^Điều\s+(\d+[a-z]?)(?:\s*[.:]\s*|\s*$)")
_ANNEX = re.compile(r"^(?:PHỤ LỤC|Phụ lục)(?:\s+(?:số\s+)?([IVXLC]+|\d+(?:\.\d+)?[a-z]?))?\b\.?")
_LETTER = re.compile(r"^([A-HJ-UWYZĐ])\.\s+\S")  # "A. …", not the roman "I.", "V.", "X."
_RECIPIENTS = re.compile(r"^Nơi nhận\s*:?")
_SIGNATURE_LINE = re.compile(r"^((TM|KT|TL|TUQ|Q)\.\s|(PHÓ )?(CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỨ TRƯỞNG|THỦ TƯỚNG|"
                             r"TRƯỞNG BAN|CHÁNH VĂN PHÒNG|CHỦ NHIỆM)\b)")
_ROMAN = re.compile(r"^([IVXLC]+)\.\s+\S")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.\s+\S|^(\d{1,2}(?:\.\d{1,2})+)\s+[^\d\s]")
_POINT = re.compile(r"^([a-zđ])\)\s+\S")
_ITEM = re.compile(r"^\((\d{1,3})\)\s*\S")
_GROUP = re.compile(r"^[-–•+]\s*(\S.{2,90}?)\s*:?$")
_PREAMBLE = re.compile(r"^(Căn cứ|Xét|Theo đề nghị)\b|^(QUYẾT NGHỊ|QUYẾT ĐỊNH|NGHỊ QUYẾT)\s*:$")
_END_MARK = re.compile(r"\./\.\s*$")
HEADER_LINE_MAX = 200  # header lines are short; a longer line before any heading is prose

# Nesting levels: a new section closes every open one at the same or a deeper level.
_LEVEL = {"annex": -1, "part": 0, "chapter": 1, "legal_section": 2, "letter": 2, "article": 3, "roman": 4,
          "point": 12, "group": 13, "item": 14}
_BLOCKS = ("info", "header", "preamble", "signature", "recipients")
_NUMBER_LEVEL = 5  # + depth of the number (1 for "3.", 2 for "3.1.", …)


@dataclass
class _Open:
    """A section still collecting lines."""

    path: tuple[str, ...]
    heading: str
    kind: str
    level: int
    start: int
    number: str = ""  # plan number "3.1.7", for prefix-aware nesting


def parse_structure(doc: CleanDocument) -> list[Section]:
    """All sections of the document in order, each with its path and character span."""
    lines = _lines_with_offsets(doc.text)
    rows = {r.start for r in doc.rows if r.row != LAYOUT_ROW}  # a data table's lines: not structure
    info_keys = tuple(f"{k}:" for k in doc.header)
    opened: list[_Open] = []
    stack: list[_Open] = []
    body_started = False
    after_end = False

    def push(kind: str, label: str, heading: str, start: int, level: int, number: str = ""):
        if stack and stack[0].kind in _BLOCKS:  # a heading ends a headless block
            stack.clear()
        while stack and (stack[-1].level >= level or _not_prefix(stack[-1], number)):
            stack.pop()
        parent = stack[-1].path if stack else ()
        sec = _Open(parent + (label,), heading, kind, level, start, number)
        stack.append(sec)
        opened.append(sec)

    def block(kind: str, label: str, start: int):
        """Headless top-level blocks (info, header, preamble, signature)."""
        if not (stack and stack[-1].kind == kind and len(stack) == 1):
            stack.clear()
            sec = _Open((label,), "", kind, -1, start)
            stack.append(sec)
            opened.append(sec)

    for i, (start, line) in enumerate(lines):
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if start in rows:
            if stack and stack[-1].kind in ("signature", "recipients"):
                block("signature", SIGNATURE, start)
            continue  # a table row: content of the section around its table
        if after_end and _strong_heading(line):
            after_end = False  # an attached regulation or an annex: body again
        if m := _ANNEX.match(line):
            body_started, after_end = True, False
            push("annex", f"Phụ lục {m.group(1)}" if m.group(1) else "Phụ lục", line, start, _LEVEL["annex"])
        elif _RECIPIENTS.match(line) and body_started:
            after_end = True
            stack.clear()
            block("recipients", RECIPIENTS, start)
        elif after_end and (_SIGNATURE_LINE.match(line) or not _strong_heading(line)):
            if stack and stack[-1].kind == "recipients" and line.startswith(("-", "+", "•")):
                continue  # one more recipient
            block("signature", SIGNATURE, start)
        elif body_started and _signs(lines, i):
            after_end = True
            block("signature", SIGNATURE, start)
        elif not body_started and info_keys and (line.startswith(info_keys) or (i == 0 and nxt.startswith(info_keys))):
            block("info", INFO, start)
        elif not body_started and _PREAMBLE.match(line):
            block("preamble", PREAMBLE, start)
        elif m := _PART.match(line):
            body_started = True
            push("part", f"Phần {m.group(1).title() if 'h' in m.group(1).lower() else m.group(1)}",
                 line, start, _LEVEL["part"])
        elif (m := _CHAPTER.match(line)) and not _runs_on(line[m.end():]):
            body_started = True
            push("chapter", f"Chương {m.group(1)}", line, start, _LEVEL["chapter"])
        elif _FOREWORD.match(line):
            body_started = True
            push("chapter", "Lời nói đầu", line, start, _LEVEL["chapter"])
        elif (m := _LEGAL_SECTION.match(line)) and len(line) < 150:
            body_started = True
            push("legal_section", f"Mục {m.group(1)}", line, start, _LEVEL["legal_section"])
        elif (m := _LETTER.match(line)) and _is_title(line) and (line.isupper() or len(line) < 100):
            body_started = True
            push("letter", f"{m.group(1)}.", line, start, _LEVEL["letter"])
        elif m := _ARTICLE.match(line):
            body_started = True
            push("article", f"Điều {m.group(1)}", line, start, _LEVEL["article"])
        elif _ROMAN.match(line) and _is_title(line):
            body_started = True
            push("roman", line, line, start, _LEVEL["roman"])
        elif (m := _NUMBERED.match(line)) and (m.group(1) or _is_title(line)):
            # ("3.5 triệu lượt khách …" without the dot after the number is prose, not a heading)
            body_started = True
            number = m.group(1) or m.group(2)
            level = _NUMBER_LEVEL + number.count(".") + 1
            if _is_title(line) or "." in number:
                push("plan", line, line, start, level, number)
            else:  # a numbered sentence: a khoản
                push("clause", f"Khoản {number}", line, start, level, number)
        elif (m := _POINT.match(line)) and body_started:
            push("point", f"Điểm {m.group(1)}", line, start, _LEVEL["point"])
        elif (m := _ITEM.match(line)) and body_started:
            push("item", f"({m.group(1)})", line, start, _LEVEL["item"])
        elif (m := _GROUP.match(line)) and body_started and _ITEM.match(nxt) and _is_title(line.rstrip(":")):
            push("group", m.group(1).rstrip(": "), line, start, _LEVEL["group"])
        elif not body_started:
            if len(line) > HEADER_LINE_MAX:  # prose before any heading: a plain document
                body_started = True
                stack.clear()
            elif not (stack and stack[-1].kind == "preamble"):
                block("header", HEADER, start)
        if _END_MARK.search(line) and body_started:
            after_end = True
        after_end = after_end and body_started

    sections = _close(opened, len(doc.text))
    return _place_after_jumps(sections, [o.number for o in opened], lines, rows)


def _signs(lines: list[tuple[int, str]], i: int) -> bool:
    """Line i opens a signature block: "TM./KT./TL. …", or a position ("PHÓ CHỦ TỊCH", "Chủ tịch
    Quốc hội") with the signer's name or "(Đã ký)" within the next three lines."""
    line = lines[i][1]
    if re.match(r"^(TM|KT|TL|TUQ)\.\s", line):
        return True
    if not _SIGNATURE_LINE.match(line.upper()) or len(line.split()) > 8:
        return False
    for _, nxt in lines[i + 1:i + 4]:
        if re.match(r"^\(?(đã ký|Đã ký|ĐÃ KÝ)", nxt) or _is_name(nxt):
            return True
    return False


def _is_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words)


def _strong_heading(line: str) -> bool:
    """A heading that starts the body again after a signature (an attached regulation's
    chapters and articles, an annex's parts)."""
    return bool(_ANNEX.match(line) or _CHAPTER.match(line) or _ARTICLE.match(line) or _PART.match(line)
                or (_ROMAN.match(line) or _LETTER.match(line)) and _is_title(line) and line.isupper())


def _not_prefix(top: _Open, number: str) -> bool:
    """True when `top` is a numbered section that cannot be the parent of plan number `number`."""
    return bool(number and top.number and not number.startswith(top.number + "."))


def _is_title(line: str) -> bool:
    """A heading reads like a title: short and not ending like a sentence."""
    return len(line) <= 160 and not re.search(r"[.;:!?]$", line.rstrip()) or line.isupper()


def _runs_on(rest: str) -> bool:
    """A line that starts "Chương II …" but is a sentence's wrapped tail ("… quy định tại" /
    "Chương II Luật Giao dịch điện tử và quy định của pháp luật có liên quan."): the words after the
    number, with no "." or ":" between, are in lower case and end a sentence or clause. A
    heading's own title is in capitals, set off by ".", or ends with no stop."""
    rest = rest.strip()
    if not rest or rest[0] in ".:-–" or not any(ch.islower() for ch in rest):
        return False
    return rest.endswith((".", ";", ","))


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _close(opened: list[_Open], length: int) -> list[Section]:
    """Each section ends where the next section that is not its descendant starts.

    The sections still open always form a chain (each a descendant of the one below it), so a
    section closes the top of that stack down to its first ancestor: linear (a scan of the later
    sections per section was quadratic: 40k articles took 6 s)."""
    ends = [length] * len(opened)
    stack: list[int] = []
    for i, later in enumerate(opened):
        while stack and later.path[: len(opened[stack[-1]].path)] != opened[stack[-1]].path:
            ends[stack.pop()] = later.start - 1 if later.start > 0 else later.start
        stack.append(i)
    return [Section(path=sec.path, heading=sec.heading, kind=sec.kind, start=sec.start,
                    end=max(end, sec.start)) for sec, end in zip(opened, ends)]


# ---------------------------------------------------------------------------------------------
# Numbering jumps: paragraphs of lost headings
# ---------------------------------------------------------------------------------------------
def _place_after_jumps(sections: list[Section], numbers: list[str], lines: list[tuple[int, str]],
                       rows: set[int]) -> list[Section]:
    """Paragraphs after a numbering jump that do not belong to the heading before it are cited
    under the last certain ancestor by position (see the module doc)."""
    jumps = [i for i in range(len(sections) - 1) if _jumps(sections, numbers, i)]
    if not jumps:
        return sections
    body = [(start, line) for start, line in lines if line.strip()]
    df: Counter[str] = Counter()
    for _, line in body:
        df.update(_terms(line))
    rare = max(3, int(len(body) * _CONTENT_SHARE))
    by_path = {s.path: s for s in sections}
    out, done = [], 0
    for i in jumps:
        sec, nxt = sections[i], sections[i + 1]
        anc = next((by_path[sec.path[:k]] for k in range(len(sec.path) - 1, 0, -1)
                    if sec.path[:k] in by_path and nxt.path[:k] == sec.path[:k]), None)
        own = [(start, line) for start, line in body if sec.start < start <= sec.end]
        if anc is None or not own or any(start in rows for start, _ in own):
            continue
        topic = {t for t in _terms(_title(sec.heading)) if df[t] <= rare and not t[:1].isdigit()}
        keep = 0
        while keep < len(own) and topic & _terms(_first_sentence(own[keep][1])):
            keep += 1
        if keep == len(own):
            continue
        position = {start: n for n, (start, _) in
                    enumerate(((s, ln) for s, ln in body if anc.start < s <= anc.end), 1)}
        last = own[keep - 1] if keep else next((s, ln) for s, ln in body if s == sec.start)
        out.extend(sections[done:i])
        out.append(replace(sec, end=last[0] + len(last[1])))
        out.extend(Section(path=anc.path + (f"{PARAGRAPH} {position[start]}",), heading="", kind="paragraph",
                           start=start, end=start + len(line)) for start, line in own[keep:])
        done = i + 1
    return out + sections[done:]


def _jumps(sections: list[Section], numbers: list[str], i: int) -> bool:
    """Plan heading i is followed directly by a later plan number that is no next one: 3.2.2 ->
    3.7 or 3.1.5 -> 3.1.7 (3.2.2 -> 3.2.3, 3.3, 4, 3.2.2.1, or 3.3.1 under a lost 3.3, are next)."""
    if sections[i].kind != "plan" or sections[i + 1].kind != "plan" or not numbers[i] or not numbers[i + 1]:
        return False
    a, b = (tuple(int(x) for x in n.split(".")) for n in (numbers[i], numbers[i + 1]))
    if b <= a or b[:len(a)] == a:
        return False  # a restart, a repeat or a child: no jump
    for k in range(len(a)):
        if b[:k + 1] == a[:k] + (a[k] + 1,) and all(x == 1 for x in b[k + 1:]):
            return False
    return True


def _terms(text: str) -> set[str]:
    syl = vn.syllables(text)
    return set(syl) | {f"{x} {y}" for x, y in zip(syl, syl[1:])}


def _title(heading: str) -> str:
    return re.sub(r"^\d+(?:\.\d+)*\.?\s*", "", heading)


def _first_sentence(line: str) -> str:
    spans = vn.sentence_spans(line)
    return line[spans[0][0]:spans[0][1]] if spans else line
