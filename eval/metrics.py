"""Ranking and classification metrics, implemented here (no external IR library).

Runs follow the BEIR convention: `{qid: {doc_id: score}}`, higher is better; qrels are
`{qid: {doc_id: relevance}}` with relevance > 0 meaning relevant. Ties are broken by doc_id so
every figure is deterministic. Queries without any relevant document are skipped by the
ranking metrics (as BEIR / pytrec_eval do).
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, int]]


def ranked(scores: Mapping[str, float], k: int | None = None) -> list[str]:
    """Doc ids best first (ties by doc id), cut at k."""
    order = sorted(scores, key=lambda d: (-scores[d], d))
    return order if k is None else order[:k]


def _relevant(rels: Mapping[str, int]) -> set[str]:
    return {d for d, r in rels.items() if r > 0}


Score = Callable[[list[str], Mapping[str, int], set[str]], float]  # (top-k ids, grades, relevant ids)


def _per_query(run: Run, qrels: Qrels, k: int, score: Score) -> float:
    """Mean of score(top-k doc ids, relevance grades, relevant ids) over the queries that have a
    relevant document."""
    values = []
    for qid, rels in qrels.items():
        relevant = _relevant(rels)
        if relevant:
            values.append(score(ranked(run.get(qid, {}), k), rels, relevant))
    return _mean(values)


def recall_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean over queries of |relevant ∩ top-k| / |relevant|."""
    return _per_query(run, qrels, k, lambda top, _, relevant: len(relevant.intersection(top)) / len(relevant))


def mrr_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean reciprocal rank of the first relevant document within the top k (0 when none)."""
    def rr(top, _, relevant):
        return next((1.0 / rank for rank, doc in enumerate(top, start=1) if doc in relevant), 0.0)

    return _per_query(run, qrels, k, rr)


def ndcg_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """nDCG@k with graded gains rel / log2(rank + 1) (the trec_eval / BEIR definition)."""
    def ndcg(top, rels, _):
        dcg = sum(rels.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(top, start=1)
                  if rels.get(doc, 0) > 0)
        ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
        idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
        return dcg / idcg if idcg else 0.0

    return _per_query(run, qrels, k, ndcg)


def ranking_metrics(run: Run, qrels: Qrels) -> dict[str, float]:
    """The figures every report shows: nDCG@10, Recall@1/5/10, MRR@10."""
    return {
        "ndcg@10": ndcg_at_k(run, qrels, 10),
        "recall@1": recall_at_k(run, qrels, 1),
        "recall@5": recall_at_k(run, qrels, 5),
        "recall@10": recall_at_k(run, qrels, 10),
        "mrr@10": mrr_at_k(run, qrels, 10),
    }


def rank_metrics(ranks: Iterable[int | None]) -> dict[str, float]:
    """Recall@1/5/10 and MRR@10 from the rank of the first hit per question (None = no hit)."""
    ranks = list(ranks)
    if not ranks:
        return {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0}
    n = len(ranks)
    return {
        "recall@1": sum(r is not None and r <= 1 for r in ranks) / n,
        "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "recall@10": sum(r is not None and r <= 10 for r in ranks) / n,
        "mrr@10": sum(1.0 / r for r in ranks if r is not None and r <= 10) / n,
    }


def refusal_metrics(answerable: list[bool], abstained: list[bool]) -> dict[str, float | None]:
    """Positive class: abstained on an unanswerable question.

    precision = correct refusals / all refusals, recall = correct refusals / unanswerable,
    false_refusal = refusals of answerable questions / answerable questions.
    None when the denominator is empty.
    """
    pairs = list(zip(answerable, abstained))
    tp = sum(not a and r for a, r in pairs)
    refused = sum(r for _, r in pairs)
    unanswerable = sum(not a for a, _ in pairs)
    n_answerable = sum(a for a, _ in pairs)
    false_refusals = sum(a and r for a, r in pairs)
    return {
        "refusal_precision": tp / refused if refused else None,
        "refusal_recall": tp / unanswerable if unanswerable else None,
        "false_refusal_rate": false_refusals / n_answerable if n_answerable else None,
    }


def percentile(values: Iterable[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), q in [0, 100]; 0.0 for no values."""
    xs = sorted(values)
    if not xs:
        return 0.0
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
