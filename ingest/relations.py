"""Relations between documents, by number: what a document amends, replaces or repeals, and the
documents its "Căn cứ …" lines cite.

Relations come from the clauses that make them, in the document's own voice:
- the verb of a sentence ("sửa đổi, bổ sung", "thay thế", "bãi bỏ", "hết hiệu lực" …) and every
  document it names, a list included ("Quyết định số 10/2020/QĐ-UBND, số 11/2021/QĐ-UBND và …");
- "X, Y … hết hiệu lực": each subject, not the documents a relative clause of one names
  ("Nghị quyết số B … sửa đổi Điều 3 Nghị quyết số A");
- list items under a head that ends with ":" ("Bãi bỏ các văn bản sau:", "a) Nghị quyết số …;"),
  an item naming a part ("khoản 2 Điều 1 Nghị quyết …") amending rather than repealing;
never from the preamble's citations (a "Căn cứ …" clause, the documents listed after it, its
wrapped lines: "… được sửa đổi, bổ sung bởi …" or "; Nghị định Y sửa đổi, bổ sung Nghị định X"
are about the cited documents), never from text it quotes (the new wording of an amended
article sits between “ and ”), never from a passive "được sửa đổi, bổ sung bởi X", and never
from a verb that follows a named document in its sentence (a relative clause describing it).
Kinds recorded: amends, replaces, repeals (whole documents; a part repealed is "amends").
"""

from __future__ import annotations

import re

from .types import Relation

_KINDS = r"(?:Nghị quyết|Quyết định|Thông tư|Nghị định|Luật|Chỉ thị|Kế hoạch|Văn bản|Công văn|Thông báo|" \
         r"Quy định|Quy chế|Pháp lệnh|Chương trình|Hướng dẫn)(?: liên tịch)?"
# "Nghị quyết số 09/2022/NQ-HĐND", "Thông tư 55/2023/TT-BTC", "Luật số 15/2012/QH13"
REF = re.compile(_KINDS + r"\s+(?:số\s*:?\s*)?(\d{1,5}(?:/\d{4})?/[A-ZĐ][A-ZĐa-zđ0-9]*(?:-[A-ZĐ][A-ZĐa-zđ0-9]*)*)",
                 re.I)
# "Pháp lệnh Xử lý vi phạm hành chính số 44/2002/PL-UBTVQH10": a kind, a name, its number
_NAMED_REF = re.compile(_KINDS + r"(?:\s+[^\W\d][\w-]*){1,10}?\s+số\s*:?\s*" + REF.pattern[REF.pattern.index("(\\d"):])
_BARE = re.compile(r"(?<![\w/])(\d{1,5}(?:/\d{4})?/[A-ZĐ][A-ZĐa-zđ0-9]*(?:-[A-ZĐ][A-ZĐa-zđ0-9]*)*)")
_VERBS = (("amends", re.compile(r"sửa đổi|bổ sung|điều chỉnh", re.I)),
          ("replaces", re.compile(r"thay thế", re.I)),
          ("repeals", re.compile(r"bãi bỏ|hết hiệu lực|chấm dứt hiệu lực|hủy bỏ|huỷ bỏ", re.I)))
_PASSIVE = re.compile(r"(được|đã được|bị)\s+(?:\S+\s+){0,3}$", re.I)
_BY = re.compile(r"\bbởi\s+$", re.I)
_PART = re.compile(r"(?<!toàn bộ )\b(một số|khoản|điểm|Điều|quy định tại|cụm từ|từ|mục|tiểu mục|phụ lục|chương)\b",
                   re.I)
_CITES = re.compile(r"^(Căn cứ|Xét|Theo đề nghị|Trên cơ sở)\b", re.I)
_NAME_VERB = re.compile(_KINDS + r"\s+$", re.I)  # "Luật sửa đổi, bổ sung …" names a law
_ENACTS = re.compile(r"\bban hành\s+" + _KINDS + r"\s+$", re.I)  # "… ban hành Thông tư sửa đổi …": this one
_SENTENCE = re.compile(r"[^.;\n]+(?:[.;](?!\d)|\n|$)")
_CITED = re.compile(r"^(?:và\s+)?(?:các\s+)?(?:" + REF.pattern + r"|Luật\b)", re.I)  # "…; Nghị định số 38/2023/NĐ-CP sửa đổi …"
_LIST_GOES_ON = re.compile(r"(?:,|;|\bvà|\bhoặc)\s*(?:các\s+)?$")
_LIST_ONLY = re.compile(r"\s*(?:,|\bvà|\bhoặc)\s*(?:các\s+)?")
# A list's head names documents and ends "… sau:" ("bãi bỏ các văn bản sau:"); "Sửa đổi Điều 3 như sau:" is none
_HEAD = re.compile(r"(?:văn bản|" + _KINDS + r")\b[^:]*\bsau(?:\s+đây)?\b[^:]*:\s*$", re.I)
_ITEM = re.compile(r"^\s*(?:[a-zđ]\)|[a-zđ]\.|\d{1,2}[.)]|[-–•+])\s+")
# Between two numbers of one list: "Quyết định số 10/2020/QĐ-UBND ngày 05/3/2020, số 11/2021/…"
_LISTED = re.compile(r"(?:\s*ngày\s+[\d/.-]+(?:\s+tháng\s+\d{1,2}\s+năm\s+\d{4})?)?\s*(?:,|;|và|hoặc)\s*"
                     r"(?:các\s+)?(?:số\s*:?\s*)?")


