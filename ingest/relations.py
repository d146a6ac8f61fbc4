"""Relations between documents, by number: what a document amends, replaces or repeals, and the
documents its "Căn cứ …" lines cite.

Only the document's own voice counts: its title and its body, never text it quotes (the new
wording of an amended article sits between “ and ”), and never a passive "được sửa đổi, bổ sung
bởi X" (X amended the other document, not this one).
"""

from __future__ import annotations

import re

from .types import Relation

_KINDS = r"(?:Nghị quyết|Quyết định|Thông tư|Nghị định|Luật|Chỉ thị|Kế hoạch|Văn bản|Công văn|Thông báo|" \
         r"Quy định|Quy chế|Pháp lệnh|Chương trình|Hướng dẫn)(?: liên tịch)?"
# "Nghị quyết số 09/2022/NQ-HĐND", "Thông tư 55/2023/TT-BTC", "Luật số 15/2012/QH13"
REF = re.compile(_KINDS + r"\s+(?:số\s*:?\s*)?(\d{1,5}(?:/\d{4})?/[A-ZĐ][A-ZĐa-zđ0-9]*(?:-[A-ZĐ][A-ZĐa-zđ0-9]*)*)",
                 re.I)
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
_SENTENCE = re.compile(r"[^.;\n]+(?:[.;](?!\d)|\n|$)")


def relations(text: str, title: str, own_number: str) -> list[Relation]:
    """(kind, target) pairs in order of first mention, with the span of the sentence saying so."""
    found: dict[tuple[str, str], Relation] = {}
    spoken = _outside_quotes(text)
    sources = [(title, -1)] + [(m.group(), m.start()) for m in _SENTENCE.finditer(spoken)]
    for sentence, at in sources:
        if _CITES.match(sentence.strip()):
            continue  # the preamble cites documents ("Căn cứ Luật sửa đổi, bổ sung …")
        for kind, target in _sentence_relations(sentence, own_number):
            key = (kind, target)
            if key not in found:
                start = max(at, 0)
                found[key] = Relation(kind, target, start, start + len(sentence.rstrip()) if at >= 0 else 0)
    return list(found.values())


def _sentence_relations(sentence: str, own: str) -> list[tuple[str, str]]:
    """"sửa đổi … Nghị quyết số X", "thay thế Quyết định số Y", "bãi bỏ … Z", "X … hết hiệu lực"."""
    refs = [m for m in REF.finditer(sentence) if _norm(m.group(1)) != _norm(own)]
    if not refs:
        return []
    verbs = sorted(((v.start(), v.end(), kind, v.group().lower()) for kind, rx in _VERBS
                    for v in rx.finditer(sentence)), key=lambda v: v[0])
    # "sửa đổi, bổ sung": one verb; only the first verb of a sentence speaks for the document
    # ("bãi bỏ Nghị quyết X … sửa đổi Điều 3 Nghị quyết Y": the second describes X).
    merged: list[tuple[int, int, str, str]] = []
    for v in verbs:
        if merged and re.fullmatch(r"[\s,]*(và|,)?[\s,]*", sentence[merged[-1][1]:v[0]]):
            merged[-1] = (merged[-1][0], v[1], merged[-1][2], merged[-1][3])
        else:
            merged.append(v)
    verbs = merged
    out = []
    for n, (start, end, kind, word) in enumerate(verbs):
        if _PASSIVE.search(sentence[:start]) or _NAME_VERB.search(sentence[:start]):
            continue  # "… được sửa đổi, bổ sung bởi …": about the other document
        if word.startswith(("hết", "chấm dứt")):
            before = [r for r in refs if r.end() <= start]
            targets = before[:1]  # "Nghị quyết số X … hết hiệu lực": its subject
        else:
            if kind == "replaces" and re.match(r"\s+(?:các\s+)?(?:cụm từ|từ|cụm|bằng)\b", sentence[end:]):
                kind = "amends"  # "thay thế cụm từ …": wording changed
            stop = verbs[n + 1][0] if n + 1 < len(verbs) else len(sentence)
            targets = [r for r in refs if end <= r.start() < stop and not _BY.search(sentence[:r.start()])]
            if targets and len(sentence[end:targets[0].start()].split()) > MAX_GAP_WORDS:
                targets = []  # too far from the verb to be its object
            if targets and kind != "amends" and _PART.search(sentence[end:targets[0].start()]):
                kind = "amends"  # "bãi bỏ khoản 2 Điều 20 của …": a part of it, the rest stays
        out.extend((kind, _norm(r.group(1))) for r in targets)
        if targets or not word.startswith(("hết", "chấm dứt")):
            break
    return out


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
