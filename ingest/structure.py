"""Stage 4: CleanDocument -> [Section], the hierarchy of Vietnamese legal and planning documents.

Recognised, line by line: the metadata block of web copies, the header, the "Căn cứ …" preamble,
Phần / Chương / Mục / Điều N., roman plan headings "I.", plan numbering "3.", "3.1.", "3.1.7.",
khoản "1." (a numbered line that is a sentence rather than a title), điểm "a)", grouped items
("- Chỉ tiêu kinh tế:" then "(1)" … "(11)"), and the signature block after "./.".

Never invents a heading: when numbering skips (3.1.5 -> 3.1.7) or a parent heading is missing
(3.2.1 without 3.2), a section hangs under the nearest real ancestor, and text without a heading
stays in the section it follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import CleanDocument, Section

# Labels for blocks that carry no heading of their own (names, not invented headings).
INFO, HEADER, PREAMBLE, SIGNATURE = "Thông tin văn bản", "Phần mở đầu", "Căn cứ ban hành", "Phần ký"

_PART = re.compile(r"^(?:PHẦN|Phần)\s+(THỨ\s+\S+|thứ\s+\S+|[IVXLC]+|\d+)\b\.?")
_CHAPTER = re.compile(r"^(?:CHƯƠNG|Chương)\s+([IVXLC]+|\d+)\b\.?")
_LEGAL_SECTION = re.compile(r"^(?:MỤC|Mục)\s+(\d+|[IVXLC]+)\b\.?(?!\d)")
_ARTICLE = re.compile(r"^Điều\s+(\d+[a-z]?)\s*[.:]\s*")
_ROMAN = re.compile(r"^([IVXLC]+)\.\s+\S")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.\s+\S|^(\d{1,2}(?:\.\d{1,2})+)\s+[^\d\s]")
_POINT = re.compile(r"^([a-zđ])\)\s+\S")
_ITEM = re.compile(r"^\((\d{1,3})\)\s*\S")
_GROUP = re.compile(r"^[-–•+]\s*(\S.{2,90}?)\s*:?$")
_PREAMBLE = re.compile(r"^(Căn cứ|Xét|Theo đề nghị)\b|^(QUYẾT NGHỊ|QUYẾT ĐỊNH|NGHỊ QUYẾT)\s*:$")
_END_MARK = re.compile(r"\./\.\s*$")
HEADER_LINE_MAX = 200  # header lines are short; a longer line before any heading is prose

# Nesting levels: a new section closes every open one at the same or a deeper level.
_LEVEL = {"part": 0, "chapter": 1, "legal_section": 2, "article": 3, "roman": 4,
          "point": 12, "group": 13, "item": 14}
_BLOCKS = ("info", "header", "preamble", "signature")
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
        if after_end:
            block("signature", SIGNATURE, start)
        elif not body_started and info_keys and (line.startswith(info_keys) or (i == 0 and nxt.startswith(info_keys))):
            block("info", INFO, start)
        elif not body_started and _PREAMBLE.match(line):
            block("preamble", PREAMBLE, start)
        elif m := _PART.match(line):
            body_started = True
            push("part", f"Phần {m.group(1).title() if 'h' in m.group(1).lower() else m.group(1)}",
                 line, start, _LEVEL["part"])
        elif m := _CHAPTER.match(line):
            body_started = True
            push("chapter", f"Chương {m.group(1)}", line, start, _LEVEL["chapter"])
        elif (m := _LEGAL_SECTION.match(line)) and len(line) < 150:
            body_started = True
            push("legal_section", f"Mục {m.group(1)}", line, start, _LEVEL["legal_section"])
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
        if _END_MARK.search(line):
            after_end = True

    return _close(opened, len(doc.text))


def _not_prefix(top: _Open, number: str) -> bool:
    """True when `top` is a numbered section that cannot be the parent of plan number `number`."""
    return bool(number and top.number and not number.startswith(top.number + "."))


def _is_title(line: str) -> bool:
    """A heading reads like a title: short and not ending like a sentence."""
    return len(line) <= 160 and not re.search(r"[.;:!?]$", line.rstrip()) or line.isupper()


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _close(opened: list[_Open], length: int) -> list[Section]:
    """Each section ends where the next section that is not its descendant starts."""
    sections = []
    for i, sec in enumerate(opened):
        end = length
        for later in opened[i + 1:]:
            if later.path[: len(sec.path)] != sec.path:
                end = later.start - 1 if later.start > 0 else later.start
                break
        sections.append(Section(path=sec.path, heading=sec.heading, kind=sec.kind,
                                start=sec.start, end=max(end, sec.start)))
    return sections
