"""The "Hiểu câu hỏi là" line (issue 24): only real follow-ups are merged with the previous
question, whole words kept; a self-contained question or one with a typo stands alone."""

from __future__ import annotations

import pytest

from bot.followup import rewrite
from bot.types import Answer
from bot.web import shown_interpretation

DTI = "Chỉ tiêu DTI năm 2026 là gì?"
HISTORY = [{"role": "user", "content": DTI}, {"role": "assistant", "content": "xếp thứ 32 [1]"}]


@pytest.mark.parametrize("question, focus", [
    ("Còn PAR Index thì sao?", "PAR Index"),                 # "còn … thì sao"
    ("PAR Index thì sao?", "PAR Index"),
    ("con PAR Index thi sao", "PAR Index"),                  # typed without diacritics
    ("Vậy còn chỉ số PCI?", "chỉ số PCI"),
    ("Còn tỷ lệ đô thị hóa?", "tỷ lệ đô thị hóa"),          # the last word kept whole
    ("Còn xã Hòa?", "xã Hòa"),
    ("Còn GRDP nhé?", "GRDP"),
    ("Văn bản đó do ai ký?", "Văn bản đó do ai ký"),       # a pointer back
    ("Chỉ tiêu này là bao nhiêu?", "Chỉ tiêu này là bao nhiêu"),
    ("van ban do do ai ky", "van ban do do ai ky"),
    ("Ai ký?", "Ai ký"),                                     # elliptical: no subject of its own
    ("Khi nào có hiệu lực?", "Khi nào có hiệu lực"),
    ("Năm 2025?", "Năm 2025"),
    ("thế năm 2027 thì giảm bao nhiêu?", "năm 2027 thì giảm bao nhiêu"),  # "thế …"
    ("năm 2025 tỉnh đứng thứ mấy?", "năm 2025 tỉnh đứng thứ mấy"),      # a year is no subject
])
def test_real_followups_are_merged_with_whole_words(question, focus):
    rw = rewrite(question, HISTORY)
    assert rw.is_followup and rw.focus == focus
    assert rw.standalone == f"{focus} — {DTI}"
    typed = set(question.rstrip("?").split())
    assert set(rw.focus.split()) <= typed  # every word of the focus is a whole typed word


@pytest.mark.parametrize("question", [
    "Nghị quyết 48/2025/NQ-HĐND do ai ký?",            # names a document ("do" is not "đó")
    "Nghị quyết số 70 có hiệu lực từ ngày nào?",
    "Chỉ tiêu DTl năm 2026 là gì?",                    # a typo: its own subject and question word
    "Tỷ lệ hộ nghèo giảm bao nhiu?",
    "Tỉ lệ bao phủ bảo hiêm y tê là bao nhieu",
    "ty le ho ngheo giam bao nhieu",
    "Giá vàng SJC hôm nay?",                           # "nay" of "hôm nay" is no "này"
    "Con số tăng trưởng GRDP năm nay là bao nhiêu?",   # "Con số" is no "Còn"
    "Tình hình trên địa bàn tỉnh thế nào?",            # "trên địa bàn" points nowhere
    "Ai giám sát việc thực hiện nghị quyết?",
    "Thế mạnh của tỉnh là gì?",                        # "Thế mạnh" is a word, not "thế …"
    DTI,                                               # the same question again
])
def test_self_contained_questions_are_never_glued(question):
    rw = rewrite(question, HISTORY)
    assert not rw.is_followup and rw.standalone == question == rw.focus


def test_the_project_questions_with_a_history_are_merged_exactly_when_they_are_followups():
    """Every question of eval/data/qa.jsonl asked after a history: merged iff its category is followup."""
    import json

    from ingest.settings import PROJECT_ROOT

    rows = [json.loads(line) for line in (PROJECT_ROOT / "eval" / "data" / "qa.jsonl").open(encoding="utf-8")]
    asked = [r for r in rows if r.get("history")]
    assert sum(r["category"] == "followup" for r in asked) >= 10
    wrong = [r["question"] for r in asked if rewrite(r["question"], r["history"]).is_followup != (r["category"] == "followup")]
    assert wrong == []


def test_the_line_is_shown_only_when_it_differs_from_what_was_typed():
    same = Answer(text="x", abstained=False, rewritten="chỉ tiêu DTI năm 2026 là gì")
    assert shown_interpretation(same, DTI).rewritten == ""
    other = Answer(text="x", abstained=False, rewritten=f"PAR Index — {DTI}")
    assert shown_interpretation(other, "Còn PAR Index thì sao?").rewritten == other.rewritten
