"""Relations from the clauses that make them (issue 23, Build 3): what a document amends, replaces
or repeals, never what its "Căn cứ …" citations say about other documents; every document of a
list, lettered items under "Bãi bỏ … sau:", several documents that lose effect in one sentence.

The texts are sentences of real documents of the development corpus (and of their kind), laid out
as other copies lay them out: wrapped lines, citations listed after a ";", lists without a verb in
each item. Real documents are read end to end at the end.
"""

from __future__ import annotations

import textwrap

import pytest

from ingest.pipeline import process_file
from ingest.relations import relations
from ingest.settings import Settings

from .conftest import REAL_CORPUS, needs_real_corpus

OWN = "22/2025/NQ-HĐND"


def found(text: str, title: str = "", own: str = OWN) -> set[tuple[str, str]]:
    return {(r.kind, r.target) for r in relations(text, title, own)}


CITATION = ("Căn cứ Nghị định số 27/2022/NĐ-CP ngày 19 tháng 4 năm 2022 của Chính phủ quy định cơ chế quản "
            "lý, tổ chức thực hiện các chương trình mục tiêu quốc gia được sửa đổi, bổ sung bởi Nghị định số "
            "38/2023/NĐ-CP ngày 24 tháng 6 năm 2023 của Chính phủ;")


@pytest.mark.parametrize("width", [None, 60, 80, 100])
def test_a_citation_amended_by_another_is_no_relation(width):
    """The citation as one line, or wrapped as a PDF text layer or a layout .txt wraps it."""
    lines = [CITATION] if width is None else textwrap.wrap(CITATION, width)
    text = "\n".join(["Căn cứ Luật Ngân sách nhà nước số 83/2015/QH13;", *lines,
                      "Theo đề nghị của Vụ trưởng Vụ Ngân sách nhà nước;",
                      "Bộ trưởng Bộ Tài chính ban hành Thông tư sửa đổi, bổ sung một số điều của Thông tư "
                      "số 55/2023/TT-BTC ngày 15 tháng 8 năm 2023 của Bộ trưởng Bộ Tài chính."])
    assert found(text, own="112/2025/TT-BTC") == {("amends", "55/2023/TT-BTC")}


def test_documents_listed_after_a_citation_are_cited_too():
    """"Căn cứ X; Nghị định Y sửa đổi, bổ sung X;" in one paragraph, or the list going on below."""
    amended = ("Nghị định số 38/2023/NĐ-CP ngày 24 tháng 6 năm 2023 của Chính phủ sửa đổi, bổ sung một số "
               "điều của Nghị định số 27/2022/NĐ-CP;")
    head = CITATION.split(" được sửa đổi")[0] + ";"
    assert found(head + " " + amended) == set()
    assert found(head + "\n" + amended + "\nLuật sửa đổi, bổ sung một số điều của Luật Đầu tư công;\n"
                 "QUYẾT NGHỊ:") == set()


def test_lettered_items_under_a_head_each_yield_their_document():
    text = "\n".join([
        "5. Nghị quyết này bãi bỏ các văn bản sau:",
        "a) Khoản 2 Điều 1 Nghị quyết số 246/NQ-HĐND ngày 10 tháng 9 năm 2025 của Hội đồng nhân dân tỉnh "
        "quyết định việc áp dụng văn bản quy phạm pháp luật.",
        "b) Nghị quyết số 10/2022/NQ-HĐND ngày 07 tháng 7 năm 2022 của Hội đồng nhân dân tỉnh quy định "
        "nội dung, mức chi để tổ chức các kỳ thi, cuộc thi, hội thi;",
        "c) Nghị quyết số 27/2023/NQ-HĐND ngày 08 tháng 12 năm 2023 của Hội đồng nhân dân tỉnh sửa đổi, "
        "bổ sung Điều 3 Nghị quyết số 10/2022/NQ-HĐND ngày 07 tháng 7 năm 2022.",
        "Nghị quyết này đã được Hội đồng nhân dân tỉnh thông qua ngày 18 tháng 11 năm 2025."])
    assert found(text) == {("amends", "246/NQ-HĐND"), ("repeals", "10/2022/NQ-HĐND"),
                           ("repeals", "27/2023/NQ-HĐND")}
    # each item with its own verb, as the corpus document writes them
    verbs = text.replace("a) Khoản", "a) Bãi bỏ khoản").replace("b) Nghị", "b) Bãi bỏ toàn bộ Nghị") \
                .replace("c) Nghị", "c) Bãi bỏ toàn bộ Nghị")
    assert found(verbs) == found(text)


