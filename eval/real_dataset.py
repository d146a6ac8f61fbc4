"""The real-document QA set (eval/data/real/qa.jsonl) checked against the documents themselves.

`problems(rows, chunks)` lists what is wrong with a set of questions, given the chunks each
document is read into (`{file name: [Chunk, ...]}`): the schema, the frozen split of each
document (eval/data/real/splits.json), and every evidence quote found inside one chunk of its
documents, with the syllable matching the evaluation uses (eval.match). So a quote the reader
cannot find in one retrievable piece is caught when the question is written, not in a report.

`python -m eval.real_dataset FILE.jsonl` checks a file of questions against the development
corpus (../shared/corpus/real, read once, cached by file content under ~/.cache/vnqa).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from ingest import text as vn

from . import match

REAL_DATA = Path(__file__).resolve().parent / "data" / "real"
CATEGORIES = ("figure", "assignment", "deadline", "metadata", "section", "relation", "definition", "list",
              "yes_no", "paraphrase", "no_diacritics", "cross_document", "unanswerable")
REQUIRED = {"id": str, "split": str, "docs": list, "category": str, "question": str, "answerable": bool,
            "evidence": list, "answer_keys": list}
_ID = re.compile(r"[a-z0-9]+-\d{2,3}")


def splits(path: Path = REAL_DATA / "splits.json") -> dict[str, str]:
    """{file name: 'dev' | 'test'}: every document of the corpus, frozen before any fitting."""
    return json.loads(path.read_text(encoding="utf-8"))["documents"]


def problems(rows: Sequence[dict], chunks: dict[str, list], doc_splits: dict[str, str] | None = None) -> list[str]:
    """What is wrong with `rows`; [] when every question is well formed and grounded."""
    doc_splits = splits() if doc_splits is None else doc_splits
    out: list[str] = []
    for rid, n in Counter(r.get("id") for r in rows).items():
        if n > 1:
            out.append(f"{rid}: id used {n} times")
    seen_questions = Counter(vn.fold(r.get("question", "")).strip() for r in rows)
    for r in rows:
        rid = r.get("id", "?")
        bad = [f"{rid}: {key} missing or not a {typ.__name__}" for key, typ in REQUIRED.items()
               if not isinstance(r.get(key), typ)]
        if bad:
            out += bad
            continue
        out += [f"{rid}: {m}" for m in _row_problems(r, chunks, doc_splits)]
        if seen_questions[vn.fold(r["question"]).strip()] > 1:
            out.append(f"{rid}: the same question is asked twice")
    return out


def _row_problems(r: dict, chunks: dict[str, list], doc_splits: dict[str, str]) -> list[str]:
    out = []
    if not _ID.fullmatch(r["id"]):
        out.append("id is not <tag>-NN")
    if r["category"] not in CATEGORIES:
        out.append(f"unknown category {r['category']!r}")
    for doc in r["docs"]:
        if doc not in doc_splits:
            out.append(f"unknown document {doc}")
        elif doc_splits[doc] != r["split"]:
            out.append(f"split {r['split']} but {doc} is {doc_splits[doc]}")
    if r["category"] == "no_diacritics" and vn.has_diacritics(r["question"]):
        out.append("a no_diacritics question has diacritics")
    if r["answerable"] != (r["category"] != "unanswerable"):
        out.append("answerable must be false exactly for category unanswerable")
    if not r["answerable"]:
        if r["evidence"] or r["answer_keys"]:
            out.append("an unanswerable question has evidence or answer keys")
        return out
    if not r["evidence"] or not r["answer_keys"]:
        out.append("an answerable question needs evidence and answer keys")
    pieces = [c for d in r["docs"] for c in chunks.get(d, [])]
    for quote in r["evidence"]:
        if not isinstance(quote, str) or len(vn.syllables(quote)) < 2:
            out.append(f"quote too short: {quote!r}")
        elif len(quote) > 600:
            out.append(f"quote longer than 600 characters: {quote[:60]!r}")
        elif pieces and not any(match.chunk_has_evidence(c, [quote]) for c in pieces):
            out.append(f"quote not found in one chunk of {', '.join(r['docs'])}: {quote[:80]!r}")
    quotes = " ".join(q for q in r["evidence"] if isinstance(q, str))
    for group in r["answer_keys"]:
        if not (isinstance(group, list) and group and all(isinstance(a, str) and a.strip() for a in group)):
            out.append(f"bad answer-key group {group!r}")
        elif not any(match.canon(a) in match.canon(quotes) for a in group):
            out.append(f"no alternative of {group} is in the quotes")
    return out


def read_chunks(corpus: Path) -> dict[str, list]:
    """{file name: chunks} of every corpus file, read as `eval real` reads them (no model)."""
    from ingest.errors import IngestError
    from ingest.pipeline import process_file
    from ingest.settings import Settings

    settings = Settings(embed_model="none")
    out = {}
    for path in sorted(corpus.iterdir()):
        if path.name in splits():
            try:
                out[path.name] = list(process_file(path, settings).chunks)
            except IngestError as e:
                print(f"[real-dataset] {e}", file=sys.stderr)
    return out


def main(argv: Sequence[str]) -> int:
    from ingest.settings import PROJECT_ROOT

    from .dataset import load_dataset

    files = [Path(a) for a in argv] or [REAL_DATA / "qa.jsonl"]
    corpus = PROJECT_ROOT.parent / "shared" / "corpus" / "real"
    chunks = read_chunks(corpus)
    bad = 0
    for f in files:
        found = problems(load_dataset(f), chunks)
        bad += len(found)
        print("\n".join(f"{f.name}: {p}" for p in found) or f"{f.name}: ok")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
