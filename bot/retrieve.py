"""Retrievers behind one interface: `search(query, k, filters) -> list[Hit]`.

- LexicalRetriever: BM25 fields; a question typed without diacritics matches the folded field.
- DenseRetriever: embeddinggemma vectors in Chroma (query prompt, cached query embeddings).
- HybridRetriever: reciprocal rank fusion of both, weights adapted to the query.
- RerankingRetriever: an optional cross-encoder over another retriever's candidates.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import replace

from vectorstore.store import Store
from vectorstore.types import Filters, Hit

from .query import make_query
from .types import Query

log = logging.getLogger("vnqa")

# BM25 field weights (measured on the QA benchmark, see eval/README): an accented question
# matches the accented field and, more weakly, the folded one; a folded question only the latter.
ACCENTED_WEIGHTS = {"accent": 1.0, "folded": 0.5, "words": 0.0}
FOLDED_WEIGHTS = {"accent": 0.0, "folded": 1.0, "words": 0.0}
RRF_K = 60


def as_query(query: Query | str, filters: Filters | None = None) -> Query:
    if isinstance(query, Query):
        return replace(query, filters=filters) if filters is not None else query
    return make_query(query, filters)


class Retriever(ABC):
    name: str = "retriever"

    @abstractmethod
    def search(self, query: Query | str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The k best chunks for the query, best first."""


class LexicalRetriever(Retriever):
    name = "lexical"

    def __init__(self, store: Store, accented: dict | None = None, folded: dict | None = None,
                 expand: bool = True):
        self.store = store
        self.accented = accented or ACCENTED_WEIGHTS
        self.folded = folded or FOLDED_WEIGHTS
        self.expand = expand

    def search(self, query, k=10, filters=None):
        q = as_query(query, filters)
        weights = self.folded if q.no_diacritics else self.accented
        expansions = " ".join(q.expansions) if self.expand else ""
        return self.store.lexical_search(q.text, k, q.filters, weights, expansions)


class DenseRetriever(Retriever):
    name = "dense"

    def __init__(self, store: Store):
        if store.dense is None:
            raise ValueError("DenseRetriever needs a store opened with an embedding model")
        self.store = store

    def search(self, query, k=10, filters=None):
        q = as_query(query, filters)
        return self.store.dense_search(q.text, k, q.filters)


class HybridRetriever(Retriever):
    """Lexical + dense fusion over the union of both candidate lists.

    - "convex" (default): α·BM25/max(BM25) + (1-α)·(cos − min)/(max − min) over the dense top
      list; α leans lexical for questions typed without diacritics (dense is weak on them).
    - "rrf": weighted reciprocal rank fusion, Σ w / (RRF_K + rank).
    Measured (QA benchmark R@1 / R@5 on answerable questions; ALQAC nDCG@10): lexical
    0.820 / 0.951, 0.895; dense 0.617 / 0.847, 0.822; RRF (dense weight 0.5) 0.814 / 0.940, 0.879;
    convex α=0.5 0.869 / 0.973, 0.882; convex α=0.7 (0.9 without diacritics) with document
    labels in BM25 0.885 / 0.973, 0.906. `python -m eval run` / `python -m eval beir` re-measure.
    """

    name = "hybrid"

    def __init__(self, lexical: Retriever, dense: Retriever | None, depth: int = 30,
                 fusion: str = "convex", alpha: float = 0.7, alpha_no_diacritics: float = 0.9,
                 dense_weight: float = 0.5, dense_weight_no_diacritics: float = 0.2):
        if fusion not in ("convex", "rrf"):
            raise ValueError(f"fusion must be 'convex' or 'rrf', got {fusion!r}")
        self.lexical = lexical
        self.dense = dense
        self.depth = depth
        self.fusion = fusion
        self.alpha, self.alpha_no_diacritics = alpha, alpha_no_diacritics
        self.dense_weight, self.dense_weight_no_diacritics = dense_weight, dense_weight_no_diacritics

    def search(self, query, k=10, filters=None):
        q = as_query(query, filters)
        lexical = self.lexical.search(q, self.depth)
        if self.dense is None:
            return lexical[:k]
        dense = self.dense.search(q, self.depth)
        chunks = {h.chunk.id: h.chunk for h in lexical + dense}
        if self.fusion == "rrf":
            w = self.dense_weight_no_diacritics if q.no_diacritics else self.dense_weight
            fused = _rrf([(lexical, 1.0), (dense, w)])
        else:
            a = self.alpha_no_diacritics if q.no_diacritics else self.alpha
            fused = _convex(lexical, dense, a)
        best = sorted(fused, key=lambda cid: (-fused[cid], chunks[cid].order))[:k]
        cosine = {h.chunk.id: h.score for h in dense}
        return [Hit(chunks[cid], fused[cid], "fused", cosine.get(cid, 0.0)) for cid in best]


