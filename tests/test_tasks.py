"""Tasks (issue 24): a task naming no agency inherits its document's implementation clause as
its lead agency, marked and citing the clause; an agency named in the task keeps precedence; an
agency span never takes a word of the next clause. Measured on the bundled resolution, through
ingest and through the real `python -m bot tasks`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingest.settings import PROJECT_ROOT
from ingest.tasks import _assignment, lead_agencies
from ingest.types import Task
from tests.app_server import app_env, build_store, lexical_settings
from tests.conftest import BUNDLED

UBND = "Ủy ban nhân dân tỉnh"


@pytest.fixture(scope="module")
def bundled_tasks() -> list[Task]:
    from ingest.pipeline import process_file

    return list(process_file(BUNDLED, lexical_settings(PROJECT_ROOT / "unused-store")).tasks)


def test_the_bundled_resolution_s_tasks_inherit_its_implementation_clause(bundled_tasks):
    leads = lead_agencies(bundled_tasks)
    stated = [t for t in bundled_tasks if t.agency]
    assert len(bundled_tasks) == 58 and len(stated) == 2  # as extracted: 2 name their agency
    assert all(lead.agency for lead in leads)  # measured: 58 of 58 have a lead agency now
    inherited = [(t, lead) for t, lead in zip(bundled_tasks, leads) if lead.inherited]
    assert len(inherited) == 56
    clause = inherited[0][1].clause
    assert clause.section == "Điều 2" and clause.agency == UBND
    assert "tổ chức triển khai thực hiện Nghị quyết" in clause.text  # the clause it cites
    assert {lead.label() for _, lead in inherited} == {f"{UBND} (kế thừa từ Điều 2)"}
    # Agencies the text names keep precedence: the implementation and supervision clauses.
    for t, lead in zip(bundled_tasks, leads):
        if t.agency:
            assert lead.agency == t.agency and not lead.inherited and lead.label() == t.agency
    assert any(lead.agency.startswith("Thường trực Hội đồng nhân dân tỉnh") for lead in leads)


def task(doc: str, agency: str, text: str, section: str = "Điều 1") -> Task:
    return Task(doc_id=doc, number="", section=section, sector="", task=text, agency=agency,
                cooperating="", period="", text=text)


def test_stated_agencies_keep_precedence_and_documents_stay_apart():
    tasks = [task("a", "", "Phát triển du lịch"),
             task("a", "Sở Tài chính", "rà soát các khoản chi"),
             task("a", "Ủy ban nhân dân thành phố", "tổ chức thực hiện Nghị quyết này", "Điều 3"),
             task("b", "", "Nâng cao chất lượng giáo dục"),  # another document: no clause
             task("c", "Các Bộ trưởng, Chủ tịch Ủy ban nhân dân các tỉnh", "chịu trách nhiệm thi hành Quyết định này"),
             task("c", "", "Giảm bụi mịn")]  # a decision's closing "thi hành" clause is no lead
    leads = lead_agencies(tasks)
    assert [lead.agency for lead in leads] == ["Ủy ban nhân dân thành phố", "Sở Tài chính",
                                               "Ủy ban nhân dân thành phố", "", tasks[4].agency, ""]
    assert [lead.inherited for lead in leads] == [True, False, False, False, False, False]
    assert leads[0].label() == "Ủy ban nhân dân thành phố (kế thừa từ Điều 3)"


@pytest.mark.parametrize("sentence, agency", [
    ("Văn phòng Ủy ban nhân dân tỉnh thường xuyên theo dõi, đôn đốc việc thực hiện",
     "Văn phòng Ủy ban nhân dân tỉnh"),
    ("Thủ trưởng các cơ quan, đơn vị, địa phương định kỳ hằng tuần báo cáo kết quả",
     "Thủ trưởng các cơ quan, đơn vị, địa phương"),
    ("Chính phủ và các cơ quan liên quan tập trung chỉ đạo tháo gỡ khó khăn",
     "Chính phủ và các cơ quan liên quan"),
    ("Thường trực Hội đồng nhân dân và các đại biểu Hội đồng nhân dân tỉnh trong phạm vi chức năng, "
     "nhiệm vụ, quyền hạn giám sát việc thực hiện Nghị quyết",
     "Thường trực Hội đồng nhân dân và các đại biểu Hội đồng nhân dân tỉnh"),
    ("Các sở, ban, ngành theo chức năng, nhiệm vụ được giao chủ động triển khai", "Các sở, ban, ngành"),
    ("Ủy ban nhân dân cấp tỉnh trình Hội đồng nhân dân cùng cấp quyết định", "Ủy ban nhân dân cấp tỉnh"),
    ("Ban Chỉ đạo các chương trình mục tiêu quốc gia tỉnh chỉ đạo thực hiện",  # "chương trình" is a noun
     "Ban Chỉ đạo các chương trình mục tiêu quốc gia tỉnh"),
])
def test_an_agency_span_never_takes_a_word_of_the_next_clause(sentence, agency):
    found = _assignment(sentence)
    assert found is not None and found[0] == agency, found


def test_bot_tasks_shows_inherited_agencies_marked_and_cited(tmp_path):
    store = build_store(tmp_path / "store")
    done = subprocess.run([sys.executable, "-m", "bot", "tasks", "--json", "--agency", "uy ban nhan dan tinh"],
                          cwd=PROJECT_ROOT, env=app_env(store), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 57 and all(UBND.lower() in r["agency"].lower() for r in rows)
    inherited = [r for r in rows if "agency_inherited_from" in r]
    assert len(inherited) == 56
    assert all(r["agency_inherited_from"]["section"] == "Điều 2"
               and "tổ chức triển khai thực hiện Nghị quyết" in r["agency_inherited_from"]["text"]
               and r["agency_label"] == f"{UBND} (kế thừa từ Điều 2)" for r in inherited)
    text = subprocess.run([sys.executable, "-m", "bot", "tasks"], cwd=PROJECT_ROOT, env=app_env(store),
                          capture_output=True, text=True, timeout=300)
    header, *lines = text.stdout.splitlines()
    agencies = [line.split("\t")[2] for line in lines]
    assert len(lines) == 58 and "—" not in agencies  # every task of the resolution has a lead
    assert agencies.count(f"{UBND} (kế thừa từ Điều 2)") == 56


DIRECTIVE = """ỦY BAN NHÂN DÂN
TỈNH HÀ NAM
Số: 07/CT-UBND
Hà Nam, ngày 02 tháng 3 năm 2026

