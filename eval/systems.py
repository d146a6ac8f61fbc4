"""The QA systems the runner compares, each built over the bundled corpus in its own store.

  default       what `bot.service.build_bot` builds (hybrid when the embedding model loads)
  lexical       the same with Settings(embed_model="none"): BM25 only
  dense         ExtractiveAnswerer over DenseRetriever only
  plain         the plain baseline: splitter 1000/200 + BM25 + best sentence, never refusing (eval/plain.py)
  naive         a LangChain RAG baseline (eval/naive.py)
  reranked      default + the CrossEncoder of VNQA_RERANK_MODEL (skipped when none is configured)
  llm           LLMAnswerer with its verifier      } only when bot.llm imports and a local
  llm-noverify  LLMAnswerer without the verifier   } model or endpoint is available (eval/llm.py)

A system whose model is missing is skipped with a note, never a crash.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ingest.settings import Settings

log = logging.getLogger("vnqa")

ALL_SYSTEMS = ("default", "lexical", "dense", "plain", "naive", "reranked", "llm", "llm-noverify")

NO_RERANKER = ("no cross-encoder configured: set VNQA_RERANK_MODEL to a local CrossEncoder path or "
               "cached model name (none is provisioned on this machine)")


class Skip(Exception):
    """A system that cannot be built here (missing model…); the message says why (English)."""


@dataclass
class System:
    name: str
    bot: Any  # anything with ask(question, history) -> (Answer, ms)
    description: str
    config: dict = field(default_factory=dict)


@dataclass
class Context:
    """What systems share within one run: settings, a root for stores, one embedder."""

    settings: Settings
    store_root: Path
    progress: bool = True
    corpus: tuple[Path, ...] = ()  # the files to index; () = the bundled corpus (settings.data_dir)
    _embedder: Any = None
    _embedder_note: str | None = None
    _stores: dict = field(default_factory=dict)
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def embedder(self):
        """The settings' Embedder, loaded once; None (with `embedder_note`) when unavailable."""
        if self._embedder is None and self._embedder_note is None:
            self._embedder, self._embedder_note = load_embedder_or_note(self.settings)
        return self._embedder

    @property
    def embedder_note(self) -> str:
        self.embedder()
        return self._embedder_note or ""

    @property
    def paths(self) -> list[Path]:
        return list(self.corpus) or [self.settings.data_dir]

    def store(self, dense: bool):
        """A store over the corpus: with the embedder ('hybrid') or without ('lexical')."""
        key = "hybrid" if dense else "lexical"
        if key not in self._stores:
            from ingest.service import index_files
            from vectorstore.store import Store

            embedder = self.embedder() if dense else None
            if dense and embedder is None:
                raise Skip(self.embedder_note)
            folder = self.store_root / key
            store = Store(folder, embedder)
            settings = replace(self.settings, store=folder)
            if store.is_empty() or self.corpus:  # a kept store is brought up to date (unchanged: skipped)
                report = index_files(store, self.paths, settings, progress=self.progress, user="eval",
                                     replace=True)  # the corpus under evaluation is trusted
                for failure in report.failures:
                    log.error("%s", failure.error)
                log.info("%s store: %s", key, report.summary())
            self._stores[key] = store
            self._cleanup.append(store.close)
        return self._stores[key]

    def on_close(self, fn: Callable[[], None]) -> None:
        self._cleanup.append(fn)

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            try:
                fn()
            except Exception as e:  # cleanup must not hide the results
                log.warning("cleanup failed: %s", e)
        self._cleanup.clear()


def load_embedder_or_note(settings: Settings, fresh_queries: bool = True):
    """(Embedder, None) or (None, why not) — never raises. `fresh_queries`: bypass the on-disk
    cache for query vectors (honest latency)."""
    if not settings.dense_enabled:
        return None, f"embed_model={settings.embed_model!r} (dense retrieval disabled)"
    try:
        from vectorstore.embed import load_embedder
    except ImportError as e:
        return None, f"vectorstore.embed is not available ({e})"
    try:
        embedder = load_embedder(settings)
    except Exception as e:  # a broken model must not stop the other systems
        return None, f"embedding model {settings.embed_model} failed to load: {e}"
    if embedder is None:
        return None, f"embedding model {settings.embed_model} is not available offline"
    return (FreshQueries(embedder) if fresh_queries else embedder), None


