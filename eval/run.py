"""`python -m eval run`: every system answers every question; answers are scored and reported.

For each system: build it (eval/systems.py), warm it up with one untimed question, then send
each question (with its history) through `bot.__main__.batch_record`, the batch contract, while
keeping the Answer object for scoring (retrieved chunks with their heading paths, citations).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

from . import match
from .dataset import DEFAULT_DATASET, categories, load_dataset, stratified
from .metrics import percentile, rank_metrics, refusal_metrics
from .systems import ALL_SYSTEMS, Skip, build_system, make_context

log = logging.getLogger("vnqa")


@dataclass(frozen=True)
class RunConfig:
    dataset: Path = DEFAULT_DATASET
    out: Path = PROJECT_ROOT / "reports" / "qa"
    limit: int | None = None
    llm_limit: int | None = 30  # the LLM systems answer this stratified slice (None/0 = all)
    systems: tuple[str, ...] = ALL_SYSTEMS
    store_dir: Path | None = None
    progress: bool = True
    corpus: tuple[Path, ...] = ()  # files to index instead of the bundled corpus
    items: tuple[dict, ...] = ()  # questions instead of the dataset file


class _Capture:
    """Looks like a Bot to batch_record; keeps the last Answer for scoring."""

    def __init__(self, bot):
        self.bot = bot
        self.answer = None

    def ask(self, question, history=None, filters=None):
        self.answer = None
        answer, ms = self.bot.ask(question, history)
        self.answer = answer
        return answer, ms


def run_qa(config: RunConfig, settings: Settings) -> dict:
    """Evaluate the systems, write the report files to config.out, return report.json's content."""
    from . import report as rep

    items = stratified(list(config.items) or load_dataset(config.dataset), config.limit)
    config.out.mkdir(parents=True, exist_ok=True)
    ctx = make_context(settings, config.store_dir, config.progress, config.corpus)
    systems: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    records_by_system: dict[str, list[dict]] = {}
    answers_by_system: dict[str, list] = {}
    try:
        for name in config.systems:
            started = time.perf_counter()
            try:
                system = build_system(name, ctx)
            except Skip as e:
                print(f"[eval] skipping system {name!r}: {e}")
                skipped[name] = str(e)
                continue
            build_s = time.perf_counter() - started
            print(f"[eval] {name}: {system.description} (built in {build_s:.1f} s)")
            subset = stratified(items, config.llm_limit) if name.startswith("llm") else items
            records, answers = answer_all(system, subset, config.progress)
            metrics = score(subset, records, answers)
            metrics.update(build_seconds=round(build_s, 1), description=system.description,
                           config=system.config)
            if name.startswith("llm"):
                from .llm import verifier_stats

                metrics["verifier"] = verifier_stats([a for a in answers if a is not None])
                metrics["same_slice"] = same_slice(subset, items, records_by_system, answers_by_system)
            systems[name] = metrics
            records_by_system[name] = records
            answers_by_system[name] = answers
            _write_jsonl(config.out / f"answers-{name}.jsonl", records)
    finally:
        ctx.close()
    report = {
        "dataset": str(config.dataset), "n": len(items),
        "categories": categories(items),
        "systems": systems, "skipped": skipped,
        "config": {"limit": config.limit, "llm_limit": config.llm_limit, "systems": list(config.systems),
                   "settings": _settings_dict(settings)},
        "commit": git_commit(),
    }
    rep.write_qa_report(report, items, records_by_system, config.out)
    return report


def same_slice(subset: list[dict], items: list[dict], records: dict, answers: dict) -> dict:
    """The non-LLM systems' figures on the LLM systems' (smaller) slice, for a fair comparison."""
    if len(subset) == len(items):
        return {}
    ids = {item["id"] for item in subset}
    idx = [i for i, item in enumerate(items) if item["id"] in ids]
    out = {}
    for name, recs in records.items():
        if name.startswith("llm") or len(recs) != len(items):
            continue
        f = score([items[i] for i in idx], [recs[i] for i in idx], [answers[name][i] for i in idx])
        out[name] = {k: f[k] for k in SLICE_KEYS}
    return out


SLICE_KEYS = ("accuracy", "recall@5", "citation_precision", "refusal_recall", "false_refusal_rate")


