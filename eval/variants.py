"""Retrieval variants measured on a BEIR run, to tell which change to bot/retrieve.py or
vectorstore/lexical.py pays off. Each variant uses the real classes (LexicalRetriever,
HybridRetriever) with other parameters; search results are cached per query so the fusion
variants cost no extra retrieval.

  lex:accent+folded   the current LexicalRetriever weights {"accent": 1, "folded": 0.5}
  lex:accent          {"accent": 1, "folded": 0}
  lex:+words          {"accent": 1, "folded": 0.5, "words": 0.5}
  lex:+doc-title      BM25 fields that also hold the document's number and title (law name +
                      article title) — chunk_field_text patched while building a separate index
  lex:+number         the same with the document number (Chunk.number) only
  hybrid:…            HybridRetriever(fusion=…, alpha=…, dense_weight=…, depth=…) over the cached
                      lexical/dense results (see HYBRID_VARIANTS)
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


def titled_index(store, title: bool = True):
    """A LexicalIndex whose accent/folded fields start with the document number (and title)."""
    import vectorstore.lexical as lx

    titles = {d.meta.doc_id: d.meta.title for d in store.documents()} if title else {}
    original = lx.chunk_field_text

    def with_title(field, chunk):
        if field == "words":
            return chunk.words
        return f"{chunk.number}\n{titles.get(chunk.doc_id, '')}\n{original(field, chunk)}"

    lx.chunk_field_text = with_title
    try:
        return lx.LexicalIndex.build(store.chunks())
    finally:
        lx.chunk_field_text = original


def measure_variants(lexical_store, dense_store, queries, qrels, aliases, progress=True) -> dict:
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
    out["lex:+words"] = figures(LexicalRetriever(
        lexical_store, accented={"accent": 1.0, "folded": 0.5, "words": 0.5}), "lex:+words")
    titled = Cached(LexicalRetriever(IndexView(lexical_store, titled_index(lexical_store))))
    out["lex:+doc-title"] = figures(titled, "lex:+doc-title")
    numbered = Cached(LexicalRetriever(IndexView(lexical_store, titled_index(lexical_store, title=False))))
    out["lex:+number"] = figures(numbered, "lex:+number")
    if dense_store is None:
        return out
    dense = Cached(DenseRetriever(dense_store))
    for name, lex, kwargs in HYBRID_VARIANTS:
        try:
            side = {"titled": titled, "numbered": numbered}.get(lex, lexical)
            retriever = HybridRetriever(side, dense, **kwargs)
        except TypeError as e:  # HybridRetriever's parameters changed
            print(f"[variants] {name}: skipped ({e})")
            continue
        out[name] = figures(retriever, name)
    return out


# (name, lexical side, HybridRetriever keyword arguments)
HYBRID_VARIANTS = [
    ("hybrid:convex a=0.5 (default)", "plain", {}),
    ("hybrid:convex a=0.5 depth=100", "plain", {"depth": 100}),
    ("hybrid:convex a=0.3", "plain", {"alpha": 0.3}),
    ("hybrid:convex a=0.7", "plain", {"alpha": 0.7}),
    ("hybrid:convex a=0.8", "plain", {"alpha": 0.8}),
    ("hybrid:convex a=0.9", "plain", {"alpha": 0.9}),
    ("hybrid:rrf w=0.5", "plain", {"fusion": "rrf", "dense_weight": 0.5}),
    ("hybrid:rrf w=1.0", "plain", {"fusion": "rrf", "dense_weight": 1.0}),
    ("hybrid+doc-title:convex a=0.5", "titled", {}),
    ("hybrid+doc-title:convex a=0.7", "titled", {"alpha": 0.7}),
    ("hybrid+doc-title:convex a=0.8", "titled", {"alpha": 0.8}),
    ("hybrid+doc-title:convex a=0.9", "titled", {"alpha": 0.9}),
    ("hybrid+doc-title:rrf w=0.5", "titled", {"fusion": "rrf", "dense_weight": 0.5}),
    ("hybrid+number:convex a=0.8", "numbered", {"alpha": 0.8}),
]