def test_a_list_of_documents_that_lose_effect():
    text = "\n".join([
        "Điều 3. Hiệu lực thi hành",
        "1. Quyết định này có hiệu lực kể từ ngày 01 tháng 01 năm 2026.",
        "2. Các văn bản sau đây hết hiệu lực kể từ ngày Quyết định này có hiệu lực:",
        "- Quyết định số 10/2020/QĐ-UBND ngày 05 tháng 3 năm 2020 của Ủy ban nhân dân tỉnh;",
        "- Quyết định số 11/2021/QĐ-UBND ngày 12 tháng 4 năm 2021 của Ủy ban nhân dân tỉnh.",
        "3. Chánh Văn phòng Ủy ban nhân dân tỉnh chịu trách nhiệm thi hành Quyết định này."])
    assert found(text, own="05/2026/QĐ-UBND") == {("repeals", "10/2020/QĐ-UBND"), ("repeals", "11/2021/QĐ-UBND")}


@pytest.mark.parametrize("sentence, expected", [
    # several subjects of "hết hiệu lực", with their dates, by number only after the first
    ("Quyết định số 10/2020/QĐ-UBND ngày 05/3/2020, số 11/2021/QĐ-UBND và số 12/2022/QĐ-UBND hết hiệu lực "
     "kể từ ngày Quyết định này có hiệu lực.",
     {("repeals", "10/2020/QĐ-UBND"), ("repeals", "11/2021/QĐ-UBND"), ("repeals", "12/2022/QĐ-UBND")}),
    # subjects with names and relative clauses (Luật Xử lý vi phạm hành chính 2012, Điều 142)
    ("2. Pháp lệnh Xử lý vi phạm hành chính số 44/2002/PL-UBTVQH10, Pháp lệnh số 31/2007/PL-UBTVQH11 sửa "
     "đổi một số điều của Pháp lệnh xử lý vi phạm hành chính năm 2002 và Pháp lệnh số 04/2008/UBTVQH12 sửa "
     "đổi, bổ sung một số điều của Pháp lệnh xử lý vi phạm hành chính hết hiệu lực kể từ ngày Luật này có "
     "hiệu lực.",
     {("repeals", "44/2002/PL-UBTVQH10"), ("repeals", "31/2007/PL-UBTVQH11"), ("repeals", "04/2008/UBTVQH12")}),
    # the amending documents of the subject stay in force (Nghị quyết 48/2025 of Hà Nội)
    ("2. Nghị quyết số 22/2022/NQ-HĐND ngày 08 tháng 12 năm 2022 của HĐND Thành phố được sửa đổi, bổ sung "
     "bởi Nghị quyết số 20/2023/NQ-HĐND và Nghị quyết số 11/2025/NQ-HĐND hết hiệu lực kể từ ngày Nghị "
     "quyết này có hiệu lực thi hành.",
     {("repeals", "22/2022/NQ-HĐND")}),
    # the subjects of one sentence across ";"
    ("Nghị quyết số 10/2022/NQ-HĐND ngày 07 tháng 7 năm 2022 của Hội đồng nhân dân tỉnh quy định mức chi; "
     "Nghị quyết số 27/2023/NQ-HĐND ngày 08 tháng 12 năm 2023 của Hội đồng nhân dân tỉnh sửa đổi, bổ sung "
     "Điều 3 Nghị quyết số 10/2022/NQ-HĐND hết hiệu lực kể từ ngày 01 tháng 01 năm 2026.",
     {("repeals", "10/2022/NQ-HĐND"), ("repeals", "27/2023/NQ-HĐND")}),
    # one verb, several objects
    ("Bãi bỏ các Quyết định số 10/2020/QĐ-UBND, số 11/2021/QĐ-UBND của Ủy ban nhân dân tỉnh.",
     {("repeals", "10/2020/QĐ-UBND"), ("repeals", "11/2021/QĐ-UBND")}),
    # a report that goes on carrying out an amending resolution amends nothing
    ("3.4. Tiếp tục Nghị quyết số 09/2003/NQ-CP bổ sung Nghị quyết 16/2000/NQ-CP của Chính phủ.", set()),
])
def test_sentences_naming_several_documents(sentence, expected):
    assert found(sentence, own="15/2012/QH13") == expected


