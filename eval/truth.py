"""Ingestion measured against the truth table (eval/data/real/truth.jsonl) and chunk quality.

Metadata fields are compared after folding case, diacritics and spaces (numbers exactly, dates
as ISO); a blank in the document is right when recorded as "". Relations are right when the set
of (kind, number) pairs is the same. Top-level sections are right when at least 80% of the
document's headings are found and at least 80% of the found ones are the document's (compared
on their first 30 folded characters).
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from ingest import text as vn
from ingest.types import ProcessedDocument

FIELDS = ("number", "kind", "issuer", "issued", "signer", "effective", "relations", "sections")
FRAGMENT_CHARS = 120  # a chunk shorter than this that is no heading, list item or table row
EXEMPT_KINDS = ("item", "clause", "point", "table", "header", "info", "signature", "recipients")


def _fold(s: str) -> str:
    return " ".join(vn.fold(s or "").replace("-", " ").split())


def _place(s: str) -> str:
    return re.sub(r"^(thanh pho|tinh|tp\.?)\s+", "", _fold(s))


def top_sections(doc: ProcessedDocument) -> list[str]:
    """Headings of the top-level sections (not the header, preamble or signature blocks)."""
    out = []
    for s in doc.sections:
        if len(s.path) == 1 and s.heading and s.kind not in ("info", "header", "preamble", "signature", "recipients"):
            out.append(s.heading)
    return out


def _sections_right(found: list[str], truth: list[str]) -> bool:
    if not truth:
        return True
    key = lambda h: _fold(h)[:30]  # noqa: E731
    f, t = [key(h) for h in found], [key(h) for h in truth]
    recall = sum(1 for h in t if any(x.startswith(h[:20]) or h.startswith(x[:20]) for x in f)) / len(t)
    precision = sum(1 for h in f if any(x.startswith(h[:20]) or h.startswith(x[:20]) for x in t)) / max(len(f), 1)
    return recall >= 0.8 and precision >= 0.8


def score_metadata(doc: ProcessedDocument, truth: dict) -> dict[str, dict]:
    """Per field: {'right': bool, 'got': ..., 'want': ...}."""
    m = doc.meta
    got = {
        "number": m.number, "kind": m.type, "issuer": m.issuer, "issued": m.issued, "signer": m.signer,
        "effective": m.effective,
        "relations": sorted((r.kind, r.target) for r in m.relations),
        "sections": top_sections(doc),
    }
    want = {k: truth.get(k, "") for k in FIELDS}
    want["relations"] = sorted((r["type"], r["target"]) for r in truth.get("relations", []))
    want["sections"] = truth.get("sections", [])
    out = {}
    for field in FIELDS:
        g, w = got[field], want[field]
        if field == "number":
            right = re.sub(r"\s+", "", g) == re.sub(r"\s+", "", w)
        elif field in ("issued", "effective", "relations"):
            right = g == w
        elif field == "sections":
            right = _sections_right(g, w)
        else:
            right = _fold(g) == _fold(w)
        out[field] = {"right": right, "got": g, "want": w}
    return out


def chunk_quality(doc: ProcessedDocument) -> dict:
    """Chunk count, length percentiles and the share of fragment chunks."""
    lengths = sorted(len(c.text) for c in doc.chunks)
    heads = {s.start for s in doc.sections}
    fragments = [c for c in doc.chunks if len(c.text) < FRAGMENT_CHARS and c.kind not in EXEMPT_KINDS
                 and c.start not in heads]
    pct = lambda p: lengths[min(len(lengths) - 1, int(p * len(lengths)))] if lengths else 0  # noqa: E731
    return {"chunks": len(lengths), "p10": pct(0.1), "p50": int(statistics.median(lengths)) if lengths else 0,
            "p90": pct(0.9), "max": lengths[-1] if lengths else 0,
            "fragment_share": round(len(fragments) / max(len(lengths), 1), 3),
            "tables": len(doc.clean.tables), "table_rows": sum(1 for r in doc.clean.rows if r.row >= 0),
            "tasks": len(doc.tasks), "tasks_with_agency": sum(1 for t in doc.tasks if t.agency),
            "pages": doc.clean.pages[-1][1] if doc.clean.pages else 0,
            "syllable_share": round(vn.syllable_share(doc.clean.text), 3)}


def meta_report(docs: dict[str, ProcessedDocument], truth_rows: list[dict]) -> dict:
    """Field accuracy over the documents of the truth rows, per field and per document."""
    per_doc, per_field = {}, {f: [0, 0] for f in FIELDS}
    for t in truth_rows:
        doc = docs.get(t["file"])
        if doc is None:
            continue
        scored = score_metadata(doc, t)
        per_doc[t["file"]] = scored
        for field, s in scored.items():
            per_field[field][0] += s["right"]
            per_field[field][1] += 1
    right = sum(r for r, _ in per_field.values())
    total = sum(n for _, n in per_field.values())
    return {"field_accuracy": round(right / total, 4) if total else None, "fields": right, "total": total,
            "per_field": {f: round(r / n, 3) if n else None for f, (r, n) in per_field.items()},
            "per_document": per_doc}


def load_truth(path: Path, split: str) -> list[dict]:
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r.get("split") == split]
