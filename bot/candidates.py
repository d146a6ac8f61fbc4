"""Answer candidates from every source, for one ranker to score (bot/rank.py).

- text units of the top chunks: sentences, list clauses, header and signature lines, table rows;
- metadata fields of the documents in question (signer, dates, number, issuer, kind, basis),
  each quoting the line of the document that states it;
- relations between documents (what a document amends, replaces, repeals; what amends it);
- targets (chỉ tiêu) and tasks (who does what, by when) of the catalog;
- the opening of a section the question names ("Điều 5 quy định gì?").

A candidate quotes a span of one chunk; `value` is the fact to lead the answer with when the
quote alone does not say it plainly (a metadata field, an agency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest import text as vn
from ingest.types import Chunk, DocMeta
from vectorstore.store import Store
from vectorstore.types import Hit

from . import evidence as ev
from .question import Question

MAX_CHUNKS = 6  # text units come from this many top chunks
MAX_QUOTE = 320  # a longer quote is cut to its clause that holds the answer ...
MAX_TITLE = 150  # a chunk's first line this short and without a sentence end is a title
MIN_CLAUSE = 120  # ... widened to at least this many characters
_QUOTE_CLAUSE = re.compile(r";\s+|,\s+(?=[a-zđà-ỹ])|\.\s+(?=[A-ZĐÀ-Ỹ])")
FIELD_LABELS = {"signer": "Người ký", "effective": "Hiệu lực", "issued": "Ngày ban hành", "number": "Số hiệu",
                 "issuer": "Cơ quan ban hành", "kind": "Loại văn bản", "basis": "Căn cứ"}
_RELATION_WORDS = {"amends": "sửa đổi, bổ sung", "replaces": "thay thế", "repeals": "bãi bỏ"}


@dataclass(frozen=True)
class Candidate:
    source: str  # unit | meta | relation | target | task | section
    chunk: Chunk
    start: int  # span in chunk.text
    end: int
    rank: int  # the chunk's retrieval rank (MAX_CHUNKS + 4 when retrieval did not find it)
    retrieval: float  # the chunk's retrieval score relative to the best one (0 when not found)
    cosine: float = 0.0  # the question's cosine with the chunk, from dense retrieval (0: not found)
    value: str = ""  # the fact to lead with ("Bế Thanh Tịnh", "ngày 11/12/2025")
    label: str = ""  # what the value is ("Người ký")

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.chunk.id, self.start, self.end)


def gather(q: Question, hits: list[Hit], store: Store) -> list[Candidate]:
    """Every candidate for the question, without duplicates (same chunk and span)."""
    ranks = {h.chunk.id: i for i, h in enumerate(hits)}
    top = max((h.score for h in hits), default=0.0) or 1.0
    rel = {h.chunk.id: max(h.score, 0.0) / top for h in hits}
    doc_rank, doc_rel = {}, {}  # a fact of a whole document ranks as its document's best chunk
    for i, h in enumerate(hits):
        doc_rank.setdefault(h.chunk.doc_id, i)
        doc_rel.setdefault(h.chunk.doc_id, rel[h.chunk.id])
    cosine = {h.chunk.id: max(h.cosine, 0.0) for h in hits}
    out: dict[tuple, Candidate] = {}

    def add(source, chunk, start, end, value="", label=""):
        if end <= start or chunk.kind == "recipients":
            return
        if source == "unit" and len(_WORDS.findall(chunk.text[start:end])) < 2:
            return  # "/.", "16/08/2023 64": nothing a sentence of an answer could say
        whole = source in ("meta", "relation")
        c = Candidate(source, chunk, start, end,
                      doc_rank.get(chunk.doc_id, MAX_CHUNKS + 4) if whole else ranks.get(chunk.id, MAX_CHUNKS + 4),
                      doc_rel.get(chunk.doc_id, 0.0) if whole else rel.get(chunk.id, 0.0),
                      cosine.get(chunk.id, 0.0), value, label)
        key = c.key + ((label,) if source == "meta" else ())  # two facts may quote one line ("Số: …, ngày …")
        if source == "meta":
            out.pop(c.key, None)  # the fact replaces its bare line
        if key not in out or source != "unit":
            out[key] = c

    for rank, hit in enumerate(hits[:MAX_CHUNKS]):
        for a, b in text_units(hit.chunk):
            add("unit", hit.chunk, a, b)
    docs = _documents(q, hits, store)
    # the field asked; in a question of two ("Ngày ban hành và người ký?") every field it names
    fields = q.meta_fields if q.compound else (q.meta_field,)
    for field in (f for f in fields if f in FIELD_LABELS):
        for meta in docs:
            for chunk, s, e, value in _metadata(field, meta, store):
                add("meta", chunk, s, e, value, FIELD_LABELS[field])
    if q.meta_field == "relation":
        for chunk, s, e, value in _relations(q, docs, store):
            add("relation", chunk, s, e, value, "Quan hệ")
    scope = {m.doc_id for m in docs} if q.doc_ids else None
    if "figure" in q.asks or re.search(r"\b(chi tieu|muc tieu)\b", q.folded):
        for chunk, s, e in _targets(q, store, scope):
            add("target", chunk, s, e)
    if q.asks & {"agency", "when"}:
        for chunk, s, e, agency in _tasks(q, store, scope):
            add("task", chunk, s, e, agency, "Cơ quan chủ trì")
    for chunk, s, e in _sections(q, docs, store):
        add("section", chunk, s, e)
    if "section" in q.asks:  # "Phần nào … quy định X?": each top chunk's part, named by its heading path
        for hit in hits[:MAX_CHUNKS]:
            if hit.chunk.section_path and hit.chunk.kind not in _LINE_UNITS[1:]:
                a, b = next(iter(text_units(hit.chunk)), (0, 0))
                add("section", hit.chunk, a, b, hit.chunk.title, "Phần")
    return list(out.values())


_LINE_UNITS = ("table", "info", "header", "preamble", "signature")
_WORDS = re.compile(r"[^\W\d_]{2,}")  # a word of letters


def text_units(chunk: Chunk) -> list[tuple[int, int]]:
    """Spans of a chunk's text a candidate can quote: its lines (table rows, header lines), the
    sentences of its paragraphs, and the clauses of long sentences and list items."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in chunk.text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        whole = [(0, len(line))] if chunk.kind in _LINE_UNITS else vn.sentence_spans(line) or [(0, len(line))]
        for a, b in whole:
            out.append((start + a, start + b))
            if b - a > 160 or chunk.kind in ("item", "table"):
                parts, p = [], a
                for m in ev.CLAUSE_SPLIT.finditer(line, a, b):
                    parts.append((p, m.start() + (1 if m.group(0).startswith(".") else 0)))
                    p = m.end()
                if parts:
                    parts.append((p, b))
                    out.extend((start + x, start + y) for x, y in parts if y - x >= 15)
    return out