@needs_real_corpus
@pytest.mark.parametrize("name, expected", [
    ("vinhlong_nq_22_2025_hdnd_mucchi_kythi.md",
     {("amends", "246/NQ-HĐND"), ("repeals", "10/2022/NQ-HĐND"), ("repeals", "27/2023/NQ-HĐND")}),
    ("btc_tt_112_2025_kinhphi_mtqg.md", {("amends", "55/2023/TT-BTC")}),
    ("hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md", {("repeals", "22/2022/NQ-HĐND")}),
    ("qh_luat_15_2012_xlvphc.doc",
     {("repeals", "44/2002/PL-UBTVQH10"), ("repeals", "31/2007/PL-UBTVQH11"), ("repeals", "04/2008/UBTVQH12")}),
    ("cantho_qd_ub_256_2004_cchc_tcvn3.doc", set()),
])
def test_real_documents(name, expected):
    meta = process_file(REAL_CORPUS / name, Settings(embed_model="none")).meta
    assert {(r.kind, r.target) for r in meta.relations} == expected


@needs_real_corpus
def test_a_wrapped_copy_keeps_its_relations(tmp_path):
    """A corpus document as a .txt wrapped at 80 columns (a text layer's lines): the same relations."""
    settings = Settings(embed_model="none")
    for name in ("btc_tt_112_2025_kinhphi_mtqg.md", "vinhlong_nq_22_2025_hdnd_mucchi_kythi.md"):
        doc = process_file(REAL_CORPUS / name, settings)
        path = tmp_path / (name.rsplit(".", 1)[0] + ".txt")
        path.write_text("\n".join(w for line in doc.clean.text.split("\n") for w in textwrap.wrap(line, 80) or [""]),
                        encoding="utf-8")
        copy = process_file(path, settings)
        assert {(r.kind, r.target) for r in copy.meta.relations} == {(r.kind, r.target) for r in doc.meta.relations}


def test_an_item_naming_no_document_keeps_the_list_and_new_wording_is_no_list():
    text = "\n".join([
        "Điều 2. Bãi bỏ các văn bản sau đây của Ủy ban nhân dân tỉnh:",
        "1. Quyết định số 10/2020/QĐ-UBND ngày 05 tháng 3 năm 2020;",
        "2. Các quy định trái với Quyết định này;",
        "3. Quyết định số 11/2021/QĐ-UBND ngày 12 tháng 4 năm 2021.",
        "Điều 3. Sửa đổi, bổ sung khoản 2 Điều 5 như sau:",
        "a) Hồ sơ gồm bản sao Quyết định số 12/2022/QĐ-UBND và tờ khai;",
        "b) Thời hạn giải quyết là 10 ngày làm việc."])
    assert found(text, own="05/2026/QĐ-UBND") == {("repeals", "10/2020/QĐ-UBND"), ("repeals", "11/2021/QĐ-UBND")}
