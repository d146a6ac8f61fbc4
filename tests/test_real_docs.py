"""Ingestion of the real documents of ../shared/corpus/real (text layers: PDF, Word, web copies):
metadata against the truth table, chunk quality, tables and their tasks, pages, other copies.

Needs the development corpus beside the project (CI has it); skipped with a message otherwise.
"""

from __future__ import annotations


import pytest

from eval.real import REAL_DATA
from eval.truth import chunk_quality, load_truth, meta_report
from ingest.errors import IngestError
from ingest.settings import Settings

from .conftest import REAL_CORPUS as CORPUS
from .conftest import needs_real_corpus

pytestmark = needs_real_corpus
SETTINGS = Settings(embed_model="none")


@pytest.fixture(scope="module")
def docs(real_reads):
    """The documents of the truth table, from the session's one reading of the corpus."""
    out = {}
    for row in load_truth(REAL_DATA / "truth.jsonl", "all"):
        doc = real_reads[CORPUS / row["file"]]
        if isinstance(doc, Exception):
            raise doc
        out[row["file"]] = doc
    return out


def test_metadata_fields_match_the_truth_table(docs):
    report = meta_report(docs, load_truth(REAL_DATA / "truth.jsonl", "all"))
    wrong = [(d, f) for d, fields in report["per_document"].items() for f, s in fields.items() if not s["right"]]
    assert report["field_accuracy"] >= 0.95, wrong
    assert report["per_field"]["number"] == 1.0 and report["per_field"]["issued"] == 1.0


def test_no_fragment_chunks_and_none_oversize(docs):
    for name, doc in docs.items():
        q = chunk_quality(doc)
        assert q["fragment_share"] <= 0.10, (name, q)
        assert q["max"] <= 2000, (name, q)
        for c in doc.chunks:  # spans are exact: a citation highlights what it quotes
            assert doc.clean.text[c.start:c.end] == c.text


def test_numbers_keep_leading_zeros_and_drafts_have_none(docs):
    by_file = {name: d.meta for name, d in docs.items()}
    assert by_file["daklak_ct_ubnd_10_2025_thutuc_dautu.md"].number == "010/CT-UBND"
    assert by_file["camau_kh_ubnd_204_2025_taichinh_ns_3nam.md"].number == "0204/KH-UBND"
    draft = by_file["lamdong_kh_ubnd_nonum_2025_cchc_2026_draft.docx"]
    assert draft.number == "" and draft.issued == "" and draft.type == "Kế hoạch"
    assert draft.doc_id.startswith("ke-hoach-lam-dong-")
    # an e-signed copy prints its number and day in signature fields, not in the text layer
    signed = by_file["binhdinh_cv_ubnd_nonum_2020_nq84_draft.pdf"]
    assert (signed.number, signed.issued, signed.type) == ("4580/UBND-TH", "2020-07-13", "Công văn")


def test_relations_between_documents(docs):
    rel = {name: {(r.kind, r.target) for r in d.meta.relations} for name, d in docs.items()}
    assert rel["hue_nq_35_2025_hdnd_phanbo_von_mtqg.md"] == {("amends", "11/2022/NQ-HĐND"), ("amends", "22/2023/NQ-HĐND")}
    assert ("repeals", "22/2022/NQ-HĐND") in rel["hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md"]
    assert rel["btc_tt_112_2025_kinhphi_mtqg.md"] == {("amends", "55/2023/TT-BTC")}
    assert "72/2025/QH15" in docs["hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md"].meta.based_on


def test_assignment_tables_become_tasks_with_their_agencies(docs):
    for name in ("dongnai_kh_ubnd_179_2025_ktso.md", "lamdong_kh_ubnd_nonum_2025_cchc_2026_draft.docx",
                 "ttg_qd_2530_2025_khongkhi.md"):
        doc = docs[name]
        rows = {r.start for r in doc.clean.rows if r.row >= 0}
        from_table = [t for t in doc.tasks if t.start in rows]
        assert len(from_table) >= 20 and sum(bool(t.agency) for t in from_table) >= 0.8 * len(from_table), name
    dongnai = docs["dongnai_kh_ubnd_179_2025_ktso.md"]
    task = next(t for t in dongnai.tasks if t.task.startswith("Rà soát, xây dựng, sửa đổi, bổ sung các quy định"))
    assert (task.agency, task.period) == ("Sở Tư pháp", "2026 - 2030")
    assert task.cooperating.startswith("Các sở, ban, ngành")


def test_table_rows_carry_their_headers_and_are_chunked_as_tables(docs):
    doc = docs["dongnai_kh_ubnd_179_2025_ktso.md"]
    line = next(doc.clean.text[r.start:r.end] for r in doc.clean.rows if r.row >= 0)
    assert "Đơn vị thực hiện: " in line and "; Thời gian thực hiện: " in line
    assert any(c.kind == "table" for c in doc.chunks)