def section_match(kind: str, number: str, path: tuple[str, ...]) -> bool:
    """A section path holds the named section: "Điều 5", or a plan number ("mục 3.2.2" is the
    section "3.2.2. …")."""
    kind, number = vn.fold(kind), vn.fold(number)
    for part in (vn.fold(p) for p in path):
        if part == f"{kind} {number}" or part.startswith(f"{kind} {number} ") or part.startswith(f"{kind} {number}."):
            return True
        if re.match(r"[\divxlc]", number) and (part == number or part.startswith(number + ".")
                                                or part.startswith(number + " ")):
            return True
    return False


def _documents(q: Question, hits: list[Hit], store: Store) -> list[DocMeta]:
    """The documents the question names; else those of the top chunks (best first) and the
    catalog's document best described by the question (its kind, issuer and title words)."""
    ids = list(q.doc_ids) or list(dict.fromkeys(h.chunk.doc_id for h in hits[:3]))
    if not q.doc_ids:
        stats = ev.corpus_stats(store)
        scored = sorted(((described(q, m, stats), m.doc_id) for m in catalog_metas(store)), reverse=True)
        if scored and scored[0][0] >= 0.5 and scored[0][1] not in ids:
            ids.append(scored[0][1])
    return [m for m in (store.get(i) for i in ids) if m is not None]


_METAS: dict[str, tuple[int, list[DocMeta]]] = {}


def catalog_metas(store: Store) -> list[DocMeta]:
    """Every document's metadata, read again only when the store changed."""
    key, gen = str(store.folder), store.catalog.generation
    if key not in _METAS or _METAS[key][0] != gen:
        _METAS[key] = (gen, [d.meta for d in store.documents()])
    return _METAS[key][1]


def described(q: Question, meta: DocMeta | None, stats) -> float:
    """The idf-weighted share of the question's keywords that name the document: its kind,
    issuer, title, number and year ("nghị quyết của HĐND tỉnh về mức chi kỳ thi" describes one)."""
    if meta is None or not q.keywords:
        return 0.0
    name = q.tokens(f"{meta.type} {meta.issuer} {meta.title} {meta.number} {meta.issued[:4]} {meta.place}")
    weights = {k: stats.idf(k) for k in q.keywords}
    return sum(w for k, w in weights.items() if q.matched(k, name)) / (sum(weights.values()) or 1.0)


