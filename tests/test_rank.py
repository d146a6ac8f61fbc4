"""The ranker's context features (bot/rank.py): a question's province and years are matched
against the candidate's whole context, and an unknown fact is never a mismatch; a document
called by description is recognised (real underthesea, the project's domain table)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.candidates import Candidate, described
from bot.evidence import CorpusStats
from bot.question import analyse
from bot.rank import FEATURES, _place, _year, eligible
from ingest.types import Chunk, DocMeta


def candidate(text: str, path: tuple[str, ...] = ("Điều 1",), doc_id: str = "d") -> Candidate:
    chunk = Chunk(id=f"{doc_id}-1", doc_id=doc_id, number="", section_path=path, order=0, start=0,
                  end=len(text), text=text)
    return Candidate("unit", chunk, 0, len(text), 0, 1.0)


FIGURE = "Tỷ lệ hộ nghèo giảm còn 8,5%."
QUESTION = analyse("Tỷ lệ hộ nghèo của tỉnh Cao Bằng năm 2025 là bao nhiêu?")


def test_the_question_reads_its_province_and_year():
    assert QUESTION.places == ("Cao Bằng",) and QUESTION.years == (2025,)


def test_an_unknown_place_is_no_mismatch_and_is_never_zeroed():
    blank = DocMeta("d")  # a reader that found neither issuer nor place
    national = DocMeta("d", issuer="BỘ TÀI CHÍNH", place="Hà Nội", title="Hướng dẫn quản lý kinh phí")
    assert _place(QUESTION, candidate(FIGURE), blank) == (0.0, 1.0)  # (another province, unknown)
    assert _place(QUESTION, candidate(FIGURE), national) == (0.0, 1.0)
    x = np.zeros((1, len(FEATURES)))
    x[0, FEATURES.index("place_unknown")] = 1.0
    assert eligible(np.array([0.7]), x)[0] == 0.7


def test_a_known_other_province_is_a_mismatch_and_its_text_is_never_chosen():
    other = DocMeta("d", issuer="HỘI ĐỒNG NHÂN DÂN TỈNH LẠNG SƠN", place="Lạng Sơn")
    assert _place(QUESTION, candidate(FIGURE), other) == (1.0, 0.0)
    national = DocMeta("d", issuer="THỦ TƯỚNG CHÍNH PHỦ")
    assert _place(QUESTION, candidate("Tại thành phố Hà Nội, tỷ lệ hộ nghèo giảm 2%."), national) == (1.0, 0.0)
    x = np.zeros((2, len(FEATURES)))
    x[0, FEATURES.index("place")] = 1.0
    assert list(eligible(np.array([0.9, 0.4]), x)) == [0.0, 0.4]


def test_the_province_counts_where_the_context_names_it():
    assert _place(QUESTION, candidate(FIGURE, ("Điều 1", "Tình hình tỉnh Cao Bằng")), DocMeta("d")) == (0.0, 0.0)
    assert _place(QUESTION, candidate(FIGURE), DocMeta("d", issuer="UBND TỈNH CAO BẰNG")) == (0.0, 0.0)
    assert _place(QUESTION, candidate("Tỉnh Cao Bằng giảm tỷ lệ hộ nghèo."), DocMeta("d")) == (0.0, 0.0)
    assert _place(analyse("Tỷ lệ hộ nghèo là bao nhiêu?"), candidate(FIGURE), DocMeta("d")) == (0.0, 0.0)


def test_years_are_matched_against_text_headings_and_document():
    meta = DocMeta("d", issued="2025-12-11", title="Về kế hoạch năm 2026")
    # (nowhere in the context, in the candidate's own text or headings)
    assert _year(QUESTION, candidate(FIGURE, ("Điều 1", "Kết quả năm 2025")), meta) == (0.0, 1.0)
    assert _year(QUESTION, candidate(FIGURE), meta) == (0.0, 0.0)  # only the document's date says 2025
    assert _year(QUESTION, candidate("Năm 2024 tỷ lệ hộ nghèo là 9%."), DocMeta("d")) == (1.0, 0.0)
    assert _year(analyse("Tỷ lệ hộ nghèo là bao nhiêu?"), candidate(FIGURE), meta) == (0.0, 0.0)


def test_a_document_called_by_description_is_recognised():
    chunks = [Chunk(id=str(i), doc_id="d", number="", section_path=(), order=i, start=0, end=len(t), text=t)
              for i, t in enumerate(["Mức chi cho kỳ thi tốt nghiệp trung học phổ thông.",
                                     "Người ký quyết định là Chủ tịch.", "Kinh phí ngân sách tỉnh bảo đảm."])]
    stats = CorpusStats(chunks)
    exams = DocMeta("a", type="Nghị quyết", issuer="HĐND TỈNH VĨNH LONG", title="Quy định mức chi tổ chức các kỳ thi")
    budget = DocMeta("b", type="Thông tư", issuer="BỘ TÀI CHÍNH", title="Hướng dẫn quản lý kinh phí")
    q = analyse("Nghị quyết của HĐND tỉnh về mức chi các kỳ thi do ai ký?")
    assert q.doc_ids == ()  # no number: not resolved by reference
    assert described(q, exams, stats) >= 0.5 > described(q, budget, stats)
    folded = analyse("nghi quyet cua hdnd tinh ve muc chi cac ky thi do ai ky")
    assert described(folded, exams, stats) >= 0.5 > described(folded, budget, stats)


def test_ranker_variants_are_compared_on_dev_folds_and_scored_on_test():
    """eval ranker-variants on synthetic rows where one feature decides: both model families
    find it (dev cross-validation picks the threshold, the test split is only scored)."""
    from eval.ranker_variants import compare

    rng = np.random.default_rng(0)
    cov = FEATURES.index("coverage")

    def rows(n: int, split: str) -> list[dict]:
        out = []
        for i in range(n):
            answerable = i % 4 != 0
            x = rng.uniform(0.0, 0.3, (6, len(FEATURES)))
            x[:, [FEATURES.index("place"), FEATURES.index("other_doc")]] = 0.0  # (hard rules: `eligible`)
            y = np.zeros(6)
            if answerable:
                x[i % 6, cov], y[i % 6] = 0.95, 1.0
            out.append({"x": x, "y": y, "item": {"answerable": answerable}, "group": f"{split}:{i % 5}"})
        return out

    results = compare({"dev": rows(80, "dev"), "test": rows(40, "test")}, ("logistic", "boosted"), ("lexical",))
    assert [(r["variant"], r["policy"]) for r in results] == [("logistic", "accuracy"), ("logistic", "fr05"),
                                                              ("boosted", "accuracy"), ("boosted", "fr05")]
    for r in results:
        assert r["test"]["n"] == 40 and r["test"]["accuracy"] >= 0.95 and r["dev"]["accuracy"] >= 0.95
        if r["policy"] == "fr05":
            assert r["dev"]["false_refusals"] <= 0.05


def test_a_dominant_document_is_cut_into_stretches_for_cross_validation():
    from eval.fit_ranker import PARTS, folds

    rows = [{"group": "big"}] * 50 + [{"group": f"doc{i}"} for i in range(10) for _ in range(3)]
    got = folds(rows)
    assert len({f for f in got[:50]}) == PARTS and got[:10] == ["big#0"] * 10  # consecutive stretches
    assert got[50:53] == ["doc0"] * 3  # a small document stays one fold


def test_the_refusal_policy_keeps_false_refusals_at_most_five_percent():
    from eval.fit_ranker import choose

    trade = [{"threshold": t / 10, "accuracy": a, "false_refusal_rate": fr, "refusal_recall": cr}
             for t, a, fr, cr in [(1, 0.6, 0.00, 0.1), (2, 0.65, 0.04, 0.3), (3, 0.7, 0.10, 0.6), (4, 0.66, 0.2, 0.8)]]
    assert choose(trade, "fr05")["threshold"] == 0.2
    assert choose(trade, "accuracy")["threshold"] == 0.3


def test_what_is_asked_must_be_something_the_question_does_not_say():
    """An agency or number the question names is no answer to it; of several kinds asked, one
    held is enough."""
    from bot.rank import _holds

    q = analyse("Sở Khoa học và Công nghệ phối hợp với những cơ quan nào?")
    assert not _holds(q, candidate("Giao Sở Khoa học và Công nghệ chủ trì, tham mưu."))
    assert _holds(q, candidate("Phối hợp thực hiện: Sở Tư pháp, Công an tỉnh."))
    q = analyse("Đảng viên được tặng Huy hiệu 70 năm tuổi Đảng được thưởng bao nhiêu?")
    assert not _holds(q, candidate("Đảng viên được tặng Huy hiệu 70 năm tuổi Đảng trở lên."))
    assert _holds(q, candidate("Huy hiệu 70 năm tuổi Đảng: 8,0 lần mức lương cơ sở."))
    q = analyse("Luật sau khi thông qua thì chậm nhất bao lâu phải được công bố?")
    assert _holds(q, candidate("Luật phải được công bố chậm nhất là mười lăm ngày kể từ ngày thông qua."))
    assert not _holds(q, candidate("Luật được Quốc hội thông qua."))


@pytest.mark.parametrize("question, holding, missing", [
    # whole numbers compared, not digits: "95%" is new to a question that says "15 tuổi"
    ("Đến năm 2030 bao nhiêu phần trăm người từ 15 tuổi trở lên có điện thoại thông minh?",
     "Tỷ lệ dân số từ 15 tuổi trở lên có điện thoại thông minh đạt 95%.",
     "Phát triển xã hội số cho người từ 15 tuổi trở lên đến năm 2030."),
    ("Quốc hội khóa mới phải được bầu xong trước bao nhiêu ngày?",  # spelled out
     "Sáu mươi ngày trước khi Quốc hội hết nhiệm kỳ, Quốc hội khóa mới phải được bầu xong.", None),
    ("Chiều rộng lá cờ bằng bao nhiêu so với chiều dài?",
     "Lá cờ hình chữ nhật, chiều rộng bằng hai phần ba chiều dài.", "Thành phố có một số lá cờ ở xã Ba Vì."),
    ("Tiền ăn thi đấu là bao nhiêu một ngày?",  # alone in a table cell
     "2.2 | Tiền ăn thi đấu | 300 | người/ngày", "Tiền ăn thi đấu theo quy chế chi tiêu nội bộ."),
    ("Đội cấp tỉnh có mấy đội phó?", "Đội cấp tỉnh có một Đội trưởng, hai Đội phó giúp việc Đội trưởng.", None),
    ("Ai kiểm tra việc nộp thuế của nhà đầu tư?", "e) Thuế tỉnh", None),
    ("Ai kiểm tra việc nộp thuế của nhà đầu tư?", "Người đứng đầu đơn vị chịu trách nhiệm.", None),
])
def test_a_figure_is_a_whole_number_spelled_or_in_a_table_cell(question, holding, missing):
    """A figure is a whole number, one spelled out or one alone in a table cell; an agency may be
    named by its head ("Thuế tỉnh", "Người đứng đầu")."""
    from bot.rank import _holds

    q = analyse(question)
    assert _holds(q, candidate(holding))
    assert missing is None or not _holds(q, candidate(missing))


def test_a_fact_of_this_document_is_no_answer_about_another_named_by_number():
    """"Ai ký Nghị quyết 09/2022/NQ-HĐND?" where that resolution is not loaded: the signer of the
    loaded document is not eligible; a relation whose own text names that number is."""
    from bot.rank import _other_doc

    q = analyse("Ai là người ký Nghị quyết 09/2022/NQ-HĐND của Hội đồng nhân dân tỉnh?")
    signer = Candidate("meta", candidate("Lê Văn A").chunk, 0, 8, 0, 1.0, value="Lê Văn A", label="Người ký")
    replaces = Candidate("relation", candidate("Nghị quyết này thay thế Nghị quyết số 09/2022/NQ-HĐND.").chunk,
                         0, 50, 0, 1.0, value="09/2022/NQ-HĐND", label="Thay thế")
    assert _other_doc(q, signer) == 1.0 and _other_doc(q, replaces) == 0.0
    assert _other_doc(q, candidate("Nghị quyết số 09/2022/NQ-HĐND quy định mức chi.")) == 0.0  # its text may say
    assert _other_doc(analyse("Ai ký nghị quyết này?"), signer) == 0.0
    x = np.zeros((2, len(FEATURES)))
    x[0, FEATURES.index("other_doc")] = 1.0
    assert list(eligible(np.array([0.8, 0.3]), x)) == [0.0, 0.3]


def test_a_named_kind_of_document_is_matched_and_a_verb_is_no_kind():
    from bot.rank import _kind

    plan = DocMeta("p", number="12/KH-UBND", type="Kế hoạch")
    report = DocMeta("r", number="329/BC-UBND", type="Báo cáo")
    q = analyse("Kế hoạch cải cách hành chính năm 2026 được ban hành ngày nào?")
    assert q.kinds == ("Kế hoạch",) and _kind(q, plan) == 1.0 and _kind(q, report) == -1.0
    assert _kind(q, DocMeta("u")) == 0.0  # an unknown kind is no mismatch
    assert analyse("Ai xác định mức phân bổ và ai quyết định?").kinds == ()
    assert analyse("Theo quy định của pháp luật thì sao?").kinds == ()
    assert analyse("Quyết định số 12 do ai ký?").kinds == ("Quyết định",)


def test_the_number_of_another_kind_of_document_is_not_this_ones():
    """"… xét trên tờ trình số mấy?" of a resolution: its own number is no answer; the sentence
    that gives the submission's number is. A question on the document's own number is as before."""
    from bot.rank import _holds

    resolution = DocMeta("r", number="48/2025/NQ-HĐND", type="Nghị quyết")
    own = Candidate("meta", candidate("Số: 48/2025/NQ-HĐND").chunk, 0, 19, 0, 1.0, value="48/2025/NQ-HĐND",
                    label="Số hiệu")
    q = analyse("Nghị quyết về phân bổ ngân sách được xét trên tờ trình số mấy của Ủy ban nhân dân?")
    assert q.meta_field == "number" and q.number_of == "Tờ trình"
    assert not _holds(q, own, resolution)
    assert _holds(q, candidate("Xét Tờ trình số 428/TTr-UBND ngày 21 tháng 11 năm 2025 của Ủy ban nhân dân."),
                  resolution)
    q = analyse("Nghị quyết về phân bổ ngân sách có số hiệu là gì?")
    assert q.number_of == "Nghị quyết" and _holds(q, own, resolution)  # its own kind: its own number
    q = analyse("Nghị quyết số mấy quy định việc này?")
    assert q.number_of == "Nghị quyết" and _holds(q, own, resolution)
    assert _holds(analyse("Tờ trình số mấy?"), own, DocMeta("u"))  # an unknown kind is no mismatch
    q = analyse("Quyết định này căn cứ Luật Cán bộ, công chức số mấy?")
    assert q.number_of == "Luật"
    assert _holds(q, candidate("Căn cứ Luật Cán bộ, công chức số 80/2025/QH15;"), resolution)


def test_a_document_asked_is_answered_by_a_number_or_a_law_the_question_does_not_name():
    from bot.rank import _holds

    q = analyse("Giá trị pháp lý của dữ liệu được xác định theo luật nào?")
    assert "document" in q.asks
    assert _holds(q, candidate("Dữ liệu có giá trị pháp lý theo quy định của Luật Giao dịch điện tử."))
    assert not _holds(q, candidate("Dữ liệu có giá trị pháp lý theo quy định của pháp luật."))
    q = analyse("Kế hoạch căn cứ vào kế hoạch hành động nào của Tỉnh ủy?")
    assert _holds(q, candidate("Căn cứ Kế hoạch số 469-KH/TU ngày 02/3/2025 của Tỉnh ủy;"))
    assert "document" not in analyse("Kế hoạch yêu cầu sở nào chủ trì?").asks


def test_the_date_of_another_document_named_by_number_is_in_a_text():
    from bot.rank import _holds

    q = analyse("Chỉ thị 814/TTg được ban hành ngày nào?")
    assert q.meta_field == "issued" and q.others == ("814/TTg",)
    assert _holds(q, candidate("Thực hiện Chỉ thị 814/TTg ngày 12/12/1995 của Thủ tướng Chính phủ."))
    q = analyse("Cấp có thẩm quyền cho ý kiến trước ngày nào hằng tháng?")
    assert _holds(q, candidate("Cấp có thẩm quyền cho ý kiến trước ngày 26 hằng tháng."))
    assert not _holds(q, candidate("Cấp có thẩm quyền cho ý kiến hằng tháng."))


def test_a_metadata_fact_covers_the_words_naming_its_document(tmp_path):
    """"Ai ký Chỉ thị về … của tỉnh X?": the signer fact covers the question's words that name
    its document, as a fact of the whole document, and its label covers "ký"; the same line as a
    plain unit does not."""
    from bot.rank import features
    from ingest.pipeline import process_raw
    from ingest.settings import Settings
    from ingest.types import RawDocument
    from vectorstore.store import Store

    text = ("ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH\nSố: 10/CT-UBND\nBắc Ninh, ngày 17 tháng 11 năm 2025\nCHỈ THỊ\n"
            "Về tăng cường phối hợp thẩm định thủ tục đầu tư\n"
            "Các sở, ngành phối hợp chặt chẽ trong thẩm định hồ sơ dự án đầu tư trên địa bàn tỉnh.\n"
            "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Văn An\n")
    doc = process_raw(RawDocument(text, "ct10.txt", "txt"), Settings(embed_model="none"))
    store = Store(tmp_path / "s", None)
    store.upsert(doc)
    chunk = next(c for c in doc.chunks if "Nguyễn Văn An" in c.text)
    a = chunk.text.index("Nguyễn Văn An")
    q = analyse("Ai ký Chỉ thị về tăng cường phối hợp thẩm định thủ tục đầu tư của tỉnh Bắc Ninh?")
    fact = Candidate("meta", chunk, a, a + 13, 0, 1.0, value="Nguyễn Văn An", label="Người ký")
    unit = Candidate("unit", chunk, a, a + 13, 0, 1.0)
    x = features(q, [fact, unit], store)
    cov = FEATURES.index("coverage")
    assert x[0, cov] > 0.8 and x[1, cov] < 0.3


def test_a_span_without_two_words_of_letters_is_no_candidate(tmp_path):
    from bot.candidates import gather
    from ingest.pipeline import process_raw
    from ingest.settings import Settings
    from ingest.types import RawDocument
    from vectorstore.store import Store
    from vectorstore.types import Hit

    text = ("NGHỊ QUYẾT\nVề mức chi\nĐiều 5. Hiệu lực thi hành\n"
            "Nghị quyết này có hiệu lực từ ngày 01 tháng 01 năm 2026.\n/.\n16/08/2023 64\n")
    doc = process_raw(RawDocument(text, "nq.txt", "txt"), Settings(embed_model="none"))
    store = Store(tmp_path / "s", None)
    store.upsert(doc)
    hits = [Hit(c, 1.0, "lexical") for c in doc.chunks]
    said = {c.text for c in gather(analyse("Nghị quyết có hiệu lực từ khi nào?"), hits, store)}
    assert "Nghị quyết này có hiệu lực từ ngày 01 tháng 01 năm 2026." in said
    assert not said & {"/.", "16/08/2023 64"}


def test_a_question_asking_for_the_part_is_answered_by_the_part_named(tmp_path):
    """"Điều nào … quy định X?": the part is asked ("mức nào", a level, is not); each top chunk
    gives a candidate named by its heading path, which holds what is asked and leads the answer."""
    from bot.answer import ExtractiveAnswerer
    from bot.candidates import gather
    from bot.rank import _holds
    from ingest.pipeline import process_raw
    from ingest.settings import Settings
    from ingest.types import RawDocument
    from vectorstore.store import Store
    from vectorstore.types import Hit

    assert "section" in analyse("Trong nghị định, điều nào liệt kê các hành vi bị cấm?").asks
    assert "section" in analyse("Mức chi hội thi được quy định ở phụ lục nào?").asks
    assert "section" in analyse("dieu nao quy dinh hanh vi bi cam").asks
    assert "section" not in analyse("Mức chi nào áp dụng cho hội thi?").asks
    text = ("NGHỊ ĐỊNH\nVề dữ liệu\nĐiều 7. Nguyên tắc chung\nDữ liệu được chia sẻ đúng mục đích.\n"
            "Điều 8. Các hành vi bị cấm\nNghiêm cấm việc làm sai lệch, phá hủy dữ liệu của cơ quan nhà nước.\n")
    doc = process_raw(RawDocument(text, "nd.txt", "txt"), Settings(embed_model="none"))
    store = Store(tmp_path / "s", None)
    store.upsert(doc)
    q = analyse("Điều nào cấm làm sai lệch, phá hủy dữ liệu?")
    cands = gather(q, [Hit(c, 1.0, "lexical") for c in doc.chunks], store)
    parts = [c for c in cands if c.source == "section"]
    assert any(c.value.startswith("Điều 8") for c in parts) and all(_holds(q, c) for c in parts)
    assert not any(_holds(q, c) for c in cands if c.source == "unit")
    best = next(c for c in parts if c.value.startswith("Điều 8"))
    answer = ExtractiveAnswerer(store, None).compose(q, [best], 1.0)
    assert answer.text.startswith("Điều 8")


def test_the_refusal_policy_picks_its_threshold_from_the_fitted_file():
    import pytest

    from bot.rank import load_model

    default, fr05 = load_model("hybrid"), load_model("hybrid", refusal="fr05")
    assert fr05.threshold < default.threshold  # answers more: false refusals at most 0.05 on dev
    assert fr05.info["policies"]["fr05"]["false_refusal_rate"] <= 0.05
    with pytest.raises(ValueError, match="refusal policy"):
        load_model("hybrid", refusal="never")


def test_an_unknown_refusal_policy_is_refused_before_the_store_opens(tmp_path):
    import pytest

    from bot.service import build_bot
    from ingest.settings import Settings

    with pytest.raises(ValueError, match="VNQA_REFUSAL"):
        build_bot(Settings.from_env({"VNQA_REFUSAL": "never", "VNQA_STORE": str(tmp_path / "none")}))
    assert not (tmp_path / "none").exists()
