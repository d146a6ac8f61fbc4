"""Metadata from layouts the letterhead parser did not expect (issue 23, Build 2 and item 3), on
real dev-corpus text: web copies whose letterhead was lost (the text starts at its kind line) and
letterheads whose blocks come in another order or two to a line. What the text still says is
found; what it no longer says stays empty."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from ingest import letterhead as lh
from ingest.meta import extract_meta
from ingest.pipeline import process_file
from ingest.settings import Settings

from .conftest import REAL_CORPUS, needs_real_corpus

pytestmark = needs_real_corpus


def clean(real_reads, name: str):
    return real_reads[REAL_CORPUS / name].clean


def kind_at(doc, kind: str) -> int:
    return doc.text.split("\n").index(kind)


def stripped(doc, kind: str, drop: tuple[str, ...] = ()):
    """The document as a web copy that lost its letterhead: from its kind line on; lines starting
    with `drop` removed too."""
    lines = doc.text.split("\n")[kind_at(doc, kind):]
    return dataclasses.replace(doc, text="\n".join(x for x in lines if not x.startswith(drop)), header={})


def test_a_stripped_resolution_file_keeps_issuer_date_and_number_its_text_states(real_reads, tmp_path):
    doc = stripped(clean(real_reads, "vinhlong_nq_22_2025_hdnd_mucchi_kythi.md"), "NGHỊ QUYẾT")
    path = tmp_path / "nq.md"
    path.write_text(doc.text, encoding="utf-8")
    meta = process_file(path, Settings(embed_model="none")).meta
    assert (meta.issuer, meta.place, meta.issued) == ("Hội đồng nhân dân tỉnh Vĩnh Long", "Vĩnh Long", "2025-11-18")
    # its number and date stay in its annex's header: "(Ban hành kèm theo Nghị quyết số 22/2025/NQ-HĐND ngày …"
    assert meta.number == "22/2025/NQ-HĐND"


@pytest.mark.parametrize("name, kind, issuer", [
    ("btc_tt_112_2025_kinhphi_mtqg.md", "THÔNG TƯ", "Bộ Tài chính"),  # "Bộ trưởng Bộ Tài chính ban hành Thông tư"
    ("cp_nd_335_2025_danhgia_text.pdf", "NGHỊ ĐỊNH", "Chính phủ"),  # "Chính phủ ban hành Nghị định"
    ("lamdong_bc_ubnd_nonum_2025_cchc.pdf", "BÁO CÁO", "Ủy ban nhân dân tỉnh Lâm Đồng"),  # "Trên đây là báo cáo … của"
    ("qh_luat_15_2012_xlvphc.doc", "LUẬT", "Quốc hội"),  # "Luật này đã được Quốc hội … thông qua ngày …"
])
def test_a_stripped_copy_takes_its_issuer_from_what_its_text_says(real_reads, name, kind, issuer):
    meta = extract_meta(stripped(clean(real_reads, name), kind))
    assert meta.issuer == issuer
    assert meta.number == ""


def test_a_stripped_plan_takes_number_date_and_issuer_from_its_annex_and_preamble(real_reads):
    meta = extract_meta(stripped(clean(real_reads, "dongnai_kh_ubnd_179_2025_ktso.md"), "KẾ HOẠCH"))
    # "(Kèm theo Kế hoạch số 179/KH-UBND ngày 18 tháng 11 năm 2025)", "UBND tỉnh Đồng Nai ban hành Kế hoạch …"
    assert (meta.number, meta.issued, meta.issuer, meta.place) == (
        "179/KH-UBND", "2025-11-18", "Ủy ban nhân dân tỉnh Đồng Nai", "Đồng Nai")


def test_an_upper_case_preamble_line_names_the_issuer_without_its_session(real_reads):
    doc = stripped(clean(real_reads, "hanoi_nq_55_2025_hdnd_mucchi_dacthu.md"), "NGHỊ QUYẾT", drop=("Nghị quyết được",))
    lines = doc.text.split("\n")
    first = next(i for i, x in enumerate(lines) if x.startswith("Căn cứ"))
    lines.insert(first, "HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI KHÓA XVI, KỲ HỌP THỨ 28")
    meta = extract_meta(dataclasses.replace(doc, text="\n".join(lines)))
    assert (meta.issuer, meta.place) == ("Hội đồng nhân dân thành phố Hà Nội", "Hà Nội")


def test_a_copy_without_any_issuer_statement_stays_empty(real_reads):
    # A directive signed "KT. CHỦ TỊCH": no body of its own is named once the letterhead is gone.
    meta = extract_meta(stripped(clean(real_reads, "daklak_ct_ubnd_10_2025_thutuc_dautu.md"), "CHỈ THỊ"))
    assert (meta.number, meta.issuer, meta.issued, meta.place) == ("", "", "", "")
    # "Hội đồng nhân dân ban hành Nghị quyết" names no place, and its closing formula is gone.
    meta = extract_meta(stripped(clean(real_reads, "hanoi_nq_55_2025_hdnd_mucchi_dacthu.md"), "NGHỊ QUYẾT",
                                 drop=("Nghị quyết được",)))
    assert (meta.issuer, meta.place) == ("", "")
    # "TM. ỦY BAN NHÂN DÂN" without the sentence naming its province: no province is guessed.
    meta = extract_meta(stripped(clean(real_reads, "dongnai_kh_ubnd_179_2025_ktso.md"), "KẾ HOẠCH",
                                 drop=("UBND tỉnh Đồng Nai ban hành", "(Kèm theo")))
    assert "TM. ỦY BAN NHÂN DÂN" in meta.signer_title and meta.issuer == ""


def _blocks(head: list[str]) -> list[list[str]]:
    """The letterhead's blocks: a line, with the issuer's unit line and the motto's second line."""
    out: list[list[str]] = []
    for line in head:
        if out and (lh.UNIT.match(line) or line.startswith("Độc lập")):
            out[-1].append(line)
        else:
            out.append([line])
    return out


