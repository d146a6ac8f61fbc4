"""The question, read once (bot/question.py): what is asked, the documents and sections it names,
against a catalog of real-looking metadata (real underthesea, the project's domain table)."""

from __future__ import annotations

import pytest

from bot.question import analyse
from ingest.types import DocMeta

CATALOG = [
    DocMeta("70-nq-hdnd-cao-bang", number="70/NQ-HĐND", type="Nghị quyết", issued="2025-12-11",
            title="Về Kế hoạch phát triển kinh tế - xã hội năm 2026", place="Cao Bằng"),
    DocMeta("010-ct-ubnd-dak-lak", number="010/CT-UBND", type="Chỉ thị", issued="2025-11-17",
            title="Về việc nâng cao trách nhiệm thẩm định thủ tục đầu tư", place="Đắk Lắk"),
    DocMeta("47-2020-nd-cp", number="47/2020/NĐ-CP", type="Nghị định", issued="2020-04-09",
            title="Về quản lý, kết nối và chia sẻ dữ liệu số của cơ quan nhà nước"),
    DocMeta("ke-hoach-lam-dong-cchc", type="Kế hoạch", place="Lâm Đồng",
            title="Kiểm tra công tác cải cách hành chính năm 2026 trên địa bàn tỉnh"),
]


@pytest.mark.parametrize("text, doc_id", [
    ("Ai ký Chỉ thị 010/CT-UBND?", "010-ct-ubnd-dak-lak"),
    ("ai ky chi thi 010", "010-ct-ubnd-dak-lak"),
    ("Chỉ tiêu DTI trong Nghị quyết 70/NQ-HĐND là gì?", "70-nq-hdnd-cao-bang"),
    ("chi tieu DTI trong nghi quyet 70/NQ-HDND la gi", "70-nq-hdnd-cao-bang"),
    ("Nghị định 47/2020 quy định gì về dữ liệu mở?", "47-2020-nd-cp"),
    ("NĐ 47 áp dụng cho ai?", "47-2020-nd-cp"),
    ("Kế hoạch kiểm tra cải cách hành chính năm 2026 trên địa bàn tỉnh giao ai chủ trì?", "ke-hoach-lam-dong-cchc"),
])
def test_a_document_named_by_number_or_title_becomes_a_filter(text, doc_id):
    q = analyse(text, CATALOG)
    assert q.doc_ids == (doc_id,)
    assert not any(part in q.keywords for part in ("nq-hđnd", "ct-ubnd", "010", "47"))  # no keyword, no unknown name


def test_an_unknown_number_names_no_document():
    assert analyse("Quyết định 999/QĐ-UBND do ai ký?", CATALOG).doc_ids == ()


@pytest.mark.parametrize("text, asks, unit", [
    ("Mức phạt lên đến bao nhiêu năm tù?", {"figure", "max"}, "năm"),
    ("Tỷ lệ hộ nghèo giảm bao nhiêu?", {"figure"}, "%"),
    ("Thu ngân sách bao nhiêu tỷ đồng?", {"figure"}, "tỷ"),
    ("Chỉ số DTI xếp thứ mấy?", {"figure"}, "hạng"),
    ("Cơ quan nào chủ trì thẩm định?", {"agency"}, ""),
    ("Thời hạn hoàn thành là khi nào?", {"when"}, ""),
    ("Dữ liệu mở được hiểu là gì?", {"definition"}, ""),
])
def test_what_is_asked(text, asks, unit):
    q = analyse(text, CATALOG)
    assert asks <= q.asks and q.unit == unit


@pytest.mark.parametrize("text, figure, unit", [
    ("Nhiệm kỳ của Hội đồng là mấy năm?", True, "năm"),
    ("Định mức chi đã bao gồm tiền mua máy tính chưa?", False, ""),  # "máy" is no "mấy"
    ("tiền mua may tinh la bao nhieu", True, "đồng"),  # without diacritics "may" may be "mấy"
    ("Tiền xe cho người dự thi tính theo mức nào?", False, ""),  # "mức" is a topic, no quantity
    ("Đảng viên ở Hà Nội được thưởng bao nhiêu lần lương cơ sở?", True, "lần"),  # "Hà" is no hectare
    ("Tổng giao dịch không dùng tiền mặt của Đồng Nai gấp bao nhiêu lần GRDP?", True, "lần"),
    ("Công ty mới thành lập được hỗ trợ bao nhiêu tiền?", True, "đồng"),  # "công ty" is no tỷ
    ("Diện tích đất ở Đồng Nai là bao nhiêu?", True, ""),  # "Đồng" of a place is no đồng
])
def test_a_quantity_asked_and_its_unit(text, figure, unit):
    q = analyse(text, CATALOG)
    assert ("figure" in q.asks) == figure and q.unit == unit