def answer_all(system, items: list[dict], progress: bool = True) -> tuple[list[dict], list]:
    """One record per question (batch contract + id/category/correct/hit_rank …) and the Answers."""
    from tqdm import tqdm

    from bot.__main__ import batch_record

    shim = _Capture(system.bot)
    if items:  # warm-up: models and caches loaded, not timed
        try:
            shim.ask(items[0]["question"], items[0].get("history"))
        except Exception as e:  # noqa: BLE001 - the timed run records the error
            log.warning("warm-up of %s failed: %s", system.name, e)
    records, answers = [], []
    for lineno, item in enumerate(tqdm(items, desc=f"Trả lời ({system.name})", unit="câu",
                                       disable=not progress), start=1):
        line = json.dumps({k: item[k] for k in ("id", "question", "history") if k in item},
                          ensure_ascii=False)
        try:
            record = batch_record(shim, line, lineno)
        except Exception as e:  # noqa: BLE001 - one broken answer must not stop the run
            log.warning("%s failed on %s: %s", system.name, item["id"], e)
            record = {"id": item["id"], "question": item["question"], "error": f"{type(e).__name__}: {e}"}
        answer = shim.answer if "error" not in record else None
        records.append(judge(item, record, answer))
        answers.append(answer)
    return records, answers


def judge(item: dict, record: dict, answer) -> dict:
    """The record plus what the dataset says about it."""
    out = dict(record)
    out.update(category=item["category"], answerable=item["answerable"])
    if answer is None:
        out.update(correct=False, hit_rank=None, citation_hits=0)
        return out
    out["correct"] = match.is_correct(item, answer.text, answer.abstained)
    out["hit_rank"] = match.hit_rank((h.chunk for h in answer.hits), item["evidence"])
    out["citation_hits"] = sum(match.citation_matches(c.section, c.quote, item["evidence"])
                               for c in answer.citations)
    return out


def score(items: list[dict], records: list[dict], answers: list) -> dict:
    """All figures of one system, overall and per category."""
    overall = _figures(items, records, answers)
    per_category = {}
    for cat in categories(items):
        idx = [i for i, item in enumerate(items) if item["category"] == cat]
        f = _figures([items[i] for i in idx], [records[i] for i in idx], [answers[i] for i in idx])
        per_category[cat] = {k: f[k] for k in ("n", "accuracy", "recall@5", "refusal_recall",
                                                 "false_refusal_rate")}
    overall["per_category"] = per_category
    return overall


def _figures(items, records, answers) -> dict:
    answerable = [i for i, item in enumerate(items) if item["answerable"]]
    unanswerable = [i for i, item in enumerate(items) if not item["answerable"]]
    abstained = [bool(r.get("abstained")) or "error" in r for r in records]
    retrieval = rank_metrics(records[i]["hit_rank"] for i in answerable) if answerable else \
        {k: None for k in ("recall@1", "recall@5", "recall@10", "mrr@10")}
    answered = [i for i in answerable if answers[i] is not None and not answers[i].abstained]
    precisions = [records[i]["citation_hits"] / len(answers[i].citations)
                  for i in answered if answers[i].citations]
    cited = [i for i in answered if records[i]["citation_hits"] > 0]
    latencies = [r["latency_ms"] for r in records if "latency_ms" in r]
    out = {
        "n": len(items), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "accuracy": _share(records[i]["correct"] for i in range(len(items))),
        "accuracy_answerable": _share(records[i]["correct"] for i in answerable),
        "accuracy_unanswerable": _share(records[i]["correct"] for i in unanswerable),
        **retrieval,
        "citation_precision": (sum(precisions) / len(answered)) if answered else None,
        "citation_recall": len(cited) / len(answered) if answered else None,
        "answered_answerable": len(answered),
        **refusal_metrics([item["answerable"] for item in items], abstained),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
        "errors": sum("error" in r for r in records),
    }
    return out


def _share(flags) -> float | None:
    flags = list(flags)
    return sum(bool(f) for f in flags) / len(flags) if flags else None


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def _settings_dict(settings: Settings) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()
            if k not in ("llm_api_key",)}


def git_commit() -> str | None:
    """HEAD's sha (with '+dirty' when the work tree has changes), None outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None
