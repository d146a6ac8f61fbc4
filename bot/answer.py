"""Answerers behind one interface: `answer(question, history, filters) -> Answer`.

`ExtractiveAnswerer` (the default, no LLM) answers by quoting the document:
  1. a follow-up is rewritten with the history (rules);
  2. hostile or empty questions are refused;
  3. metadata, section-number, target and assignment questions are answered from the
     structured data (bot/intents.py);
  4. otherwise the best sentence(s) or list clause(s) of the top chunks are quoted
     (bot/evidence.py), up to three facts for multi-part questions;
  5. when the evidence does not cover the question (support below the calibrated threshold,
     a "how much" question without a figure, a year the documents do not mention …) it says
     "Các văn bản hiện có không nêu …" and shows the closest sections instead.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod

from ingest import text as vn
from vectorstore.store import Store
from vectorstore.types import Filters

from . import evidence as ev
from . import intents
from .followup import rewrite
from .query import keywords, make_query
from .retrieve import Retriever
from .types import Answer, Citation

REFUSAL = "Các văn bản hiện có không nêu thông tin này"
_HOSTILE = re.compile(r"bo qua (moi |cac |tat ca )?(huong dan|chi dan|quy tac|lenh)|ignore (all |previous |the )|"
                      r"\bbia (ra|dai|mot)\b|tu bia|gia vo|dong vai|tuong tuong (ra )?mot|system prompt|"
                      r"jailbreak|quen (het )?(huong dan|moi thu)")
_MULTI = re.compile(r"\b(cac|nhung|gom|bao gom|nhu the nao|ra sao|va|nhung gi|nhiem vu gi|giai phap)\b")
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


class Answerer(ABC):
    mode = "answerer"

    @abstractmethod
    def answer(self, question: str, history: list[dict] | None = None,
               filters: Filters | None = None) -> Answer:
        """Answer one question (with the chat history for follow-ups)."""


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, store: Store, retriever: Retriever, abstain_threshold: float = 0.35,
                 k: int = 10):
        self.store = store
        self.retriever = retriever
        self.threshold = abstain_threshold
        self.k = k

    def answer(self, question, history=None, filters=None):
        started = time.perf_counter()
        rw = rewrite(question, history)
        query = make_query(rw.standalone, filters, original=question)
        hits = self.retriever.search(query, self.k)
        result = self._answer(query, rw.focus, hits)
        return _finish(result, hits, rw.standalone if rw.is_followup else "", started)

    # -------------------------------------------------------------------------------------
    def _answer(self, query, focus: str, hits) -> Answer:
        focus_folded = vn.fold(focus)
        if _HOSTILE.search(focus_folded):
            return self.refuse(hits, "yêu cầu này (trợ lý chỉ trả lời theo nội dung văn bản)")
        if not hits:
            return self.refuse(hits)
        stats = ev.corpus_stats(self.store)
        doc_ids = self.store.catalog.doc_ids_matching(query.filters) if not query.filters.empty else None
        top_doc = hits[0].chunk.doc_id
        meta = self.store.get(top_doc)
        focus_kw = keywords(focus) or query.keywords
        if _unknown_year(focus, hits, meta):
            return self.refuse(hits, "số liệu cho năm được hỏi")

        for handler in (
            lambda: intents.metadata_answer(focus_folded, meta, self.store) if meta else None,
            lambda: intents.section_answer(focus_folded, top_doc, self.store),
            lambda: intents.task_answer(focus_kw, self.store, doc_ids, stats)
            if intents.is_who_question(focus_folded) else None,
        ):
            found = handler()
            if found is not None:
                return found

        quantity = ev.is_quantity_question(focus_folded)
        if quantity or "chi tieu" in focus_folded or "muc tieu" in focus_folded:
            found = intents.target_answer(focus, focus_kw, self.store, doc_ids, stats)
            if found is not None and _target_is_supported(found, hits):
                return found
        return self._extract(query, focus, focus_kw, hits, stats, quantity)

    def _extract(self, query, focus, focus_kw, hits, stats, quantity) -> Answer:
        candidates = ev.units(hits)
        focus_folded = vn.fold(focus)
        scored = sorted(((ev.score(u, focus_kw, focus_folded, stats, quantity), i, u)
                         for i, u in enumerate(candidates)), key=lambda x: (-x[0], x[1]))
        if not scored:
            return self.refuse(hits)
        best_score, _, best = scored[0]
        support = ev.coverage(focus_kw, best, stats) if focus_kw else 0.0
        unknown = ev.unknown_share(focus_kw, stats)
        support = support * (1.0 - 0.5 * unknown)
        if support < self.threshold or (quantity and not ev.has_figure(best.text)):
            return self.refuse(hits, support=support)
        chosen = [best]
        if _MULTI.search(focus_folded):
            for s, _, u in scored[1:]:
                if len(chosen) == 3 or s < 0.75 * best_score:
                    break
                if all(u.chunk.id != c.chunk.id or abs(u.start - c.start) > 0 for c in chosen) \
                        and not any(_overlaps(u, c) for c in chosen):
                    chosen.append(u)
        chosen.sort(key=lambda u: (u.chunk.order, u.start))
        cites: list[Citation] = []
        for u in chosen:
            cites.append(ev.cite(len(cites) + 1, u.chunk, u.start, u.end, self.store))
        number = chosen[0].chunk.number
        if len(cites) == 1:
            c = cites[0]
            text = f"Theo {number} ({c.section}): {c.quote} [1]"
        else:
            text = f"Theo {number}:\n" + "\n".join(f"- {c.quote} [{c.n}] ({c.section})" for c in cites)
        return Answer(text=text, citations=tuple(cites), support=support)

    def refuse(self, hits, what: str = "", support: float = 0.0) -> Answer:
        """'Các văn bản hiện có không nêu …' with the closest sections (abstained)."""
        cites = []
        seen = set()
        for h in hits:
            if h.chunk.section in seen:
                continue
            seen.add(h.chunk.section)
            spans = vn.sentence_spans(h.chunk.text) or [(0, len(h.chunk.text))]
            cites.append(ev.cite(len(cites) + 1, h.chunk, *spans[0], self.store))
            if len(cites) == 3:
                break
        text = f"{REFUSAL if not what else 'Các văn bản hiện có không nêu ' + what}."
        if cites:
            text += " Các phần gần nhất: " + "; ".join(f"[{c.n}] {c.number} › {c.section}" for c in cites) + "."
        return Answer(text=text, citations=tuple(cites), abstained=True, support=support)


def _finish(answer: Answer, hits, rewritten: str, started: float) -> Answer:
    from dataclasses import replace

    return replace(answer, hits=tuple(hits), rewritten=rewritten)


def _overlaps(a: ev.Unit, b: ev.Unit) -> bool:
    return a.chunk.id == b.chunk.id and a.start < b.end and b.start < a.end


def _unknown_year(question: str, hits, meta) -> bool:
    """The question names a year that neither the evidence nor the document's own dates mention."""
    years = set(_YEAR.findall(question))
    if not years:
        return False
    known = set(_YEAR.findall(" ".join(h.chunk.text for h in hits[:5])))
    if meta:
        known |= set(_YEAR.findall(f"{meta.title} {meta.issued}"))
    return bool(years - known)


def _target_is_supported(answer: Answer, hits) -> bool:
    """A target answer must come from a chunk retrieval also found (guards odd matches)."""
    top = {h.chunk.id for h in hits[:10]}
    return any(c.chunk_id in top for c in answer.citations)
