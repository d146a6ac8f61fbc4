"""Section labels the text supports (issue 24): where plan numbering jumps (3.2.2 followed by
3.7, the headings between lost in a web copy), paragraphs that do not share a content word with
the heading before the jump are cited under the last certain ancestor by position ("Điều 1 › 3,
đoạn 41"); continuous numbering keeps its sections."""

from __future__ import annotations

import re

import pytest

from bot.evidence import cite
from ingest.pipeline import process_file, process_raw
from ingest.settings import Settings
from ingest.types import SEP, RawDocument

from .conftest import BUNDLED


class _NoStore:
    """cite() asks the store for the document's title only."""

    def get(self, _doc_id):
        return None


def _label(chunk) -> str:
    return cite(1, chunk, 0, len(chunk.text), _NoStore()).section


def _position(text: str, ancestor, start: int) -> int:
    """The paragraph number of the line at `start` among the non-empty lines below the
    ancestor's heading line."""
    lines = [m.start() for m in re.finditer(r"[^\n]+", text[:start + 1]) if m.start() > ancestor.start]
    return lines.index(start) + 1


@pytest.fixture(scope="module")
def bundled():
    return process_file(BUNDLED, Settings(embed_model="none"))


def test_paragraph_before_the_jump_heading_is_cited_under_the_ancestor(bundled):
    sections = bundled.sections
    # The plan heading after the jump and the one before it, found by their numbers.
    after = next(i for i, s in enumerate(sections) if s.kind == "plan" and s.path[-1].startswith("3.7."))
    before = next(s for s in reversed(sections[:after]) if s.kind == "plan")
    assert before.path[-1].startswith("3.2.2.")
    head = next(c for c in bundled.chunks if c.start == sections[after].start)
    last = bundled.chunks[head.order - 1]  # the paragraph right before the "3.7." heading
    label = _label(last)
    assert "3.2.2" not in label and "y tế" not in label
    m = re.fullmatch(r"Điều 1 › 3, đoạn (\d+)", label)
    assert m, label
    # The ancestor is the real "3." heading, and the number is the paragraph's position under it.
    ancestor = next(s for s in sections if s.path == last.section_path[:-1])
    assert ancestor.heading.startswith("3. ") and ancestor.kind == "plan"
    assert int(m.group(1)) == _position(bundled.clean.text, ancestor, last.start)
    # The reader and the task list read the same path.
    assert any(s.path == last.section_path and s.heading == "" for s in sections)
    assert any(t.section == last.section for t in bundled.tasks)


def test_heading_keeps_the_paragraphs_that_share_its_topic(bundled):
    chunks = bundled.chunks
    under = [c for c in chunks if c.section_path[-1].startswith("3.2.2.")]
    assert under and under[0].text.startswith("3.2.2.")
    # a contiguous run right after the heading, about its topic (health), not up to 3.7
    assert [c.order for c in under] == list(range(under[0].order, under[0].order + len(under)))
    assert all("y tế" in c.text for c in under)
    nxt = chunks[under[-1].order + 1]
    assert _label(nxt).startswith("Điều 1 › 3, đoạn ")
    # every chunk between the jump's two headings is either under 3.2.2 or placed by position
    head = next(c for c in chunks if c.section_path[-1].startswith("3.7."))
    between = chunks[under[0].order:head.order]
    assert all(c in under or re.fullmatch(r"đoạn \d+", c.section_path[-1]) for c in between)