def _rrf(lists: list[tuple[list[Hit], float]]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for hits, weight in lists:
        for rank, hit in enumerate(hits, start=1):
            fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + weight / (RRF_K + rank)
    return fused


def _convex(lexical: list[Hit], dense: list[Hit], alpha: float) -> dict[str, float]:
    """Scores normalised per list (BM25 by its max, cosine min-max over the dense list)."""
    fused: dict[str, float] = {}
    top = max((h.score for h in lexical), default=0.0)
    for h in lexical:
        fused[h.chunk.id] = alpha * (h.score / top if top > 0 else 0.0)
    if dense:
        for h, norm in zip(dense, _minmax([h.score for h in dense], flat=1.0)):
            fused[h.chunk.id] = fused.get(h.chunk.id, 0.0) + (1 - alpha) * norm
    return fused


def passage(chunk) -> str:
    """The text a cross-encoder scores for a chunk (training uses the same: eval/reranker.py)."""
    return f"{chunk.title}\n{chunk.text}"


class RerankingRetriever(Retriever):
    """Re-score the base retriever's top `candidates` with a sentence-transformers CrossEncoder.

    The final score is `weight` x the cross-encoder's logit + (1 - weight) x the base score, both
    min-max normalised over the candidates (weight 1 = the cross-encoder alone; measured in
    `python -m eval beir --variants`). Deeper base hits (when k > candidates) follow in the base's
    order with scores -1, -2, … (below every reranked one). Logits are memoised per (question,
    chunk), so a repeated question costs no model call.
    """

    name = "reranked"
    CACHE_MAX = 100_000

    def __init__(self, base: Retriever, model_name: str, candidates: int = 30, weight: float = 0.5,
                 bf16: bool = True, model=None, cache: dict | None = None):
        self.base, self.candidates, self.weight = base, candidates, weight
        self.model = model if model is not None else _cross_encoder(model_name, bf16)
        self._cache = cache if cache is not None else {}

    def with_weight(self, weight: float) -> RerankingRetriever:
        """The same model and memo with another weight (for the eval variants)."""
        return RerankingRetriever(self.base, "", self.candidates, weight, model=self.model, cache=self._cache)

    def search(self, query, k=10, filters=None):
        q = as_query(query, filters)
        hits = self.base.search(q, max(self.candidates, k))  # never fewer than asked for
        head, tail = hits[:self.candidates], hits[self.candidates:]
        if not head:
            return []
        fused = [self.weight * c + (1 - self.weight) * b
                 for c, b in zip(_minmax(self._logits(q.text, head)), _minmax([h.score for h in head]))]
        order = sorted(range(len(head)), key=lambda i: -fused[i])
        return ([Hit(head[i].chunk, fused[i], "reranked", head[i].cosine) for i in order]
                + [Hit(h.chunk, -1.0 - n, h.source, h.cosine) for n, h in enumerate(tail)])[:k]

    def _logits(self, text: str, hits: list[Hit]) -> list[float]:
        # the id covers the document, section path and text; the title is part of the passage too
        keys = [(text, h.chunk.id, h.chunk.title) for h in hits]
        scores = {k: self._cache.get(k) for k in keys}  # a snapshot: another request may clear it
        missing = [(k, h) for k, h in zip(keys, hits) if scores[k] is None]
        if missing:
            import torch

            logits = self.model.predict([(text, passage(h.chunk)) for _, h in missing], batch_size=8,
                                        activation_fn=torch.nn.Identity())
            fresh = {k: float(x) for (k, _), x in zip(missing, logits)}
            scores.update(fresh)
            if len(self._cache) + len(fresh) > self.CACHE_MAX:
                self._cache.clear()
            self._cache.update(fresh)
        return [scores[k] for k in keys]


def _cross_encoder(model_name: str, bf16: bool):
    import torch
    from sentence_transformers import CrossEncoder

    from vectorstore.embed import bf16_supported

    kwargs = {"dtype": torch.bfloat16} if bf16 and bf16_supported() else {}  # emulated bf16 is slower
    return CrossEncoder(model_name, device="cpu", local_files_only=True, model_kwargs=kwargs)


def _minmax(values: list[float], flat: float = 0.0) -> list[float]:
    """Scale to [0, 1]; all-equal values become `flat`."""
    lo, hi = min(values), max(values)
    return [(v - lo) / (hi - lo) if hi > lo else flat for v in values]


def build_retriever(store: Store, rerank_model: str = "", rerank_weight: float = 0.5) -> Retriever:
    """The default retriever for a store: hybrid when it has dense vectors, else lexical-only."""
    lexical = LexicalRetriever(store)
    retriever: Retriever
    if store.dense is not None:
        retriever = HybridRetriever(lexical, DenseRetriever(store))
    else:
        log.warning("no embedding model: retrieval is LEXICAL-ONLY (BM25)")
        retriever = lexical
    if rerank_model:
        try:
            retriever = RerankingRetriever(retriever, rerank_model, weight=rerank_weight)
        except Exception as e:  # a missing reranker must not take the product down
            log.warning("reranker %s could not be loaded (%s); reranking is off", rerank_model, e)
    return retriever
