"""Retrieval variants measured on a BEIR run, to tell which change to bot/retrieve.py or
vectorstore/lexical.py pays off. Each variant uses the real classes (LexicalRetriever,
HybridRetriever) with other parameters; search results are cached per query so the fusion
variants cost no extra retrieval.

  lex:accent+folded   the current LexicalRetriever weights {"accent": 1, "folded": 0.5}
  lex:accent          {"accent": 1, "folded": 0}
  lex:+words          {"accent": 1, "folded": 0.5, "words": 0.5}: the underthesea-word field too
                      (only for a store built with VNQA_SEGMENT_WORDS=1)
  lex:-doc-label      BM25 fields without the document's number and title (built into the
                      current index), from a separate index of the same chunks
  rerank w=…          the configured cross-encoder's share of the final score (0 = the base
                      order, 1 = the cross-encoder alone), logits memoised across weights
  hybrid:…            HybridRetriever(fusion=…, alpha=…, dense_weight=…, depth=…) over the cached
                      lexical/dense results (see HYBRID_VARIANTS); "hybrid-doc-label" fuses the
                      unlabelled BM25
"""

from __future__ import annotations

from bot.retrieve import (DenseRetriever, HybridRetriever, LexicalRetriever,
                          Retriever, as_query)

from .beir import DEPTH, chunk_run, evaluate


class Cached(Retriever):
    """Memoises a retriever's results at DEPTH per query text."""

    def __init__(self, base: Retriever, depth: int = DEPTH):
        self.base, self.depth, self.memo = base, depth, {}
        self.name = f"cached-{base.name}"

    def search(self, query, k=10, filters=None):
        q = as_query(query, filters)
        if q.text not in self.memo:
            self.memo[q.text] = self.base.search(q, max(k, self.depth))
        return self.memo[q.text][:k]


class IndexView:
    """The store, searching another LexicalIndex of the same chunks (swapped in for each call, so
    Store.lexical_search itself — whatever its signature — does the work)."""

    def __init__(self, store, index):
        self.store, self.index = store, index

    def lexical_search(self, *args, **kwargs):
        store = self.store
        saved = store._lexical, store._lexical_gen
        store._lexical, store._lexical_gen = self.index, store.catalog.generation
        try:
            return store.lexical_search(*args, **kwargs)
        finally:
            store._lexical, store._lexical_gen = saved

    def __getattr__(self, name):
        return getattr(self.store, name)


def unlabelled_index(store):
    """A LexicalIndex of the same chunks without the document label (number + title) in its
    fields: what the label, now part of every BM25 field, adds."""
    import vectorstore.lexical as lx

    return lx.LexicalIndex.build(store.chunks(), None)


def measure_variants(lexical_store, dense_store, queries, qrels, aliases, progress=True,
                     reranker=None) -> dict:
    def figures(retriever, name):
        run = chunk_run(retriever, queries, aliases, name, progress)
        result = evaluate(run, qrels, queries)
        result.pop("per_origin")
        print(f"[variants] {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in result.items()))
        return result

    out: dict[str, dict] = {}
    lexical = Cached(LexicalRetriever(lexical_store))
    out["lex:accent+folded"] = figures(lexical, "lex:accent+folded")
    out["lex:accent"] = figures(LexicalRetriever(lexical_store, accented={"accent": 1.0, "folded": 0.0}),
                                "lex:accent")
    if any(c.words for c in lexical_store.chunks()[:50]):  # indexed with VNQA_SEGMENT_WORDS=1
        out["lex:+words"] = figures(LexicalRetriever(
            lexical_store, accented={"accent": 1.0, "folded": 0.5, "words": 0.5}), "lex:+words")
    unlabelled = Cached(LexicalRetriever(IndexView(lexical_store, unlabelled_index(lexical_store))))
    out["lex:-doc-label"] = figures(unlabelled, "lex:-doc-label")
    if reranker is not None:
        for weight in RERANK_WEIGHTS:
            name = f"rerank w={weight}" + (" (default)" if weight == reranker.weight else "")
            out[name] = figures(reranker.with_weight(weight), name)
    if dense_store is None:
        return out
    dense = Cached(DenseRetriever(dense_store))
    for name, lex, kwargs in HYBRID_VARIANTS:
        try:
            side = unlabelled if lex == "unlabelled" else lexical
            retriever = HybridRetriever(side, dense, **kwargs)
        except TypeError as e:  # HybridRetriever's parameters changed
            print(f"[variants] {name}: skipped ({e})")
            continue
        out[name] = figures(retriever, name)
    return out


RERANK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# (name, lexical side, HybridRetriever keyword arguments)
HYBRID_VARIANTS = [
    ("hybrid:convex a=0.7 (default)", "plain", {}),
    ("hybrid:convex a=0.7 depth=100", "plain", {"depth": 100}),
    ("hybrid:convex a=0.5", "plain", {"alpha": 0.5}),
    ("hybrid:convex a=0.8", "plain", {"alpha": 0.8}),
    ("hybrid:convex a=0.9", "plain", {"alpha": 0.9}),
    ("hybrid:rrf w=0.5", "plain", {"fusion": "rrf", "dense_weight": 0.5}),
    ("hybrid:rrf w=1.0", "plain", {"fusion": "rrf", "dense_weight": 1.0}),
    ("hybrid-doc-label:convex a=0.7", "unlabelled", {}),
]