def _plan(next_number: str) -> str:
    return "\n".join([
        "HỘI ĐỒNG NHÂN DÂN TỈNH BẮC NAM",
        "NGHỊ QUYẾT",
        "Về kế hoạch năm 2026",
        "Điều 1. Thông qua kế hoạch năm 2026 với nội dung sau:",
        "1. Nhiệm vụ chủ yếu",
        "1.1. Phát triển nông nghiệp bền vững",
        "Chuyển đổi cơ cấu cây trồng, vật nuôi; mở rộng diện tích lúa chất lượng cao và vùng nguyên "
        "liệu tập trung cho chế biến nông sản.",
        "1.2. Đầu tư giao thông liên vùng",
        "Hoàn thành tuyến đường giao thông nối các huyện miền núi, nâng cấp cầu yếu và bến xe khách "
        "liên tỉnh.",
        "Tổ chức đại hội thể dục thể thao các cấp, đào tạo vận động viên trẻ cho các giải thi đấu "
        "khu vực.",
        "Rà soát văn bản quy phạm pháp luật, nâng cao chất lượng hộ tịch, chứng thực và trợ giúp "
        "pháp lý.",
        f"{next_number}. Mở rộng hoạt động đối ngoại",
        "Tăng cường hợp tác với các địa phương biên giới và các đối tác nước ngoài.",
        "Điều 2. Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết này.",
    ])


def _paths(text: str) -> dict[str, tuple[str, ...]]:
    doc = process_raw(RawDocument(text, "kh.txt", "txt"), Settings(embed_model="none"))
    return {line: next(c.section_path for c in doc.chunks if c.start <= doc.clean.text.index(line) < c.end)
            for line in ("Tổ chức đại hội", "Rà soát văn bản", "Hoàn thành tuyến đường")}


def test_continuous_numbering_keeps_its_sections():
    paths = _paths(_plan("1.3"))
    assert all(p[-1] == "1.2. Đầu tư giao thông liên vùng" for p in paths.values()), paths
    # and a missing parent (2.1 after 1.2) is no jump either
    paths = _paths(_plan("2.1"))
    assert all(p[-1] == "1.2. Đầu tư giao thông liên vùng" for p in paths.values()), paths


def test_jump_in_another_document_places_unrelated_paragraphs_by_position():
    paths = _paths(_plan("1.6"))
    assert paths["Hoàn thành tuyến đường"][-1] == "1.2. Đầu tư giao thông liên vùng"
    assert paths["Tổ chức đại hội"] == ("Điều 1", "1. Nhiệm vụ chủ yếu", "đoạn 5")
    assert paths["Rà soát văn bản"] == ("Điều 1", "1. Nhiệm vụ chủ yếu", "đoạn 6")
    assert SEP.join(paths["Rà soát văn bản"]).endswith("đoạn 6")


DECREE = """CHÍNH PHỦ
Số: 99/2099/NĐ-CP
NGHỊ ĐỊNH
Về thử nghiệm chia sẻ dữ liệu
Chương I
QUY ĐỊNH CHUNG
Điều 4. Giá trị pháp lý của dữ liệu được chia sẻ
Giá trị pháp lý của dữ liệu được chia sẻ được xác định theo quy định tại Mục 1
Chương II Luật Giao dịch điện tử và quy định của pháp luật có liên quan.
Điều 5. Nguyên tắc chung
Dữ liệu được chia sẻ phục vụ người dân và doanh nghiệp.
Chương II
QUẢN LÝ DỮ LIỆU
Điều 6. Quản lý dữ liệu
Cơ quan nhà nước quản lý dữ liệu theo phân cấp.
Chương III. Điều khoản thi hành
Điều 7. Hiệu lực thi hành
Nghị định này có hiệu lực từ ngày ký.
"""


def test_a_wrapped_sentence_starting_with_chuong_is_no_chapter():
    """"… quy định tại Mục 1 / Chương II Luật Giao dịch điện tử và …" (a PDF line wrap, as in
    Nghị định 47/2020) stays in its article; the real "Chương II" and a "Chương III. Title" open
    chapters."""
    doc = process_raw(RawDocument(DECREE, "nd99.txt", "txt"), Settings(embed_model="none"))
    def chapter(words: str) -> set[str]:
        return {c.section_path[0] for c in doc.chunks if words in c.text}

    where = {c.section_path for c in doc.chunks if "Luật Giao dịch điện tử" in c.text}
    assert where and all(p[:2] == ("Chương I", "Điều 4") for p in where), where
    assert chapter("Điều 5.") == {"Chương I"}
    assert chapter("Điều 6.") == {"Chương II"} and chapter("Điều 7.") == {"Chương III"}
