"""`python -m eval fit-ranker`: fit the answer ranker (bot/rank.py) and its refusal threshold.

Data: the dev split of the real-document QA set (its documents loaded together in one store)
and the project's own QA set over the bundled resolution (eval/data/qa.jsonl). For every
question the default system reads, retrieves and gathers candidates exactly as when answering
(`ExtractiveAnswerer.score`); a candidate is a positive when what the answer says for it (with its value)
holds every answer-key
group (at least half of them for a question of three or more facts). Unanswerable questions
give only negatives.

Model: logistic regression on the features, each weight kept to the sign its feature means
(`Logistic`; scipy), one per kind (bot/rank.py KINDS: 'hybrid', the default with retrieval's
cosines; 'lexical' without an embedding model; 'dense' with each candidate's own cosine).
`Boosted` (LightGBM, monotone in the same directions) is compared beside it by
`python -m eval ranker-variants`. The rows are cached by the answer path's source
(eval/ranker_variants.py), so a fit after a variants run collects nothing. The threshold is chosen by
cross-validation by document on the dev data (`folds`), one per refusal policy (`choose`):
'accuracy' maximises the share handled right (an answerable question right when its best
candidate is a positive above the threshold, an unanswerable one when the best is below), the
default; 'fr05' keeps false refusals at most 0.05 and then refuses as much as it can. Writes bot/data/ranker.json and, in --report, the
reliability curve and the refusal/false-refusal trade-off (report.md, report.json).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.rank import FEATURES, KINDS, REFUSAL_POLICIES, SIGNS, eligible
from ingest.settings import PROJECT_ROOT, Settings

from . import match

THRESHOLDS = np.round(np.arange(0.02, 0.96, 0.01), 2)
MAX_FALSE_REFUSALS = 0.05  # the 'fr05' refusal policy (`choose`)
POLICIES = REFUSAL_POLICIES
POLICY = "accuracy"  # the refusal policy the fitted threshold follows
PARTS = 5  # cross-validation folds a dominant document is cut into (`folds`)



def _quoted(q, c) -> str:
    from bot.candidates import quote_span

    s, e = quote_span(q, c)
    return f"{c.value} {c.chunk.text[s:e]}"


def label(item: dict, scored, shown=_quoted) -> np.ndarray:
    """1 for each candidate whose answer would hold the item's answer keys (enough of a list's).
    `shown(question, candidate)`: what the answer says for it (ExtractiveAnswerer.shown, with the
    items an introducing line brings from the next chunks); by default its quote."""
    groups = item.get("answer_keys") or []
    if not item["answerable"] or not groups:
        return np.zeros(len(scored.candidates))
    need = len(groups) if len(groups) < 3 else (len(groups) + 1) // 2
    out = []
    for c in scored.candidates:
        got = match.canon(shown(scored.question, c))
        found = sum(1 for g in groups if any(match.canon(a) in got for a in g if a.strip()))
        out.append(float(found >= need))
    return np.array(out)


def collect(answerer, items: list[dict], progress: bool = True) -> list[dict]:
    from tqdm import tqdm

    rows = []
    for item in tqdm(items, desc="Ứng viên", unit="câu", disable=not progress):
        scored = answerer.score(item["question"], item.get("history"))
        rows.append({"item": item, "x": scored.features, "y": label(item, scored, getattr(answerer, "shown", _quoted)),
                     "group": (item.get("docs") or ["bundled"])[0]})
    return rows


class Logistic:
    """L2-regularised logistic regression (scipy's L-BFGS-B) whose weights keep the sign their
    feature means (bot/rank.py SIGNS: more coverage never lowers, a missing asked type never
    raises the probability); a free intercept."""

    def __init__(self, signs: list[int], c: float = 1.0):
        self.signs, self.c = signs, c

    def fit(self, x: np.ndarray, y: np.ndarray) -> Logistic:
        from scipy.optimize import minimize

        d = x.shape[1]

        def loss(wb):
            z = x @ wb[:d] + wb[d]
            p = 1.0 / (1.0 + np.exp(-z))
            value = np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 / self.c * wb[:d] @ wb[:d]
            return value, np.concatenate([x.T @ (p - y) + wb[:d] / self.c, [np.sum(p - y)]])

        bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in self.signs] + [(None, None)]
        found = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                         options={"maxiter": 5000})
        self.coef_, self.intercept_ = found.x[:d][None, :], found.x[d:]
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(x @ self.coef_[0] + self.intercept_[0])))
        return np.stack([1.0 - p, p], axis=1)


class Boosted:
    """Gradient-boosted trees (LightGBM, binary log-loss), each feature kept monotone in the
    direction SIGNS gives, as the logistic weights are."""

    def __init__(self, **params):
        self.params = {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 20,
                       "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
                       "verbose": -1, "n_jobs": 2, "random_state": 0, **params}

    def fit(self, x: np.ndarray, y: np.ndarray) -> Boosted:
        from lightgbm import LGBMClassifier

        signs = [SIGNS.get(f, 0) for f in FEATURES]
        self.model = LGBMClassifier(monotone_constraints=signs, **self.params).fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(x)


MODELS = {
    "logistic": lambda: Logistic([SIGNS.get(f, 0) for f in FEATURES]),
    "boosted": lambda: Boosted(),
    "boosted-small": lambda: Boosted(n_estimators=120, num_leaves=7, min_child_samples=40),
}


def fit(rows: list[dict], make=MODELS["logistic"]):
    xs = [r["x"] for r in rows if len(r["x"])]
    ys = [r["y"] for r in rows if len(r["x"])]
    return make().fit(np.vstack(xs), np.concatenate(ys))


def decisions(model, rows: list[dict]) -> list[tuple[float, bool, bool]]:
    """(best probability, best is a positive, answerable) per question."""
    out = []
    for r in rows:
        if not len(r["x"]):
            out.append((0.0, False, r["item"]["answerable"]))
            continue
        p = eligible(model.predict_proba(r["x"])[:, 1], r["x"])  # as the answerer decides
        i = int(np.argmax(p))
        out.append((float(p[i]), bool(r["y"][i]), r["item"]["answerable"]))
    return out


def choose(trade: list[dict], policy: str = "accuracy") -> dict:
    """The trade-off point (`curve`) a refusal policy picks: 'accuracy' maximises the share of
    questions handled right; 'fr05' keeps false refusals at most 0.05 and, within that, refuses
    as many unanswerable questions as it can (then the higher accuracy)."""
    if policy == "fr05":
        ok = [r for r in trade if r["false_refusal_rate"] <= MAX_FALSE_REFUSALS]
        if ok:
            return max(ok, key=lambda r: (round(r["refusal_recall"], 4), round(r["accuracy"], 4)))
        return trade[0]
    return max(trade, key=lambda r: (round(r["accuracy"], 4), -r["false_refusal_rate"]))


def curve(dec: list[tuple[float, bool, bool]]) -> list[dict]:
    out = []
    n_ans = sum(1 for _, _, a in dec if a) or 1
    n_un = sum(1 for _, _, a in dec if not a) or 1
    for t in THRESHOLDS:
        right = sum(1 for p, ok, a in dec if (a and p >= t and ok) or (not a and p < t))
        false_refusal = sum(1 for p, _, a in dec if a and p < t) / n_ans
        refusal = sum(1 for p, _, a in dec if not a and p < t) / n_un
        out.append({"threshold": float(t), "accuracy": right / len(dec), "false_refusal_rate": false_refusal,
                    "refusal_recall": refusal})
    return out


def folds(rows: list[dict], parts: int = PARTS) -> list[str]:
    """Each row's cross-validation fold: its document; a document with more than a third of the
    rows (the project's set over the one bundled resolution) is cut into `parts` runs of
    consecutive questions (the set follows the document's order, so a run is a stretch of its
    sections), so that no fold leaves the model without most of its training data."""
    size: dict[str, int] = {}
    for r in rows:
        size[r["group"]] = size.get(r["group"], 0) + 1
    seen: dict[str, int] = {}
    out = []
    for r in rows:
        g, n = r["group"], size[r["group"]]
        i = seen[g] = seen.get(g, -1) + 1
        out.append(f"{g}#{i * parts // n}" if n * 3 > len(rows) else g)
    return out


def cross_validated(rows: list[dict], make=MODELS["logistic"]) -> list[tuple[float, bool, bool]]:
    """Decisions for each fold's questions (`folds`: a document, or a stretch of a big one) by a
    model fitted without that fold; in the order of `rows`."""
    fold = folds(rows)
    out: list = [None] * len(rows)
    for g in sorted(set(fold)):
        train = [r for r, f in zip(rows, fold) if f != g]
        idx = [i for i, f in enumerate(fold) if f == g]
        for i, d in zip(idx, decisions(fit(train, make), [rows[i] for i in idx])):
            out[i] = d
    return out


def reliability(dec: list[tuple[float, bool, bool]], bins: int = 10) -> list[dict]:
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, ok and a) for p, ok, a in dec if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if inside:
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(inside),
                        "mean_probability": round(sum(p for p, _ in inside) / len(inside), 3),
                        "share_right": round(sum(1 for _, r in inside if r) / len(inside), 3)})
    return out


def collect_corpora(settings: Settings, store_dir: Path | None, progress: bool = True,
                    names: tuple[str, ...] = ("real-dev", "bundled")) -> list[dict]:
    """Rows (features, labels, group) of the named corpora: 'real-dev' / 'real-test' (a split of
    the real-document QA set, its documents in one store) and 'bundled' (the project's set)."""
    from bot.service import build_bot

    from .dataset import DEFAULT_DATASET, load_dataset
    from .real import RealConfig, split_files, split_items
    from .systems import make_context

    rows = []
    for name in names:
        if name == "bundled":
            paths, items = (), load_dataset(DEFAULT_DATASET)
        else:
            split = name.split("-", 1)[1]
            paths, items = tuple(RealConfig.corpus / f for f in split_files(split)), split_items(split)
        ctx = make_context(settings, store_dir / name if store_dir else None, progress, paths)
        try:
            store = ctx.store(dense=ctx.embedder() is not None)
            bot = build_bot(replace(settings, store=store.folder, answer_dense=True), store=store, progress=progress)
            got = collect(bot.answerer, items, progress)
            for r in got:
                r["group"] = f"{name}:{r['group']}"
            rows.extend(got)
        finally:
            ctx.close()
    return rows


def run_fit(settings: Settings, out: Path, report: Path, store_dir: Path | None, progress: bool = True) -> dict:
    started = time.perf_counter()
    from .ranker_variants import DEV as corpora, load_rows

    rows = [r for rs in load_rows(settings, store_dir, report, progress, corpora).values() for r in rs]
    data = {"features": list(FEATURES), "models": {}}
    full = {"features": list(FEATURES), "models": {}}
    for kind, dropped in KINDS.items():
        part = [{**r, "x": _without(r["x"], [FEATURES.index(f) for f in dropped])} for r in rows]
        model = fit(part)
        cv = cross_validated(part)
        trade = curve(cv)
        best = choose(trade, POLICY)
        points = {policy: choose(trade, policy) for policy in POLICIES}
        entry = {"weights": [float(w) for w in model.coef_[0]], "bias": float(model.intercept_[0]),
                 "threshold": best["threshold"], "multi": 0.8,
                 "thresholds": {policy: r["threshold"] for policy, r in points.items()},
                 "info": {"questions": len(part), "candidates": int(sum(len(r["y"]) for r in part)),
                          "positives": int(sum(r["y"].sum() for r in part)),
                          "cv_accuracy": round(best["accuracy"], 4),
                          "cv_false_refusal_rate": round(best["false_refusal_rate"], 4),
                          "cv_refusal_recall": round(best["refusal_recall"], 4),
                          "policies": {policy: {k: round(v, 4) for k, v in r.items()} for policy, r in points.items()},
                          "data": list(corpora)}}
        data["models"][kind] = entry
        full["models"][kind] = {**entry, "tradeoff": trade, "reliability": reliability(cv)}
    data["seconds"] = full["seconds"] = round(time.perf_counter() - started)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    report.mkdir(parents=True, exist_ok=True)
    (report / "report.json").write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (report / "report.md").write_text("\n".join(_markdown(kind, m, full["features"])
                                                for kind, m in full["models"].items()), encoding="utf-8")
    return full


def _without(x: np.ndarray, columns: list[int]) -> np.ndarray:
    x = x.copy()
    if len(x):
        x[:, columns] = 0.0
    return x


def _markdown(kind: str, full: dict, features: list[str]) -> str:
    from .report import table

    info = full["info"]
    lines = [f"# Answer ranker ({kind}) — {info['questions']} dev questions, {info['candidates']} candidates "
             f"({info['positives']} positive)", "",
             "Refusal thresholds chosen on the dev folds (cross-validation by document; the bundled "
             "resolution's questions in 5 stretches), one per policy (VNQA_REFUSAL):", "",
             table(["policy", "threshold", "accuracy", "false refusals", "correct refusals"],
                   [[p, f"{r['threshold']:.2f}", f"{r['accuracy']:.3f}", f"{r['false_refusal_rate']:.3f}",
                     f"{r['refusal_recall']:.3f}"] for p, r in info["policies"].items()]),
             "", "## Weights", "", table(["feature", "weight"], [[f, f"{w:.3f}"] for f, w in
                                                               zip(features, full["weights"])]),
             "", "## Reliability (cross-validated best-candidate probability)", "",
             table(["bin", "n", "mean p", "share right"],
                   [[r["bin"], r["n"], r["mean_probability"], r["share_right"]] for r in full["reliability"]]),
             "", "## Refusal trade-off", "",
             table(["threshold", "accuracy", "false refusals", "correct refusals"],
                   [[r["threshold"], r["accuracy"], r["false_refusal_rate"], r["refusal_recall"]]
                    for r in full["tradeoff"][::5]])]
    return "\n".join(lines) + "\n"


DEFAULT_OUT = PROJECT_ROOT / "bot" / "data" / "ranker.json"