def test_pdf_chunks_keep_their_pages(docs):
    doc = docs["lamdong_bc_ubnd_nonum_2025_cchc.pdf"]
    pages = [c.page for c in doc.chunks]
    assert pages[0] == 1 and max(pages) >= 30 and all(p >= 1 for p in pages)
    body = [c.page for c in doc.chunks if c.kind != "signature"]
    assert sum(1 for a, b in zip(body, body[1:]) if b < a) <= 3  # footnotes moved to the end only


def test_portal_junk_and_translations_are_dropped(docs):
    tt = docs["btc_tt_112_2025_kinhphi_mtqg.md"].clean.text
    assert "THƯ VIỆN PHÁP LUẬT" not in tt and "Article 1." not in tt and "Đăng nhập" not in tt
    assert tt.count("Điều 1. Sửa đổi, bổ sung một số điều của Thông tư số 55/2023/TT-BTC") == 1


def test_recipients_are_a_block_of_their_own(docs):
    doc = docs["hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md"]
    recipients = [s for s in doc.sections if s.kind == "recipients"]
    assert recipients and doc.clean.text[recipients[0].start:].startswith("Nơi nhận")
    assert any(c.kind == "recipients" for c in doc.chunks)


def test_another_copy_of_a_document_keeps_the_better_text(tmp_path):
    from ingest.service import index_files
    from vectorstore.store import Store

    good = CORPUS / "daklak_ct_ubnd_10_2025_thutuc_dautu.md"
    text = good.read_text(encoding="utf-8")
    worse = tmp_path / "ban-chup.md"  # the same document (same header), a third of its body mangled
    head, body = text[:len(text) // 4], text[len(text) // 4:].split(" ")
    worse.write_text(head + " ".join(w[::-1] if i % 3 == 0 and len(w) > 3 else w for i, w in enumerate(body)),
                     encoding="utf-8")
    store = Store(tmp_path / "store")
    first = index_files(store, [worse], SETTINGS, progress=False)
    second = index_files(store, [good], SETTINGS, progress=False)  # better, but not confirmed
    assert second.results[0].status == "unconfirmed" and store.documents()[0].meta.source == str(worse)
    second = index_files(store, [good], SETTINGS, progress=False, replace=True)
    assert [r.status for r in first.results + second.results] == ["added", "updated"]
    [doc] = store.documents()
    assert doc.meta.source == str(good) and [a.source for a in doc.alternates] == [str(worse)]
    third = index_files(store, [worse], SETTINGS, progress=False)  # the worse copy again: kept out
    assert third.results[0].status == "alternate" and "bản khác của 010/CT-UBND" in third.results[0].user_error
    assert store.documents()[0].meta.source == str(good)


def test_every_real_file_is_read_or_refused_with_a_reason(real_reads):
    files = sorted(p for p in CORPUS.iterdir() if p.name != "SOURCES.md" and p.is_file())
    assert files and sorted(real_reads) == files  # the session read every file, once
    for path, doc in real_reads.items():
        if isinstance(doc, IngestError):
            assert path.name in str(doc) and doc.user_message
        else:
            assert doc.chunks and doc.clean.text.strip(), path.name


# ----------------------------------------------------------- answers across documents loaded together
@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The bundled resolution and four real documents in one store (lexical: real BM25, catalog)."""
    from bot.service import build_bot
    from ingest.service import index_files
    from vectorstore.store import Store

    folder = tmp_path_factory.mktemp("library")
    settings = Settings(embed_model="none", store=folder / "store", cache_dir=folder / "cache")
    files = [CORPUS / f for f in ("daklak_ct_ubnd_10_2025_thutuc_dautu.md", "cp_nd_47_2020_dulieuso.pdf",
                                  "btc_tt_112_2025_kinhphi_mtqg.md", "hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md")]
    store = Store(settings.store)
    report = index_files(store, [settings.data_dir, *files], settings, progress=False)
    assert not report.failures
    bot = build_bot(settings, store=store, progress=False)
    yield bot
    store.close()


@pytest.mark.parametrize("question, number, fact", [
    ("Ai ký Chỉ thị 010/CT-UBND?", "010/CT-UBND", "Trương Công Thái"),
    ("ai ky chi thi 010", "010/CT-UBND", "Trương Công Thái"),
    ("Nghị định 47/2020/NĐ-CP do ai ký?", "47/2020/NĐ-CP", "Nguyễn Xuân Phúc"),
    ("Chỉ tiêu DTI trong Nghị quyết 70/NQ-HĐND là gì?", "70/NQ-HĐND", "xếp thứ 32"),
])
def test_a_question_naming_a_document_is_answered_from_it(library, question, number, fact):
    answer, _ = library.ask(question)
    assert not answer.abstained, answer.text
    assert fact in answer.text[:400] and answer.citations[0].number == number

