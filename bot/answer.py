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
from abc import ABC, abstractmethod
from dataclasses import replace

from ingest import text as vn
from vectorstore.store import Store
from vectorstore.types import Filters

from . import evidence as ev
from . import intents
from .followup import rewrite
from .query import Domain, make_query
from .retrieve import Retriever
from .types import Answer, Citation

REFUSAL = "Các văn bản hiện có không nêu thông tin này"
_HOSTILE = re.compile(r"bo qua (moi |cac |tat ca )?(huong dan|chi dan|quy tac|lenh)|ignore (all |previous |the )|"
                      r"\bbia (ra|dai|mot)\b|tu bia|gia vo|dong vai|tuong tuong (ra )?mot|system prompt|"
                      r"jailbreak|quen (het )?(huong dan|moi thu)")
_MULTI = re.compile(r"\b(cac|nhung|gom|bao gom|nhu the nao|ra sao|va|nhung gi|nhiem vu gi|giai phap)\b")
_REALTIME = re.compile(r"\b(hom nay|hom qua|ngay mai|bay gio|hien nay|hien tai|luc nay|tuan nay|"
                       r"thang nay|moi nhat|gan day nhat)\b")
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


def is_hostile(question: str) -> bool:
    """Prompt injection or a request to invent ("bỏ qua hướng dẫn…", "bịa ra…"): never answered."""
    return bool(_HOSTILE.search(vn.fold(question)))


class Answerer(ABC):
    mode = "answerer"

    @abstractmethod
    def answer(self, question: str, history: list[dict] | None = None,
               filters: Filters | None = None) -> Answer:
        """Answer one question (with the chat history for follow-ups)."""


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, store: Store, retriever: Retriever, abstain_threshold: float = 0.55,
                 k: int = 10, embedder=None, dense_unit_threshold: float = 0.45):
        self.store = store
        self.retriever = retriever
        self.threshold = abstain_threshold
        self.k = k
        self.embedder = embedder  # when set, paraphrases are matched sentence by sentence
        self.dense_unit_threshold = dense_unit_threshold

    def answer(self, question, history=None, filters=None):
        rw = rewrite(question, history)
        query = make_query(rw.standalone, filters, original=question)
        hits = self.retriever.search(query, self.k)
        result = self._answer(query, rw.focus, hits)
        if not result.abstained and _unsupported_year(rw.focus, result, self.store):
            result = self.refuse(hits, "số liệu cho năm được hỏi", focus=ev.make_focus(rw.focus))
        return replace(result, hits=tuple(hits), rewritten=rw.standalone if rw.is_followup else "")

    # -------------------------------------------------------------------------------------
    def _answer(self, query, focus_text: str, hits) -> Answer:
        focus = ev.make_focus(focus_text)
        if is_hostile(focus.text):
            return self.refuse(hits, "yêu cầu này (trợ lý chỉ trả lời theo nội dung văn bản)")
        if _REALTIME.search(focus.folded):
            return self.refuse(hits, "thông tin thời sự như vậy (chỉ có nội dung các văn bản đã lập chỉ mục)",
                               focus=focus)
        if not hits:
            return self.refuse(hits, focus=focus)
        stats = ev.corpus_stats(self.store)
        unknown = ev.unknown_entities(focus.text, stats)
        if unknown:
            return self.refuse(hits, f"thông tin về {', '.join(unknown)}", focus=focus)
        doc_ids = self.store.catalog.doc_ids_matching(query.filters) if not query.filters.empty else None
        top_doc = hits[0].chunk.doc_id
        meta = self.store.get(top_doc)

        other = _other_province(focus.text, self.store, doc_ids)
        if other:
            return self.refuse(hits, f"thông tin về tỉnh {other} (các văn bản hiện có là của "
                                     f"{', '.join(sorted(_places(self.store, doc_ids)))})", focus=focus)
        section = intents.section_answer(focus.folded, top_doc, self.store)
        if section is not None and section.abstained:
            return self.refuse(hits, f"{section.text} (văn bản {meta.label if meta else ''} không có phần này)",
                               focus=focus)
        found = (section
                 or (intents.metadata_answer(focus.folded, meta, self.store) if meta else None)
                 or (intents.task_answer(focus, self.store, doc_ids, stats)
                     if intents.is_who_question(focus.folded) else None))
        if found is not None:
            return found
        target = intents.target_answer(focus, self.store, doc_ids, stats)
        if target is not None and _target_is_supported(target, hits) and _plan_year(focus.text, meta):
            return target
        return self._extract(focus, hits, stats)

    def _extract(self, focus: ev.Focus, hits, stats) -> Answer:
        """Quote the best unit (up to three for a multi-part question), or refuse."""
        scored = sorted(((ev.score(u, focus, stats), i, u) for i, u in enumerate(ev.units(hits))),
                        key=lambda x: (-x[0], x[1]))
        if not scored:
            return self.refuse(hits, focus=focus)
        best_score, _, best = scored[0]
        support = ev.support(focus, best, stats)
        if support < self.threshold:  # few shared words: a paraphrase, or not in the documents
            best, support = self._dense_unit(focus, hits) or (best, support)
        if support < self.threshold or not focus.figure_ok(best.text) or not focus.time_ok(best.text):
            return self.refuse(hits, support=support, focus=focus)
        chosen = [best]
        if _MULTI.search(focus.folded):
            for s, _, u in scored[1:]:
                if len(chosen) == 3 or s < 0.75 * best_score:
                    break
                if not any(_overlaps(u, c) for c in chosen):
                    chosen.append(u)
            for part in self._part_units(focus, hits, stats):  # "Tờ trình và báo cáo thẩm tra …"
                if len(chosen) < 3 and not any(_overlaps(part, c) for c in chosen):
                    chosen.append(part)
        chosen.sort(key=lambda u: (u.chunk.order, u.start))
        cites: list[Citation] = []
        for u in chosen:
            cites.append(ev.cite(len(cites) + 1, u.chunk, u.start, u.end, self.store))
        label = cites[0].label
        if len(cites) == 1:
            c = cites[0]
            text = f"Theo {label} ({c.section}): {c.quote} [1]"
        else:
            text = f"Theo {label}:\n" + "\n".join(f"- {c.quote} [{c.n}] ({c.section})" for c in cites)
        return Answer(text=text, citations=tuple(cites), support=support)

    def _part_units(self, focus: ev.Focus, hits, stats) -> list[ev.Unit]:
        """For "A và B" questions: the best unit for each part that is well supported alone."""
        parts = [ev.make_focus(p) for p in intents.PARTS.split(focus.text)]
        parts = [p for p in parts if p.keywords]
        if len(parts) < 2:
            return []
        out = []
        candidates = ev.units(hits)
        for part in parts:
            best = max(candidates, key=lambda u: ev.score(u, part, stats), default=None)
            if best is not None and ev.support(part, best, stats) >= self.threshold:
                out.append(best)
        return out

    def _dense_unit(self, focus: ev.Focus, hits) -> tuple[ev.Unit, float] | None:
        """The sentence of the top chunks closest in meaning to the question, when it is close
        enough (cosine >= dense_unit_threshold) and carries the figure/time asked for.
        Its support is reported as the threshold itself: just enough, never more."""
        if self.embedder is None:
            return None
        candidates = ev.units(hits, max_chunks=3)
        if not candidates:
            return None
        vectors = self.embedder.embed_documents([u.text for u in candidates],
                                                [u.chunk.title for u in candidates])
        sims = vectors @ self.embedder.embed_query(focus.text)
        i = max(range(len(candidates)), key=lambda j: float(sims[j]))
        unit = candidates[i]
        if float(sims[i]) < self.dense_unit_threshold:
            return None
        if not (focus.figure_ok(unit.text) and focus.time_ok(unit.text)):
            return None
        return unit, self.threshold

    def refuse(self, hits, what: str = "", support: float = 0.0, focus: ev.Focus | None = None) -> Answer:
        """'Các văn bản hiện có không nêu …' with the closest sections (abstained), each quoted by
        its sentence closest to the question (`focus`), else by its first sentence."""
        cites = []
        seen = set()
        stats = ev.corpus_stats(self.store) if focus is not None and focus.keywords else None
        for h in hits:
            if h.chunk.section in seen:
                continue
            seen.add(h.chunk.section)
            spans = vn.sentence_spans(h.chunk.text) or [(0, len(h.chunk.text))]
            span = spans[0]
            if stats is not None:  # the first of the best-scoring sentences
                best = max(ev.units([h], max_chunks=1), key=lambda u: ev.score(u, focus, stats), default=None)
                if best is not None and ev.score(best, focus, stats) > 0:
                    span = (best.start, best.end)
            cites.append(ev.cite(len(cites) + 1, h.chunk, *span, self.store))
            if len(cites) == 3:
                break
        text = f"{REFUSAL if not what else 'Các văn bản hiện có không nêu ' + what}."
        if cites:
            text += " Các phần gần nhất: " + "; ".join(f"[{c.n}] {c.where}" for c in cites) + "."
        return Answer(text=text, citations=tuple(cites), abstained=True, support=support)


