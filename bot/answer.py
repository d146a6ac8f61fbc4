"""Answerers behind one interface: `answer(question, history, filters) -> Answer`.

`ExtractiveAnswerer` (the default, no LLM) answers by quoting the document:
  1. a follow-up is rewritten with the history (rules, bot/followup.py);
  2. the question is read once (bot/question.py): what is asked, the documents and sections it
     names; a question naming a document searches that document;
  3. candidates come from every source (bot/candidates.py): text units of the top chunks,
     metadata fields, relations, targets, tasks, sections;
  4. one ranker scores them (bot/rank.py: features, a logistic model fitted on the dev split,
     `python -m eval fit-ranker`); below the calibrated threshold it says "Các văn bản hiện có
     không nêu …" and shows the closest sections; a candidate about another province than the
     one the question names is never chosen (the provinces are data: bot/data/domain.json);
  5. the answer leads with the fact: the value (signer, date, agency) or the clause that holds
     the asked figure, then the document; up to MAX_FACTS facts for a list question.
Prompt injection and requests to invent ("bỏ qua mọi hướng dẫn …") are refused before anything.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

import numpy as np

from ingest import text as vn
from vectorstore.store import Store
from vectorstore.types import Filters, Hit

from . import evidence as ev
from .candidates import FIELD_LABELS, MAX_QUOTE, Candidate, gather, introduces, items_end, quote_span
from .followup import rewrite
from .query import make_query
from .question import Question, analyse
from .rank import Model, features, load_model
from .retrieve import Retriever
from .types import Answer
from .verify import instruction_flag, instruction_passages

REFUSAL = "Các văn bản hiện có không nêu thông tin này"
LEAD_CHARS = 400  # the asked fact is within the first LEAD_CHARS of an answer
MAX_FACTS = 5  # a list question is answered with up to MAX_FACTS candidates (its items)
_HOSTILE = re.compile(r"bo qua (moi |cac |tat ca )?(huong dan|chi dan|quy tac|lenh)|ignore (all |previous |the )|"
                      r"\bbia (ra|dai|mot)\b|tu bia|gia vo|dong vai|tuong tuong (ra )?mot|system prompt|"
                      r"jailbreak|quen (het )?(huong dan|moi thu)")


def is_hostile(question: str) -> bool:
    """Prompt injection or a request to invent ("bỏ qua hướng dẫn…", "bịa ra…"): never answered."""
    return bool(_HOSTILE.search(vn.fold(question)))


class Answerer(ABC):
    mode = "answerer"

    @abstractmethod
    def answer(self, question: str, history: list[dict] | None = None,
               filters: Filters | None = None) -> Answer:
        """Answer one question (with the chat history for follow-ups)."""


@dataclass(frozen=True)
class Scored:
    """What the ranker saw for one question (the eval fits the model on these)."""

    question: Question
    hits: tuple[Hit, ...]
    candidates: tuple[Candidate, ...]
    features: np.ndarray
    rewritten: str = ""


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, store: Store, retriever: Retriever, k: int = 10, embedder=None, model: Model | None = None,
                 refusal: str = "accuracy"):
        self.store = store
        self.retriever = retriever
        self.k = k
        self.embedder = embedder  # dense similarity of question and candidate (None: lexical only)
        self._model = model
        self.refusal = refusal  # the ranker's refusal policy (Settings.refusal)
        self._docs: tuple[int, list] = (-1, [])

    @property
    def model(self) -> Model:
        if self._model is None:
            kind = "dense" if self.embedder is not None else "hybrid" if self.store.dense is not None else "lexical"
            self._model = load_model(kind, refusal=self.refusal)
        return self._model

    def documents(self):
        """The catalog's metadata, read again only when the store changed."""
        gen = self.store.catalog.generation
        if self._docs[0] != gen:
            self._docs = (gen, [d.meta for d in self.store.documents()])
        return self._docs[1]

    def score(self, question: str, history=None, filters=None) -> Scored:
        """Read the question, retrieve, gather and featurise the candidates."""
        rw = rewrite(question, history)
        docs = self.documents()
        q = analyse(rw.standalone, docs)
        focus = analyse(rw.focus, docs) if rw.is_followup else q
        if q.doc_ids and (filters is None or filters.empty):
            filters = Filters(doc_ids=q.doc_ids)
        query = make_query(rw.standalone, filters, original=question)
        hits = self.retriever.search(query, self.k)
        if not hits and q.doc_ids:  # the named document does not hold it: search everything
            hits = self.retriever.search(replace(query, filters=Filters()), self.k)
        cands = gather(focus, hits, self.store)
        x = features(focus, cands, self.store, self.embedder) if cands else np.zeros((0, 0))
        return Scored(focus, tuple(hits), tuple(cands), x, rw.standalone if rw.is_followup else "")

    def answer(self, question, history=None, filters=None):
        if is_hostile(question):
            return self.refuse([], "yêu cầu này (trợ lý chỉ trả lời theo nội dung văn bản)")
        s = self.score(question, history, filters)
        return replace(self.decide(s), hits=s.hits, rewritten=s.rewritten)

    def decide(self, s: Scored) -> Answer:
        """The answer (or refusal) the model makes of the scored candidates."""
        if not s.candidates:
            return self.refuse(list(s.hits), q=s.question)
        p = self.model.probability(s.features)  # 0 for another province's text (rank.eligible)
        order = np.argsort(-p, kind="stable")
        best = float(p[order[0]])
        if best < self.model.threshold:
            return self.refuse(list(s.hits), q=s.question, support=best)
        chosen = [s.candidates[order[0]]]
        q = s.question
        if q.many:
            for i in order[1:]:
                c = s.candidates[i]
                if len(chosen) == MAX_FACTS or p[i] < max(self.model.threshold, self.model.multi * best):
                    break
                if not any(_overlaps(c, o) for o in chosen):
                    chosen.append(c)
        if q.compound:  # "Ngày ban hành và người ký?": what the first answer leaves is asked again
            rest = self._rest(q, chosen)
            if rest is not None:
                p2 = self.model.probability(features(rest, list(s.candidates), self.store, self.embedder))
                for i in np.argsort(-p2, kind="stable"):
                    c = s.candidates[i]
                    if p2[i] < self.model.threshold:
                        break
                    if not any(_overlaps(c, o) or c.text in o.text or o.text in c.text for o in chosen):
                        chosen.append(c)
                        break
        return self.compose(q, chosen, best)

    @staticmethod
    def _rest(q: Question, chosen: list[Candidate]) -> Question | None:
        """The question without the keywords the chosen candidates hold (None: nothing is left,
        or so little that it is no question of its own)."""
        held = set()
        for c in chosen:
            held |= {k for k in q.keywords if q.matched(k, q.tokens(f"{c.label} {c.value} {c.text}"))}
        left = tuple(k for k in q.keywords if k not in held)
        if len(left) < 2:
            return None
        pairs = tuple(p for p in q.pairs if all(w in left for w in p.split()))
        told = {c.label for c in chosen if c.source == "meta"}  # a field answered: the next one is asked
        field = next((f for f in q.meta_fields if FIELD_LABELS.get(f) not in told), q.meta_field)
        return replace(q, keywords=left, pairs=pairs, meta_field=field)

    def compose(self, q: Question, chosen: list[Candidate], support: float) -> Answer:
        """Lead with the fact: the value or the clause that holds it, then where it is from."""
        cites = []
        parts = []
        for c in sorted(chosen, key=lambda c: (c.chunk.doc_id, c.chunk.order, c.start)):
            start, end = quote_span(q, c)
            cite = ev.cite(len(cites) + 1, c.chunk, start, end, self.store)
            cites.append(cite)
            said = vn.LIST_MARKER.sub("", cite.quote, count=1) or cite.quote  # "(11) Chỉ số …" -> "Chỉ số …"
            items = ""  # "… gồm có:" at a chunk's end: its items are the next chunks (points a), b) …)
            for nxt in self._brought(c, start, end):
                more = ev.cite(len(cites) + 1, nxt, 0, items_end(nxt.text), self.store)
                cites.append(more)
                items += f" {more.quote} [{more.n}]"
            if c.value and c.source in ("meta", "relation"):
                parts.append(f"{c.label}: {c.value} [{cite.n}] (“{cite.quote}”)" if c.source == "meta"
                             else f"{c.value} [{cite.n}]")
            elif c.value:
                parts.append(f"{c.value}: {said} [{cite.n}]{items}")
            else:
                parts.append(f"{said} [{cite.n}]{items}")
        # The fact first: no "Theo <document> (<section>):" before it; the document, section and
        # quote stand in the sources under the answer ([n]).
        text = parts[0] if len(parts) == 1 else "\n".join(f"- {p}" for p in parts)
        flags = tuple(instruction_flag(c.where, passage) for c in cites for passage in instruction_passages(c.quote))
        return Answer(text=text, citations=tuple(cites), support=support, flags=flags)

    def shown(self, q: Question, c: Candidate) -> str:
        """What an answer says for one candidate, as compose writes it: its value, its quote and the
        items a quote that introduces them brings (the next chunks). The ranker is fitted on this."""
        start, end = quote_span(q, c)
        text = f"{c.value} {c.chunk.text[start:end]}"
        text += "".join(f" {nxt.text[:items_end(nxt.text)]}" for nxt in self._brought(c, start, end))
        return text[:LEAD_CHARS]

    def _brought(self, c: Candidate, start: int, end: int) -> list:
        """The chunks a quote [start, end) of c brings along: its points, when the quote ends its
        chunk with a line that introduces them."""
        if c.source in ("meta", "relation") or not introduces(c.chunk.text, start, end):
            return []
        return self._items(c.chunk)

    def _items(self, chunk) -> list:
        """The chunks after `chunk` that sit under its section (its points), up to MAX_QUOTE chars."""
        out, size = [], 0
        for nxt in self.store.following(chunk, 4):
            if nxt.section_path[:len(chunk.section_path)] != chunk.section_path or size >= MAX_QUOTE:
                break
            out.append(nxt)
            size += len(nxt.text)
        return out

    def refuse(self, hits, what: str = "", support: float = 0.0, q: Question | None = None) -> Answer:
        """'Các văn bản hiện có không nêu …' with the closest sections (abstained), each quoted by
        its sentence closest to the question, else by its first sentence."""
        cites, seen = [], set()
        stats = ev.corpus_stats(self.store) if q is not None and q.keywords else None
        for h in hits:
            if h.chunk.section in seen or h.chunk.kind == "recipients":
                continue
            seen.add(h.chunk.section)
            spans = vn.sentence_spans(h.chunk.text) or [(0, len(h.chunk.text))]
            span = spans[0]
            if stats is not None:
                best = max(ev.units([h], max_chunks=1), key=lambda u: ev.coverage(q, u.text, stats), default=None)
                if best is not None and ev.coverage(q, best.text, stats) > 0:
                    span = (best.start, best.end)
            cites.append(ev.cite(len(cites) + 1, h.chunk, *span, self.store))
            if len(cites) == 3:
                break
        text = f"{REFUSAL if not what else 'Các văn bản hiện có không nêu ' + what}."
        if cites:
            text += " Các phần gần nhất: " + "; ".join(f"[{c.n}] {c.where}" for c in cites) + "."
        return Answer(text=text, citations=tuple(cites), abstained=True, support=support)


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.chunk.id == b.chunk.id and a.start < b.end and b.start < a.end