def _chunk_at(chunks: list[Chunk], pos: int) -> Chunk | None:
    return next((c for c in chunks if c.start <= pos < c.end), None)


def _metadata(field: str, meta: DocMeta, store: Store) -> list[tuple[Chunk, int, int, str]]:
    """The line(s) of the document stating the field, and the field's value."""
    value = getattr(meta, field, "") if field != "basis" else ""
    if field in ("issued", "effective") and value:
        y, m, d = value.split("-")
        value = f"ngày {d}/{m}/{y}"
    if field != "basis" and not value:
        return []  # the document leaves it blank (a draft's number): nothing to say
    pattern = _value_pattern(field, meta)
    out = []
    for chunk in store.chunks(doc_id=meta.doc_id):
        for m in re.finditer(r"[^\n]+", chunk.text):
            line = m.group(0)
            if not pattern.search(line):
                continue
            s, e = m.start(), m.end()
            if len(line) > 300:  # prose: the sentence that says it
                for a, b in vn.sentence_spans(line):
                    if pattern.search(line[a:b]):
                        s, e = m.start() + a, m.start() + b
                        break
            out.append((chunk, s, e, value))
            if len(out) == 4:
                return out
    return out


def _value_pattern(field: str, meta: DocMeta) -> re.Pattern:
    if field == "signer":
        return re.compile(re.escape(meta.signer))
    if field == "number":
        digits = re.escape(meta.number.split("/")[0])
        return re.compile(rf"^Số(?: hiệu)?\s*:?\s*{digits}\s*/|^Số hiệu: ")
    if field in ("issued", "effective"):
        y, m, d = meta.issued.split("-") if field == "issued" else (meta.effective or "0-0-0").split("-")
        day = rf"ngày\s+0?{int(d)}\s+tháng\s+0?{int(m)}\s+năm\s+{y}|0?{int(d)}/0?{int(m)}/{y}"
        return re.compile(day if field == "issued" else rf"(?i)hiệu lực[^.\n]*({day}|ngày ký|ngày thông qua)|{day}")
    if field == "issuer":
        return re.compile(rf"(?i)^{re.escape(meta.issuer)}$|^(Cơ quan ban hành|Nơi ban hành):|^{re.escape(meta.issuer.upper())}")
    if field == "kind":
        return re.compile(rf"^{re.escape(meta.type.upper())}\b|^Loại văn bản:")
    return re.compile(r"^Căn cứ\b")


def _relations(q: Question, docs: list[DocMeta], store: Store) -> list[tuple[Chunk, int, int, str]]:
    """What the named documents do to others, and which documents do something to them."""
    out = []
    named = {m.number for m in docs if m.number}
    refs = {re.sub(r"\s+", "", r) for r in q.doc_refs + q.others if "/" in r}  # loaded or not
    for stored in store.documents():
        m = stored.meta
        chunks = None
        for r in m.relations:
            mine = m.doc_id in {d.doc_id for d in docs}
            about = r.target in named or any(r.target.lower() == x.lower() for x in refs)
            if not (mine or about):
                continue
            chunks = chunks if chunks is not None else store.chunks(doc_id=m.doc_id)
            chunk = _chunk_at(chunks, r.start)
            if chunk is None:
                continue
            s, e = max(r.start - chunk.start, 0), min(r.end, chunk.end) - chunk.start
            out.append((chunk, s, e, f"{m.label} {_RELATION_WORDS.get(r.kind, r.kind)} {r.target}"))
    return out


def _targets(q: Question, store: Store, scope: set[str] | None) -> list[tuple[Chunk, int, int]]:
    best = _best(q, store, [t for t in store.targets() if scope is None or t.doc_id in scope],
                 lambda t: f"{t.indicator} {t.group}", 0.5)
    return [(chunk, s, e) for chunk, s, e, _ in best]


def _tasks(q: Question, store: Store, scope: set[str] | None) -> list[tuple[Chunk, int, int, str]]:
    return _best(q, store, [t for t in store.tasks() if t.agency and (scope is None or t.doc_id in scope)],
                 lambda t: f"{t.task} {t.sector} {t.text}", 0.4)


