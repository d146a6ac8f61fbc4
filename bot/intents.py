"""Questions answered from structured data instead of free text: document metadata, a section
asked for by its number, a numbered target (chỉ tiêu), a task assignment (who does what).

Each handler returns an `Answer` or None (not this kind of question / nothing reliable found).
Every answer quotes the document: the metadata row, the header line, the item, the article.
"""

from __future__ import annotations

import re

from ingest import text as vn
from ingest.types import Chunk, DocMeta
from vectorstore.store import Store

from . import evidence as ev
from .types import Answer

# Metadata questions (folded): (field, pattern, label of the answer)
_META = [
    ("signer", re.compile(r"\bai ky\b|nguoi ky|ky boi|ai la nguoi ky|chu tich .*ky|ky ten"), "Người ký"),
    ("effective", re.compile(r"hieu luc"), "Hiệu lực"),
    ("issued", re.compile(r"(thong qua|ban hanh|ky)( vao)? (ngay|hom|luc|khi) (nao|may|bao gio)|"
                          r"ngay (thong qua|ban hanh|ky)|(ban hanh|thong qua|ky) (khi nao|bao gio|ngay nao)|"
                          r"ngay nao|ngay thang nam"), "Ngày thông qua"),
    ("number", re.compile(r"so hieu|ky hieu|so (cua )?(nghi quyet|van ban|quyet dinh)( la)? (bao nhieu|gi|may)"),
     "Số hiệu"),
    ("basis", re.compile(r"can cu"), "Căn cứ"),
    ("session", re.compile(r"ky hop|khoa (may|nao|bao nhieu|thu)|phien hop|hoi dong khoa"), "Kỳ họp"),
    ("issuer", re.compile(r"(co quan|don vi|ai|noi) (nao )?(ban hanh|thong qua)|ban hanh boi|do ai|"
                          r"cua co quan nao|co quan ban hanh"), "Cơ quan ban hành"),
    ("fields", re.compile(r"linh vuc (nao|gi)"), "Lĩnh vực"),
    ("title", re.compile(r"trich yeu|ten (day du )?(cua )?(nghi quyet|van ban)|ve viec gi|noi ve (van de )?gi$"),
     "Trích yếu"),
]
_SECTION_REF = re.compile(
    r"\b(?:muc|tieu muc|phan|diem|khoan)\s+(\d+(?:\.\d+)+|\d+)\b|\b(\d+\.\d+(?:\.\d+)*)\b|"
    r"\bdieu\s+(\d+)\b|chi tieu (?:so |thu )?\(?(\d{1,2})\)?|(?<![\w])\((\d{1,2})\)")
_WHO = re.compile(r"\b(ai|co quan nao|don vi nao|cap nao|ben nao|nhung ai|to chuc nao)\b|chiu trach nhiem|"
                  r"phu trach|duoc giao|chu tri|\b(ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan|thuong truc|so [a-z]+)\b"
                  r".*\b(lam gi|nhiem vu|giao|trach nhiem|phai lam)|\bgiao\b.*\b(lam gi|nhiem vu gi|viec gi)")
_OTHER_DOC = re.compile(r"\b(to trinh|bao cao|luat|nghi dinh|thong tu|chuong trinh hanh dong|"
                        r"nghi quyet (so )?\d+|quyet dinh (so )?\d+)\b")
PARTS = re.compile(r"\s+(?:và|với|cùng|va|voi)\s+|[,;]\s*", re.IGNORECASE)
_GROUP_Q = re.compile(r"\b(cac|nhung|nhom|gom|bao gom|toan bo|tat ca)\b")


def metadata_answer(folded: str, meta: DocMeta, store: Store) -> Answer | None:
    """'ai ký', 'thông qua ngày nào', 'số hiệu', 'căn cứ', 'kỳ họp thứ mấy' … from the document.

    Several fields in one question ("ngày ban hành và người ký") are answered together. A
    question about another document it mentions (the Tờ trình, a law) is not a metadata question.
    """
    if _OTHER_DOC.search(folded) and not re.search(rf"\b{re.escape(meta.number.split('/')[0])}\b", folded):
        return None
    chunks = store.chunks(doc_id=meta.doc_id)
    parts: list[tuple[str, str, list]] = []
    for field, pattern, label in _META:
        if not pattern.search(folded):
            continue
        if field == "basis":
            lines, value = _lines(chunks, r"^Căn cứ\b"), ""
        elif field == "session":
            lines, value = _lines(chunks, r"(?i)kỳ họp thứ") or _lines(chunks, r"(?i)khóa [IVXLC]+"), ""
        else:
            value = _display(field, getattr(meta, field))
            lines = _lines(chunks, _value_pattern(field, meta)) if value else []
        if lines:
            parts.append((label, value, lines[:4]))
    if not parts:
        return None
    cites, pieces = [], []
    for label, value, lines in parts:
        first = len(cites) + 1
        for c, s, e in lines:
            cites.append(ev.cite(len(cites) + 1, c, s, e, store))
        if value:
            pieces.append(f"{label}: {value} [{first}]")
        else:
            pieces.append(f"{label}: " + "; ".join(f"{c.quote} [{c.n}]" for c in cites[first - 1:]))
    text = f"Theo {meta.label}, " + (pieces[0] if len(pieces) == 1 else "\n- " + "\n- ".join(pieces))
    return Answer(text=text.rstrip(".") + ".", citations=tuple(cites), support=1.0)


