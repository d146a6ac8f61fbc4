"""The naive LangChain RAG baseline: what a user would build in an afternoon.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the raw file text,
Chroma (its own folder; the project's embedder wrapped as LangChain Embeddings, never Chroma's
default embedding function), similarity top-4. The answer is the sentence of the top chunk that
shares the most words with the question; it never abstains and cites the whole top chunk.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.types import Answer, Citation
from ingest import text as vn
from ingest.types import Chunk
from vectorstore.types import Hit

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4


def lc_embeddings(embedder):
    """LangChain `Embeddings` over the project's Embedder (documents get no title)."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(list(texts), ["none"] * len(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text).tolist()

    return _Adapter()


@dataclass
class NaiveRAG:
    vectorstore: Any  # langchain_chroma.Chroma
    config: dict

    @classmethod
    def build(cls, paths: list[Path], embedder, folder: Path) -> "NaiveRAG":
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from ingest.load import load
        from ingest.pipeline import find_files

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        docs = []
        for path in find_files(paths):
            raw = load(path, max_bytes=50 * 1024 * 1024)
            docs.extend(splitter.create_documents([raw.text], metadatas=[{"source": path.name}]))
        client = chromadb.PersistentClient(path=str(folder),
                                           settings=ChromaSettings(anonymized_telemetry=False))
        vs = Chroma(collection_name="naive", client=client, embedding_function=lc_embeddings(embedder))
        ids = [hashlib.sha1(f"{d.metadata['source']}|{d.metadata['start_index']}|{d.page_content}"
                            .encode("utf-8")).hexdigest()[:20] for d in docs]
        have = set(vs.get(include=[])["ids"])
        new = [(i, d) for i, d in zip(ids, docs) if i not in have]
        if new:
            vs.add_documents([d for _, d in new], ids=[i for i, _ in new])
        config = {"chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP, "top_k": TOP_K,
                  "chunks": len(docs), "embedder": getattr(embedder, "name", str(embedder))}
        return cls(vs, config)

    def ask(self, question: str, history: list[dict] | None = None, filters=None) -> tuple[Answer, float]:
        started = time.perf_counter()
        answer = self.answer(question, history, filters)
        return answer, (time.perf_counter() - started) * 1000

    def answer(self, question: str, history: list[dict] | None = None, filters=None) -> Answer:
        """The history is ignored, as a naive pipeline would."""
        found = self.vectorstore.similarity_search(question, k=TOP_K)
        hits = tuple(Hit(_as_chunk(d, i), 1.0 / (i + 1), "dense") for i, d in enumerate(found))
        if not hits:
            return Answer(text="", hits=hits, mode="naive")
        top = hits[0].chunk
        sentence = best_sentence(question, top.text)
        cite = Citation(n=1, doc_id=top.doc_id, number="", title="", section="", quote=top.text,
                        start=top.start, end=top.end, chunk_id=top.id)
        return Answer(text=sentence, citations=(cite,), hits=hits, mode="naive")


def best_sentence(question: str, text: str) -> str:
    """The sentence sharing the most (lowercase) syllables with the question; first on ties."""
    q = set(vn.syllables(question))
    best, best_overlap = text.strip(), -1
    for a, b in vn.sentence_spans(text) or [(0, len(text))]:
        sentence = text[a:b].strip()
        overlap = len(q.intersection(vn.syllables(sentence)))
        if sentence and overlap > best_overlap:
            best, best_overlap = sentence, overlap
    return best


def _as_chunk(doc, order: int) -> Chunk:
    start = int(doc.metadata.get("start_index", 0))
    return Chunk(id=doc.id or f"naive-{order}", doc_id=doc.metadata.get("source", ""), number="",
                 section_path=(), order=order, start=start, end=start + len(doc.page_content),
                 text=doc.page_content)