def _best(q: Question, store: Store, items: list, words, least: float, n: int = 4) -> list:
    """The n catalog items (targets, tasks) whose words cover at least `least` of the question's
    (idf-weighted), each as (chunk, start, end, agency) in the chunk that holds it."""
    if not q.keywords:
        return []
    stats = ev.corpus_stats(store)
    scored = [(score, i, t) for i, t in enumerate(items) if (score := ev.coverage(q, words(t), stats)) >= least]
    out = []
    for _, _, t in sorted(scored, key=lambda x: (-x[0], x[1]))[:n]:
        chunk = _chunk_at(store.chunks(doc_id=t.doc_id), t.start)
        if chunk is not None:
            out.append((chunk, t.start - chunk.start, min(t.end, chunk.end) - chunk.start, getattr(t, "agency", "")))
    return out


def _sections(q: Question, docs: list[DocMeta], store: Store) -> list[tuple[Chunk, int, int]]:
    """The opening of each section the question names, in the documents in question."""
    if not q.sections:
        return []
    out = []
    for meta in docs[:2]:
        for chunk in store.chunks(doc_id=meta.doc_id):
            if all(section_match(kind, num, chunk.section_path) for kind, num in q.sections):
                spans = vn.sentence_spans(chunk.text) or [(0, len(chunk.text))]
                out.append((chunk, spans[0][0], spans[min(1, len(spans) - 1)][1]))
                break
    return out


def quote_span(q: Question, c: Candidate) -> tuple[int, int]:
    """The span of the chunk an answer quotes for a candidate: its whole line when that is short
    (a target quoted with the rest of its item: "(1) Tốc độ tăng trưởng GRDP: 10%; GRDP bình quân
    đầu người …"), else the candidate, cut to its clause that holds the answer when long."""
    if c.source in ("meta", "relation"):
        return c.start, c.end
    full = c.chunk.text
    a = full.rfind("\n", 0, c.start) + 1
    b = full.find("\n", c.end)
    b = len(full) if b < 0 else b
    if b - a > MAX_QUOTE:
        return _clause(q, c)
    return a, _with_items(full, a, b)


def introduces(full: str, a: int, b: int) -> bool:
    """The quote [a, b) ends its chunk with a line that only introduces what follows."""
    line = full[a:b].rstrip()
    if full[b:].strip():
        return False
    return line.endswith(":") or _is_title(full, a, line)


def _is_title(full: str, a: int, line: str) -> bool:
    """A heading line at the top of its chunk (the chunk's first two lines): short, no sentence end."""
    return full.count("\n", 0, a) <= 1 and len(line) <= MAX_TITLE and not line.endswith(tuple(".;!?)\"”"))


def items_end(text: str, start: int = 0) -> int:
    """The end of the lines of `text` from `start` up to MAX_QUOTE characters (whole lines, at
    least one)."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    while end < len(text) and end - start < MAX_QUOTE:
        nxt = text.find("\n", end + 1)
        end = len(text) if nxt < 0 else nxt
    return end


def _with_items(full: str, a: int, b: int) -> int:
    """Where a quote of the line [a, b) ends: a line that only introduces what follows ("… gồm
    có:", "… các điều kiện sau đây:", a title at the top of the chunk) takes the lines after it,
    up to MAX_QUOTE characters, so that the answer holds the items and not only their title."""
    line = full[a:b].rstrip()
    if b >= len(full) or not (line.endswith(":") or _is_title(full, a, line)):
        return b
    return items_end(full, a)


def _clause(q: Question, c: Candidate) -> tuple[int, int]:
    """The candidate's span, or, when it is long, its clause that holds the answer (the asked
    figure or unit, most of the question's words), widened to at least MIN_CLAUSE characters."""
    text = c.text
    if len(text) <= MAX_QUOTE:
        return c.start, c.end
    pieces, pos = [], 0
    for m in _QUOTE_CLAUSE.finditer(text):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(text)))
    words = set(q.keywords)
    figure = "figure" in q.asks

    def value(span):
        part = text[span[0]:span[1]]
        toks = q.tokens(part)
        return (figure and bool(re.search(r"\d", part)), sum(1 for k in words if q.matched(k, toks)), -span[0])

    i = pieces.index(max(pieces, key=value))
    j = i
    while pieces[j][1] - pieces[i][0] < MIN_CLAUSE and (i > 0 or j < len(pieces) - 1):
        i, j = max(i - 1, 0), min(j + 1, len(pieces) - 1)  # a clause too short to stand alone: widen it
    return c.start + pieces[i][0], c.start + pieces[j][1]
