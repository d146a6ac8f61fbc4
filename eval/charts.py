"""PNG charts (matplotlib, Agg backend, DejaVu Sans: it has the Vietnamese glyphs).

Every function returns the warnings about missing glyphs it saw (empty when all rendered).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Mapping, Sequence


def grouped_bars(path: Path, title: str, groups: Sequence[str], series: Mapping[str, Sequence[float | None]],
                 ylabel: str, ylim: tuple[float, float] | None = (0.0, 1.1), fmt: str = "{:.2f}",
                 log: bool = False) -> list[str]:
    """One group of bars per entry of `groups`, one bar per series (None = no bar)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "DejaVu Sans"
    n = max(len(series), 1)
    width = 0.8 / n
    fig_w = max(6.0, 0.55 * len(groups) * n + 2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(min(fig_w, 18.0), 4.8))
        for i, (name, values) in enumerate(series.items()):
            xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
            ys = [math.nan if v is None else v for v in values]
            bars = ax.bar(xs, ys, width, label=name)
            if len(groups) * n <= 24:
                for bar, v in zip(bars, values):
                    if v is not None:
                        ax.annotate(fmt.format(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                    ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups, rotation=30 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        if log:
            ax.set_yscale("log")
        elif ylim:
            ax.set_ylim(*ylim)
        ax.legend(fontsize=8, loc="best")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]


def qa_charts(report: dict, out: Path) -> dict[str, list[str]]:
    """accuracy-per-category.png and latency.png from a QA report."""
    systems = report["systems"]
    cats = report["categories"] + ["tổng"]
    series = {_label(name, m, report): [m["per_category"].get(c, {}).get("accuracy")
                                        for c in report["categories"]] + [m["accuracy"]]
              for name, m in systems.items()}
    problems = {
        "accuracy-per-category.png": grouped_bars(
            out / "accuracy-per-category.png", "Độ chính xác câu trả lời theo loại câu hỏi",
            cats, series, "tỷ lệ trả lời đúng"),
    }
    lat = {"p50": [m["latency_p50_ms"] for m in systems.values()],
           "p95": [m["latency_p95_ms"] for m in systems.values()]}
    values = [v for vs in lat.values() for v in vs if v > 0] or [1.0]
    log = max(values) / min(values) > 50  # LLM seconds next to BM25 milliseconds
    problems["latency.png"] = grouped_bars(
        out / "latency.png", "Độ trễ mỗi câu hỏi (mô hình đã nạp sẵn)",
        [_label(name, m, report) for name, m in systems.items()], lat,
        "mili giây" + (" (thang log)" if log else ""), ylim=(0.0, max(values) * 1.15), fmt="{:.0f}", log=log)
    return problems


def _label(name: str, m: dict, report: dict) -> str:
    """System name, with its question count when it answered a smaller slice (LLM systems)."""
    return name if m["n"] == report["n"] else f"{name} (n={m['n']})"


def beir_charts(report: dict, out: Path) -> dict[str, list[str]]:
    """retrieval.png: nDCG@10, R@1/5/10, MRR@10 per system."""
    systems = report["systems"]
    metrics = ["ndcg@10", "recall@1", "recall@5", "recall@10", "mrr@10"]
    series = {name: [m[k] for k in metrics] for name, m in systems.items()}
    return {"retrieval.png": grouped_bars(out / "retrieval.png", f"Truy hồi điều luật — {report.get('name', 'BEIR')}",
                                          metrics, series, "điểm")}