class FreshQueries:
    """The Embedder with its on-disk cache bypassed for queries: latency is measured as for a
    new question (documents still come from the cache by content hash)."""

    def __init__(self, embedder):
        self._embedder = embedder
        self._inner = getattr(embedder, "inner", embedder)

    def embed_query(self, text: str):
        return self._inner.embed_query(text)

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)


def build_system(name: str, ctx: Context) -> System:
    """Build one system by name; raises Skip when its model is missing."""
    from bot.service import build_bot

    s = replace(ctx.settings, rerank_model="")  # the reranker is measured as its own system
    if name in ("default", "reranked"):
        from bot.retrieve import RerankingRetriever

        rerank = ctx.settings.rerank_model if name == "reranked" else ""
        if name == "reranked" and not rerank:
            raise Skip(NO_RERANKER)
        store = ctx.store(dense=s.dense_enabled and ctx.embedder() is not None)
        bot = build_bot(replace(s, store=store.folder, rerank_model=rerank), store=store,
                        progress=ctx.progress)
        if rerank and not isinstance(bot.retriever, RerankingRetriever):
            raise Skip(f"cross-encoder {rerank!r} could not be loaded (see the log)")
        kind = type(bot.retriever).__name__
        return System(name, bot, f"build_bot: {kind}", {"retriever": kind, "mode": store.mode,
                                                       "rerank_model": rerank,
                                                       "rerank_weight": s.rerank_weight if rerank else None,
                                                       "embedder_note": ctx.embedder_note})
    if name == "lexical":
        lexical = replace(s, embed_model="none")
        store = ctx.store(dense=False)
        bot = build_bot(replace(lexical, store=store.folder), store=store, progress=ctx.progress)
        return System(name, bot, "build_bot, embed_model=none (BM25)", {"retriever": type(bot.retriever).__name__})
    if name == "dense":
        import copy

        from bot.retrieve import DenseRetriever

        store = ctx.store(dense=True)
        bot = build_bot(replace(s, store=store.folder, answer_mode="extractive"), store=store,
                        progress=ctx.progress)
        answerer = copy.copy(bot.answerer)  # the default's ExtractiveAnswerer, dense retrieval only
        answerer.retriever = DenseRetriever(store)
        return System(name, replace(bot, retriever=answerer.retriever, answerer=answerer),
                      "ExtractiveAnswerer + DenseRetriever", {"retriever": "DenseRetriever",
                                                             "model": s.embed_model})
    if name == "naive":
        from .naive import NaiveRAG

        embedder = ctx.embedder()
        if embedder is None:
            raise Skip(ctx.embedder_note)
        folder = ctx.store_root / "naive"
        rag = NaiveRAG.build(ctx.paths, embedder, folder)
        return System(name, rag, "LangChain: RecursiveCharacterTextSplitter(1000, 200) + Chroma top-4",
                      rag.config)
    if name == "plain":
        from .plain import PlainBM25

        plain = PlainBM25.build(ctx.paths)
        return System(name, plain, "RecursiveCharacterTextSplitter(1000, 200) + BM25 + best sentence, never refuses",
                      plain.config)
    if name in ("llm", "llm-noverify"):
        from .llm import build_llm_system, llm_endpoint

        base_url = llm_endpoint(ctx)  # raises Skip
        store = ctx.store(dense=s.dense_enabled and ctx.embedder() is not None)
        verify = name == "llm"
        bot = build_llm_system(base_url, s, store, verify=verify)
        return System(name, bot, f"LLMAnswerer (verify={verify})", {"base_url": base_url, "verify": verify})
    raise ValueError(f"unknown system {name!r}; expected one of {', '.join(ALL_SYSTEMS)}")


def make_context(settings: Settings, store_dir: Path | None, progress: bool = True,
                 corpus: tuple[Path, ...] = ()) -> Context:
    """Stores under `store_dir` (kept, reused on the next run) or in a temporary folder."""
    if store_dir is not None:
        store_dir.mkdir(parents=True, exist_ok=True)
        return Context(settings, store_dir, progress, corpus)
    tmp = tempfile.TemporaryDirectory(prefix="vnqa-eval-")
    ctx = Context(settings, Path(tmp.name), progress, corpus)
    ctx.on_close(tmp.cleanup)
    return ctx
