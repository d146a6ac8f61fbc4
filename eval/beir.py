"""`python -m eval beir`: retrieval on a BEIR-style corpus (default: the ALQAC law articles).

Systems, all scored per article ({qid: {doc_id: score}}):
  bm25     the PLAIN reference: bm25s (k1=1.2, b=0.75) over lowercase syllables of law name +
           article text, one vector per article; must reproduce the README's figures
  lexical  our LexicalRetriever over the ingested chunks
  dense    DenseRetriever
  default  what build_retriever builds (hybrid when the embedder loads)
A chunk run becomes an article run: an article's score is its best chunk's (retrieval depth
100 chunks), the top 10 distinct articles are kept.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

from .corpus import CorpusDoc, index_corpus, load_corpus
from .metrics import ranked, ranking_metrics
from .reranker import is_training

log = logging.getLogger("vnqa")

DEFAULT_BENCHMARK = PROJECT_ROOT.parent / "shared" / "benchmarks" / "alqac"
BEIR_SYSTEMS = ("bm25", "lexical", "dense", "default", "reranked")
DEPTH, TOP = 100, 10
# The README's plain BM25 over all 728 ALQAC questions; reproduced within TOLERANCE.
REFERENCE = {"recall@1": 0.726, "recall@5": 0.891, "recall@10": 0.929, "mrr@10": 0.800, "ndcg@10": 0.830}
TOLERANCE = 0.01


@dataclass(frozen=True)
class BeirConfig:
    corpus: Path
    queries: Path
    qrels: Path
    out: Path = PROJECT_ROOT / "reports" / "beir"
    limit: int | None = None
    systems: tuple[str, ...] = BEIR_SYSTEMS
    store_dir: Path | None = None
    progress: bool = True
    variants: bool = False
    split: str = "all"  # all | train | test (origins containing "train" or not)


def resolve_paths(corpus: Path | None, queries: Path | None, qrels: Path | None) -> tuple[Path, Path, Path]:
    """Explicit paths, or the siblings of the corpus, or the default benchmark folder."""
    base = corpus.parent if corpus else DEFAULT_BENCHMARK
    corpus = corpus or base / "corpus.jsonl"
    queries = queries or base / "queries.jsonl"
    if qrels is None:
        qrels = next((p for p in (base / "qrels.tsv", base / "qrels" / "test.tsv") if p.exists()),
                     base / "qrels.tsv")
    for p in (corpus, queries, qrels):
        if not p.exists():
            raise FileNotFoundError(f"{p} not found (give --corpus/--queries/--qrels)")
    return corpus, queries, qrels


def load_queries(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out.append({"qid": str(row.get("qid") or row.get("_id")), "text": row["text"],
                            "origin": row.get("origin") or "all",
                            "question_type": row.get("question_type", ""), "answer": row.get("answer")})
    return out


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            if len(cells) < 3 or not cells[2].strip().lstrip("-").isdigit():
                continue  # the header or a blank line
            qrels.setdefault(cells[0], {})[cells[1]] = int(cells[2])
    return qrels


# -- systems -----------------------------------------------------------------------------------
def bm25_run(docs: list[CorpusDoc], queries: list[dict], progress: bool = True) -> dict:
    """The plain reference BM25: one bm25s vector per article over lowercase syllables."""
    import bm25s
    import numpy as np
    from tqdm import tqdm

    from ingest.text import syllables

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index([syllables(d.full_text) or [""] for d in docs], show_progress=False)
    ids = [d.doc_id for d in docs]
    run = {}
    for q in tqdm(queries, desc="bm25", unit="câu", disable=not progress):
        scores = index.get_scores(syllables(q["text"]))
        top = np.argsort(-scores, kind="stable")[:TOP]
        run[q["qid"]] = {ids[i]: float(scores[i]) for i in top if scores[i] > 0}
    return run


def chunk_run(retriever, queries: list[dict], aliases: dict[str, str], name: str,
              progress: bool = True) -> dict:
    """Article run from a chunk retriever: best chunk per article, top 10 articles."""
    from tqdm import tqdm

    from ingest.errors import QueryError

    expand: dict[str, list[str]] = {}
    for dup, first in aliases.items():
        expand.setdefault(first, []).append(dup)
    run = {}
    for q in tqdm(queries, desc=name, unit="câu", disable=not progress):
        try:
            hits = retriever.search(q["text"], DEPTH)
        except QueryError as e:
            log.warning("%s: query %s rejected: %s", name, q["qid"], e)
            hits = []
        scores: dict[str, float] = {}
        for h in hits:
            if h.chunk.doc_id not in scores:  # hits are best first: the first is the best chunk
                scores[h.chunk.doc_id] = float(h.score)
        top = {d: scores[d] for d in ranked(scores, TOP)}
        for d, s in list(top.items()):
            for dup in expand.get(d, ()):
                top[dup] = s
        run[q["qid"]] = {d: top[d] for d in ranked(top, TOP)}
    return run


def evaluate(run: dict, qrels: dict, queries: list[dict]) -> dict:
    """Overall figures and the same per query origin."""
    figures = ranking_metrics(run, qrels)
    per_origin = {}
    for origin in sorted({q["origin"] for q in queries}):
        qids = {q["qid"] for q in queries if q["origin"] == origin}
        sub = {qid: rels for qid, rels in qrels.items() if qid in qids}
        per_origin[origin] = {"n": len(sub), **ranking_metrics(run, sub)}
    return {**figures, "per_origin": per_origin}


# -- the run -----------------------------------------------------------------------------------
def run_beir(config: BeirConfig, settings: Settings) -> dict:
    from .report import write_beir_report, write_json
    from .run import git_commit
    from .systems import NO_RERANKER, load_embedder_or_note

    docs = load_corpus(config.corpus)
    qrels_all = load_qrels(config.qrels)
    queries = [q for q in load_queries(config.queries) if q["qid"] in qrels_all
               and (config.split == "all" or is_training(q["origin"]) == (config.split == "train"))]
    if config.limit:
        queries = queries[:config.limit]
    qrels = {q["qid"]: qrels_all[q["qid"]] for q in queries}
    config.out.mkdir(parents=True, exist_ok=True)
    tmp = None
    folder = config.store_dir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="vnqa-beir-")
        folder = Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    systems: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    variants: dict[str, dict] = {}
    runs: dict[str, dict] = {}
    timings: dict[str, float] = {}
    info = None
    stores = []
    try:
        needs_store = any(s != "bm25" for s in config.systems)
        if needs_store:
            info = index_corpus(folder, config.corpus, docs, settings, config.progress)
            print(f"[beir] index: {info.documents} documents, {info.chunks} chunks, "
                  f"{len(info.aliases)} duplicates as aliases, {info.seconds:.0f} s"
                  + (" (reused)" if info.reused else ""))
        embedder, note = (None, "")
        if any(s in ("dense", "default", "reranked") for s in config.systems):
            embedder, note = load_embedder_or_note(settings, fresh_queries=False)
        lexical_store = dense_store = reranker = None
        for name in config.systems:
            started = time.perf_counter()
            if name == "bm25":
                runs[name] = bm25_run(docs, queries, config.progress)
            else:
                from bot.retrieve import (DenseRetriever, LexicalRetriever, RerankingRetriever,
                                           build_retriever)
                from vectorstore.store import Store

                if name == "reranked" and not settings.rerank_model:
                    print(f"[beir] skipping system 'reranked': {NO_RERANKER}")
                    skipped[name] = NO_RERANKER
                    continue
                if name != "lexical" and embedder is not None and dense_store is None:
                    dense_store = open_dense_store(folder, embedder, config.progress)
                    stores.append(dense_store)
                if name == "dense" and dense_store is None:
                    print(f"[beir] skipping system 'dense': {note}")
                    skipped[name] = note
                    continue
                if lexical_store is None:
                    lexical_store = Store(folder, None)
                    stores.append(lexical_store)
                if name == "lexical":
                    retriever = LexicalRetriever(lexical_store)
                elif name == "dense":
                    retriever = DenseRetriever(dense_store)
                else:
                    rerank = settings.rerank_model if name == "reranked" else ""
                    retriever = build_retriever(dense_store or lexical_store, rerank, settings.rerank_weight)
                    if rerank and not isinstance(retriever, RerankingRetriever):
                        skipped[name] = f"cross-encoder {rerank!r} could not be loaded (see the log)"
                        continue
                    if rerank:
                        reranker = retriever
                runs[name] = chunk_run(retriever, queries, info.aliases, name, config.progress)
            timings[name] = time.perf_counter() - started
            systems[name] = {**evaluate(runs[name], qrels, queries),
                             "seconds_per_query": timings[name] / max(len(queries), 1)}
            write_json(config.out / f"run-{name}.json", runs[name])
        if config.variants and lexical_store is not None:
            from .variants import measure_variants

            try:
                variants = measure_variants(lexical_store, dense_store, queries, qrels, info.aliases,
                                            config.progress, reranker)
            except Exception as e:  # noqa: BLE001 - the systems' figures are still reported
                log.warning("retrieval variants failed: %s: %s", type(e).__name__, e)
                skipped["variants"] = f"{type(e).__name__}: {e}"
    finally:
        for store in stores:
            store.close()
        if tmp is not None:
            tmp.cleanup()
    reranker_meta, train_gold = reranker_info(settings)
    report = {
        "name": config.corpus.parent.name, "corpus": str(config.corpus), "documents": len(docs),
        "chunks": info.chunks if info else None, "duplicates": len(info.aliases) if info else 0,
        "queries": len(queries), "index_seconds": round(info.seconds if info else 0.0, 1),
        "index_reused": bool(info and info.reused),
        "systems": systems, "skipped": skipped, "variants": variants,
        "reranker": reranker_meta if "reranked" in systems else None,
        "config": {"limit": config.limit, "split": config.split, "systems": list(config.systems), "depth": DEPTH, "top": TOP,
                   "chunk_chars": settings.chunk_chars, "embed_model": settings.embed_model},
        "commit": git_commit(),
    }
    if "reranked" in systems and train_gold and config.split == "test":
        from .reranker import by_training_gold

        report["by_training_gold"] = by_training_gold({n: runs[n] for n in systems}, qrels, train_gold)
    if ("bm25" in systems and not config.limit and config.split == "all"
            and config.corpus.parent.name == "alqac"):
        report["reference"] = REFERENCE
        off = {k: round(systems["bm25"][k] - v, 3) for k, v in REFERENCE.items()
               if abs(systems["bm25"][k] - v) > TOLERANCE}
        report["reference_check"] = "ok (within ±0.01)" if not off else f"OFF by {off}"
        if off:
            print(f"[beir] WARNING: plain BM25 does not reproduce the reference figures: {off}")
    write_beir_report(report, config.out)
    return report


def reranker_info(settings: Settings) -> tuple[dict, list[str]]:
    """The configured reranker with, for one trained here, its training figures; and its training
    positives (the report keeps their count, not the benchmark's article ids)."""
    info: dict = {"model": settings.rerank_model, "weight": settings.rerank_weight}
    stamp = Path(settings.rerank_model) / "training.json" if settings.rerank_model else None
    if stamp is None or not stamp.exists():
        return info, []
    training = json.loads(stamp.read_text(encoding="utf-8"))
    train_gold = training.pop("train_gold", [])
    info["training"] = {**training, "train_gold_articles": len(train_gold)}
    return info, train_gold


def open_dense_store(folder: Path, embedder, progress: bool):
    """The store with vectors for every chunk (embedded once, then cached on disk by content)."""
    from vectorstore.store import Store

    store = Store(folder, embedder, sync=False)
    started = time.perf_counter()
    added = store.sync_dense(progress=progress)
    if added:
        print(f"[beir] embedded {added} chunks in {time.perf_counter() - started:.0f} s")
    return store
