"""bot/verify.py: the pure answer checks (markers, numbers against the cited sources)."""

from __future__ import annotations

import pytest

from bot.verify import (disagreement, figures, is_refusal, key_figures, markers, names, sentences,
                         verify)

# The bundled document's lines, as the LLM answerer numbers them (header + text).
HEAD = "Nghị quyết 70/NQ-HĐND: Về Kế hoạch phát triển kinh tế - xã hội năm 2026 tỉnh Cao Bằng — "
SOURCES = [
    HEAD + "Điều 1 › Chỉ tiêu kinh tế › (1)\n(1) Tốc độ tăng trưởng GRDP: 10%; GRDP bình quân "
           "đầu người 56,85 triệu đồng.",
    HEAD + "Điều 1 › Chỉ tiêu kinh tế › (3)\n(3) Thu ngân sách trên địa bàn 3.530 tỷ đồng; trong đó "
           "thu nội địa 1.710 tỷ đồng, thu thuế xuất nhập khẩu 1.820 tỷ đồng.",
    HEAD + "Điều 1 › Chỉ tiêu chuyển đổi số, cải cách hành chính › (11)\n(11) Chỉ số cải cách hành "
           "chính (PAR Index) xếp thứ 29, chỉ số chuyển đổi số (DTI) xếp thứ 32 trên cả nước.",
    HEAD + "Điều 1 › Chỉ tiêu văn hóa - xã hội › (8)\n(8) Tỷ lệ xã biên giới có trường phổ thông nội "
           "trú liên cấp 47,6%.",
    HEAD + "Điều 1 › Chỉ tiêu kinh tế › (4)\n(4) Vốn đầu tư thực hiện trên địa bàn tăng 11 %.",
]


@pytest.mark.parametrize("answer", [
    "GRDP bình quân đầu người năm 2026 là 56,85 triệu đồng [1].",
    "Tốc độ tăng trưởng GRDP năm 2026 là 10% [1], GRDP bình quân đầu người 56,85 triệu đồng [1].",
    "GRDP bình quân đầu người đạt 56.85 triệu đồng [1].",  # English decimal point, same value
    "Tăng trưởng GRDP 10 % [1].",  # "10 %" and "10%"
    "Tăng trưởng GRDP 10 phần trăm [1].",
    "Vốn đầu tư thực hiện tăng 11% [5].",  # the source writes "11 %"
    "Thu ngân sách trên địa bàn 3.530 tỷ đồng [2].",
    "Thu ngân sách trên địa bàn 3530 tỷ đồng [2].",
    "Thu nội địa 1,710 tỷ đồng [2].",  # English thousands separator
    "Theo chỉ tiêu (11), chỉ số DTI xếp thứ 32 [3].",  # a list code the source has
    "Theo Nghị quyết 70/NQ-HĐND, DTI năm 2026 xếp thứ 32 trên cả nước [3].",  # from the header
    "Tỷ lệ xã biên giới có trường nội trú liên cấp là 47,6% [4].",
    "DTI xếp thứ 32. [3] PAR Index xếp thứ 29 [3].",  # marker after the full stop
    "GRDP bình quân đầu người 56,85 triệu đồng và thu ngân sách 3.530 tỷ đồng [1, 2].",
    "GRDP bình quân đầu người 56,85 triệu đồng và thu ngân sách 3.530 tỷ đồng [1][2].",
    "GRDP bình quân đầu người 56,85 triệu đồng, thu ngân sách 3.530 tỷ đồng [1-2].",
    "Chỉ tiêu DTI là xếp thứ 32 [Nguồn 3].",
    "- Thu nội địa 1.710 tỷ đồng [2]\n- Thu thuế xuất nhập khẩu 1.820 tỷ đồng [2]",
    "Các văn bản hiện có không nêu giá vàng SJC năm 2026.",  # a refusal needs no citation
    "Chỉ số chuyển đổi số được nêu ở nguồn [3].",  # no figures, cited
])
def test_correct_answers_pass(answer):
    assert verify(answer, SOURCES) == []


def test_a_changed_digit_is_named_with_its_source():
    problems = verify("GRDP bình quân đầu người năm 2026 là 57,85 triệu đồng [1].", SOURCES)
    assert problems == ["Câu trả lời của mô hình có số 57,85 không có trong nguồn [1]"]


@pytest.mark.parametrize("answer, figure", [
    ("Thu ngân sách 3.350 tỷ đồng [2].", "3.350"),  # swapped digits
    ("Thu ngân sách 3,53 tỷ đồng [2].", "3,53"),  # 3,53 is not 3.530
    ("Tăng trưởng GRDP 12% [1].", "12%"),
    ("GRDP bình quân đầu người 56,9 triệu đồng [1].", "56,9"),  # rounded
    ("DTI xếp thứ 32% [3].", "32%"),  # a rank is not a percentage
])
def test_invented_or_altered_figures_fail(answer, figure):
    problems = verify(answer, SOURCES)
    assert len(problems) == 1 and f"số {figure} " in problems[0]


@pytest.mark.parametrize("answer", ["[1] [2] [3] [4] [5]", "[1]", "", "  .  ", "32 [3]."])
def test_an_answer_without_content_fails(answer):
    assert verify(answer, SOURCES) == [
        "Câu trả lời của mô hình không có nội dung (chỉ có số nguồn hoặc trống)"]


