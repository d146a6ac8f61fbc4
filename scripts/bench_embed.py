"""Embedding speed, memory and quality on this machine: torch fp32/bf16, batch sizes, length
sorting, threads, ONNX Runtime and OpenVINO (own export, see vectorstore/openvino.py).

    python scripts/bench_embed.py            # everything, about 10 minutes on 2 quiet cores
    python scripts/bench_embed.py --quick    # 40 lines, 45 articles, 6 configurations
    python scripts/bench_embed.py --cache DIR   # reuse (or keep) the exports in DIR

Texts: the bundled document's distinct lines longer than 40 characters, and 300 ALQAC law
articles read from ../shared/benchmarks/alqac (the gold articles of the first queries, filled up
at random; never copied into the repository).

Speed is measured with all configurations loaded in one process and taking turns on each group
of 64 texts (the Store embeds 64 chunks per call), so background load on a shared machine hits
them alike: the ratios are fair even when the absolute chars/s are not (see `load`, `cpu`).
On a busy machine (load above the 2 cores) torch's 2-thread OpenMP collapses (up to 6x slower
than 1 thread) while OpenVINO degrades gracefully: compare the -t1 rows before trusting t2 ones.
Quality compares each configuration's vectors with torch float32 batch 4 (the reference):
minimum cosine over all documents and queries, same top-1, top-5 overlap, and R@5 on ALQAC.
Memory: each engine in its own process (load time, RSS after loading, peak while encoding).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_k, _v)

MODEL = "google/embeddinggemma-300m"
SLUG = "google-embeddinggemma-300m"
BUNDLED = ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
ALQAC = ROOT.parent / "shared" / "benchmarks" / "alqac"
DOC_QUERIES = ["chỉ tiêu chuyển đổi số", "tốc độ tăng trưởng GRDP năm 2026", "tỷ lệ hộ nghèo giảm",
               "thu ngân sách nhà nước trên địa bàn", "phát triển du lịch", "tỷ lệ che phủ rừng",
               "bảo hiểm y tế", "xây dựng nông thôn mới", "cải cách hành chính", "đường cao tốc"]
UNIT = 64
# config: engine, batch size, length-sorted, torch threads. The first one is the reference.
CONFIGS = {
    "torch-fp32-b4": ("torch-fp32", 4, True, 2),
    "torch-fp32-b32": ("torch-fp32", 32, True, 2),
    "torch-fp32-b4-t1": ("torch-fp32", 4, True, 1),
    "torch-bf16-b4": ("torch-bf16", 4, True, 2),
    "torch-bf16-b16": ("torch-bf16", 16, True, 2),
    "torch-bf16-b32": ("torch-bf16", 32, True, 2),
    "torch-bf16-b4-unsorted": ("torch-bf16", 4, False, 2),
    "torch-bf16-b32-unsorted": ("torch-bf16", 32, False, 2),
    "torch-bf16-b4-t1": ("torch-bf16", 4, True, 1),
    "ort-fp32-b4": ("ort-fp32", 4, True, 2),
    "ov-fp32-b4": ("ov-fp32", 4, True, 2),
    "ov-bf16-b4": ("ov-bf16", 4, True, 2),
    "ov-bf16-b16": ("ov-bf16", 16, True, 2),
    "ov-bf16-b4-unsorted": ("ov-bf16", 4, False, 2),
    "ov-bf16-b4-t1": ("ov-bf16-t1", 4, True, 1),
    "ov-fp32-b4-t1": ("ov-fp32-t1", 4, True, 1),
}
ALQAC_CONFIGS = ["torch-fp32-b4", "torch-bf16-b4", "torch-bf16-b32", "ov-bf16-b4", "ov-bf16-b16"]
QUICK = ["torch-fp32-b4", "torch-bf16-b4", "torch-bf16-b32", "torch-bf16-b4-unsorted", "ov-bf16-b4", "ov-bf16-b16"]


# -- texts -----------------------------------------------------------------------------------
def doc_set(limit: int | None):
    lines = (s.strip() for s in BUNDLED.read_text(encoding="utf-8").splitlines())
    lines = list(dict.fromkeys(s for s in lines if len(s) > 40))[:limit]  # the plan repeats a few
    return lines, ["none"] * len(lines), DOC_QUERIES, None


def alqac_set(n_docs: int):
    read = lambda name: [json.loads(s) for s in open(ALQAC / name, encoding="utf-8")]  # noqa: E731
    corpus = {d["doc_id"]: d for d in read("corpus.jsonl")}
    queries = {q["qid"]: q["text"] for q in read("queries.jsonl")}
    gold: dict[str, set[str]] = {}
    for line in open(ALQAC / "qrels.tsv", encoding="utf-8"):
        qid, doc_id, *_ = line.rstrip("\n").split("\t")
        if qid in queries and doc_id in corpus:
            gold.setdefault(qid, set()).add(doc_id)
    qids = sorted(gold)[: n_docs // 3]
    ids = list(dict.fromkeys(d for q in qids for d in sorted(gold[q])))
    ids += random.Random(0).sample(sorted(set(corpus) - set(ids)), max(0, n_docs - len(ids)))
    ids = ids[:n_docs]
    random.Random(1).shuffle(ids)
    qids = [q for q in qids if gold[q] <= set(ids)]
    return ([corpus[i]["text"] for i in ids], [corpus[i]["law_id"] for i in ids],
            [queries[q] for q in qids], [[ids.index(d) for d in gold[q]] for q in qids])


def text_set(name: str, quick: bool):
    return doc_set(40 if quick else None) if name == "doc" else alqac_set(45 if quick else 300)


# -- engines ---------------------------------------------------------------------------------
class OrtEmbedder:
    """ONNX Runtime on the same ONNX export (bench only)."""

    def __init__(self, folder: Path, threads: int = 2):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        from vectorstore.embed import Embedder

        meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
        self.dim, self.max_len, self.batch_size = meta["dim"], meta["max_seq_length"], 4
        self.query_prompt, self.doc_template = meta["query_prompt"], meta["doc_template"]
        self.tok = AutoTokenizer.from_pretrained(str(folder))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self.document_input = lambda t, h=None: Embedder.document_input(self, t, h)

    def _run(self, batch):
        t = self.tok(batch, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
        return self.sess.run(None, {"input_ids": t["input_ids"], "attention_mask": t["attention_mask"]})[0]

    def encode(self, inputs):
        from vectorstore.embed import _by_length

        return _by_length(inputs, self.batch_size, self._run, self.dim)

    def embed_query(self, text):
        return self.encode([self.query_prompt + text])[0]


def make_engine(engine: str, cache: Path):
    from vectorstore.embed import SentenceTransformerEmbedder
    from vectorstore.openvino import OpenVINOEmbedder

    if engine.startswith("torch"):
        return SentenceTransformerEmbedder(MODEL, dtype="float32" if engine.endswith("fp32") else "bfloat16")
    if engine == "ort-fp32":
        return OrtEmbedder(cache / "onnx")
    return OpenVINOEmbedder(MODEL, cache, precision="f32" if "fp32" in engine else "bf16",
                            threads=1 if engine.endswith("t1") else None)


def rss_mb() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_worker(engine: str, cache: Path) -> dict:
    """Load time, peak RSS while loading, peak while encoding the 8 longest ALQAC articles, RSS after."""
    t0 = time.time()
    emb = make_engine(engine, cache)
    out = {"load_s": time.time() - t0, "rss_load_mb": rss_mb()}
    texts = doc_set(None)[0] if not (ALQAC / "corpus.jsonl").exists() else alqac_set(300)[0]
    emb.encode(sorted(texts, key=len)[-8:])
    return {**out, "rss_peak_mb": rss_mb(), "rss_after_mb": rss_now_mb()}


def speed_worker(set_name: str, configs: list[str], quick: bool, cache: Path, out: Path) -> dict:
    """All configurations take turns on each group of UNIT texts (in input order)."""
    import torch

    texts, titles, queries, _ = text_set(set_name, quick)
    engines = {}
    for name in configs:
        engine = CONFIGS[name][0]
        if engine not in engines:
            engines[engine] = make_engine(engine, cache)
    first = engines[CONFIGS[configs[0]][0]]
    inputs = [first.document_input(t, h) for t, h in zip(texts, titles)]
    for emb in engines.values():  # warm up (first-call allocations, oneDNN kernels)
        emb.encode(sorted(inputs, key=len)[-2:] + inputs[:2])
    units = [inputs[s:s + UNIT] for s in range(0, len(inputs), UNIT)]
    spent = {c: 0.0 for c in configs}
    vecs: dict[str, list] = {c: [] for c in configs}
    loads, t_wall, t_cpu = [], time.time(), time.process_time()
    for u, unit in enumerate(units):
        loads.append(os.getloadavg()[0])
        for name in configs[u % len(configs):] + configs[:u % len(configs)]:
            engine, batch, length_sorted, threads = CONFIGS[name]
            emb = engines[engine]
            emb.batch_size = batch
            torch.set_num_threads(threads)
            t0 = time.perf_counter()
            if length_sorted:
                v = emb.encode(unit)
            else:
                v = np.concatenate([emb.encode(unit[s:s + batch]) for s in range(0, len(unit), batch)])
            spent[name] += time.perf_counter() - t0
            vecs[name].append(v)
    cpu_share = (time.process_time() - t_cpu) / (time.time() - t_wall)
    torch.set_num_threads(2)
    arrays = {}
    for name in configs:
        emb = engines[CONFIGS[name][0]]
        arrays[f"{name}|docs"] = np.concatenate(vecs[name])
        arrays[f"{name}|queries"] = np.stack([emb.embed_query(q) for q in queries])
    np.savez(out, **arrays)
    chars = sum(map(len, inputs))
    return {"chars": chars, "texts": len(inputs), "load": float(np.mean(loads)), "cpu": cpu_share,
            "chars_s": {c: chars / spent[c] for c in configs}}


# -- driver ----------------------------------------------------------------------------------
def child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    lines = [s for s in proc.stdout.splitlines() if s.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(" ".join(args[:2]) + ": " + "\n".join(proc.stderr.strip().splitlines()[-5:]))
    return json.loads(lines[-1])


def export(cache: Path, need_onnx: bool, need_ov: bool) -> dict:
    """Time the two steps of vectorstore.openvino.export_openvino (ONNX export, then IR conversion)."""
    times = {}
    onnx, ov_dir = cache / "onnx", cache / "openvino" / SLUG
    ov_ready = (ov_dir / "embedder.json").exists()
    if (need_onnx or need_ov and not ov_ready) and not (onnx / "embedder.json").exists():
        t0 = time.time()
        child("--export-onnx", str(onnx))
        times["onnx export (torch.onnx, TorchScript), s"] = time.time() - t0
    if need_ov and not ov_ready:
        t0 = time.time()
        child("--convert", str(onnx), str(ov_dir))
        times["OpenVINO IR conversion (fp16 weights), s"] = time.time() - t0
        times["OpenVINO IR size, MB"] = sum(f.stat().st_size for f in ov_dir.iterdir()) / 2**20
    return times


def convert(onnx: Path, target: Path) -> dict:
    import openvino as ov

    target.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.Core().read_model(str(onnx / "model.onnx")), str(target / "model.xml"), compress_to_fp16=True)
    for f in onnx.iterdir():
        if f.name != "model.onnx":
            shutil.copy2(f, target / f.name)
    return {}


def quality(ref: dict, docs: np.ndarray, queries: np.ndarray, gold) -> dict:
    cos = min(float((ref["docs"] * docs).sum(1).min()), float((ref["queries"] * queries).sum(1).min()))
    top = lambda d, q: np.argsort(-(d @ q.T), axis=0)[:5].T  # noqa: E731
    pairs = list(zip(top(ref["docs"], ref["queries"]), top(docs, queries)))
    out = {"cos_min": cos, "top1_same": float(np.mean([a[0] == b[0] for a, b in pairs])),
           "top5_overlap": float(np.mean([len(set(a) & set(b)) / 5 for a, b in pairs]))}
    if gold:
        out["r5"] = float(np.mean([bool(set(g) & set(r)) for g, r in zip(gold, top(docs, queries))]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="40 lines, 45 articles, 6 configurations")
    ap.add_argument("--cache", type=Path, help="keep/reuse the exports here (default: a fresh temp dir)")
    ap.add_argument("--json", type=Path, help="also write all results as JSON here")
    ap.add_argument("--configs", help="comma-separated configuration names (the first is the reference)")
    ap.add_argument("--sets", default="doc,alqac", help="text sets to run: doc, alqac (default both)")
    ap.add_argument("--export-onnx", help=argparse.SUPPRESS)
    ap.add_argument("--convert", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--memory", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--speed", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.export_onnx or args.convert or args.memory or args.speed:
        from vectorstore import openvino as E

        if args.export_onnx:
            result = E.export_onnx(MODEL, Path(args.export_onnx)) or {}
        elif args.convert:
            result = convert(Path(args.convert[0]), Path(args.convert[1]))
        elif args.memory:
            result = memory_worker(args.memory[0], Path(args.memory[1]))
        else:
            s, configs, cache, out = args.speed
            result = speed_worker(s, configs.split(","), args.quick, Path(cache), Path(out))
        print(json.dumps(result))
        return

    started = time.time()
    names = args.configs.split(",") if args.configs else QUICK if args.quick else list(CONFIGS)
    if unknown := [n for n in names if n not in CONFIGS]:
        ap.error(f"unknown configurations {unknown}; known: {', '.join(CONFIGS)}")
    cache = args.cache or Path(tempfile.mkdtemp(prefix="vnqa-bench-"))
    tmp = Path(tempfile.mkdtemp(prefix="vnqa-bench-vec-"))
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}}
    try:
        results["export"] = export(cache, any(n.startswith("ort") for n in names),
                                   any(n.startswith("ov") for n in names))
        for k, v in results["export"].items():
            print(f"{k}: {v:.0f}", flush=True)
        engines = list(dict.fromkeys(CONFIGS[n][0] for n in names))
        print(f"\n{'engine':12} {'load s':>6} {'peak load MB':>12} {'peak encode MB':>14} {'RSS after MB':>12}", flush=True)
        results["memory"] = {}
        for e in engines:
            m = results["memory"][e] = child("--memory", e, str(cache))
            print(f"{e:12} {m['load_s']:6.1f} {m['rss_load_mb']:12.0f} {m['rss_peak_mb']:14.0f} "
                  f"{m['rss_after_mb']:12.0f}", flush=True)
        sets = [("doc", names)] if "doc" in args.sets else []
        if "alqac" in args.sets and (ALQAC / "corpus.jsonl").exists():
            sets.append(("alqac", [n for n in names if n in ALQAC_CONFIGS or args.configs]))
        results["speed"] = {}
        for set_name, configs in sets:
            out = tmp / f"{set_name}.npz"
            res = child("--speed", set_name, ",".join(configs), str(cache), str(out), *(["--quick"] if args.quick else []))
            vec = np.load(out)
            ref = {"docs": vec[f"{configs[0]}|docs"], "queries": vec[f"{configs[0]}|queries"]}
            gold = text_set(set_name, args.quick)[3]
            print(f"\n{set_name}: {res['texts']} texts, {res['chars']} chars; mean load {res['load']:.2f}, "
                  f"this process got {res['cpu']:.2f} cores")
            print(f"{'config':24} {'chars/s':>7} {'x fp32':>6} {'cos min':>8} {'top1=':>5} {'top5∩':>5} {'R@5':>5}")
            rows = results["speed"][set_name] = {"info": res, "rows": {}}
            for c in configs:
                q = quality(ref, vec[f"{c}|docs"], vec[f"{c}|queries"], gold)
                speed = res["chars_s"][c]
                rows["rows"][c] = {"chars_s": speed, "x_fp32": speed / res["chars_s"][configs[0]], **q}
                print(f"{c:24} {speed:7.0f} {speed / res['chars_s'][configs[0]]:6.2f} {q['cos_min']:8.5f} "
                      f"{q['top1_same']:5.2f} {q['top5_overlap']:5.2f} {q.get('r5', float('nan')):5.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.cache is None:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"\nbench time {time.time() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