def relations(text: str, title: str, own_number: str) -> list[Relation]:
    """(kind, target) pairs in order of first mention, with the span of the sentence saying so."""
    found: dict[tuple[str, str], Relation] = {}

    def add(pairs: list[tuple[str, str]], start: int, end: int) -> None:
        for key in pairs:
            if key not in found:
                found[key] = Relation(key[0], key[1], start, end)

    add(_sentence_relations(title, own_number), 0, 0)
    spoken = _outside_quotes(text)
    citing = open_end = False  # in the preamble's citations; the last line stopped mid-sentence
    head, pos = "", 0
    for line in spoken.split("\n"):
        at, pos = pos, pos + len(line) + 1
        item_head = head if head and _ITEM.match(line) else ""
        if item_head:
            pairs = _item_relations(_ITEM.sub("", line, count=1), head, own_number)
            if pairs is not None:
                add(pairs, at, at + len(line.rstrip()))
                continue
        head, clause = "", 0
        wrapped = citing and open_end
        for m in _SENTENCE.finditer(line):
            sentence, stripped = m.group(), m.group().strip()
            if not stripped:
                continue
            if _CITES.match(stripped) or (citing and (wrapped or _CITED.match(stripped))):
                citing, wrapped = not stripped.endswith("."), False  # citations go on after a ";"
                clause = m.end()
                continue
            citing = wrapped = False
            pairs = _sentence_relations(sentence, own_number) + _lapsed(line[clause:m.end()], own_number)
            add(pairs, at + m.start(), at + m.start() + len(sentence.rstrip()))
            head = _list_head(sentence) if not pairs else ""
            if stripped.endswith((".", ":")):
                clause = m.end()
        head = head or item_head  # an item naming no document: the list goes on
        open_end = bool(line.strip()) and not line.rstrip().endswith((";", ".", ":"))
    return list(found.values())


def _refs(sentence: str, own: str) -> list[tuple[int, int, str]]:
    """The documents a sentence names, by number: "Nghị quyết số X", and the numbers listed after
    one ("…, số Y và Z"); never the document's own number."""
    out: list[tuple[int, int, str]] = []
    for m in [*REF.finditer(sentence), *_NAMED_REF.finditer(sentence)]:
        out.append((m.start(), m.end(), _norm(m.group(1))))
        end = m.end()
        for b in _BARE.finditer(sentence, end):
            if not _LISTED.fullmatch(sentence[end:b.start()]):
                break
            out.append((b.start(), b.end(), _norm(b.group(1))))
            end = b.end()
    seen: set[int] = set()
    out = [r for r in sorted(out) if not (r[0] in seen or seen.add(r[0]))]
    return [r for r in out if r[2] != _norm(own)]