CHỈ THỊ
Về tăng cường thẩm định dự án đầu tư

Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các cơ quan thực hiện tốt các nội dung sau:

1. Trách nhiệm cụ thể
a) Sở Xây dựng
- Đánh giá sự phù hợp của dự án với quy hoạch đô thị.
- Đánh giá khả năng đấu nối giao thông của dự án.
b) Thuế tỉnh
- Đánh giá việc nhà đầu tư thực hiện nghĩa vụ thuế.
c) Các nội dung khác
- Báo cáo kết quả trước ngày 15 hằng tháng.
"""


def test_duties_listed_under_an_agency_heading_are_that_agency_s(tmp_path):
    """"a) Sở Xây dựng" followed by its duties: each duty is a task of that agency; a heading that
    is no agency ("c) Các nội dung khác") gives none."""
    from ingest.pipeline import process_file

    path = tmp_path / "chi-thi.txt"
    path.write_text(DIRECTIVE, encoding="utf-8")
    tasks = list(process_file(path, lexical_settings(tmp_path / "store")).tasks)
    by_task = {t.task: t.agency for t in tasks}
    assert by_task["Đánh giá sự phù hợp của dự án với quy hoạch đô thị"] == "Sở Xây dựng"
    assert by_task["Đánh giá khả năng đấu nối giao thông của dự án"] == "Sở Xây dựng"
    assert by_task["Đánh giá việc nhà đầu tư thực hiện nghĩa vụ thuế"] == "Thuế tỉnh"
    assert "Sở Xây dựng" not in by_task and "Thuế tỉnh" not in by_task  # the headings are no tasks
    assert by_task.get("Báo cáo kết quả trước ngày 15 hằng tháng", "") == ""


def test_a_board_named_with_a_verb_word_keeps_its_whole_name():
    """"Ban quản lý …", "Ban Chỉ đạo …" are names: the agency does not end at "quản lý"."""
    assert _assignment("Sở Xây dựng, Ban quản lý Khu Kinh tế chủ trì thẩm định hồ sơ.")[0] == \
        "Sở Xây dựng, Ban quản lý Khu Kinh tế"
    assert _assignment("Ban Chỉ đạo tỉnh chỉ đạo các sở thực hiện.")[:2] == ("Ban Chỉ đạo tỉnh", "")
