"""One contract per interface, run against every backend (real store on disk, real models):

- Retriever.search(query, k, filters) -> list[Hit]: at most k hits, best first, chunks that are
  in the catalog, filters respected, the DTI item found for the DTI question.
- Answerer.answer(question, history, filters) -> Answer: every citation quotes the document
  verbatim at its span, [n] markers refer to citations, refusals are flagged.
- Embedder: embed_documents / embed_query give unit vectors of the same dimension.
"""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.answer import ExtractiveAnswerer
from bot.llm import LLMAnswerer
from bot.retrieve import DenseRetriever, HybridRetriever, LexicalRetriever, RerankingRetriever
from ingest.errors import QueryError
from ingest.service import index_files
from ingest.settings import Settings
from vectorstore.embed import load_embedder
from vectorstore.store import Store
from vectorstore.types import Filters

from .conftest import minilm_path

DTI = "Chỉ tiêu DTI năm 2026 là gì?"
OTHER = """HỘI ĐỒNG NHÂN DÂN TỈNH THỬ NGHIỆM
Số: 12/NQ-HĐND
Thử Nghiệm, ngày 05 tháng 12 năm 2025
VỀ CHƯƠNG TRÌNH GIÁM SÁT NĂM 2026
Điều 1. Chỉ số chuyển đổi số (DTI) của tỉnh Thử Nghiệm năm 2026 phấn đấu xếp thứ 40.
Điều 2. Thường trực Hội đồng nhân dân tỉnh tổ chức thực hiện Nghị quyết này./.
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contracts")
    settings = Settings(store=folder / "store", cache_dir=folder / "cache", embed_model=minilm_path())
    other = folder / "12-NQ.txt"
    other.write_text(OTHER, encoding="utf-8")
    store = Store(settings.store, load_embedder(settings))
    report = index_files(store, [settings.data_dir, other], settings, progress=False)
    assert not report.failures
    return store


def _reranker(base):
    # No cross-encoder is provisioned offline: a MiniLM with a fresh head checks the plumbing.
    import torch

    torch.manual_seed(0)
    return RerankingRetriever(base, minilm_path(), candidates=20)


RETRIEVERS = {
    "lexical": lambda s: LexicalRetriever(s),
    "dense": lambda s: DenseRetriever(s),
    "hybrid": lambda s: HybridRetriever(LexicalRetriever(s), DenseRetriever(s)),
    "hybrid-rrf": lambda s: HybridRetriever(LexicalRetriever(s), DenseRetriever(s), fusion="rrf"),
    "reranked": lambda s: _reranker(HybridRetriever(LexicalRetriever(s), DenseRetriever(s))),
}


@pytest.mark.parametrize("name", RETRIEVERS)
def test_retriever_contract(store, name):
    retriever = RETRIEVERS[name](store)
    hits = retriever.search(DTI, k=5)
    assert 0 < len(hits) <= 5
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    known = {c.id for c in store.chunks()}
    assert all(h.chunk.id in known for h in hits)
    only = retriever.search(DTI, k=5, filters=Filters(doc_ids=("12/NQ-HĐND",)))
    assert only and {h.chunk.doc_id for h in only} == {"12-nq-hdnd-thu-nghiem"}
    if name in ("lexical", "hybrid", "hybrid-rrf"):  # the models here are English: quality only for BM25
        assert any("(DTI)" in h.chunk.text for h in hits[:2])
    with pytest.raises(QueryError):
        retriever.search("   ", k=5)


def _answerers(store):
    retriever = HybridRetriever(LexicalRetriever(store), DenseRetriever(store))
    extractive = ExtractiveAnswerer(store, retriever, embedder=store.dense.embedder)
    chat = FakeListChatModel(responses=["Chỉ số chuyển đổi số (DTI) xếp thứ 32 trên cả nước [1]."] * 10)
    return {"extractive": extractive, "llm": LLMAnswerer(extractive, chat)}


@pytest.mark.parametrize("name", ["extractive", "llm"])
def test_answerer_contract(store, name):
    answerer = _answerers(store)[name]
    answer = answerer.answer(DTI, [], Filters(doc_ids=("70/NQ-HĐND",)))
    assert not answer.abstained and "32" in answer.text and answer.citations
    for c in answer.citations:
        text, _ = store.document_text(c.doc_id)
        assert text[c.start:c.end] == c.quote  # verbatim, at its span
        assert c.number == "70/NQ-HĐND" and c.section and c.title
        assert f"[{c.n}]" in answer.text or name == "llm"
    refusal = answerer.answer("Giá vàng SJC hôm nay?", [])
    assert refusal.abstained and refusal.text.startswith("Các văn bản hiện có không nêu")
    follow = answerer.answer("Còn PAR Index thì sao?", [{"role": "user", "content": DTI},
                                                         {"role": "assistant", "content": answer.text}])
    assert isinstance(follow.text, str) and follow.hits


def test_embedder_contract(store):
    embedder = store.dense.embedder
    docs = embedder.embed_documents(["Chỉ số chuyển đổi số", "Thu ngân sách"], ["(11)", None])
    query = embedder.embed_query("DTI")
    assert docs.shape == (2, embedder.dim) and query.shape == (embedder.dim,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-3) and abs(np.linalg.norm(query) - 1) < 1e-3