def _verbs(sentence: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, words) of the relation verbs, "sửa đổi, bổ sung" as one."""
    verbs = sorted(((v.start(), v.end(), kind, v.group().lower()) for kind, rx in _VERBS
                    for v in rx.finditer(sentence)), key=lambda v: v[0])
    merged: list[tuple[int, int, str, str]] = []
    for v in verbs:
        if merged and re.fullmatch(r"[\s,]*(và|,)?[\s,]*", sentence[merged[-1][1]:v[0]]):
            merged[-1] = (merged[-1][0], v[1], merged[-1][2], merged[-1][3])
        else:
            merged.append(v)
    return merged


def _sentence_relations(sentence: str, own: str) -> list[tuple[str, str]]:
    """"sửa đổi … Nghị quyết số X", "thay thế Quyết định số Y", "bãi bỏ … Z", "X, Y … hết hiệu lực"."""
    refs = _refs(sentence, own)
    if not refs:
        return []
    verbs = _verbs(sentence)
    for n, (start, end, kind, word) in enumerate(verbs):
        named = _NAME_VERB.search(sentence[:start]) and not _ENACTS.search(sentence[:start])
        if _PASSIVE.search(sentence[:start]) or named:
            continue  # "… được sửa đổi, bổ sung bởi …", "Luật sửa đổi …": about another document
        if word.startswith(("hết", "chấm dứt")):
            targets = _subjects([r for r in refs if r[1] <= start], verbs, sentence, first_too=True)
            if targets:
                return [("repeals", t) for t in targets]
            continue
        if any(r[1] <= start for r in refs):
            continue  # "Nghị quyết số B … sửa đổi Điều 3 Nghị quyết số A": describes B
        stop = verbs[n + 1][0] if n + 1 < len(verbs) else len(sentence)
        targets = [r for r in refs if end <= r[0] < stop and not _BY.search(sentence[:r[0]])]
        if not targets or len(sentence[end:targets[0][0]].split()) > MAX_GAP_WORDS:
            return []  # no object, or too far from the verb to be its object
        kind = _refined(kind, sentence[end:], sentence[end:targets[0][0]])
        return [(kind, t) for t in _listed(targets, sentence)]
    return []


def _refined(kind: str, after_verb: str, before_target: str) -> str:
    """"thay thế cụm từ …" changes wording, "bãi bỏ khoản 2 Điều 20 của …" a part: amends."""
    if kind == "replaces" and re.match(r"\s+(?:các\s+)?(?:cụm từ|từ|cụm|bằng)\b", after_verb):
        return "amends"
    if kind != "amends" and _PART.search(before_target):
        return "amends"
    return kind


def _listed(refs: list[tuple[int, int, str]], sentence: str) -> list[str]:
    """The first document and those listed with it; not those a relative clause of one names."""
    return _subjects(refs, _verbs(sentence), sentence)


def _subjects(refs: list[tuple[int, int, str]], verbs: list, sentence: str = "", first_too: bool = False) -> list[str]:
    """The numbers of `refs` that are no verb's object: a verb since the previous one (since the
    start for the first, with `first_too`) makes a document its object unless a list goes on
    ("…, B sửa đổi … năm 2002 và C": C is listed), and the documents listed after an object
    are objects too ("… được sửa đổi bởi A và B"): "A …, B … sửa đổi Điều 3 C" -> A, B."""
    out: list[str] = []
    skipped = False
    for i, (start, _, number) in enumerate(refs):
        since = refs[i - 1][1] if i else (0 if first_too else start)
        between = sentence[since:start]
        listed = bool(_LIST_GOES_ON.search(between))
        if (skipped and listed and _LIST_ONLY.fullmatch(between)) or \
                (any(since <= v[0] < start for v in verbs) and not listed):
            skipped = True
            continue  # the object of a verb inside the list ("… sửa đổi Điều 3 Nghị quyết số A")
        skipped = False
        if number not in out:
            out.append(number)
    return out


def _lapsed(span: str, own: str) -> list[tuple[str, str]]:
    """"A …; B … hết hiệu lực": every subject of a "hết/chấm dứt hiệu lực" that ends `span`, back
    to the sentence's start across ";"."""
    verbs = [v for v in _verbs(span) if v[3].startswith(("hết", "chấm dứt"))]
    if not verbs or _PASSIVE.search(span[:verbs[-1][0]]):
        return []
    at = verbs[-1][0]
    refs = [r for r in _refs(span, own) if r[1] <= at]
    return [("repeals", t) for t in _subjects(refs, [v for v in _verbs(span) if v[0] < at], span, first_too=True)]


def _list_head(sentence: str) -> str:
    """The relation kind a sentence that ends with ":" gives the list items under it ("Bãi bỏ các
    văn bản sau:", "Các Nghị quyết sau đây hết hiệu lực:"), else ""."""
    if not _HEAD.search(sentence):
        return ""
    verbs = [v for v in _verbs(sentence) if not _PASSIVE.search(sentence[:v[0]])]
    if not verbs:
        return ""
    kind, word = verbs[0][2], verbs[0][3]
    return "repeals" if word.startswith(("hết", "chấm dứt")) else kind


def _item_relations(item: str, head: str, own: str) -> list[tuple[str, str]] | None:
    """The relations of a list item under a head: its own verb's, else the head's kind for the
    documents it names first; None when it names none."""
    own_verb = _sentence_relations(item, own)
    if own_verb:
        return own_verb
    refs = _refs(item, own)
    if not refs:
        return None
    return [(_refined(head, "", item[:refs[0][0]]), t) for t in _listed(refs, item)]


MAX_GAP_WORDS = 20


def based_on(text: str, own_number: str) -> list[str]:
    """Numbers of the documents cited by the "Căn cứ …" lines of the preamble."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith("Căn cứ"):
            for m in _BARE.finditer(line):
                number = _norm(m.group(1))
                if number != _norm(own_number) and number not in out:
                    out.append(number)
        elif out and re.match(r"^(Điều|Chương|QUYẾT|NGHỊ QUYẾT|Xét|Theo đề nghị)\b", line):
            break
    return out


def _norm(number: str) -> str:
    return re.sub(r"\s+", "", number or "")


def _outside_quotes(text: str) -> str:
    """The text with quoted passages (“…”, at most 20,000 characters each) blanked out, spans kept."""
    out, depth, opened = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "“":
            depth, opened = depth + 1, i if depth == 0 else opened
        elif ch == "”" and depth:
            depth -= 1
            out.append(" ")
            continue
        if depth and i - opened > 20_000:
            depth = 0
        out.append(" " if depth and ch != "\n" else ch)
    return "".join(out)