def _overlaps(a: ev.Unit, b: ev.Unit) -> bool:
    return a.chunk.id == b.chunk.id and a.start < b.end and b.start < a.end


def _unsupported_year(question: str, answer: Answer, store: Store) -> bool:
    """The question names a year that neither the quoted evidence nor its document's title and
    dates mention ("chỉ tiêu GRDP năm 2027?" answered from the 2026 plan)."""
    years = set(_YEAR.findall(question))
    if not years:
        return False
    known = set(_YEAR.findall(" ".join(c.quote for c in answer.citations)))
    for doc_id in {c.doc_id for c in answer.citations}:
        meta = store.get(doc_id)
        if meta:
            known |= set(_YEAR.findall(f"{meta.title} {meta.issued}"))
    return bool(years - known)


def _places(store: Store, doc_ids: set[str] | None) -> set[str]:
    return {d.meta.place for d in store.documents() if d.meta.place and (doc_ids is None or d.meta.doc_id in doc_ids)}


def _other_province(question: str, store: Store, doc_ids: set[str] | None) -> str:
    """A province the question asks about ("… của Lạng Sơn") that no document in scope is from."""
    places = {vn.fold(p) for p in _places(store, doc_ids)}
    folded = vn.fold(question)
    for province in Domain.load().provinces:
        name = vn.fold(province)
        if name in places:
            continue
        if re.search(rf"(^|\b(cua|tinh|o|tai|thuoc|voi)\s+){re.escape(name)}\b", folded):
            return province
    return ""


def _plan_year(question: str, meta) -> bool:
    """Targets hold for the plan's year: a question naming another year is not about them."""
    years = set(_YEAR.findall(question))
    return not years or not meta or bool(years & set(_YEAR.findall(meta.title)))


def _target_is_supported(answer: Answer, hits) -> bool:
    """A target answer must come from a chunk retrieval also found (guards odd matches)."""
    top = {h.chunk.id for h in hits[:10]}
    return any(c.chunk_id in top for c in answer.citations)
