"""Targets and tasks as data: the bundled resolution, a table plan and unusual synthetic items.

Fast: real underthesea (through ingest.text) for sentence boundaries, no models, no store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import clean
from ingest.targets import extract_targets
from ingest.tasks import extract_tasks
from ingest.meta import extract_meta
from ingest.structure import parse_structure
from ingest.tables import render
from ingest.types import DocMeta, RawDocument

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
ECON, SOCIAL, DIGITAL = ("Chỉ tiêu kinh tế", "Chỉ tiêu văn hóa - xã hội",
                         "Chỉ tiêu chuyển đổi số, cải cách hành chính")
# code -> group and every (value, numeric, unit) it must yield, in order.
EXPECTED = {
    "(1)": (ECON, [("10%", 10.0, "%"), ("56,85 triệu đồng", 56.85, "triệu đồng")]),
    "(2)": (ECON, [("19,62%", 19.62, "%"), ("76,78%", 76.78, "%")]),
    "(3)": (ECON, [("3.530 tỷ đồng", 3530.0, "tỷ đồng"), ("1.710 tỷ đồng", 1710.0, "tỷ đồng"),
                   ("1.820 tỷ đồng", 1820.0, "tỷ đồng")]),
    "(4)": (ECON, [("tăng 11%", 11.0, "%")]),
    "(5)": (ECON, [("tối thiểu 9%", 9.0, "%"), ("từ 3%", 3.0, "%")]),
    "(6)": (SOCIAL, [("trên 3%", 3.0, "%")]),
    "(7)": (SOCIAL, [("32%", 32.0, "%")]),
    "(8)": (SOCIAL, [("8%", 8.0, "%"), ("71%", 71.0, "%"), ("47,6%", 47.6, "%"), ("5%", 5.0, "%")]),
    "(9)": (SOCIAL, [("70%", 70.0, "%")]),
    "(10)": (DIGITAL, [("65%", 65.0, "%"), ("70%", 70.0, "%")]),
    "(11)": (DIGITAL, [("xếp thứ 29", 29.0, "hạng"), ("xếp thứ 32", 32.0, "hạng")]),
}


@pytest.fixture(scope="module")
def bundled():
    doc = clean(RawDocument(BUNDLED.read_text(encoding="utf-8"), str(BUNDLED), "txt"))
    meta, sections = extract_meta(doc), parse_structure(doc)
    return meta, doc, extract_targets(meta, doc, sections), extract_tasks(meta, doc, sections)


def _by_code(targets):
    out: dict[str, list] = {}
    for t in targets:
        out.setdefault(t.code, []).append(t)
    return out


def test_every_code_and_value(bundled):
    meta, doc, targets, _ = bundled
    by_code = _by_code(targets)
    assert list(by_code) == list(EXPECTED)
    for code, (group, values) in EXPECTED.items():
        got = by_code[code]
        assert [(t.value, t.numeric, t.unit) for t in got] == values, code
        for t in got:
            assert t.group == group
            assert t.section == f"Điều 1 › {group} › {code}"
            assert t.value in doc.text[t.start:t.end]
            assert t.text.startswith(code) and t.text in doc.text
            assert (t.doc_id, t.number) == (meta.doc_id, "70/NQ-HĐND")


def test_indicators_and_comparators(bundled):
    by_code = _by_code(bundled[2])
    par, dti = by_code["(11)"]
    assert (par.indicator, par.comparator) == ("Chỉ số cải cách hành chính (PAR Index)", "xếp thứ")
    assert dti.indicator == "Chỉ số chuyển đổi số (DTI)"
    assert [t.indicator for t in by_code["(1)"]] == ["Tốc độ tăng trưởng GRDP", "GRDP bình quân đầu người"]
    assert [t.indicator for t in by_code["(3)"]] == ["Thu ngân sách trên địa bàn", "Thu nội địa",
                                                     "Thu thuế xuất nhập khẩu"]
    assert by_code["(4)"][0].comparator == "tăng"
    assert [(t.indicator, t.comparator) for t in by_code["(5)"]] == [
        ("Đóng góp của kinh tế số trong GRDP", "tối thiểu"), ("Kinh tế số nền tảng", "từ")]
    assert (by_code["(6)"][0].indicator, by_code["(6)"][0].comparator) == ("Giảm tỷ lệ hộ nghèo đa chiều", "trên")
    (happy,) = by_code["(9)"]  # "từ 70 điểm trở lên" belongs to the indicator
    assert happy.indicator.endswith("(CB-HPI) từ 70 điểm trở lên") and happy.comparator == ""
    assert by_code["(7)"][0].comparator == "" and by_code["(7)"][0].value == "32%"  # "đạt" dropped


def test_resolution_assignments(bundled):
    _, doc, _, tasks = bundled
    art2 = [t for t in tasks if t.section == "Điều 2"]
    assert len(art2) == 1 and art2[0].agency == "Ủy ban nhân dân tỉnh"
    assert art2[0].task == ("tổ chức triển khai thực hiện Nghị quyết và báo cáo kết quả thực hiện "
                            "với Hội đồng nhân dân tỉnh theo quy định")
    art3 = [t for t in tasks if t.section == "Điều 3"]
    assert len(art3) == 1 and "Thường trực Hội đồng nhân dân tỉnh" in art3[0].agency
    assert art3[0].agency.endswith("các đại biểu Hội đồng nhân dân tỉnh")
    assert art3[0].task == "giám sát việc thực hiện Nghị quyết này"
    for t in tasks:
        assert doc.text[t.start:t.end] == t.text and t.task


def test_plan_tasks(bundled):
    _, _, _, tasks = bundled
    budget = [t for t in tasks if t.sector == "Quản lý, điều hành ngân sách, hoạt động tín dụng"]
    assert len(budget) == 4 and all(t.section.startswith("Điều 1 › 3 › 3.1 › 3.1.4.") for t in budget)
    assert budget[0].task.startswith("Tập trung lãnh đạo, chỉ đạo, điều hành") and budget[0].agency == ""
    trade = [t for t in tasks if t.sector == "Phát triển thương mại, dịch vụ"]
    tourism = [t for t in trade if "phát triển du lịch" in t.task]
    assert tourism[0].period == "giai đoạn 2026 - 2030"
    assert not any(t.period == "năm 2024" for t in tasks)  # "Luật Đất đai năm 2024" is no period
    assert len(tasks) > 50


TABLE = (
    ("TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
    ("I", "Lĩnh vực kinh tế", "", "", ""),
    ("1", "Xây dựng Đề án phát triển du lịch", "Sở Văn hóa, Thể thao và Du lịch", "Sở Tài chính", "Quý II/2026"),
    ("2", "Rà soát quy hoạch vùng nguyên liệu", "Sở Nông nghiệp và Môi trường", "", "Năm 2026"),
    ("II", "Lĩnh vực xã hội", "", "", ""),
    ("1", "Tổ chức tuyển sinh trường nội trú liên cấp", "Sở Giáo dục và Đào tạo", "Ủy ban nhân dân các xã",
     "Trước ngày 31/8/2026"),
)


def test_assignment_table():
    text = "\n".join(["KẾ HOẠCH", "Thực hiện Nghị quyết năm 2026", "II. NHIỆM VỤ CỤ THỂ"] + render(TABLE, 0))
    doc = clean(RawDocument(text, "kh.docx", "docx", tables=(TABLE,)))  # as ingest.office renders it
    meta = DocMeta(doc_id="kh-01", number="01/KH-UBND", issued="2026-01-05")
    tasks = extract_tasks(meta, doc, parse_structure(doc))
    assert [(t.sector, t.task, t.agency, t.cooperating, t.period) for t in tasks] == [
        ("I. Lĩnh vực kinh tế", "Xây dựng Đề án phát triển du lịch", "Sở Văn hóa, Thể thao và Du lịch",
         "Sở Tài chính", "Quý II/2026"),
        ("I. Lĩnh vực kinh tế", "Rà soát quy hoạch vùng nguyên liệu", "Sở Nông nghiệp và Môi trường", "", "Năm 2026"),
        ("II. Lĩnh vực xã hội", "Tổ chức tuyển sinh trường nội trú liên cấp", "Sở Giáo dục và Đào tạo",
         "Ủy ban nhân dân các xã", "Trước ngày 31/8/2026"),
    ]
    for t in tasks:  # each task quotes its row, which carries the column names
        assert doc.text[t.start:t.end] == t.text and t.section == "II. NHIỆM VỤ CỤ THỂ"
        assert t.text.startswith(f"{t.text[:1]}. Nhiệm vụ: {t.task}; Cơ quan chủ trì: {t.agency}")
        assert (t.doc_id, t.number) == ("kh-01", "01/KH-UBND")
    # the table's group rows are its own structure, not the document's
    assert [s.path for s in parse_structure(doc) if s.kind == "roman"] == [("II. NHIỆM VỤ CỤ THỂ",)]


SYNTHETIC = """HỘI ĐỒNG NHÂN DÂN TỈNH THỬ NGHIỆM
Số: 12/NQ-HĐND
NGHỊ QUYẾT
Căn cứ Luật Tổ chức chính quyền địa phương;
QUYẾT NGHỊ:
Điều 1. Thông qua kế hoạch với các chỉ tiêu chủ yếu như sau:
- Chỉ tiêu môi trường và xã hội:
(12) Tỷ lệ che phủ rừng đạt 56%.
(13) Số km đường được cứng hóa: 120 km.
(14) Tạo việc làm mới cho 8.000 lao động.
(15) Thu nhập bình quân đầu người đạt 60 triệu đồng, tăng 8% so với năm 2025.
(16) Tỷ lệ trường đạt chuẩn quốc gia 60% trở lên.
(17) Hoàn thành xây dựng nông thôn mới nâng cao.
2. Nhiệm vụ, giải pháp
2.1. Phát triển nông nghiệp
Ban hành kế hoạch tái cơ cấu ngành nông nghiệp trong quý I/2027.
Sở Nông nghiệp và Môi trường chủ trì, phối hợp với Sở Tài chính xây dựng đề án phát triển dược liệu.
Ủy ban nhân dân tỉnh đã tổ chức tổng kết chương trình.
Điều 2. Tổ chức thực hiện
1. Giao Ủy ban nhân dân tỉnh chủ trì, phối hợp với các sở, ban, ngành tổ chức thực hiện Nghị quyết này trước ngày 31/12/2027.
2. Sở Tài chính chịu trách nhiệm tổng hợp, báo cáo kết quả thực hiện hằng năm.
3. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các tổ chức chính trị - xã hội giám sát việc thực hiện.
4. Giao Sở Nội vụ theo dõi, đôn đốc; định kỳ báo cáo Ủy ban nhân dân tỉnh trước ngày 15/12/2027.
Nghị quyết này có hiệu lực từ ngày ký./.
"""


@pytest.fixture(scope="module")
def synthetic():
    doc = clean(RawDocument(SYNTHETIC, "syn.txt", "txt"))
    meta, sections = DocMeta(doc_id="syn", number="12/NQ-HĐND", issued="2026-12-10"), parse_structure(doc)
    return doc, extract_targets(meta, doc, sections), extract_tasks(meta, doc, sections)


def test_unusual_items(synthetic):
    doc, targets, _ = synthetic
    got = [(t.code, t.indicator, t.value, t.comparator, t.numeric, t.unit) for t in targets]
    assert got == [
        ("(12)", "Tỷ lệ che phủ rừng", "56%", "", 56.0, "%"),
        ("(13)", "Số km đường được cứng hóa", "120 km", "", 120.0, "km"),
        ("(14)", "Tạo việc làm mới", "8.000 lao động", "", 8000.0, "lao động"),
        ("(15)", "Thu nhập bình quân đầu người", "60 triệu đồng", "", 60.0, "triệu đồng"),
        ("(15)", "Thu nhập bình quân đầu người", "tăng 8%", "tăng", 8.0, "%"),  # not "năm 2025"
        ("(16)", "Tỷ lệ trường đạt chuẩn quốc gia", "60% trở lên", "trở lên", 60.0, "%"),
        ("(17)", "Hoàn thành xây dựng nông thôn mới nâng cao", "", "", None, ""),
    ]
    assert all(t.group == "Chỉ tiêu môi trường và xã hội" and t.value in doc.text[t.start:t.end] for t in targets)


def test_assignment_patterns(synthetic):
    _, _, tasks = synthetic
    got = {(t.section, t.agency, t.cooperating, t.task, t.period) for t in tasks}
    assert ("Điều 2 › Khoản 1", "Ủy ban nhân dân tỉnh", "các sở, ban, ngành",
            "tổ chức thực hiện Nghị quyết này trước ngày 31/12/2027", "trước ngày 31/12/2027") in got
    assert ("Điều 2 › Khoản 2", "Sở Tài chính", "", "tổng hợp, báo cáo kết quả thực hiện hằng năm",
            "hằng năm") in got
    assert ("Điều 2 › Khoản 3", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các tổ chức chính trị - xã hội", "",
            "giám sát việc thực hiện", "") in got
    # A ";" clause without an agency of its own continues the assignment before it.
    assert ("Điều 2 › Khoản 4", "Sở Nội vụ", "", "theo dõi, đôn đốc; định kỳ báo cáo Ủy ban nhân dân tỉnh "
            "trước ngày 15/12/2027", "trước ngày 15/12/2027") in got
    plan = [t for t in tasks if t.sector == "Phát triển nông nghiệp"]
    assert [(t.agency, t.cooperating, t.period) for t in plan] == [
        ("", "", "quý I/2027"),  # "Ban hành" is a verb, not a Ban
        ("Sở Nông nghiệp và Môi trường", "Sở Tài chính", ""),
        ("", "", ""),  # "đã tổ chức" reports, it does not assign
    ]
    assert plan[1].task == "xây dựng đề án phát triển dược liệu"
    assert {t.sector for t in tasks if t.section.startswith("Điều 2 ›")} == {"Tổ chức thực hiện"}


def test_numbered_list_under_a_plan_is_tasks_not_targets():
    text = ("Điều 1. Nội dung\n2. Nhiệm vụ, giải pháp\n2.1. Quản lý ngân sách\n"
            "(1) Tăng cường quản lý thu ngân sách năm 2027.\n(2) Sở Tài chính chủ trì rà soát các khoản chi.\n")
    doc = clean(RawDocument(text, "t.txt", "txt"))
    meta, sections = DocMeta(doc_id="t", issued="2026-12-01"), parse_structure(doc)
    assert extract_targets(meta, doc, sections) == []  # "năm 2027" is a year, not a value
    got = [(t.sector, t.agency, t.task, t.period) for t in extract_tasks(meta, doc, sections)]
    assert got == [("Quản lý ngân sách", "", "Tăng cường quản lý thu ngân sách năm 2027", "năm 2027"),
                   ("Quản lý ngân sách", "Sở Tài chính", "rà soát các khoản chi", "")]
