"""The real-document QA set (eval/data/real/qa.jsonl): every question well formed, in its
document's frozen split, and every evidence quote inside one chunk of its document as the
reader reads it (eval.real_dataset, the evaluation's own syllable matching)."""

from __future__ import annotations

from collections import Counter

from eval.dataset import load_dataset
from eval.real_dataset import REAL_DATA, problems, splits

from .conftest import needs_real_corpus


def _rows():
    return load_dataset(REAL_DATA / "qa.jsonl")


def test_every_document_has_a_frozen_split_and_questions_follow_it():
    doc_splits = splits()
    assert set(doc_splits.values()) == {"dev", "test"}
    assert problems(_rows(), {}, doc_splits) == []  # no chunks: schema and splits only


def test_the_checker_catches_what_it_must():
    row = {"id": "x-01", "split": "dev", "docs": ["a.md"], "category": "figure", "question": "Bao nhiêu?",
           "answerable": True, "evidence": ["không có ở đây"], "answer_keys": [["12%"]]}
    found = problems([row, dict(row)], {"a.md": []}, {"a.md": "test"})
    assert any("used 2 times" in p for p in found)
    assert any("split dev but a.md is test" in p for p in found)
    assert any("no alternative of ['12%']" in p for p in found)
    assert any("asked twice" in p for p in found)


@needs_real_corpus
def test_every_quote_is_in_one_chunk_of_its_document(real_reads):
    chunks = {path.name: list(doc.chunks) for path, doc in real_reads.items() if not isinstance(doc, Exception)}
    rows = _rows()
    assert {d for r in rows for d in r["docs"]} <= set(chunks)
    assert problems(rows, chunks) == []


def test_the_set_covers_every_category_in_both_splits():
    counts = Counter((r["split"], r["category"]) for r in _rows())
    for split in ("dev", "test"):
        for category in ("figure", "paraphrase", "no_diacritics", "unanswerable", "metadata", "assignment"):
            assert counts[split, category] >= 15, (split, category, counts[split, category])


def test_the_set_is_four_times_the_first_one():
    """Issue 25 Build 4: at least 1,500 questions, 300 plausible near misses the documents do
    not answer, 300 everyday paraphrases; every document of the corpus but the scan twin asked."""
    rows = _rows()
    counts = Counter(r["category"] for r in rows)
    assert len(rows) >= 1500 and counts["unanswerable"] >= 300 and counts["paraphrase"] >= 300
    asked = {d for r in rows for d in r["docs"]}
    assert len(set(splits()) - asked) <= 1
