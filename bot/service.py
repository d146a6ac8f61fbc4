"""Build the bot the settings describe: store (+ default index), retriever, answerer.

The CLI, the app and the eval runner all start here; nothing below reads the environment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ingest.service import open_store
from ingest.settings import Settings
from vectorstore.store import Store
from vectorstore.types import Filters

from .answer import Answerer, ExtractiveAnswerer
from .rank import REFUSAL_POLICIES
from .retrieve import Retriever, build_retriever
from .types import Answer

log = logging.getLogger("vnqa")


@dataclass
class Bot:
    settings: Settings
    store: Store
    retriever: Retriever
    answerer: Answerer

    def ask(self, question: str, history: list[dict] | None = None,
            filters: Filters | None = None) -> tuple[Answer, float]:
        """Answer and latency in milliseconds."""
        started = time.perf_counter()
        answer = self.answerer.answer(question, history, filters)
        return answer, (time.perf_counter() - started) * 1000


def build_bot(settings: Settings, store: Store | None = None, progress: bool = True) -> Bot:
    if settings.refusal not in REFUSAL_POLICIES:  # before any store or model is opened
        raise ValueError(f"VNQA_REFUSAL={settings.refusal!r}: one of {', '.join(REFUSAL_POLICIES)}")
    store = store or open_store(settings, progress=progress)
    retriever = build_retriever(store, settings.rerank_model, settings.rerank_weight)
    embedder = store.dense.embedder if store.dense is not None and settings.answer_dense else None
    extractive = ExtractiveAnswerer(store, retriever, settings.top_k, embedder, refusal=settings.refusal)
    answerer: Answerer = extractive
    if settings.answer_mode == "llm":
        if settings.llm_base_url:
            from .llm import LLMAnswerer, chat_model

            answerer = LLMAnswerer(extractive, chat_model(settings), verify=settings.llm_verify,
                                   k_sources=settings.llm_k_sources)
        else:
            log.warning("VNQA_ANSWER_MODE=llm but VNQA_LLM_BASE_URL is empty: extractive answers")
    return Bot(settings, store, retriever, answerer)


def answer_record(question: str, answer: Answer, ms: float, store: Store | None = None) -> dict:
    """The JSON of `python -m bot ask --json` and of the app's /ask endpoint; with the store, each
    citation also says who put its document in the store and when ("uploaded_by", "uploaded_at":
    a source is only as trusted as whoever uploaded it)."""
    record = {"question": question, **answer.to_json(), "latency_ms": round(ms, 1)}
    if store is not None:
        for c in record["citations"]:
            c["uploaded_by"], c["uploaded_at"] = store.provenance(c["doc_id"])
    return record
