"""`python -m eval run|beir|train-reranker` — evaluation of the assistant.

  run   [--dataset PATH] [--out DIR] [--limit N] [--systems a,b] [--store-dir DIR]
        QA over the bundled corpus: accuracy, retrieval, citations, refusals, latency
  beir  [--corpus C --queries Q --qrels R] [--out DIR] [--limit N] [--systems a,b] [--store-dir DIR]
        [--split all|train|test] retrieval on a BEIR-style corpus (default: ../shared/benchmarks/alqac)
  real  [--split dev|test|all] [--parts qa,meta,chunks] [--systems a,b] [--out DIR] [--corpus DIR]
        the real-document benchmark: QA beside the plain baseline, metadata against the truth
        table, chunk quality (eval/real.py; documents read in place from ../shared/corpus/real)
  forms [--parts read,ocr,legacy,doc] [--out DIR] [--corpus DIR] [--store-dir DIR]
        every published form read as text: each real file (OCR, legacy encodings), the ND 335
        scan's CER against its twin and its questions over the scan, TCVN3/VNI round trips, .doc
        converters (eval/forms.py)
  alqac-qa [--out DIR] [--store-dir DIR]
        ALQAC's free-text questions with gold answers: the default system beside the plain baseline
  fit-ranker [--out bot/data/ranker.json] [--report DIR] [--store-dir DIR]
        fit the answer ranker and its refusal threshold on the dev data (eval/fit_ranker.py)
  ranker-variants [--out DIR] [--store-dir DIR] [--variants a,b]
        answer-ranker models compared: dev cross-validation and the real test split (eval/ranker_variants.py)
  train-reranker --out DIR [--base MODEL] [--epochs N] [--negatives N] [--store-dir DIR]
        fine-tune a CrossEncoder on the benchmark's training questions (eval/reranker.py)
Settings come from VNQA_* variables (e.g. VNQA_EMBED_MODEL=none for lexical-only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings, configure_runtime


def _systems(value: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in value.split(",") if s.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of system names")
    return names


def parser() -> argparse.ArgumentParser:
    from .beir import BEIR_SYSTEMS, DEFAULT_BENCHMARK
    from .dataset import DEFAULT_DATASET
    from .reranker import DEFAULT_BASE
    from .systems import ALL_SYSTEMS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true")
    common.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    p = argparse.ArgumentParser(prog="python -m eval", description="Đánh giá trợ lý hỏi đáp văn bản")
    sub = p.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", parents=[common], help="QA evaluation over the bundled corpus")
    run.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    run.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "qa")
    run.add_argument("--limit", type=int, help="a stratified slice of N questions")
    run.add_argument("--systems", type=_systems, default=ALL_SYSTEMS,
                     help=f"comma-separated, from {','.join(ALL_SYSTEMS)} (default: all available)")
    run.add_argument("--store-dir", type=Path, help="keep the stores here (default: a temp folder)")
    run.add_argument("--llm-limit", type=int, default=30,
                     help="the LLM systems answer a stratified slice of N questions (0 = all; "
                          "minutes per question on 2 CPU cores)")
    beir = sub.add_parser("beir", parents=[common], help="retrieval evaluation on a BEIR-style corpus")
    beir.add_argument("--corpus", type=Path, help=f"corpus.jsonl (default: {DEFAULT_BENCHMARK}/corpus.jsonl)")
    beir.add_argument("--queries", type=Path)
    beir.add_argument("--qrels", type=Path)
    beir.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "beir")
    beir.add_argument("--limit", type=int, help="the first N queries (the corpus stays whole)")
    beir.add_argument("--systems", type=_systems, default=BEIR_SYSTEMS,
                      help=f"comma-separated, from {','.join(BEIR_SYSTEMS)}")
    beir.add_argument("--store-dir", type=Path, help="keep the index here (default: a temp folder)")
    beir.add_argument("--variants", action="store_true",
                      help="also measure retrieval variants (fusion weights, field weights, depth)")
    beir.add_argument("--split", choices=("all", "train", "test"), default="all",
                      help="questions by origin: 'train' = origins containing 'train', 'test' = the "
                           "others (held out from train-reranker)")
    from .real import PARTS, REAL_SYSTEMS, RealConfig

    real = sub.add_parser("real", parents=[common], help="the real-document benchmark")
    real.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    real.add_argument("--parts", type=_systems, default=PARTS, help=f"comma-separated, from {','.join(PARTS)}")
    real.add_argument("--systems", type=_systems, default=REAL_SYSTEMS,
                      help=f"comma-separated (default: {','.join(REAL_SYSTEMS)})")
    real.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "real")
    real.add_argument("--corpus", type=Path, default=RealConfig.corpus, help="the folder of the real documents")
    real.add_argument("--limit", type=int, help="a stratified slice of N questions")
    real.add_argument("--store-dir", type=Path, help="keep the stores here (default: a temp folder)")
    from .forms import CORPUS, PARTS as FORM_PARTS

    fm = sub.add_parser("forms", parents=[common], help="scans, .doc files and legacy fonts read as text")
    fm.add_argument("--parts", type=_systems, default=FORM_PARTS, help=f"comma-separated, from {','.join(FORM_PARTS)}")
    fm.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "forms")
    fm.add_argument("--corpus", type=Path, default=CORPUS, help="the folder of the real documents")
    fm.add_argument("--store-dir", type=Path, help="keep the stores here (default: a temp folder)")
    aq = sub.add_parser("alqac-qa", parents=[common], help="answers to ALQAC's free-text questions")
    aq.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "alqac-qa")
    aq.add_argument("--store-dir", type=Path, help="keep the index here (default: a temp folder)")
    fr = sub.add_parser("fit-ranker", parents=[common], help="fit the answer ranker on the dev data")
    fr.add_argument("--out", type=Path, default=PROJECT_ROOT / "bot" / "data" / "ranker.json")
    fr.add_argument("--report", type=Path, default=PROJECT_ROOT / "reports" / "ranker")
    fr.add_argument("--store-dir", type=Path, help="keep the stores here (default: a temp folder)")
    rv = sub.add_parser("ranker-variants", parents=[common], help="answer-ranker models compared (dev CV, test)")
    rv.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "ranker")
    rv.add_argument("--store-dir", type=Path, help="keep the stores here (default: a temp folder)")
    rv.add_argument("--variants", type=_systems, help="comma-separated (default: all)")
    tr = sub.add_parser("train-reranker", parents=[common],
                        help="fine-tune a CrossEncoder on the benchmark's training questions")
    tr.add_argument("--out", type=Path, required=True, help="folder for the model (VNQA_RERANK_MODEL)")
    tr.add_argument("--base", default=DEFAULT_BASE, help=f"base model (default: {DEFAULT_BASE})")
    tr.add_argument("--corpus", type=Path)
    tr.add_argument("--queries", type=Path)
    tr.add_argument("--qrels", type=Path)
    tr.add_argument("--epochs", type=int, default=2)
    tr.add_argument("--negatives", type=int, default=3, help="hard negatives per question")
    tr.add_argument("--max-length", type=int, default=320, help="tokens per question+passage pair")
    tr.add_argument("--limit", type=int, help="the first N training questions")
    tr.add_argument("--store-dir", type=Path, help="reuse the beir index here (default: a temp folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_runtime(args.verbose)
    settings = Settings.from_env()
    progress = not args.no_progress
    if args.cmd == "run":
        from .run import RunConfig, run_qa
        from .systems import ALL_SYSTEMS

        unknown = [s for s in args.systems if s not in ALL_SYSTEMS]
        if unknown:
            print(f"error: unknown system(s) {', '.join(unknown)}; expected {', '.join(ALL_SYSTEMS)}",
                  file=sys.stderr)
            return 2
        config = RunConfig(dataset=args.dataset, out=args.out, limit=args.limit, llm_limit=args.llm_limit or None,
                           systems=args.systems,
                           store_dir=args.store_dir, progress=progress)
        report = run_qa(config, settings)
        print_qa_summary(report, args.out)
        return 0
    if args.cmd == "forms":
        from .forms import run_forms

        if not args.corpus.is_dir():
            print(f"error: the real-document corpus {args.corpus} is missing (pass --corpus)", file=sys.stderr)
            return 2
        run_forms(settings, args.out, args.corpus, args.parts, args.store_dir, progress)
        print((args.out / "forms.md").read_text(encoding="utf-8"))
        return 0
    if args.cmd == "alqac-qa":
        from .alqac_qa import run_alqac_qa

        report = run_alqac_qa(settings, args.out, args.store_dir, progress)
        for name, m in report["systems"].items():
            print(f"[alqac-qa] {name}: accuracy {m['accuracy']:.3f}, refusals {m['refusals']:.3f} "
                  f"({report['questions']} questions)")
        return 0
    if args.cmd == "fit-ranker":
        from .fit_ranker import run_fit

        full = run_fit(settings, args.out, args.report, args.store_dir, progress)
        for kind, m in full["models"].items():
            i = m["info"]
            print(f"[ranker] {kind}: threshold {m['threshold']:.2f}, cross-validated accuracy {i['cv_accuracy']:.3f}, "
                  f"false refusals {i['cv_false_refusal_rate']:.3f}, correct refusals {i['cv_refusal_recall']:.3f}")
        print(f"[ranker] wrote {args.out} and {args.report}/report.md")
        return 0
    if args.cmd == "ranker-variants":
        from .fit_ranker import MODELS
        from .ranker_variants import run_variants

        results = run_variants(settings, args.out, args.store_dir, progress, tuple(args.variants or MODELS))
        for r in results:
            t = r["test"]
            print(f"[variants] {r['kind']} {r['variant']} ({r['policy']}): dev accuracy {r['dev']['accuracy']:.3f}; test accuracy "
                  f"{t['accuracy']:.3f}, answered right {t['answered_right']:.3f}, false refusals "
                  f"{t['false_refusals']:.3f}, correct refusals {t['correct_refusals']:.3f}")
        print(f"[variants] wrote {args.out}/variants.md")
        return 0
    if args.cmd == "real":
        from .real import RealConfig, run_real

        config = RealConfig(split=args.split, corpus=args.corpus, out=args.out, systems=args.systems,
                            parts=args.parts, limit=args.limit, store_dir=args.store_dir, progress=progress)
        try:
            report = run_real(config, settings)
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print((args.out / "real.md").read_text(encoding="utf-8"))
        return 0
    from .beir import BEIR_SYSTEMS, BeirConfig, resolve_paths, run_beir

    if args.cmd == "train-reranker":
        return train_reranker_cli(args, settings, progress)
    unknown = [s for s in args.systems if s not in BEIR_SYSTEMS]
    if unknown:
        print(f"error: unknown system(s) {', '.join(unknown)}; expected {', '.join(BEIR_SYSTEMS)}",
              file=sys.stderr)
        return 2
    try:
        corpus, queries, qrels = resolve_paths(args.corpus, args.queries, args.qrels)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    config = BeirConfig(corpus=corpus, queries=queries, qrels=qrels, out=args.out, limit=args.limit,
                        systems=args.systems, store_dir=args.store_dir, progress=progress,
                        variants=args.variants, split=args.split)
    report = run_beir(config, settings)
    print_beir_summary(report, args.out)
    return 0


def train_reranker_cli(args, settings: Settings, progress: bool) -> int:
    from .beir import resolve_paths
    from .reranker import TrainConfig, train_reranker

    try:
        corpus, queries, qrels = resolve_paths(args.corpus, args.queries, args.qrels)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    config = TrainConfig(base=args.base, epochs=args.epochs, max_length=args.max_length, progress=progress)
    try:
        figures = train_reranker(corpus, queries, qrels, args.out, settings, config, args.store_dir,
                                 args.negatives, args.limit)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[reranker] saved to {args.out} ({figures['steps']} steps, {figures['seconds']:.0f} s, loss "
          f"{figures['loss_first_10pct']:.3f} -> {figures['loss_last_10pct']:.3f}); use it with "
          f"VNQA_RERANK_MODEL={args.out}")
    return 0


def print_qa_summary(report: dict, out: Path) -> None:
    from .report import fmt

    keys = ("accuracy", "recall@5", "mrr@10", "citation_precision", "refusal_recall",
            "false_refusal_rate", "latency_p50_ms")
    print(f"\n{report['n']} questions -> {out}/report.md")
    print("system".ljust(14) + "".join(k[:12].rjust(13) for k in keys))
    for name, m in report["systems"].items():
        print(name.ljust(14) + "".join(fmt(m.get(k)).rjust(13) for k in keys))


def print_beir_summary(report: dict, out: Path) -> None:
    keys = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr@10")
    print(f"\n{report['queries']} queries, {report['documents']} documents -> {out}/report.md")
    print("system".ljust(12) + "".join(k.rjust(11) for k in keys))
    for name, m in report["systems"].items():
        print(name.ljust(12) + "".join(f"{m[k]:.3f}".rjust(11) for k in keys))
    for name, m in report.get("variants", {}).items():
        print(("  " + name).ljust(40) + "".join(f"{m[k]:.3f}".rjust(11) for k in keys))


if __name__ == "__main__":
    sys.exit(main())
