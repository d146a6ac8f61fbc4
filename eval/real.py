"""`python -m eval real`: the real-document benchmark (eval/data/real, documents in
../shared/corpus/real, read in place).

For one split (dev, test or all), the split's documents are loaded together into one store and:
  - qa:     every system answers the split's questions (eval/run.py; the plain baseline always
            runs beside the systems);
  - meta:   ingestion against the truth table (eval/truth.py);
  - chunks: chunk quality and ingest time per document.
Writes report.md / report.json (+ the QA charts) to --out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

from .dataset import load_dataset
from .report import fmt, table, write_json
from .truth import chunk_quality, load_truth, meta_report

REAL_DATA = Path(__file__).resolve().parent / "data" / "real"
REAL_SYSTEMS = ("default", "lexical", "plain")
PARTS = ("qa", "meta", "chunks")


@dataclass(frozen=True)
class RealConfig:
    split: str = "dev"
    corpus: Path = PROJECT_ROOT.parent / "shared" / "corpus" / "real"
    out: Path = PROJECT_ROOT / "reports" / "real"
    systems: tuple[str, ...] = REAL_SYSTEMS
    parts: tuple[str, ...] = PARTS
    limit: int | None = None
    store_dir: Path | None = None
    progress: bool = True


def split_items(split: str, path: Path = REAL_DATA / "qa.jsonl") -> list[dict]:
    return [q for q in load_dataset(path) if split == "all" or q["split"] == split]


def split_files(split: str) -> list[str]:
    """The documents of a split: those of its questions and of its truth rows."""
    files = {d for q in split_items(split) for d in q["docs"]}
    files |= {t["file"] for t in load_truth(REAL_DATA / "truth.jsonl", split)}
    return sorted(files)


def run_real(config: RealConfig, settings: Settings) -> dict:
    if not config.corpus.is_dir():
        raise FileNotFoundError(f"the real-document corpus {config.corpus} is missing "
                                "(set VNQA_REAL_CORPUS or pass --corpus)")
    files = split_files(config.split)
    paths = tuple(config.corpus / f for f in files)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"missing corpus files: {', '.join(missing)}")
    config.out.mkdir(parents=True, exist_ok=True)
    report: dict = {"split": config.split, "documents": files, "corpus": str(config.corpus)}
    if "meta" in config.parts or "chunks" in config.parts:
        docs, timing = _process(paths, settings)
        if "meta" in config.parts:
            report["metadata"] = meta_report(docs, load_truth(REAL_DATA / "truth.jsonl", config.split))
        if "chunks" in config.parts:
            report["chunks"] = {name: {**chunk_quality(doc), "seconds": timing[name]} for name, doc in docs.items()}
    if "qa" in config.parts:
        from .run import RunConfig, run_qa

        items = tuple(split_items(config.split))
        qa = run_qa(RunConfig(dataset=REAL_DATA / "qa.jsonl", out=config.out, limit=config.limit, llm_limit=None,
                              systems=config.systems, store_dir=config.store_dir, progress=config.progress,
                              corpus=paths, items=items), settings)
        report["qa"] = {"n": qa["n"], "systems": qa["systems"], "skipped": qa["skipped"]}
    write_json(config.out / "real.json", report)
    (config.out / "real.md").write_text(real_markdown(report), encoding="utf-8")
    return report


def _process(paths: tuple[Path, ...], settings: Settings):
    from ingest.errors import IngestError
    from ingest.pipeline import process_file

    docs, timing = {}, {}
    for path in paths:
        started = time.perf_counter()
        try:
            docs[path.name] = process_file(path, settings)
        except IngestError as e:
            print(f"[real] {e}")
            continue
        timing[path.name] = round(time.perf_counter() - started, 2)
    return docs, timing


def real_markdown(report: dict) -> str:
    parts = [f"# Real documents — split `{report['split']}` ({len(report['documents'])} documents)", ""]
    if "qa" in report:
        keys = ("accuracy", "accuracy_answerable", "recall@1", "recall@5", "mrr@10", "refusal_recall",
                "false_refusal_rate", "latency_p50_ms")
        parts += [f"## QA ({report['qa']['n']} questions; details in report.md)", "",
                  table(["system"] + list(keys), [[name] + [m.get(k) for k in keys]
                                                  for name, m in report["qa"]["systems"].items()]), ""]
    if "metadata" in report:
        m = report["metadata"]
        parts += [f"## Metadata against the truth table: {fmt(m['field_accuracy'])} of fields right "
                  f"({m['fields']}/{m['total']})", "",
                  table(["field", "accuracy"], [[f, v] for f, v in m["per_field"].items()]), "",
                  "Wrong fields:", ""]
        for doc, fields in m["per_document"].items():
            for field, s in fields.items():
                if not s["right"]:
                    parts.append(f"- `{doc}` {field}: got {json.dumps(s['got'], ensure_ascii=False)[:160]}, "
                                 f"want {json.dumps(s['want'], ensure_ascii=False)[:160]}")
        parts.append("")
    if "chunks" in report:
        cols = ("chunks", "p10", "p50", "p90", "max", "fragment_share", "table_rows", "tasks_with_agency",
                "syllable_share", "seconds")
        parts += ["## Chunk quality and ingest time per document", "",
                  table(["document"] + list(cols), [[f"`{name}`"] + [q.get(c) for c in cols]
                                                    for name, q in report["chunks"].items()]), "",
                  "A fragment is a chunk under 120 characters that is no heading, list item or table row."]
    return "\n".join(parts) + "\n"
