"""vectorstore/embed.py: real models only (MiniLM from PyPI for speed, embeddinggemma when slow)."""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.settings import PROJECT_ROOT, Settings
from vectorstore.embed import CachedEmbedder, Embedder, SentenceTransformerEmbedder, load_embedder

from .conftest import minilm_path

BUNDLED = PROJECT_ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
GEMMA = "google/embeddinggemma-300m"
DTI_LINE = ("(11) Chỉ số cải cách hành chính (PAR Index) xếp thứ 29, chỉ số chuyển đổi số (DTI) "
            "xếp thứ 32 trên cả nước.")
TEXTS = ["short", "a medium length sentence about the city budget",
         "x " * 150 + "a very long paragraph that ends the batch", "tiny", "the budget of the city",
         "another sentence of a middling size, about roads"]


def bundled_lines() -> list[str]:
    lines = (s.strip() for s in BUNDLED.read_text(encoding="utf-8").splitlines())
    return list(dict.fromkeys(s for s in lines if len(s) > 40))


def require_gemma() -> None:
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(GEMMA, "model.safetensors"), str):
        pytest.skip(f"{GEMMA} is not in the Hugging Face cache "
                    "(run bash scripts/provision-embeddinggemma.sh)")


def openvino_export_cache() -> Path:
    """A persistent cache for the OpenVINO export of embeddinggemma (about a minute of work and
    600 MB): ~/.cache/vnqa/test-openvino/<key>, the key naming the model snapshot, the torch and
    openvino versions and the export code (vectorstore/openvino.py), so any change of them
    exports anew (and older exports are removed)."""
    import hashlib
    import os
    import shutil

    import openvino
    import torch
    from huggingface_hub import try_to_load_from_cache

    weights = Path(try_to_load_from_cache(GEMMA, "model.safetensors"))
    code = (PROJECT_ROOT / "vectorstore" / "openvino.py").read_bytes()
    key = hashlib.sha256("|".join([str(weights.parent), str(weights.stat().st_size), torch.__version__,
                                   openvino.__version__]).encode() + code).hexdigest()[:16]
    root = Path(os.environ.get("VNQA_TEST_CACHE", Path.home() / ".cache" / "vnqa")) / "test-openvino"
    if root.is_dir():
        for old in root.iterdir():
            if old.name != key:
                shutil.rmtree(old, ignore_errors=True)
    return root / key


class Counting(Embedder):
    """Wraps an embedder and records the size of every batch it is asked for."""

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.dim, self.calls = inner, inner.name, inner.dim, []
        self.query_prompt, self.doc_template = inner.query_prompt, inner.doc_template

    def encode(self, inputs):
        self.calls.append(len(inputs))
        return self.inner.encode(inputs)


class Hashing(Embedder):
    """A model-free embedder for the two-process cache test."""

    name, dim = "hashing", 8

    def encode(self, inputs):
        rows = [np.random.default_rng(abs(hash(s)) % 2**32).normal(size=self.dim) for s in inputs]
        return np.asarray(rows, dtype=np.float32) / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(minilm_path(), batch_size=2, dtype="float32")


def test_import_does_not_load_torch():
    code = "import sys, vectorstore.embed; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_vectors_are_normalised_float32(minilm):
    docs = minilm.embed_documents(TEXTS)
    query = minilm.embed_query("city budget")
    assert docs.shape == (len(TEXTS), 384) and docs.dtype == np.float32
    assert query.shape == (384,) and query.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-5)
    assert np.isclose(np.linalg.norm(query), 1, atol=1e-5)
    assert minilm.embed_documents([]).shape == (0, 384)
    assert int(np.argmax(docs @ query)) in (1, 4)  # a budget sentence, not "short"/"tiny"


def test_order_restored_after_length_sorting(minilm):
    together = minilm.embed_documents(TEXTS)  # batches of 2 in length order
    for i, text in enumerate(TEXTS):
        alone = minilm.embed_documents([text])[0]
        assert float(alone @ together[i]) > 0.9999, f"row {i} is not the vector of {text!r}"