def test_a_marker_beyond_the_sources_fails():
    problems = verify("Chỉ số DTI xếp thứ 32 [7].", SOURCES)
    assert problems == ["Câu trả lời của mô hình trích dẫn nguồn [7] nhưng chỉ có 5 nguồn"]
    assert verify("DTI xếp thứ 32 [0].", SOURCES)
    assert "không có nguồn nào" in verify("DTI xếp thứ 32 [1].", [])[0]


def test_figures_without_any_citation_fail():
    problems = verify("Chỉ số DTI năm 2026 xếp thứ 32.", SOURCES)
    assert problems == ["Câu trả lời của mô hình có số liệu (2026, 32) nhưng không trích dẫn nguồn nào"]
    assert verify("Tỉnh đặt mục tiêu phát triển chuyển đổi số.", SOURCES) == [
        "Câu trả lời của mô hình không trích dẫn nguồn nào"]


def test_a_figure_must_be_in_the_source_its_sentence_cites():
    problems = verify("DTI xếp thứ 32 [1]. GRDP bình quân đầu người 56,85 triệu đồng [1].", SOURCES)
    assert problems == ["Câu trả lời của mô hình có số 32 không có trong nguồn [1] (số này có ở nguồn [3])"]


def test_a_sentence_without_markers_is_checked_against_every_cited_source():
    assert verify("DTI xếp thứ 32 [3]. Thu nội địa 1.710 tỷ đồng [2]. Tổng thu 3.530 tỷ đồng.",
                  SOURCES) == []
    assert verify("DTI xếp thứ 32 [3]. Tổng thu 3.530 tỷ đồng.", SOURCES) == [
        "Câu trả lời của mô hình có số 3.530 không có trong nguồn [3] (số này có ở nguồn [2])"]


def test_a_name_must_be_in_the_cited_source():
    # Seen from the 1.5B model for "chỉ tiêu GRDP của Lạng Sơn năm 2026?": Cao Bằng's figure.
    problems = verify("Tốc độ tăng trưởng GRDP của Lạng Sơn năm 2026 là 10%. [1]", SOURCES)
    assert problems == ['Câu trả lời của mô hình có tên "Lạng Sơn" không có trong nguồn [1]']
    assert verify("Lạng Sơn năm 2026 tăng trưởng GRDP 10% [1].", SOURCES)  # first word too
    for fine in ("Theo Nghị quyết 70/NQ-HĐND, tỉnh Cao Bằng tăng trưởng GRDP 10% [1].",
                 "Tốc độ tăng trưởng GRDP của Cao Bằng năm 2026 là 10% [1].",
                 "Chỉ Số Chuyển Đổi Số (DTI) xếp thứ 32 [3]."):  # capitalisation does not matter
        assert verify(fine, SOURCES) == [], fine
    assert names("Cao Bằng, Lạng Sơn và Hà Giang [1]") == ["Cao Bằng", "Lạng Sơn", "Hà Giang"]
    assert names("Theo Nghị quyết số 70", {"theo"}) == []


def test_list_enumerators_are_not_figures():
    answer = ("Theo các nguồn:\n1. DTI xếp thứ 32 [3].\n2. PAR Index xếp thứ 29 [3].\n"
              "7) Thu nội địa 1.710 tỷ đồng [2].")
    assert verify(answer, SOURCES) == []
    assert [f.written for f in figures(answer)] == ["32", "29", "1.710"]


def test_marker_digits_are_not_figures():
    assert figures("DTI xếp thứ 32 [3] [12].") == figures("DTI xếp thứ 32.")
    assert verify("Chỉ số DTI nằm trong chỉ tiêu chuyển đổi số [3].", SOURCES) == []


def test_helpers():
    assert markers("a [1] b [2, 3] c [4-5] d [Nguồn 6]") == [1, 2, 3, 4, 5, 6]
    assert [f.label for f in figures("3.530 tỷ, 56,85 triệu, 10 %, 47,6%, năm 2026")] == [
        "3.530", "56,85", "10%", "47,6%", "2026"]
    assert [ms for _, ms in sentences("DTI 32. [3] PAR 29 [3].\n- GRDP 10% [1]")] == [[3], [3], [1]]
    assert is_refusal("Các văn bản hiện có không nêu giá vàng.")
    assert not is_refusal("Theo nguồn [1], GRDP tăng 10%.")


def test_disagreement_with_the_extractive_answer():
    reference = ("Theo 70/NQ-HĐND, chỉ tiêu (11) (Chỉ tiêu chuyển đổi số, cải cách hành chính): "
                 "chỉ số chuyển đổi số (DTI) xếp thứ 32 [1].")
    question = "Chỉ tiêu DTI năm 2026 là gì?"
    assert [f.written for f in key_figures(reference, question)] == ["32"]  # not 70, 11 or 2026
    assert disagreement("Chỉ số DTI xếp thứ 32 [1].", reference, question) == []
    wrong = "Chỉ tiêu DTI năm 2026 là tăng trưởng hai con số giai đoạn 2026 - 2030 [4]."
    assert disagreement(wrong, reference, question) == [
        "Câu trả lời của mô hình không nêu số liệu văn bản ghi cho câu hỏi này (32)"]
    assert "không nêu, nhưng văn bản có số liệu" in disagreement(
        "Các văn bản hiện có không nêu chỉ tiêu DTI.", reference, question, refused=True)[0]
    assert disagreement("anything", "Theo 70/NQ-HĐND (Điều 3): tổ chức thực hiện.", question) == []
    section = "Theo 70/NQ-HĐND (Điều 1 › 3 › 3.1 › 3.1.4. Quản lý ngân sách): Điều hành ngân sách. [1]"
    assert key_figures(section) == []
