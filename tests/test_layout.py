"""Paragraph reconstruction, tables and markdown web copies (ingest.layout, ingest.tables,
ingest.markdown), on text built from the bundled resolution and on synthetic layouts."""

from __future__ import annotations

import pytest

import textwrap

from ingest.clean import clean
from ingest.layout import HARD, HARD_END, Line, mode_of, reconstruct
from ingest.markdown import to_text
from ingest.tables import render
from ingest.types import RawDocument
from tests.fixtures import bundled_lines

PARAGRAPH = ("Tiếp tục thực hiện hiệu quả các nhiệm vụ cải cách hành chính, nâng cao sự hài lòng của "
             "người dân, doanh nghiệp. Siết chặt kỷ luật, kỷ cương hành chính, văn hoá công vụ; đề cao "
             "trách nhiệm của người đứng đầu trong việc thực hiện các mục tiêu, nhiệm vụ lĩnh vực cải "
             "cách hành chính.")


def wrapped(paragraphs: list[str], width: int = 72) -> list[str]:
    lines = []
    for p in paragraphs:
        lines.extend(textwrap.wrap(p, width) if len(p) > width else [p])
    return lines


def test_bundled_web_copy_is_left_as_paragraphs():
    lines = bundled_lines()
    assert mode_of([Line(x) for x in lines])[0] == "none"
    out = [line.text for line in reconstruct("\n".join(lines))]
    assert out == [" ".join(x.split()) for x in lines if x.strip()]


def test_fixed_width_lines_become_paragraphs_headings_and_items_stay():
    paragraphs = ["I. MỤC TIÊU", "1. Mục tiêu chung", PARAGRAPH, "a) " + PARAGRAPH, "- " + PARAGRAPH,
                  "Điều 2. Tổ chức thực hiện", PARAGRAPH]
    text = "\n".join(wrapped(paragraphs))
    assert mode_of([Line(x) for x in text.split("\n")])[0] == "fixed"
    assert [line.text for line in reconstruct(text)] == paragraphs


def test_loose_wrapping_of_web_copies_is_joined_too():
    # HTML-to-markdown converters wrap at varying widths
    parts = ["Căn cứ Luật Tổ", "chức chính quyền địa phương số 72/2025/QH15;", "Điều 1. Phạm vi điều chỉnh",
             "1. Nghị quyết này quy định", "nội dung chi và mức chi để tổ chức các kỳ thi,", "cuộc thi."]
    out = [line.text for line in reconstruct("\n".join(parts * 3))]
    assert out[:3] == ["Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15;", "Điều 1. Phạm vi điều chỉnh",
                       "1. Nghị quyết này quy định nội dung chi và mức chi để tổ chức các kỳ thi, cuộc thi."]


def test_page_furniture_and_hyphenation():
    long = PARAGRAPH + " " + PARAGRAPH
    body = wrapped([long, "2. Sở Tài chính chủ trì, phối hợp với các sở, ngành liên quan tham mưu "
                    "Ủy ban nhân dân tỉnh bố trí kinh phí thực hiện Kế hoạch năm 2026 đúng quy định."] * 2)
    half = len(body) // 2
    pages = [["UBND TỈNH X - KẾ HOẠCH CCHC"] + body[:half] + ["1"],
             ["UBND TỈNH X - KẾ HOẠCH CCHC"] + body[half:] + ["2"],
             ["UBND TỈNH X - KẾ HOẠCH CCHC", "Phân công theo KT-", "XH của tỉnh."] + ["3"]]
    lines = reconstruct("\f".join("\n".join(p) for p in pages))
    texts = [line.text for line in lines]
    assert not any(t in ("1", "2", "3") or t.startswith("UBND TỈNH X") for t in texts)
    assert texts[0] == long
    assert "Phân công theo KT-XH của tỉnh." in texts
    assert lines[0].page == 1 and lines[-1].page == 3
    assert texts.count(long) == 2  # the second one runs across the first page end


def test_footnotes_move_to_the_end_and_markers_go():
    page1 = wrapped([PARAGRAPH, "Ủy ban nhân dân tỉnh đã ban hành nhiều văn bản chỉ đạo điều hành triển khai các "
                     "nhiệm vụ cải cách hành chính trên địa bàn tỉnh2."]) + \
        ["2 Quyết định số 2139/QĐ-UBND ngày 30/12/2024 về Kế hoạch cải cách hành chính năm 2025."]
    page2 = wrapped([PARAGRAPH])
    texts = [line.text for line in reconstruct("\n".join(page1) + "\f" + "\n".join(page2))]
    assert texts[-1].startswith("2 Quyết định số 2139/QĐ-UBND")
    assert any(t.endswith("trên địa bàn tỉnh.") for t in texts)