def test_plain_text_for_models_without_prompts(minilm):
    assert minilm.document_input("abc", "Điều 1") == "abc"
    assert minilm.query_input("abc") == "abc"


def test_cache_counts_hits_and_computes_misses_in_one_batch(minilm, tmp_path):
    inner = Counting(minilm)
    cached = CachedEmbedder(inner, tmp_path / "cache" / "embeddings.sqlite")
    first = cached.embed_documents(TEXTS[:3])
    assert (cached.hits, cached.misses, inner.calls) == (0, 3, [3])
    again = cached.embed_documents(TEXTS[:3] + TEXTS[3:4] + TEXTS[:1])  # 3 cached, 1 new, 1 repeat
    assert (cached.hits, cached.misses, inner.calls) == (4, 4, [3, 1])
    assert np.array_equal(again[:3], first) and np.array_equal(again[4], first[0])
    assert np.array_equal(again[3], minilm.embed_documents(TEXTS[3:4])[0])
    assert again.dtype == np.float32 and np.allclose(np.linalg.norm(again, axis=1), 1, atol=1e-5)


def test_cache_keys_on_the_encoded_input_and_kind(minilm, tmp_path):
    gemma_like = Counting(minilm)
    gemma_like.doc_template, gemma_like.query_prompt = "title: {title} | text: {text}", "q: "
    cached = CachedEmbedder(gemma_like, tmp_path / "e.sqlite")
    cached.embed_documents(["same text"], ["Điều 1"])
    cached.embed_documents(["same text"], ["Điều 2"])  # another title: another input
    cached.embed_documents(["same text"], None)
    assert (cached.hits, cached.misses) == (0, 3)
    cached.embed_documents(["same text"], ["Điều 1"])
    assert (cached.hits, cached.misses) == (1, 3)
    q1 = cached.embed_query("same text")  # a query is never served a document vector
    q2 = cached.embed_query("same text")
    assert (cached.hits, cached.misses) == (2, 4) and np.array_equal(q1, q2)
    assert q1.shape == (384,) and q1.dtype == np.float32


def test_cache_survives_reopening_and_is_per_model(minilm, tmp_path):
    path = tmp_path / "e.sqlite"
    first = CachedEmbedder(minilm, path).embed_documents(TEXTS)
    reopened = CachedEmbedder(Counting(minilm), path)
    assert np.array_equal(reopened.embed_documents(TEXTS), first)
    assert (reopened.hits, reopened.misses, reopened.inner.calls) == (len(TEXTS), 0, [])
    other = Counting(minilm)
    other.name = "another-model"
    assert CachedEmbedder(other, path).embed_documents(TEXTS[:2]).shape == (2, 384)
    assert other.calls == [2]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _fill(path: str, start: int) -> None:
    cached = CachedEmbedder(Hashing(), Path(path))
    for i in range(start, start + 300, 10):
        cached.embed_documents([f"text {j}" for j in range(i, i + 10)])
        cached.embed_query(f"query {i}")


def test_two_processes_share_one_cache_file(tmp_path):
    path = str(tmp_path / "e.sqlite")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_fill, args=(path, start)) for start in (0, 150)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with sqlite3.connect(path) as db:
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM embeddings GROUP BY kind").fetchall())
    assert kinds == {"doc": 450, "query": 45}  # overlapping inserts are ignored, not errors


def test_unusable_cache_file_only_costs_speed(minilm, tmp_path, caplog):
    bad = tmp_path / "e.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="vnqa"):
        cached = CachedEmbedder(minilm, bad)
        vectors = cached.embed_documents(TEXTS[:2])
    assert vectors.shape == (2, 384) and "embedding cache" in caplog.text


def test_load_embedder_none_when_disabled(tmp_path):
    assert load_embedder(Settings(embed_model="none", cache_dir=tmp_path)) is None
    assert load_embedder(Settings(embed_model="", cache_dir=tmp_path)) is None


