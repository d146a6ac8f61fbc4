"""`python -m eval ranker-variants`: answer-ranker models compared on the same candidates.

Rows (every candidate's features and label, as `eval fit-ranker` collects them) come from the
dev data (the real set's dev split and the project's set) and from the real set's test split.
For each model:
  - dev: leave-one-document-out decisions, the threshold that maximises their accuracy;
  - test: the model fitted on all dev rows, at that threshold, on the test split's questions
    (never fitted on, never used to choose anything).
Per question the best candidate decides: an answerable question is right when it is a positive
above the threshold, an unanswerable one when it is below. `ceiling` is the share of answerable
questions with any positive candidate (what a perfect choice could reach).

Rows are cached by the source of the answer path (reports/ranker/rows-<hash>-<corpus>.pkl), so
models are compared in seconds after one collection, and `eval fit-ranker` reuses the dev rows.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from pathlib import Path

import numpy as np

from bot.rank import FEATURES, KINDS
from ingest.settings import PROJECT_ROOT, Settings

from .fit_ranker import MODELS, POLICIES, choose, collect_corpora, cross_validated, curve, decisions, fit

DEV, TEST = ("real-dev", "bundled"), ("real-test",)
_SOURCES = ("bot/rank.py", "bot/candidates.py", "ingest/text.py", "bot/question.py", "bot/evidence.py", "bot/query.py",
            "bot/retrieve.py", "bot/answer.py", "eval/data/real/qa.jsonl", "eval/data/qa.jsonl")


def source_key() -> str:
    import inspect

    from . import fit_ranker

    h = hashlib.sha256(",".join(FEATURES).encode())
    h.update((inspect.getsource(fit_ranker.label) + inspect.getsource(fit_ranker.collect)).encode())
    for rel in _SOURCES:
        h.update((PROJECT_ROOT / rel).read_bytes())
    return h.hexdigest()[:12]


def load_rows(settings: Settings, store_dir: Path | None, cache_dir: Path, progress: bool = True,
              names: tuple[str, ...] = DEV + TEST) -> dict[str, list[dict]]:
    """{corpus name: rows}, each collected once per version of the answer path (cached)."""
    key, out = source_key(), {}
    for name in names:
        cache = cache_dir / f"rows-{key}-{name}.pkl"
        if not cache.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            cache.write_bytes(pickle.dumps(collect_corpora(settings, store_dir, progress, (name,))))
        out[name] = pickle.loads(cache.read_bytes())
    return out


def dev_test(rows: dict[str, list[dict]]) -> dict:
    return {"dev": [r for n in DEV for r in rows[n]], "test": [r for n in TEST for r in rows[n]]}


def scores(dec: list[tuple[float, bool, bool]], t: float) -> dict:
    ans = [(p, ok) for p, ok, a in dec if a]
    un = [p for p, _, a in dec if not a]
    right = sum(1 for p, ok in ans if p >= t and ok) + sum(1 for p in un if p < t)
    return {"n": len(dec), "accuracy": right / max(len(dec), 1),
            "answered_right": sum(1 for p, ok in ans if p >= t and ok) / max(len(ans), 1),
            "false_refusals": sum(1 for p, _ in ans if p < t) / max(len(ans), 1),
            "wrong_answers": sum(1 for p, ok in ans if p >= t and not ok) / max(len(ans), 1),
            "correct_refusals": sum(1 for p in un if p < t) / max(len(un), 1)}


def ceiling(rows: list[dict]) -> float:
    ans = [r for r in rows if r["item"]["answerable"]]
    return sum(1 for r in ans if len(r["y"]) and r["y"].max() > 0) / max(len(ans), 1)


def as_kind(data: dict, kind: str) -> dict:
    """The rows as a model of that kind sees them (bot/rank.py KINDS: its missing features are 0)."""
    cols = [FEATURES.index(f) for f in KINDS[kind]]

    def strip(r):
        x = r["x"].copy()
        if len(x):
            x[:, cols] = 0.0
        return {**r, "x": x}

    return {k: [strip(r) for r in rows] for k, rows in data.items()}


def compare(data: dict, names: tuple[str, ...] = tuple(MODELS), kinds: tuple[str, ...] = ("lexical", "hybrid")
            ) -> list[dict]:
    out = []
    for kind in kinds:
        out += [{**r, "kind": kind} for r in _compare(as_kind(data, kind), names)]
    return out


def _compare(data: dict, names: tuple[str, ...]) -> list[dict]:
    out = []
    for name in names:
        started = time.perf_counter()
        make = MODELS[name]
        cv = cross_validated(data["dev"], make)
        trade = curve(cv)
        model = fit(data["dev"], make)
        x = np.vstack([r["x"] for r in data["test"] if len(r["x"])])
        began = time.perf_counter()
        model.predict_proba(x[:100])
        ms = (time.perf_counter() - began) * 1000
        tested = decisions(model, data["test"])
        for policy in POLICIES:
            t = choose(trade, policy)["threshold"]
            out.append({"variant": name, "policy": policy, "threshold": t, "dev": scores(cv, t),
                        "test": scores(tested, t), "predict_ms_100": round(ms, 2),
                        "seconds": round(time.perf_counter() - started, 1)})
    return out


def markdown(results: list[dict], data: dict) -> str:
    from .report import table

    head = ["features", "variant", "refusal policy", "threshold", "split", "n", "accuracy", "answered right", "false refusals", "wrong answers",
            "correct refusals", "ms / 100 candidates"]
    rows = []
    for r in results:
        for split in ("dev", "test"):
            s = r[split]
            rows.append([r["kind"], r["variant"], r["policy"], f"{r['threshold']:.2f}", "dev (CV by document)" if split == "dev" else "test",
                         s["n"], f"{s['accuracy']:.3f}", f"{s['answered_right']:.3f}", f"{s['false_refusals']:.3f}",
                         f"{s['wrong_answers']:.3f}", f"{s['correct_refusals']:.3f}", r["predict_ms_100"]])
    return ("# Answer-ranker variants\n\n"
            f"Ceiling (answerable questions with any positive candidate): dev {ceiling(data['dev']):.3f}, "
            f"test {ceiling(data['test']):.3f}.\n\n" + table(head, rows) + "\n")


def run_variants(settings: Settings, out: Path, store_dir: Path | None, progress: bool = True,
                 names: tuple[str, ...] = tuple(MODELS)) -> list[dict]:
    import json

    data = dev_test(load_rows(settings, store_dir, out, progress))
    results = compare(data, names)
    out.mkdir(parents=True, exist_ok=True)
    (out / "variants.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "variants.md").write_text(markdown(results, data), encoding="utf-8")
    return results
