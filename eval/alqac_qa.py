"""`python -m eval alqac-qa`: answers to the free-text (Tự luận) questions of ALQAC that have a
gold answer, the default system beside the plain baseline, over all 2,593 law articles.

An answer is right when the gold answer is in its first 400 characters (syllables, in order),
or, for a gold answer of more than eight syllables, when 70% of its syllables are there.
A refusal is wrong: every question has an answer in the corpus.
Plain baseline: BM25 over whole articles (lowercase syllables), the sentence of the top article
sharing the most words with the question; never refuses.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from ingest import text as vn
from ingest.settings import Settings

from . import match
from .naive import best_sentence
from .report import table, write_json

RECALL = 0.7
SHORT = 8


def right(answer: str, gold: str) -> bool:
    head = answer[:match.LEAD_CHARS]
    if match.contains(head, gold):
        return True
    gold_syl = vn.syllables(gold)
    if len(gold_syl) <= SHORT:
        return False
    have = set(vn.syllables(head))
    return sum(1 for s in gold_syl if s in have) >= RECALL * len(gold_syl)


def run_alqac_qa(settings: Settings, out: Path, store_dir: Path | None = None, progress: bool = True) -> dict:
    import bm25s
    import numpy as np

    from bot.service import build_bot
    from ingest.errors import QueryError
    from vectorstore.store import Store

    from .beir import DEFAULT_BENCHMARK, load_queries, open_dense_store
    from .corpus import index_corpus, load_corpus
    from .systems import load_embedder_or_note

    corpus = DEFAULT_BENCHMARK / "corpus.jsonl"
    docs = load_corpus(corpus)
    queries = [q for q in load_queries(DEFAULT_BENCHMARK / "queries.jsonl")
               if q.get("question_type") == "Tự luận" and q.get("answer")]
    if not queries:
        raise ValueError(f"no free-text question with a gold answer in {DEFAULT_BENCHMARK}/queries.jsonl")
    out.mkdir(parents=True, exist_ok=True)
    tmp = None if store_dir else tempfile.TemporaryDirectory(prefix="vnqa-alqac-qa-")
    folder = store_dir or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    index_corpus(folder, corpus, docs, settings, progress)
    embedder, note = load_embedder_or_note(settings, fresh_queries=False)
    store = open_dense_store(folder, embedder, progress) if embedder else Store(folder, None)
    bot = build_bot(settings, store=store, progress=progress)
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index([vn.syllables(d.full_text) or [""] for d in docs], show_progress=False)
    records = []
    started = time.perf_counter()
    for q in queries:
        try:
            answer, _ = bot.ask(q["text"])
            ours, refused = answer.text, answer.abstained
        except QueryError:
            ours, refused = "", True
        top = int(np.argmax(index.get_scores(vn.syllables(q["text"]))))
        plain = best_sentence(q["text"], docs[top].full_text)
        records.append({"qid": q["qid"], "question": q["text"], "gold": q["answer"],
                        "default": ours, "default_refused": refused,
                        "default_right": not refused and right(ours, q["answer"]),
                        "plain": plain, "plain_right": right(plain, q["answer"])})
    store.close()
    if tmp:
        tmp.cleanup()
    n = len(records)
    report = {"questions": n, "embedder": note or "loaded", "seconds": round(time.perf_counter() - started),
              "systems": {"default": {"accuracy": sum(r["default_right"] for r in records) / n,
                                      "refusals": sum(r["default_refused"] for r in records) / n},
                          "plain": {"accuracy": sum(r["plain_right"] for r in records) / n, "refusals": 0.0}}}
    write_json(out / "report.json", report)
    with (out / "answers.jsonl").open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(
        f"# ALQAC free-text questions — {n} with a gold answer\n\n"
        + table(["system", "accuracy", "refusals"], [[k, v["accuracy"], v["refusals"]]
                                                      for k, v in report["systems"].items()])
        + "\n\nRight: the gold answer in the first 400 characters (or 70% of a long one's syllables).\n",
        encoding="utf-8")
    return report