def test_tables_render_rows_with_headers_and_letterheads_as_lines():
    letterhead = (("ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"),
                  ("Số: /KH-UBND", "Lâm Đồng, ngày tháng 12 năm 2025"))
    lines = [x.split(HARD_END, 1)[1] for x in render(letterhead, 0)]
    assert lines == ["ỦY BAN NHÂN DÂN", "TỈNH LÂM ĐỒNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Số: /KH-UBND", "Lâm Đồng, ngày tháng 12 năm 2025"]
    tasks = (("STT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời gian hoàn thành"),
             ("I", "Cải cách thể chế", "", "", ""),
             ("1", "Rà soát văn bản quy phạm pháp luật", "Sở Tư pháp", "Các sở, ngành", "Tháng 12/2026"))
    lines = render(tasks, 3)
    assert all(x.startswith(HARD) for x in lines)
    body = [x.split(HARD_END, 1) for x in lines]
    assert [tag for tag, _ in body] == [f"{HARD}3.h", f"{HARD}3.h", f"{HARD}3.2"]
    assert body[1][1] == "I. Cải cách thể chế"
    assert body[2][1] == ("1. Nhiệm vụ: Rà soát văn bản quy phạm pháp luật; Chủ trì: Sở Tư pháp; "
                          "Phối hợp: Các sở, ngành; Thời gian hoàn thành: Tháng 12/2026")


def test_markdown_one_pipe_per_line_tables_and_emphasis():
    md = "\n".join([
        "|", "**HỘI ĐỒNG NHÂN", "DÂN**", "TỈNH X", "-------", "|", "**CỘNG HÒA XÃ HỘI", "CHỦ NGHĨA VIỆT NAM**",
        "|", "|", "Số: 12/2025/NQ-HĐND", "|", "*X, ngày", "5 tháng 12 năm 2025*", "|",
        "**NGHỊ QUYẾT**", "*Căn cứ Luật Tổ chức chính quyền", "địa phương số 72/2025/QH15;*",
        "|", "**STT**", "|", "**Nội dung**", "|", "**Mức chi**", "|",
        "|", "1", "|", "Chủ tịch Hội đồng", "|", "692.000 đồng", "|",
        "|", "2", "|", "Ủy viên", "|", "554.000 đồng", "|",
        "**Điều 2. Tổ chức thực hiện**", "Giao Ủy ban nhân dân tỉnh tổ chức thực hiện."])
    text, tables = to_text(md)
    doc = clean(RawDocument(text, "nq.md", "md", tables))
    lines = doc.text.split("\n")
    assert lines[:4] == ["HỘI ĐỒNG NHÂN DÂN TỈNH X", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 12/2025/NQ-HĐND",
                         "X, ngày 5 tháng 12 năm 2025"]
    assert "Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15;" in lines
    assert "1. Nội dung: Chủ tịch Hội đồng; Mức chi: 692.000 đồng" in lines
    assert "Điều 2. Tổ chức thực hiện" in lines
    assert [doc.text[r.start:r.end] for r in doc.rows if r.row >= 0] == [
        "1. Nội dung: Chủ tịch Hội đồng; Mức chi: 692.000 đồng", "2. Nội dung: Ủy viên; Mức chi: 554.000 đồng"]


@pytest.mark.parametrize("before", [["|", "|"], ["Trường hợp một cán bộ thuộc nhiều nhóm", "thì hưởng chế độ cao nhất."]])
def test_an_annex_heading_after_a_one_pipe_table_starts_the_annex(before):
    """Web copies run an annex's table into the next annex: "**PHỤ LỤC II**" after the last
    row's empty cells, or after a cell's last line with no "|" (as in two dev-corpus
    resolutions), ends the table and opens Phụ lục II."""
    from ingest.pipeline import process_raw
    from ingest.settings import Settings

    def table(first: str, second: str) -> list[str]:
        return ["|", "**STT**", "|", "**Nội dung chi**", "|", "**Mức chi**", "|",
                "|", "1", "|", first, "|", "553", "|", "|", "2", "|", second, "|", "498", "|"]

    md = "\n".join(["**NGHỊ QUYẾT**", "**Điều 1. Mức chi**", "Mức chi theo Phụ lục I và Phụ lục II.",
                    "**PHỤ LỤC I**", "MỨC CHI KỲ THI CẤP TRUNG HỌC PHỔ THÔNG",
                    *table("Trưởng ban", "Phó Trưởng ban"), *before,
                    "**PHỤ LỤC II**", "MỨC CHI KỲ THI CẤP TỈNH", *table("Chủ tịch hội đồng", "Thư ký")])
    text, tables = to_text(md)
    doc = process_raw(RawDocument(text, "nq.md", "md", tables), Settings(embed_model="none"))

    def annex(words: str) -> set[str]:
        return {c.section_path[0] for c in doc.chunks if words in c.text}

    assert annex("Trưởng ban") == {"Phụ lục I"} and annex("Phó Trưởng ban") == {"Phụ lục I"}
    assert annex("Chủ tịch hội đồng") == {"Phụ lục II"} and annex("Thư ký") == {"Phụ lục II"}
    assert not any("PHỤ LỤC II" in c.text and c.section_path[0] == "Phụ lục I" for c in doc.chunks)