def _display(field: str, value: str) -> str:
    if field in ("issued", "effective") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
        y, m, d = value.split("-")
        return f"ngày {d}/{m}/{y} (ngày {int(d)} tháng {int(m)} năm {y})"
    return value


def _value_pattern(field: str, meta: DocMeta) -> str:
    """Where the document states the field: the line to quote."""
    if field == "signer":
        return rf"{re.escape(meta.signer)}"
    if field == "number":
        return rf"^Số(?: hiệu)?\s*:\s*{re.escape(meta.number)}"
    if field == "issued":
        y, m, d = (meta.issued or "0-0-0").split("-")
        return rf"ngày 0?{int(d)} tháng 0?{int(m)} năm {y}|{d}/{m}/{y}"
    if field == "effective":
        return r"(?i)có hiệu lực[^.\n]*|Ngày có hiệu lực"
    if field == "issuer":
        return rf"(?i)^{re.escape(meta.issuer)}$|^Cơ quan ban hành"
    if field == "fields":
        return r"^Lĩnh vực:"
    return rf"(?i)^(VỀ|V/v)\b|^{re.escape(meta.title)}"


def _lines(chunks: list[Chunk], pattern: str) -> list[tuple[Chunk, int, int]]:
    """(chunk, start, end) of each chunk line (or sentence, for prose) matching the pattern."""
    out = []
    rx = re.compile(pattern, re.MULTILINE)
    for c in chunks:
        for m in re.finditer(r"[^\n]+", c.text):
            line = m.group(0)
            if rx.search(line):
                s, e = m.start(), m.end()
                if len(line) > 300:  # prose: quote the sentence around the match
                    for a, b in vn.sentence_spans(line):
                        if rx.search(line[a:b]):
                            s, e = m.start() + a, m.start() + b
                            break
                out.append((c, s, e))
    return out


def section_answer(folded: str, doc_id: str, store: Store) -> Answer | None:
    """'mục 3.1.4 nói gì?', 'điều 2 quy định gì?', 'chỉ tiêu số 7' -> that section's text."""
    m = _SECTION_REF.search(folded)
    if not m:
        return None
    plan, plan2, article, code, code2 = m.groups()
    number = plan or plan2
    chunks = store.chunks(doc_id=doc_id)
    if article:
        wanted = lambda p: f"Điều {article}" in p  # noqa: E731
    elif code or code2:
        wanted = lambda p: f"({code or code2})" in p  # noqa: E731
    else:
        wanted = lambda p: any(x.startswith(number + ".") or x.startswith(number + " ") for x in p)  # noqa: E731
    hits = [c for c in chunks if wanted(c.section_path)]
    if not hits:  # the document has no such section: say so rather than guess
        label = f"Điều {article}" if article else f"({code or code2})" if (code or code2) else f"mục {number}"
        return Answer(text=label, abstained=True)
    cites = []
    for i, c in enumerate(hits[:3]):
        spans = vn.sentence_spans(c.text) or [(0, len(c.text))]
        a, b = spans[0]
        cites.append(ev.cite(i + 1, c, a, b, store))
    heading = hits[0].section_path[-1] if number else hits[0].section
    if number:
        heading = next((x for x in hits[0].section_path if x.startswith(number)), heading)
    more = f" (và {len(hits) - 3} đoạn khác)" if len(hits) > 3 else ""
    body = "\n".join(f"- {c.quote} [{c.n}]" for c in cites)
    return Answer(text=f"{heading} gồm các nội dung chính{more}:\n{body}", citations=tuple(cites),
                  support=1.0)


