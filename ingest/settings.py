"""The one settings object, read once from `VNQA_*` environment variables at the edge.

Nothing below the CLI/app entry points reads the environment: they receive a `Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "VNQA_"


@dataclass(frozen=True)
class Settings:
    # Where the index lives (Chroma + BM25 + SQLite, one folder).
    store: Path = PROJECT_ROOT / "store"
    # The default corpus indexed on first use when the store is empty.
    data_dir: Path = PROJECT_ROOT / "data"
    # Shared on-disk caches (embeddings by content hash) that survive store rebuilds.
    cache_dir: Path = Path.home() / ".cache" / "vnqa"
    # Dense embeddings: a sentence-transformers name or path; "none" means lexical-only.
    embed_model: str = "google/embeddinggemma-300m"
    embed_batch_size: int = 4
    embed_dtype: str = "bfloat16"  # "float32" or "bfloat16" (bf16 only where the CPU has it)
    # "torch", or "openvino" (own ONNX export, ~1.8x faster on CPU, one-time export of ~1 min;
    # needs the `openvino` extra): see scripts/bench_embed.py.
    embed_backend: str = "torch"
    embed_threads: int = 0  # 0 = library default; 1 helps torch on an oversubscribed machine
    # Optional cross-encoder reranker ("" = off; train one with `python -m eval train-reranker`)
    # and its share of the final score (1 = the cross-encoder alone; 0.5, equal shares, was fixed
    # before measuring — docs/eval/README.md "Đánh giá" has the measured curve).
    rerank_model: str = ""
    rerank_weight: float = 0.5
    # Officials' accounts for the admin app at /admin (bot/accounts.py): a file of name:hash lines
    # and/or "name:hash;..." in VNQA_ADMINS. None configured: no admin app, the CLI manages the store.
    admin_file: Path = PROJECT_ROOT / "admins.txt"
    admins: str = ""
    # Ingest limits.
    max_file_mb: float = 20.0
    # OCR of scans (Tesseract, `ingest/ocr.py`): off refuses scans with a clear error instead.
    ocr: bool = True
    ocr_lang: str = "vie"
    ocr_max_pages: int = 200  # a longer scan is refused (about 0.7 s per page on 2 cores)
    ocr_clean: bool = True  # straighten and despeckle each page before Tesseract (ingest/scanclean.py)
    chunk_chars: int = 900  # split longer paragraphs at sentence boundaries
    # underthesea word segmentation of every chunk (the BM25 "words" field). Off: measured not to
    # help (ALQAC nDCG@10 0.919 with it, 0.918 without) and it is most of the ingest time.
    segment_words: bool = False
    # Retrieval.
    top_k: int = 10
    # Answering: "extractive" (default) or "llm" (needs llm_base_url).
    answer_mode: str = "extractive"
    # The ranker's dense feature (question vs each candidate sentence, bot/rank.py). Off: measured
    # +0.007 cross-validated accuracy for about 1 s of embedding per question on 2 cores.
    answer_dense: bool = False
    # The refusal threshold the ranker follows (bot/data/ranker.json, chosen on the dev folds):
    # "accuracy" (default: the most questions handled right) or "fr05" (false refusals at most
    # 0.05: answers more, refuses fewer unanswerable questions; see docs/eval/ranker/report.md).
    refusal: str = "accuracy"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 300.0  # a 1.5B model on 2 CPU cores needs ~1 min per answer
    llm_k_sources: int = 5  # numbered sources given to the model
    llm_verify: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from `VNQA_<FIELD>` variables, then apply explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.type, raw)
        settings = cls(**values)
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **overrides) if overrides else settings

    @property
    def dense_enabled(self) -> bool:
        return self.embed_model.lower() not in ("", "none", "off")

    @property
    def llm_enabled(self) -> bool:
        return self.answer_mode == "llm" and bool(self.llm_base_url)


def _parse(type_name, raw: str):
    type_name = getattr(type_name, "__name__", type_name)
    if type_name == "Path":
        return Path(raw).expanduser()
    if type_name == "int":
        return int(raw)
    if type_name == "float":
        return float(raw)
    if type_name == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


def configure_runtime(verbose: bool = False) -> None:
    """Process-wide setup done once by each entry point: offline model loading, no telemetry,
    logging to stderr."""
    import logging

    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("GRADIO_ANALYTICS_ENABLED", "False"), ("ANONYMIZED_TELEMETRY", "False"),
                       ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers", "urllib3", "pypdf", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