def test_every_metadata_field_a_question_names_is_kept():
    q = analyse("Báo cáo được ký ngày nào và ai ký?", CATALOG)
    assert q.meta_field == "signer" and q.meta_fields == ("signer", "issued") and q.compound
    assert analyse("Ai ký nghị quyết này?", CATALOG).meta_fields == ("signer",)


def test_a_document_number_in_no_catalog_document_is_kept_apart():
    q = analyse("Ai ký Nghị quyết 09/2022/NQ-HĐND về phân bổ vốn?", CATALOG)
    assert q.doc_ids == () and q.others == ("09/2022/NQ-HĐND",)
    assert analyse("Ngày 10/12/2025 có sự kiện gì?", CATALOG).others == ()


def test_amounts_are_not_sections_and_named_sections_are():
    q = analyse("Phạt 500.000.000 đồng theo điểm b khoản 1 Điều 142 là đúng không?", CATALOG)
    assert ("Điều", "142") in q.sections and ("Khoản", "1") in q.sections and ("Điểm", "b") in q.sections
    assert not any(kind == "Mục" for kind, _ in q.sections)


def test_metadata_fields_years_and_places():
    assert analyse("Ai ký nghị quyết này?", CATALOG).meta_field == "signer"
    assert analyse("Chỉ thị có hiệu lực từ ngày nào?", CATALOG).meta_field == "effective"
    assert analyse("Văn bản nào sửa đổi Nghị định 47?", CATALOG).meta_field == "relation"
    q = analyse("Năm 2025 tỉnh Lạng Sơn đạt tăng trưởng bao nhiêu?", CATALOG)
    assert q.years == (2025,) and "Lạng Sơn" in q.places


def test_the_question_is_read_in_its_own_script():
    accented, plain = analyse("Thu nội địa là bao nhiêu?"), analyse("thu noi dia la bao nhieu")
    assert accented.accented and not plain.accented
    assert "nội" in accented.keywords and "noi" in plain.keywords
    assert plain.tokens("Thu nội địa 1.710 tỷ đồng") >= {"thu", "noi", "dia"}


@pytest.mark.parametrize("text,compound", [("Ngày ban hành và người ký nghị quyết?", True),
                                           ("Ai tổ chức thực hiện, ai giám sát nghị quyết?", True),
                                           ("ngay ban hanh va nguoi ky?", True),
                                           ("Ai ký nghị quyết này?", False),
                                           ("Chỉ tiêu tăng trưởng GRDP năm 2026 là bao nhiêu?", False)])
def test_two_questions_in_one(text, compound):
    assert analyse(text).compound is compound


def test_everyday_words_cover_the_documents_words():
    """The domain table's synonyms (bot/data/domain.json): "tiền để …" is covered by "kinh phí",
    "ít nhất" by "tối thiểu", with or without diacritics; a keyword gets a phrase's words only
    where the question says that phrase ("thông báo" is not "bao lâu")."""
    q = analyse("Tiền để làm kế hoạch này lấy từ đâu ra?")
    said = q.tokens("Kinh phí thực hiện Kế hoạch được bố trí từ nguồn ngân sách nhà nước.")
    assert q.matched("tiền", said)
    folded = analyse("tien de lam ke hoach nay lay tu dau ra?")
    assert folded.matched("tien", folded.tokens("Kinh phí thực hiện Kế hoạch được bố trí từ nguồn ngân sách."))
    least = analyse("Mỗi xã phải có ít nhất bao nhiêu cán bộ?")
    assert least.matched("ít", least.tokens("Mỗi xã bố trí tối thiểu 02 cán bộ."))
    told = analyse("Bao lâu một lần phải thông báo kết quả?")
    alternatives = dict(told.alternatives)
    assert "lâu" in alternatives and "báo" not in alternatives
