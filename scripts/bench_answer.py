"""Answer latency with the model loaded: p50/p95 per question, hybrid and lexical-only, on the
bundled resolution alone and with the dev corpus loaded beside it.

    python scripts/bench_answer.py [--store-dir DIR] [--repeat 1]

Questions: the project's QA set (eval/data/qa.jsonl) and the dev split of the real-document set,
each asked once after a warm-up of five (query vectors computed fresh: the embedding cache is a
new empty file; building the stores reuses the shared vector cache). Stores are built once under
--store-dir (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store-dir", type=Path)
    args = ap.parse_args()

    from bot.service import build_bot
    from eval.dataset import DEFAULT_DATASET, load_dataset
    from eval.real import RealConfig, split_files, split_items
    from ingest.service import index_files
    from ingest.settings import Settings, configure_runtime
    from vectorstore.embed import load_embedder
    from vectorstore.store import Store

    configure_runtime()
    base = Settings.from_env()
    root = args.store_dir or Path(tempfile.mkdtemp(prefix="vnqa-bench-"))
    questions = [q["question"] for q in load_dataset(DEFAULT_DATASET)] + [q["question"] for q in split_items("dev")]
    libraries = {"bundled": [base.data_dir],
                 "bundled + dev corpus": [base.data_dir, *(RealConfig.corpus / f for f in split_files("dev"))]}
    rows = []
    for lib, files in libraries.items():
        for mode in ("hybrid", "lexical"):
            folder = root / f"{lib.split()[0]}-{len(files)}-{mode}"
            settings = replace(base, store=folder / "store",  # ingest reuses the shared vector cache
                               embed_model=base.embed_model if mode == "hybrid" else "none")
            store = Store(settings.store, load_embedder(settings, show_progress=False))
            index_files(store, files, settings, progress=False, replace=True)
            fresh = replace(settings, cache_dir=Path(tempfile.mkdtemp(prefix="vnqa-cache-")))
            store.close()
            bot = build_bot(fresh, progress=False)
            for q in questions[:5]:
                bot.ask(q)
            times = []
            for q in questions:
                started = time.perf_counter()
                bot.ask(q)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            rows.append((lib, mode, len(bot.store.chunks()), len(times), statistics.median(times),
                         times[int(0.95 * (len(times) - 1))]))
            bot.store.close()
            print(f"{lib:22} {mode:8} done", file=sys.stderr)
    print("| library | retrieval | chunks | questions | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
    for lib, mode, chunks, n, p50, p95 in rows:
        print(f"| {lib} | {mode} | {chunks} | {n} | {p50:.0f} | {p95:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
