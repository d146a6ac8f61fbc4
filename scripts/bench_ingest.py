"""Ingest throughput: chunks/s and peak memory, lexical-only and with the embedding model, on the
bundled resolution and on the ALQAC law corpus (read from ../shared, never copied).

    python scripts/bench_ingest.py [--alqac-docs 300] [--backends torch,openvino]
    python scripts/bench_ingest.py --real [DIR]   time per document of the dev corpus (reading,
                                                  cleaning, structure, chunks; no embedding)

Each configuration runs in its own process (so peak RSS is its own) with a fresh store and a fresh
embedding cache (so nothing is served from cache). Prints one table; takes ~5-15 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALQAC = ROOT.parent / "shared" / "benchmarks" / "alqac" / "corpus.jsonl"
REAL = ROOT.parent / "shared" / "corpus" / "real"


def per_document(folder: Path) -> None:
    """One row per file: pages, characters, chunks and seconds of `process_file` (median of 3)."""
    import statistics

    sys.path.insert(0, str(ROOT))
    from ingest.errors import IngestError
    from ingest.pipeline import find_files, process_file
    from ingest.settings import Settings, configure_runtime

    configure_runtime()
    settings = Settings(embed_model="none")
    files = find_files([folder])
    process_file(ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt", settings)  # warm-up
    print("| document | format | pages | characters | chunks | seconds |\n|---|---|---|---|---|---|")
    total = 0.0
    for path in files:
        times = []
        try:
            for _ in range(3):
                started = time.perf_counter()
                doc = process_file(path, settings)
                times.append(time.perf_counter() - started)
        except IngestError as e:
            print(f"| `{path.name}` | {path.suffix[1:]} | | | | not read: {e.reason[:60]} |")
            continue
        seconds = statistics.median(times)
        total += seconds
        pages = doc.clean.pages[-1][1] if doc.clean.pages else ""
        print(f"| `{path.name}` | {path.suffix[1:]} | {pages} | {len(doc.clean.text)} | {len(doc.chunks)} | "
              f"{seconds:.2f} |")
    print(f"\nTotal {total:.1f} s (median of 3 runs per file, lexical pipeline, 2 CPU cores).")


def worker(corpus: str, model: str, backend: str, alqac_docs: int) -> dict:
    """Index one corpus into a fresh store; return the figures."""
    sys.path.insert(0, str(ROOT))
    from ingest.service import index_files
    from ingest.settings import Settings, configure_runtime
    from vectorstore.embed import load_embedder
    from vectorstore.store import Store

    configure_runtime()
    tmp = Path(tempfile.mkdtemp(prefix="vnqa-bench-"))
    settings = Settings(store=tmp / "store", cache_dir=tmp / "cache", embed_model=model, embed_backend=backend)
    embedder = load_embedder(settings)
    if embedder is not None:  # model load / export is not ingest time
        embedder.embed_query("khởi động")
    store = Store(settings.store, embedder)
    started = time.perf_counter()
    if corpus == "bundled":
        report = index_files(store, [ROOT / "data"], settings, progress=False, replace=True)
        chunks, docs, chars = report.chunks, len(report.results), sum(len(c.text) for c in store.chunks())
    else:
        from eval.corpus import load_corpus, process

        records = load_corpus(ALQAC)[:alqac_docs]
        chunks = chars = 0
        with store.bulk():
            for rec in records:
                doc = process(rec, settings)
                store.upsert(doc, replace=True)
                chunks += len(doc.chunks)
                chars += sum(len(c.text) for c in doc.chunks)
        docs = len(records)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"corpus": corpus, "model": model, "backend": backend if embedder else "-", "docs": docs,
            "chunks": chunks, "chars": chars, "seconds": round(seconds, 1),
            "chunks_per_s": round(chunks / seconds, 1), "chars_per_s": round(chars / seconds),
            "peak_rss_mb": round(peak_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alqac-docs", type=int, default=300, help="ALQAC articles (all: 2593)")
    parser.add_argument("--backends", default="torch,openvino")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--real", nargs="?", const=str(REAL), help="time per document of a folder")
    args = parser.parse_args()
    if args.real:
        per_document(Path(args.real))
        return
    if args.worker:
        print(json.dumps(worker(**json.loads(args.worker))))
        return
    configs = [("bundled", "none", "torch"), ("alqac", "none", "torch")]
    for backend in args.backends.split(","):
        configs += [("bundled", "google/embeddinggemma-300m", backend),
                    ("alqac", "google/embeddinggemma-300m", backend)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rows = []
    for corpus, model, backend in configs:
        if corpus == "alqac" and not ALQAC.exists():
            print(f"skip {corpus}: {ALQAC} not found", file=sys.stderr)
            continue
        spec = json.dumps({"corpus": corpus, "model": model, "backend": backend, "alqac_docs": args.alqac_docs})
        out = subprocess.run([sys.executable, __file__, "--worker", spec], capture_output=True, text=True,
                             env=env, cwd=ROOT)
        if out.returncode != 0:
            print(f"{corpus}/{model}/{backend} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done: {rows[-1]}", file=sys.stderr)
    cols = ["corpus", "model", "backend", "docs", "chunks", "chars", "seconds", "chunks_per_s", "chars_per_s",
            "peak_rss_mb"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
