"""`python -m eval train-reranker`: fine-tune a cross-encoder on the ALQAC *training* questions.

No pretrained reranker (let alone a Vietnamese one) reaches this machine, so we train our own:
  1. split the benchmark by origin: questions whose origin says "train" train, the rest
     ("…_test") are held out; a training question sharing over half of its 6-word shingles with
     a held-out one is dropped (ALQAC 2024's extra training set repeats some 2023 test questions);
  2. mine groups with the default retriever over the real ingested chunks: the best-ranked chunk
     of the gold article is the positive, the best chunks of the top non-gold articles are hard
     negatives;
  3. fine-tune a sentence-transformers CrossEncoder (default: embeddinggemma-300m with a fresh
     score head; its token embeddings frozen) with a softmax cross-entropy over each group,
     bf16 autocast on the CPU, then save it where `VNQA_RERANK_MODEL` can point.
The pair text is exactly what RerankingRetriever scores (`bot.retrieve.passage`).
Measure the result with `python -m eval beir --split test` (held-out questions only) and
`python -m eval run --systems default,reranked`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("vnqa")
DEFAULT_BASE = "google/embeddinggemma-300m"


@dataclass(frozen=True)
class Group:
    qid: str
    query: str
    positive: str
    negatives: tuple[str, ...]


@dataclass(frozen=True)
class TrainConfig:
    base: str = DEFAULT_BASE
    epochs: int = 2
    lr: float = 2e-5
    batch_groups: int = 2  # groups per forward pass (each 1 positive + n negatives)
    accumulate: int = 4  # forward passes per optimiser step (small steps were unstable: measured)
    max_length: int = 320  # tokens per (question, passage) pair
    seed: int = 0
    progress: bool = True


def is_training(origin: str) -> bool:
    return "train" in origin


def _shingles(text: str, n: int = 6) -> set[str]:
    from ingest.text import syllables  # normalised, lowercase

    words = syllables(text)
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def split_queries(queries: list[dict], overlap: float = 0.5) -> tuple[list[dict], list[dict], int]:
    """(train, held_out, dropped): a training question sharing at least `overlap` of its 6-syllable
    shingles with a held-out question is dropped."""
    held_out = [q for q in queries if not is_training(q["origin"])]
    held_sh = [s for s in (_shingles(q["text"]) for q in held_out) if s]
    train, dropped = [], 0
    for q in (q for q in queries if is_training(q["origin"])):
        sh = _shingles(q["text"])
        if sh and any(len(sh & h) / len(sh) >= overlap for h in held_sh):
            dropped += 1
            continue
        train.append(q)
    return train, held_out, dropped


def mine_groups(retriever, queries: list[dict], qrels: dict, aliases: dict[str, str],
                negatives: int = 3, depth: int = 30, progress: bool = True) -> tuple[list[Group], int]:
    """One group per question whose gold article is retrieved within `depth` chunks.
    Returns (groups, questions skipped because no gold chunk was retrieved)."""
    from tqdm import tqdm

    from bot.retrieve import as_query, passage

    groups, missed = [], 0
    for q in tqdm(queries, desc="Tìm ví dụ khó", unit="câu", disable=not progress):
        gold = {aliases.get(d, d) for d, rel in qrels.get(q["qid"], {}).items() if rel > 0}
        query = as_query(q["text"])  # the text RerankingRetriever will see: normalised
        hits = retriever.search(query, depth)
        positive = next((h for h in hits if h.chunk.doc_id in gold), None)
        if positive is None:
            missed += 1
            continue
        seen, negs = set(), []
        for h in hits:
            if h.chunk.doc_id in gold or h.chunk.doc_id in seen:
                continue
            seen.add(h.chunk.doc_id)
            negs.append(passage(h.chunk))
            if len(negs) == negatives:
                break
        if len(negs) == negatives:  # groups of one size (fewer distinct articles: too small a corpus)
            groups.append(Group(q["qid"], query.text, passage(positive.chunk), tuple(negs)))
    return groups, missed


def train_cross_encoder(groups: list[Group], out: Path, config: TrainConfig | None = None) -> dict:
    """Fine-tune and save; returns the training figures (also written to out/training.json)."""
    config = config or TrainConfig()
    import torch
    from sentence_transformers import CrossEncoder
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    ce = CrossEncoder(config.base, num_labels=1, max_length=config.max_length, device="cpu",
                      local_files_only=True)
    head = getattr(ce.model, "score", None) or getattr(ce.model, "classifier", None)
    if isinstance(head, torch.nn.Linear) and head.out_features == 1:  # start from "no opinion": loss ln(n)
        torch.nn.init.zeros_(head.weight)
        if head.bias is not None:
            torch.nn.init.zeros_(head.bias)
    embeddings = ce.model.get_input_embeddings()
    if embeddings is not None:  # the vocabulary table is most of the weights; keep it as is
        embeddings.weight.requires_grad_(False)
    params = [p for p in ce.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.01)
    order = [g for _ in range(config.epochs) for g in rng.sample(groups, len(groups))]
    batches = [order[i:i + config.batch_groups] for i in range(0, len(order), config.batch_groups)]
    steps = -(-len(batches) // config.accumulate)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1))))
    ce.train()
    from contextlib import nullcontext

    from vectorstore.embed import bf16_supported

    # bf16 autocast only where the CPU has bf16 instructions: emulated, it is ~50x slower
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16_supported() else nullcontext
    started, losses = time.perf_counter(), []
    bar = tqdm(batches, desc="Huấn luyện bộ xếp hạng lại", unit="bước", disable=not config.progress)
    for n, batch in enumerate(bar, 1):
        pairs = [(g.query, p) for g in batch for p in (g.positive, *g.negatives)]
        features = ce.preprocess(pairs)
        with autocast():
            scores = ce(features)["scores"].float().view(len(batch), -1)
        # the positive is column 0 of each group
        loss = torch.nn.functional.cross_entropy(scores, torch.zeros(len(batch), dtype=torch.long))
        (loss / config.accumulate).backward()
        losses.append(float(loss.detach()))
        if n % config.accumulate and n != len(batches):
            continue
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    ce.eval()
    out.mkdir(parents=True, exist_ok=True)
    ce.save(str(out))
    window = max(1, len(losses) // 10)
    figures = {"base": config.base, "groups": len(groups), "steps": steps, "batches": len(batches),
               "seconds": round(time.perf_counter() - started, 1),
               "loss_first_10pct": round(sum(losses[:window]) / window, 4),
               "loss_last_10pct": round(sum(losses[-window:]) / window, 4),
               "config": asdict(config)}
    (out / "training.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return figures


def train_reranker(corpus: Path, queries_path: Path, qrels_path: Path, out: Path, settings,
                   config: TrainConfig | None = None, store_dir: Path | None = None,
                   negatives: int = 3, limit: int | None = None) -> dict:
    """The whole recipe: index (or reuse) the corpus, split, mine, train, save."""
    config = config or TrainConfig()
    import tempfile

    from bot.retrieve import build_retriever
    from vectorstore.store import Store

    from .beir import load_qrels, load_queries, open_dense_store
    from .corpus import index_corpus, load_corpus
    from .systems import load_embedder_or_note

    docs = load_corpus(corpus)
    qrels = load_qrels(qrels_path)
    queries = [q for q in load_queries(queries_path) if q["qid"] in qrels]
    train, held_out, dropped = split_queries(queries)
    if limit:
        train = train[:limit]
    if not train:
        raise ValueError(f"{queries_path}: no training questions (origins containing 'train')")
    tmp = tempfile.TemporaryDirectory(prefix="vnqa-rerank-") if store_dir is None else None
    folder = Path(tmp.name) if tmp else store_dir
    try:
        info = index_corpus(folder, corpus, docs, settings, config.progress)
        embedder, note = load_embedder_or_note(settings, fresh_queries=False)
        store = open_dense_store(folder, embedder, config.progress) if embedder else Store(folder, None)
        if note:
            log.warning("mining negatives lexical-only: %s", note)
        try:
            groups, missed = mine_groups(build_retriever(store), train, qrels, info.aliases,
                                         negatives, progress=config.progress)
        finally:
            store.close()
    finally:
        if tmp:
            tmp.cleanup()
    print(f"[reranker] {len(train)} training questions ({dropped} near-duplicates of held-out ones "
          f"dropped, {len(held_out)} held out), {len(groups)} groups, {missed} without a retrieved gold")
    figures = train_cross_encoder(groups, out, config)
    train_gold = sorted({d for q in train for d in qrels[q["qid"]]})
    figures.update({"train_questions": len(train), "dropped_near_duplicates": dropped,
                    "train_gold": train_gold,
                    "held_out_questions": len(held_out), "no_gold_retrieved": missed,
                    "negatives": negatives, "corpus": str(corpus)})
    (out / "training.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return figures


def by_training_gold(runs: dict[str, dict], qrels: dict, train_gold: list[str]) -> dict:
    """Held-out figures split by whether a question's gold article was a training positive
    (the reranker may have memorised those articles)."""
    from .metrics import ranking_metrics

    seen = set(train_gold)
    parts = {"gold article seen in training": {q: r for q, r in qrels.items() if set(r) & seen},
             "gold article unseen": {q: r for q, r in qrels.items() if not set(r) & seen}}
    return {label: {"n": len(sub), **{name: ranking_metrics(run, sub) for name, run in runs.items()}}
            for label, sub in parts.items() if sub}
