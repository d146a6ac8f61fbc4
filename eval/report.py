"""report.json, report.md and the charts, for both the QA run and the BEIR run."""

from __future__ import annotations

import json
from pathlib import Path

QA_COLUMNS = (
    ("n", "n"), ("accuracy", "acc"), ("accuracy_answerable", "acc (ans.)"), ("accuracy_unanswerable", "acc (unans.)"),
    ("recall@1", "R@1"), ("recall@5", "R@5"), ("recall@10", "R@10"), ("mrr@10", "MRR@10"),
    ("citation_precision", "cite P"), ("citation_recall", "cite R"),
    ("refusal_precision", "refusal P"), ("refusal_recall", "refusal R"),
    ("false_refusal_rate", "false refusal"), ("latency_p50_ms", "p50 ms"), ("latency_p95_ms", "p95 ms"),
)
BEIR_COLUMNS = (("ndcg@10", "nDCG@10"), ("recall@1", "R@1"), ("recall@5", "R@5"),
                ("recall@10", "R@10"), ("mrr@10", "MRR@10"))
MAX_FAILURES = 20


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.0f}"
    return str(value)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- QA --------------------------------------------------------------------------------------
def write_qa_report(report: dict, items: list[dict], records: dict[str, list[dict]], out: Path) -> None:
    from .charts import qa_charts

    problems = qa_charts(report, out) if report["systems"] else {}
    report["charts"] = sorted(problems)
    for chart, warns in problems.items():
        for w in warns:
            print(f"[eval] {chart}: {w}")
    write_json(out / "report.json", report)
    (out / "report.md").write_text(qa_markdown(report, items, records), encoding="utf-8")


def qa_markdown(report: dict, items: list[dict], records: dict[str, list[dict]]) -> str:
    systems = report["systems"]
    parts = [f"# QA evaluation — {report['n']} questions",
             f"Dataset `{report['dataset']}`, commit `{report.get('commit')}`"
             + (f", stratified limit {report['config']['limit']}" if report["config"].get("limit") else "") + ".",
             "", "## Figures", "",
             table(["system"] + [label for _, label in QA_COLUMNS],
                   [[name] + [m.get(key) for key, _ in QA_COLUMNS] for name, m in systems.items()]),
             "",
             "Retrieval (R@k, MRR@10) over answerable questions: a retrieved chunk is a hit when the "
             "syllables of an evidence quote occur in its heading path + text. Citation P/R over "
             "answered answerable questions. Refusal: positive class = abstained on unanswerable.",
             ""]
    for name, m in systems.items():
        if "verifier" in m:
            v = m["verifier"]
            parts.append(f"- {name} ({m['n']} questions): verifier flagged {v['flagged']} answers, "
                         f"{v['fallback']} fell back to extractive, {v['figures_caught']} unsupported figures caught.")
            for other, f in m.get("same_slice", {}).items():
                parts.append(f"  - `{other}` on the same {m['n']} questions: "
                             + ", ".join(f"{k} {fmt(v)}" for k, v in f.items()))
    parts.append("")
    if report.get("skipped"):
        parts += ["Skipped: " + "; ".join(f"**{k}** ({v})" for k, v in report["skipped"].items()), ""]
    parts += ["## Per category (accuracy / R@5 / refusal recall)", ""]
    cats = report["categories"]
    rows = []
    for cat in cats:
        row = [cat, str(max(m["per_category"].get(cat, {}).get("n", 0) for m in systems.values()))]
        for m in systems.values():
            c = m["per_category"].get(cat)
            if c is None:
                row.append("—")
                continue
            cell = f"{fmt(c['accuracy'])} / {fmt(c['recall@5'])}"
            if c["refusal_recall"] is not None:
                cell += f" / {fmt(c['refusal_recall'])}"
            row.append(cell)
        rows.append(row)
    parts += [table(["category", "n"] + list(systems), rows), ""]
    parts += ["![accuracy](accuracy-per-category.png)", "", "![latency](latency.png)", ""]
    focus = "default" if "default" in records else next(iter(records), None)
    if focus:
        parts += [f"## Worst failures of `{focus}` (max {MAX_FAILURES})", ""]
        parts += failures_markdown(items, records[focus])
    return "\n".join(parts) + "\n"


def expected(item: dict) -> str:
    if not item["answerable"]:
        return "(từ chối)"
    return " + ".join(" / ".join(group) for group in item["answer_keys"])


