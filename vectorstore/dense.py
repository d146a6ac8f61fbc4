"""Dense vectors in Chroma, through langchain-chroma.

One collection per embedding model (so switching models never mixes vector spaces); cosine
distance; Chroma's own default embedding function is never used (it would download a model).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ingest.types import Chunk

if TYPE_CHECKING:
    from .embed import Embedder


def _lc_embeddings(embedder: "Embedder"):
    """A langchain `Embeddings` view of our Embedder; titles for documents are looked up by text."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(Embeddings):
        def __init__(self):
            self.titles: dict[str, str] = {}

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            titles = [self.titles.get(t, "none") for t in texts]
            return embedder.embed_documents(texts, titles).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text).tolist()

    return _Adapter()


class DenseIndex:
    def __init__(self, folder: Path, embedder: "Embedder"):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        self.embedder = embedder
        self._lc = _lc_embeddings(embedder)
        client = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))
        self._vs = Chroma(
            collection_name=collection_name(embedder.name), client=client,
            embedding_function=self._lc, collection_metadata={"hnsw:space": "cosine"})

    def ids(self) -> set[str]:
        return set(self._vs.get(include=[])["ids"])

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Embed (cached by content) and upsert; ids are the chunks' deterministic ids."""
        if not chunks:
            return
        self._lc.titles = {c.text: c.title for c in chunks}
        try:
            self._vs.add_texts(
                [c.text for c in chunks],
                metadatas=[{"doc_id": c.doc_id, "section": c.section} for c in chunks],
                ids=[c.id for c in chunks])
        finally:
            self._lc.titles = {}

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._vs.delete(ids=list(ids))

    def search(self, query: str, k: int, doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, cosine similarity)."""
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            where = {"doc_id": {"$in": sorted(doc_ids)}}
        vector = self._lc.embed_query(query)
        results = self._vs.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(doc.id, 1.0 - float(distance)) for doc, distance in results]


def collection_name(model: str) -> str:
    """A valid Chroma collection name per model: 'chunks-google-embeddinggemma-300m'."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(model).name if "/" not in model or Path(model).exists()
                  else model).strip("-").lower()
    return f"chunks-{slug}"[:60].rstrip("-")