@pytest.mark.parametrize("name, kind", [
    ("daklak_ct_ubnd_10_2025_thutuc_dautu.md", "CHỈ THỊ"),
    ("hanoi_nq_48_2025_hdnd_dinhmuc_phanbo_ngansach.md", "NGHỊ QUYẾT"),
    ("qh_luat_15_2012_xlvphc.doc", "LUẬT"),
    ("lamdong_bc_ubnd_nonum_2025_cchc.pdf", "BÁO CÁO"),
    ("lamdong_kh_ubnd_nonum_2025_cchc_2026_draft.docx", "KẾ HOẠCH"),
])
def test_a_reordered_letterhead_keeps_number_issuer_and_date(real_reads, name, kind):
    doc = clean(real_reads, name)
    want = extract_meta(doc)
    assert want.issuer and want.place
    lines = doc.text.split("\n")
    at = kind_at(doc, kind)
    blocks, rest = _blocks(lines[:at]), lines[at:]
    layouts = [sum(order, []) for order in itertools.permutations(blocks)]
    for a, b in itertools.permutations(range(len(blocks)), 2):  # two blocks on one line, either order
        others = [x for i, block in enumerate(blocks) if i not in (a, b) for x in block]
        layouts.append([" ".join(blocks[a] + blocks[b])] + others)
    for layout in layouts:
        got = extract_meta(dataclasses.replace(doc, text="\n".join(layout + rest)))
        assert (got.number, got.issuer, got.issued, got.place, got.type) == (
            want.number, want.issuer, want.issued, want.place, want.type), layout
    after_title = rest[:2] + lines[:at] + rest[2:]  # the letterhead given after the kind and title lines
    got = extract_meta(dataclasses.replace(doc, text="\n".join(after_title)))
    assert (got.number, got.issuer, got.issued) == (want.number, want.issuer, want.issued)


def test_letterhead_cells_split_blocks_that_share_a_line():
    assert lh.cells(["ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "TỈNH CÀ MAU Độc lập – Tự do – Hạnh phúc",
                     "Hà Nội, ngày 20 tháng 6 năm 2012 Số: 15/2012/QH13", "Số: 15/2012/QH13 QUỐC HỘI"]) == [
        "ỦY BAN NHÂN DÂN", "TỈNH CÀ MAU", "Hà Nội, ngày 20 tháng 6 năm 2012", "Số: 15/2012/QH13",
        "Số: 15/2012/QH13", "QUỐC HỘI"]