def test_load_embedder_missing_model_warns_and_returns_none(tmp_path, caplog):
    missing = str(tmp_path / "no-such-model")
    with caplog.at_level(logging.WARNING, logger="vnqa"):
        assert load_embedder(Settings(embed_model=missing, cache_dir=tmp_path)) is None
        assert load_embedder(Settings(embed_model="nobody/no-such-model-xyz", cache_dir=tmp_path)) is None
    warnings = [r for r in caplog.records if r.name == "vnqa" and r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert missing in warnings[0].getMessage() and "LEXICAL-ONLY" in warnings[0].getMessage()


def test_load_embedder_wraps_in_cache(tmp_path):
    settings = Settings(embed_model=minilm_path(), cache_dir=tmp_path / "cache", embed_batch_size=8)
    embedder = load_embedder(settings)
    assert isinstance(embedder, CachedEmbedder)
    assert embedder.name == minilm_path() and embedder.dim == 384
    embedder.embed_documents(["hello"])
    assert (tmp_path / "cache" / "embeddings.sqlite").exists()


def test_openvino_backend_falls_back_to_torch_with_a_warning(tmp_path, caplog):
    settings = Settings(embed_model=minilm_path(), cache_dir=tmp_path, embed_backend="openvino")
    with caplog.at_level(logging.WARNING, logger="vnqa"):
        embedder = load_embedder(settings)  # MiniLM is not a Gemma3 encoder: export refuses
    assert isinstance(embedder.inner, SentenceTransformerEmbedder)
    assert "OpenVINO backend" in caplog.text and "using torch" in caplog.text


@pytest.mark.slow
def test_gemma_ranks_the_dti_line_for_a_vietnamese_query():
    require_gemma()
    gemma = SentenceTransformerEmbedder(GEMMA)
    lines = bundled_lines()
    assert DTI_LINE in lines
    scores = gemma.embed_documents(lines, ["none"] * len(lines)) @ gemma.embed_query(
        "chỉ tiêu chuyển đổi số")
    ranked = [lines[i] for i in np.argsort(-scores)]
    above = ranked[:ranked.index(DTI_LINE)]
    # Only the heading "- Chỉ tiêu chuyển đổi số, cải cách hành chính" may come first.
    assert len(above) <= 1 and all("chuyển đổi số" in line for line in above), above
    assert gemma.document_input("abc", None) == "title: none | text: abc"
    assert gemma.query_input("abc") == "task: search result | query: abc"


@pytest.mark.slow
def test_openvino_matches_torch_float32():
    """The export is made once per model, library and code version (openvino_export_cache)."""
    require_gemma()
    pytest.importorskip("openvino")
    from vectorstore.openvino import OpenVINOEmbedder

    cache = openvino_export_cache()
    folder = cache / "openvino" / "google-embeddinggemma-300m"
    before = (folder / "model.xml").stat().st_mtime_ns if (folder / "model.xml").exists() else None
    lines = bundled_lines()[:40] + ["ngắn", "x" * 3000]
    torch32 = SentenceTransformerEmbedder(GEMMA, dtype="float32")
    ov = OpenVINOEmbedder(GEMMA, cache)
    assert (folder / "model.xml").exists() and ov.dim == 768
    assert json.loads((folder / "embedder.json").read_text(encoding="utf-8"))["model"] == GEMMA
    a, b = torch32.embed_documents(lines), ov.embed_documents(lines)
    assert float((a * b).sum(1).min()) >= 0.99
    query = "chỉ tiêu chuyển đổi số"
    assert float(torch32.embed_query(query) @ ov.embed_query(query)) >= 0.99
    stamp = (folder / "model.xml").stat().st_mtime_ns
    if before is None:  # this run exported: a second load reuses the export
        assert OpenVINOEmbedder(GEMMA, cache).dim == 768
    else:  # an earlier run's export was reused by the load above
        assert stamp == before
    assert (folder / "model.xml").stat().st_mtime_ns == stamp
