"""Dense embeddings: one narrow interface, a torch backend (OpenVINO: openvino.py), a SQLite cache.

`load_embedder(settings)` is the only entry point the rest of the project needs. It never raises
for a missing model: it logs a loud warning and returns None (the caller goes lexical-only).
Vectors are float32 and L2-normalised. Every backend and dtype stays at cosine >= 0.999 to the
float32 torch vectors (scripts/bench_embed.py), so `name` is the model name only and cached
vectors are shared by all of them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger("vnqa")
TITLE_TEMPLATE = "title: {title} | text: {text}"  # embeddinggemma's document format
QUERY_MEMO = 64  # query vectors kept in memory per embedder


class Embedder(ABC):
    name: str  # stable model identity recorded in the store (the model name, not dtype/backend)
    dim: int
    query_prompt: str = ""
    doc_template: str = "{text}"  # plain text for models without prompts (e.g. MiniLM)

    def document_input(self, text: str, title: str | None = None) -> str:
        """The exact string encoded for a document (also the cache key)."""
        return self.doc_template.format(title=title or "none", text=text)

    def query_input(self, text: str) -> str:
        return self.query_prompt + text

    def embed_documents(self, texts: Sequence[str], titles: Sequence[str] | None = None) -> np.ndarray:
        """float32 (n, dim), L2-normalised, in input order."""
        return self.encode([self.document_input(t, h) for t, h in _pairs(texts, titles)])

    def embed_query(self, text: str) -> np.ndarray:
        """float32 (dim,), L2-normalised, read-only. The last QUERY_MEMO queries are kept in
        memory: one answer asks for its question's vector twice (retrieval, then the ranker's
        unit cosines), and it is computed once."""
        memo = self.__dict__.setdefault("_query_memo", {})
        vec = memo.get(text)
        if vec is None:
            vec = self.encode([self.query_input(text)])[0]
            vec.setflags(write=False)
            if len(memo) >= QUERY_MEMO:
                memo.pop(next(iter(memo)), None)  # the oldest
            memo[text] = vec
        return vec

    @abstractmethod
    def encode(self, inputs: Sequence[str]) -> np.ndarray:
        """Already formatted inputs -> float32 (n, dim), L2-normalised, in input order."""


def _pairs(texts: Sequence[str], titles: Sequence[str | None] | None) -> list[tuple[str, str | None]]:
    titles = list(titles) if titles is not None else [None] * len(texts)
    if len(titles) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(titles)} titles")
    return list(zip(texts, titles))


def _by_length(inputs: Sequence[str], batch_size: int, run: Callable[[list[str]], np.ndarray],
               dim: int, show_progress: bool = False) -> np.ndarray:
    """Encode in batches of similar length (least padding); rows come back in input order."""
    from tqdm.auto import tqdm

    order = sorted(range(len(inputs)), key=lambda i: -len(inputs[i]))
    out = np.zeros((len(inputs), dim), dtype=np.float32)
    with tqdm(total=len(inputs), desc="embedding", unit="text",
              disable=not show_progress or len(inputs) <= batch_size) as bar:
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            v = np.asarray(run([inputs[i] for i in idx]), dtype=np.float32)
            out[idx] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
            bar.update(len(idx))
    return out


def _prompts(st) -> tuple[str, str, int]:
    """(query prompt, document template, dim) of a loaded SentenceTransformer."""
    prompts = st.prompts or {}
    query, doc = prompts.get("query", ""), prompts.get("document", "")
    dim = int((getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension)())
    if not (query and doc):
        return "", "{text}", dim
    if doc.startswith("title:"):
        return query, TITLE_TEMPLATE, dim
    return query, doc.replace("{", "{{").replace("}", "}}") + "{text}", dim


def bf16_supported() -> bool:
    """Native bf16 matmuls (AVX512-BF16 or AMX); without them bf16 on CPU is slower than fp32."""
    try:
        return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", Path("/proc/cpuinfo").read_text()))
    except OSError:
        return False


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model_name_or_path: str | Path, *, batch_size: int = 4,
                 dtype: str = "bfloat16", show_progress: bool = False, threads: int | None = None):
        import torch
        from sentence_transformers import SentenceTransformer

        if dtype not in ("float32", "fp32", "bfloat16", "bf16"):
            raise ValueError(f"embed_dtype must be 'float32' or 'bfloat16', got {dtype!r}")
        if threads:
            torch.set_num_threads(int(threads))
        self.name, self.batch_size, self.show_progress = str(model_name_or_path), max(1, int(batch_size)), show_progress
        bf16 = dtype.startswith("bf") and bf16_supported()
        kwargs = {"model_kwargs": {"dtype": torch.bfloat16}} if bf16 else {}  # no fp32 copy first
        self.model = SentenceTransformer(self.name, device="cpu", local_files_only=True, **kwargs)
        self.model.to(torch.bfloat16 if bf16 else torch.float32).eval()
        self.query_prompt, self.doc_template, self.dim = _prompts(self.model)

    def encode(self, inputs: Sequence[str]) -> np.ndarray:
        import torch

        def run(batch: list[str]) -> np.ndarray:
            with torch.inference_mode():
                return self.model.encode(batch, batch_size=len(batch), convert_to_tensor=True,
                                         show_progress_bar=False).float().numpy()

        return _by_length(inputs, self.batch_size, run, self.dim, self.show_progress)


# -- cache -----------------------------------------------------------------------------------
class CachedEmbedder(Embedder):
    """Vectors by (model, kind 'doc'|'query', sha256 of the exact encoded input) in one SQLite
    file (WAL). Several processes may share it; a cache that cannot be used only costs speed."""

    def __init__(self, inner: Embedder, cache_path: Path):
        self.inner, self.name, self.dim, self.path = inner, inner.name, inner.dim, Path(cache_path)
        self.hits = self.misses = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        for attempt in range(20):  # another process may be creating the same file right now
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, kind TEXT NOT NULL, "
                           "key TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, kind, key)) WITHOUT ROWID")
                db.commit()
                self._db = db
                break
            except sqlite3.OperationalError as e:
                if "locked" in str(e) and attempt < 19:
                    time.sleep(0.1)
                    continue
                log.warning("embedding cache %s unusable (%s): embedding without cache", self.path, e)
                break
            except (sqlite3.Error, OSError) as e:
                log.warning("embedding cache %s unusable (%s): embedding without cache", self.path, e)
                break

    def document_input(self, text: str, title: str | None = None) -> str:
        return self.inner.document_input(text, title)

    def query_input(self, text: str) -> str:
        return self.inner.query_input(text)

    def encode(self, inputs: Sequence[str]) -> np.ndarray:
        return self.inner.encode(inputs)  # not cached: a formatted input has no kind

    def embed_documents(self, texts: Sequence[str], titles: Sequence[str] | None = None) -> np.ndarray:
        pairs = _pairs(texts, titles)
        keys = [_sha(self.document_input(t, h)) for t, h in pairs]
        found = self._get("doc", keys)
        todo: dict[str, int] = {}  # each missing input once, in one batch
        for i, k in enumerate(keys):
            if k not in found:
                todo.setdefault(k, i)
        if todo:
            computed = self.inner.embed_documents(*zip(*[pairs[i] for i in todo.values()]))
            fresh = dict(zip(todo, computed))
            self._put("doc", fresh)
            found.update(fresh)
        self.misses += len(todo)
        self.hits += len(keys) - len(todo)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        key = _sha(self.query_input(text))
        vec = self._get("query", [key]).get(key)
        if vec is None:
            self.misses += 1
            vec = np.asarray(self.inner.embed_query(text), dtype=np.float32)
            self._put("query", {key: vec})
        else:
            self.hits += 1
        return vec

    def _get(self, kind: str, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        try:
            with self._lock:
                for s in range(0, len(unique) if self._db else 0, 500):
                    part = unique[s:s + 500]
                    rows = self._db.execute(f"SELECT key, vec FROM embeddings WHERE model=? AND kind=? AND key IN"
                                            f" ({','.join('?' * len(part))})", [self.name, kind, *part])
                    found.update((k, np.frombuffer(b, dtype=np.float32).copy())
                                 for k, b in rows if len(b) == 4 * self.dim)
        except sqlite3.Error as e:
            log.warning("embedding cache read failed (%s): recomputing", e)
        return found

    def _put(self, kind: str, vectors: dict[str, np.ndarray]) -> None:
        rows = [(self.name, kind, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()]
        try:
            if self._db is not None:
                with self._lock, self._db:
                    self._db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as e:
            log.warning("embedding cache write failed (%s): vectors not cached", e)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- loading ---------------------------------------------------------------------------------
def load_embedder(settings, show_progress: bool = False) -> Embedder | None:
    """The configured embedder wrapped in the cache, or None (lexical-only) with a loud warning.
    Reads settings.embed_model/_batch_size/_dtype/cache_dir and, if present, embed_backend
    ("torch" | "openvino") and embed_threads (0 = library default)."""
    if not settings.dense_enabled:
        return None
    name, batch = settings.embed_model, settings.embed_batch_size
    backend = str(getattr(settings, "embed_backend", "torch") or "torch").lower()
    threads = getattr(settings, "embed_threads", None) or None
    inner: Embedder | None = None
    if backend == "openvino":
        try:
            from .openvino import OpenVINOEmbedder

            inner = OpenVINOEmbedder(name, settings.cache_dir, batch_size=batch, show_progress=show_progress,
                                     precision=settings.embed_dtype, threads=threads)
        except Exception as e:  # noqa: BLE001 - any failure here means: use torch instead
            log.warning("OpenVINO backend for %s unavailable (%s); using torch", name, _short(e))
    elif backend != "torch":
        log.warning("unknown embed_backend %r; using torch", backend)
    if inner is None:
        try:
            inner = SentenceTransformerEmbedder(name, batch_size=batch, dtype=settings.embed_dtype,
                                                show_progress=show_progress, threads=threads)
        except Exception as e:  # noqa: BLE001 - a missing model must never stop the app
            log.warning("embedding model %s could not be loaded (%s); continuing LEXICAL-ONLY", name, _short(e))
            return None
    return CachedEmbedder(inner, Path(settings.cache_dir) / "embeddings.sqlite")


def _short(error: Exception, limit: int = 300) -> str:
    text = f"{type(error).__name__}: " + " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + " ..."