def target_answer(focus: ev.Focus, store: Store, doc_ids: set[str] | None, stats: ev.CorpusStats,
                  min_score: float = 0.6) -> Answer | None:
    """A question about a numbered target, answered with the exact value(s) as written.

    Each part of a multi-part question ("GRDP tăng bao nhiêu và bình quân đầu người bao
    nhiêu?") is matched on its own; "các chỉ tiêu …" and an item's lead-in ("Cơ cấu GRDP: …")
    bring every indicator of the matched item.
    """
    targets = [t for t in store.targets() if doc_ids is None or t.doc_id in doc_ids]
    if not targets or not focus.keywords:
        return None
    chosen, best = _best_targets(focus, targets, stats, min_score)
    parts = [ev.make_focus(p) for p in PARTS.split(focus.text)]
    found = [_best_targets(p, targets, stats, min_score) for p in parts if p.keywords]
    found = [(ts, score) for ts, score in found if ts]
    if len(found) > 1:  # several parts, each about a target of its own: answer them all
        chosen = list(dict.fromkeys(t for ts, _ in found for t in ts))
        best = min(score for _, score in found)
    if not chosen:
        return None
    chosen = sorted(chosen, key=lambda t: t.start)[:6]
    if focus.quantity and not any(focus.figure_ok(t.value) for t in chosen):
        return None
    chunks = [c for c in store.chunks(doc_id=chosen[0].doc_id) if c.kind == "item"]
    cites, lines = [], []
    for t in chosen:
        chunk = next((c for c in chunks if c.start <= t.start < c.end), None)
        if chunk is None:
            continue
        n = next((c.n for c in cites if c.chunk_id == chunk.id), None)
        if n is None:
            n = len(cites) + 1
            cites.append(ev.cite(n, chunk, 0, len(chunk.text), store))
        phrase = chunk.text[t.start - chunk.start:t.end - chunk.start].strip().rstrip(".;,")
        lines.append((t, phrase, n))
    if not lines:
        return None
    number = cites[0].label
    if len(lines) == 1:
        t, phrase, n = lines[0]
        text = f"Theo {number}, chỉ tiêu {t.code} ({t.group or t.section}): {phrase} [{n}]."
    else:
        body = "\n".join(f"- {t.code} {phrase} [{n}]" for t, phrase, n in lines)
        text = f"Theo {number}:\n{body}"
    return Answer(text=text, citations=tuple(cites), support=best)


def _best_targets(focus: ev.Focus, targets: list, stats: ev.CorpusStats,
                  min_score: float) -> tuple[list, float]:
    """The targets one question (part) asks about, and the best match score."""
    def match(t) -> float:
        text = f"{t.indicator} {t.group}"
        if _missing_rare_word(focus, text, stats):  # "hộ cận nghèo" is not "hộ nghèo"
            return 0.0
        score = max(ev.coverage(focus, t.indicator, stats), 0.4 * ev.coverage(focus, t.group, stats),
                    0.8 * ev.coverage(focus, text, stats))
        if focus.pairs:
            score = 0.7 * score + 0.3 * ev.pair_coverage(focus, text)
        return score

    scored = sorted(((match(t), i, t) for i, t in enumerate(targets)), key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best < min_score:
        return [], best
    group_q = bool(_GROUP_Q.search(focus.folded))
    chosen = [t for s, _, t in scored if s >= (0.6 * best if group_q else best - 1e-9)]
    lead_in = any(":" in t.indicator and ev.coverage(focus, t.indicator.split(":")[0], stats)
                  >= ev.coverage(focus, t.indicator, stats) for t in chosen)
    if group_q or lead_in:  # every indicator of the matched items
        codes = {(t.doc_id, t.code) for t in chosen}
        chosen = [t for t in targets if (t.doc_id, t.code) in codes]
    return chosen, best


def _missing_rare_word(focus: ev.Focus, text: str, stats: ev.CorpusStats, max_df: int = 5) -> bool:
    """A rare word of the corpus that the question uses but the target does not."""
    tokens = set(vn.syllables(text, folded=not focus.accented))
    return any(stats.known(k) and stats.df.get(k, 0) <= max_df and not focus.matched(k, tokens)
               for k in focus.keywords)


def is_who_question(folded: str) -> bool:
    return bool(_WHO.search(folded))


def task_answer(focus: ev.Focus, store: Store, doc_ids: set[str] | None, stats: ev.CorpusStats,
                min_score: float = 0.3) -> Answer | None:
    """'Cơ quan nào chịu trách nhiệm …', 'ai giám sát …', 'UBND tỉnh được giao gì?' from the
    assignment records (tasks that name their agency)."""
    tasks = [t for t in store.tasks() if t.agency and (doc_ids is None or t.doc_id in doc_ids)]
    if not tasks:
        return None
    scored = sorted(((ev.coverage(focus, f"{t.agency} {t.task} {t.sector} {t.text}", stats), i, t)
                     for i, t in enumerate(tasks)), key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best < min_score:
        return None
    multi = _GROUP_Q.search(focus.folded) or focus.folded.count(" ai ") + focus.folded.startswith("ai ") > 1
    chosen = [t for s, _, t in scored if s >= (0.5 * best if multi else best - 1e-9)][:3]
    cites, lines = [], []
    for t in sorted(chosen, key=lambda t: t.start):
        chunk = next((c for c in store.chunks(doc_id=t.doc_id) if c.start <= t.start < c.end), None)
        if chunk is None:
            continue
        cites.append(ev.cite(len(cites) + 1, chunk, t.start - chunk.start,
                             min(t.end, chunk.end) - chunk.start, store))
        period = f" ({t.period})" if t.period else ""
        lines.append(f"{t.agency}: {t.task}{period} [{len(cites)}] ({chunk.section})")
    if not lines:
        return None
    number = cites[0].label
    text = f"Theo {number}, " + lines[0] if len(lines) == 1 else f"Theo {number}:\n" + "\n".join(f"- {l}" for l in lines)
    return Answer(text=text, citations=tuple(cites), support=best)
