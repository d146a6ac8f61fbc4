"""The OpenVINO embedding backend (VNQA_EMBED_BACKEND=openvino): an own ONNX export of the
sentence-transformers model, converted to OpenVINO IR once and run with bf16 inference where the
CPU has it (≈1.8× torch bf16 at cosine >= 0.9995, scripts/bench_embed.py). sentence-transformers'
own onnx/openvino backends need optimum, which conflicts with transformers 5.

    python -m vectorstore.openvino MODEL TARGET_DIR    # the export alone (run in a child process)
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .embed import Embedder, _by_length, _prompts

log = logging.getLogger("vnqa")


def export_onnx(model_name: str, folder: Path) -> None:
    """The whole sentence-transformers model (transformer + pooling + dense + normalise) as one
    ONNX graph (TorchScript exporter), plus its tokenizer and embedder.json, into `folder`.
    The attention masks are built in the graph from plain tensor ops (transformers' own builder
    uses vmap, which does not trace), with Gemma3's bidirectional sliding window."""
    import warnings

    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model_name, device="cpu", local_files_only=True).eval()
    body = st[0].auto_model
    window = getattr(body.config, "sliding_window", None)
    if window is None or not getattr(body.config, "use_bidirectional_attention", False):
        raise RuntimeError(f"export supports Gemma3 bidirectional encoders only, not {type(body).__name__}")

    class Graph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.head = body, torch.nn.Sequential(*[st[i] for i in range(1, len(st))])

        def forward(self, input_ids, attention_mask):
            batch, seq = input_ids.shape
            full = attention_mask.bool()[:, None, None, :].expand(batch, 1, seq, seq)
            pos = torch.arange(seq)
            sliding = full & ((pos[:, None] - pos[None, :]).abs() < window)[None, None]
            sliding = sliding | ~sliding.any(-1, keepdim=True)  # padding rows: avoid NaN
            masks = {"full_attention": full, "sliding_attention": sliding}
            hidden = self.body(input_ids=input_ids, attention_mask=masks).last_hidden_state
            return self.head({"token_embeddings": hidden, "attention_mask": attention_mask})["sentence_embedding"]

    sample = st.preprocess(["title: none | text: " + "xin chào " * 200, "ngắn"])  # longer than window
    axes = {"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}, "sentence_embedding": {0: "b"}}
    folder.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about constant Python conditions
        torch.onnx.export(Graph().eval(), (sample["input_ids"][:, :300], sample["attention_mask"][:, :300]),
                          str(folder / "model.onnx"), dynamo=False, opset_version=17, dynamic_axes=axes,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"])
    st.tokenizer.save_pretrained(str(folder))
    query, template, dim = _prompts(st)
    meta = {"model": model_name, "dim": dim, "max_seq_length": st.max_seq_length, "query_prompt": query,
            "doc_template": template, "torch": torch.__version__}
    (folder / "embedder.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def export_openvino(model_name: str, target: Path) -> None:
    """export_onnx, then OpenVINO IR with fp16 weights (600 MB), renamed into `target` atomically."""
    import openvino as ov

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        out = Path(tmp) / "ir"
        export_onnx(model_name, out)
        ov.save_model(ov.Core().read_model(str(out / "model.onnx")), str(out / "model.xml"), compress_to_fp16=True)
        (out / "model.onnx").unlink()
        try:
            os.replace(out, target)
        except OSError:
            if not (target / "embedder.json").exists():  # else another process won the race
                raise


class OpenVINOEmbedder(Embedder):
    """The vectors of SentenceTransformerEmbedder (cosine >= 0.999) from an own export, run by
    OpenVINO with bf16 inference where the CPU has it. The export happens once, in a child
    process (its 4 GB peak is not kept by this one), under cache_dir/openvino/<model>."""

    def __init__(self, model_name: str, cache_dir: Path, *, batch_size: int = 4, precision: str = "bf16",
                 show_progress: bool = False, threads: int | None = None):
        import openvino as ov
        from transformers import AutoTokenizer

        self.name, self.batch_size, self.show_progress = str(model_name), max(1, int(batch_size)), show_progress
        folder = Path(cache_dir) / "openvino" / (re.sub(r"[^A-Za-z0-9._-]+", "-", self.name).strip("-") or "m")
        if not (folder / "embedder.json").exists():
            log.warning("exporting %s to OpenVINO once, into %s (about a minute) ...", self.name, folder)
            root = str(Path(__file__).resolve().parent.parent)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
            done = subprocess.run([sys.executable, "-m", "vectorstore.openvino", self.name, str(folder)],
                                  env=env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError("export failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
        meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
        self.dim, self.max_len = int(meta["dim"]), int(meta["max_seq_length"])
        self.query_prompt, self.doc_template = meta["query_prompt"], meta["doc_template"]
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        core = ov.Core()
        bf16 = precision.startswith("bf") and "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        config = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32", "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        self.request = core.compile_model(str(folder / "model.xml"), "CPU", config).create_infer_request()
        self._lock = threading.Lock()  # one infer request: not re-entrant

    def encode(self, inputs: Sequence[str]) -> np.ndarray:
        def run(batch: list[str]) -> np.ndarray:
            tok = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
            with self._lock:
                out = self.request.infer({"input_ids": tok["input_ids"].astype(np.int64),
                                          "attention_mask": tok["attention_mask"].astype(np.int64)})
                return np.array(out[0], dtype=np.float32)

        return _by_length(inputs, self.batch_size, run, self.dim, self.show_progress)


if __name__ == "__main__":
    export_openvino(sys.argv[1], Path(sys.argv[2]))
