"""The evaluation dataset eval/data/qa.jsonl: schema, coverage, and every quote checked against the source."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.text import has_diacritics, normalize

ROOT = Path(__file__).resolve().parents[1]
QA_PATH = ROOT / "eval" / "data" / "qa.jsonl"
DOC_PATH = ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"

MIN_COUNTS = {
    "target": 25,
    "paraphrase": 20,
    "no_diacritics": 20,
    "abbreviation": 12,
    "task": 20,
    "metadata": 12,
    "multi_fact": 12,
    "section_ref": 10,
    "followup": 12,
    "unanswerable": 32,
}
CATEGORIES = set(MIN_COUNTS)
REQUIRED = {"id": str, "category": str, "question": str, "answerable": bool, "evidence": list, "answer_keys": list}
ALLOWED_KEYS = set(REQUIRED) | {"history"}
MIN_UNANSWERABLE_SHARE = 0.15

_SPACES = re.compile(r"\s+")


def canon(text: str) -> str:
    """NFC + one tone placement + whitespace runs collapsed to one space."""
    return _SPACES.sub(" ", normalize(text)).strip()


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    lines = QA_PATH.read_text(encoding="utf-8").splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        assert line.strip(), f"blank line {n} in {QA_PATH.name}"
        out.append(json.loads(line))
    return out


@pytest.fixture(scope="module")
def doc() -> str:
    return canon(DOC_PATH.read_text(encoding="utf-8"))


def test_schema(rows):
    ids = [r.get("id") for r in rows]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    for r in rows:
        rid = r.get("id")
        assert set(r) <= ALLOWED_KEYS, (rid, set(r) - ALLOWED_KEYS)
        for key, typ in REQUIRED.items():
            assert key in r, (rid, key)
            assert isinstance(r[key], typ), (rid, key, type(r[key]))
        assert re.fullmatch(r"q\d{3,}", rid), rid
        assert r["category"] in CATEGORIES, (rid, r["category"])
        assert r["question"].strip(), rid
        assert all(isinstance(e, str) and e.strip() for e in r["evidence"]), rid
        for group in r["answer_keys"]:
            assert isinstance(group, list) and group, (rid, group)
            assert all(isinstance(a, str) and a.strip() for a in group), (rid, group)


def test_history_only_and_always_for_followups(rows):
    for r in rows:
        rid = r["id"]
        if r["category"] != "followup":
            assert "history" not in r, rid
            continue
        history = r.get("history")
        assert isinstance(history, list) and history, rid
        assert len(history) % 2 == 0, rid
        for i, turn in enumerate(history):
            assert isinstance(turn, dict) and set(turn) == {"role", "content"}, (rid, turn)
            assert turn["role"] == ("user" if i % 2 == 0 else "assistant"), (rid, i, turn["role"])
            assert isinstance(turn["content"], str) and turn["content"].strip(), (rid, i)


def test_answerable_matches_evidence_and_keys(rows):
    for r in rows:
        rid = r["id"]
        if r["answerable"]:
            assert r["evidence"], rid
            assert r["answer_keys"], rid
        else:
            assert r["evidence"] == [], rid
            assert r["answer_keys"] == [], rid
        if r["category"] == "unanswerable":
            assert not r["answerable"], rid


def test_category_minimums(rows):
    counts = Counter(r["category"] for r in rows)
    short = {c: (counts[c], n) for c, n in MIN_COUNTS.items() if counts[c] < n}
    assert not short, short


def test_unanswerable_share(rows):
    unanswerable = sum(not r["answerable"] for r in rows)
    assert unanswerable / len(rows) >= MIN_UNANSWERABLE_SHARE, (unanswerable, len(rows))


def test_no_diacritics_questions_have_none(rows):
    for r in rows:
        if r["category"] == "no_diacritics":
            assert not has_diacritics(r["question"]), (r["id"], r["question"])


def test_every_evidence_quote_is_in_the_document(rows, doc):
    missing = []
    for r in rows:
        for quote in r["evidence"]:
            if canon(quote) not in doc:
                missing.append((r["id"], quote))
    assert not missing, missing


def test_evidence_quote_lengths(rows):
    bad = [(r["id"], len(q)) for r in rows for q in r["evidence"] if not 20 <= len(q) <= 200]
    assert not bad, bad


def test_answer_keys_are_grounded(rows, doc):
    """Each alternative of an answerable, non-followup question is in one of its quotes or the document."""
    doc_lower = doc.lower()
    bad = []
    for r in rows:
        if not r["answerable"] or r["category"] == "followup":
            continue
        quotes = [canon(q).lower() for q in r["evidence"]]
        for group in r["answer_keys"]:
            for alt in group:
                key = canon(alt).lower()
                if not any(key in q for q in quotes) and key not in doc_lower:
                    bad.append((r["id"], alt))
    assert not bad, bad