def worst_failures(items: list[dict], records: list[dict], limit: int = MAX_FAILURES) -> list[tuple[dict, dict]]:
    """Wrong answers, worst first: an answer to an unanswerable question, then a wrong answer,
    then a wrong answer whose evidence was not even retrieved, then a false refusal."""
    def severity(item, rec):
        if not item["answerable"]:
            return 0
        if rec.get("abstained"):
            return 3
        return 2 if rec.get("hit_rank") is None else 1

    wrong = [(item, rec) for item, rec in zip(items, records) if not rec.get("correct")]
    wrong.sort(key=lambda pair: severity(*pair))  # stable: file order within a group
    return wrong[:limit]


def failures_markdown(items: list[dict], records: list[dict]) -> list[str]:
    rows = []
    for item, rec in worst_failures(items, records):
        got = rec.get("error") or rec.get("answer", "")
        got = " ".join(got.split())
        got = got[:220] + ("…" if len(got) > 220 else "")
        question = item["question"] if not item.get("history") else \
            f"{item['history'][-2]['content'] if len(item['history']) >= 2 else ''} → {item['question']}"
        rows.append([item["id"], item["category"], _cell(question), _cell(expected(item)), _cell(got),
                     fmt(rec.get("hit_rank"))])
    if not rows:
        return ["No failures."]
    return [table(["id", "category", "question", "expected", "got", "hit rank"], rows)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- BEIR ------------------------------------------------------------------------------------
def write_beir_report(report: dict, out: Path) -> None:
    from .charts import beir_charts

    problems = beir_charts(report, out) if report["systems"] else {}
    report["charts"] = sorted(problems)
    write_json(out / "report.json", report)
    (out / "report.md").write_text(beir_markdown(report), encoding="utf-8")


def _split_note(split: str) -> str:
    if split == "all":
        return ""
    return (f" Questions: the **{split}** split only (origins {'with' if split == 'train' else 'without'} "
            "'train'; `python -m eval train-reranker` trains on the other).")


def _reranker_note(info: dict | None) -> str:
    if not info:
        return ""
    note = f" Reranker `{info['model']}` at weight {info['weight']}"
    training = info.get("training")
    if training:
        note += (f", trained from `{training.get('base')}` on {training.get('groups')} groups of "
                 f"{training.get('train_questions')} training questions in {training.get('seconds', 0):.0f} s")
    return note + "."


def beir_markdown(report: dict) -> str:
    systems = report["systems"]
    parts = [f"# Retrieval evaluation — {report.get('name', 'BEIR')}", "",
             f"Corpus `{report['corpus']}` ({report['documents']} documents, {report.get('chunks', '?')} chunks), "
             f"{report['queries']} queries, commit `{report.get('commit')}`. "
             f"Indexing {report['index_seconds']:.0f} s."
             + _split_note(report.get("config", {}).get("split", "all"))
             + _reranker_note(report.get("reranker")), "",
             table(["system"] + [label for _, label in BEIR_COLUMNS] + ["s/query"],
                   [[name] + [m[k] for k, _ in BEIR_COLUMNS] + [f"{m.get('seconds_per_query', 0):.3f}"]
                    for name, m in systems.items()]), ""]
    ref = report.get("reference")
    if ref:
        parts += ["Reference plain BM25: " + ", ".join(f"{k} {v:.3f}" for k, v in ref.items())
                  + f". Sanity check: {report.get('reference_check', '')}", ""]
    if report.get("skipped"):
        parts += ["Skipped: " + "; ".join(f"**{k}** ({v})" for k, v in report["skipped"].items()), ""]
    origins = sorted({o for m in systems.values() for o in m.get("per_origin", {})})
    if origins:
        parts += ["## nDCG@10 / R@1 / R@10 / MRR@10 per origin", ""]
        rows = []
        for o in origins:
            row = [o, str(next(iter(systems.values()))["per_origin"].get(o, {}).get("n", ""))]
            for m in systems.values():
                x = m["per_origin"].get(o)
                row.append("—" if not x else
                           f"{x['ndcg@10']:.3f} / {x['recall@1']:.3f} / {x['recall@10']:.3f} / {x['mrr@10']:.3f}")
            rows.append(row)
        parts += [table(["origin", "n"] + list(systems), rows), ""]
    if report.get("by_training_gold"):
        parts += ["## nDCG@10 / R@1 by whether the gold article was a reranker training positive", "",
                  table(["held-out questions", "n"] + list(systems),
                        [[label, str(part["n"])] + [f"{part[name]['ndcg@10']:.3f} / {part[name]['recall@1']:.3f}"
                                                    for name in systems]
                         for label, part in report["by_training_gold"].items()]), ""]
    if report.get("variants"):
        parts += ["## Variants", "", table(["variant"] + [label for _, label in BEIR_COLUMNS],
                                           [[name] + [m[k] for k, _ in BEIR_COLUMNS]
                                            for name, m in report["variants"].items()]), ""]
    parts += ["![retrieval](retrieval.png)", ""]
    return "\n".join(parts) + "\n"
