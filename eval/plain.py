"""The plain baseline, in the same run as every system: what a team would build first.

The loader's text of each file, LangChain's RecursiveCharacterTextSplitter(1000, 200), BM25
(bm25s over lowercase words, no Vietnamese knowledge), and as the answer the sentence of the top
chunk that shares the most words with the question. It never refuses.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.types import Answer, Citation
from ingest.types import Chunk
from vectorstore.types import Hit

from .naive import best_sentence

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 10
_WORD = re.compile(r"\w+")
_TAG = re.compile("\ue001[^\ue002]*\ue002")  # the loaders' table-line tags


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass
class PlainBM25:
    chunks: list[Chunk]
    index: object
    config: dict

    @classmethod
    def build(cls, paths: list[Path]) -> "PlainBM25":
        import bm25s
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from ingest.load import load
        from ingest.pipeline import find_files

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        chunks: list[Chunk] = []
        for path in find_files(paths):
            try:
                raw = load(path, max_bytes=50 * 1024 * 1024)
            except Exception:  # noqa: BLE001 - the baseline reads what it can, like the system
                continue
            text = _TAG.sub("", raw.text).replace("\f", "\n")
            for doc in splitter.create_documents([text]):
                start = int(doc.metadata.get("start_index", 0))
                chunks.append(Chunk(id=f"plain-{len(chunks)}", doc_id=path.name, number="", section_path=(),
                                    order=len(chunks), start=start, end=start + len(doc.page_content),
                                    text=doc.page_content))
        index = bm25s.BM25()
        index.index([words(c.text) or [""] for c in chunks], show_progress=False)
        return cls(chunks, index, {"chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP,
                                   "chunks": len(chunks), "retrieval": "bm25s over lowercase words"})

    def ask(self, question: str, history: list[dict] | None = None, filters=None) -> tuple[Answer, float]:
        started = time.perf_counter()
        answer = self.answer(question)
        return answer, (time.perf_counter() - started) * 1000

    def answer(self, question: str) -> Answer:
        tokens = words(question)
        if not tokens or not self.chunks:
            return Answer(text="", mode="plain")
        scores = self.index.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[:TOP_K]
        hits = tuple(Hit(self.chunks[i], float(scores[i]), "lexical") for i in top if scores[i] > 0)
        if not hits:
            return Answer(text="", hits=hits, mode="plain")
        best = hits[0].chunk
        cite = Citation(n=1, doc_id=best.doc_id, number="", title="", section="", quote=best.text,
                        start=best.start, end=best.end, chunk_id=best.id)
        return Answer(text=best_sentence(question, best.text), citations=(cite,), hits=hits, mode="plain")
