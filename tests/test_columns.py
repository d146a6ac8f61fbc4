"""Columns in text (issue 23, Build 1): a letterhead and a signature block printed side by side, as
`pdftotext -layout`, OCR tools and portal .txt copies write them, read as the single-column form.

The layout variants are made here from real documents of the development corpus: their letterhead
and signature blocks (as printed), their body as the corpus file has it, laid out in two columns
the way a layout-keeping extractor does; the same blocks one under the other are the
single-column form. Metadata must come out the same from both.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ingest.columns import split_columns
from ingest.load import load
from ingest.pipeline import process_file
from ingest.settings import Settings

from .conftest import REAL_CORPUS, needs_real_corpus

FIELDS = ("number", "type", "issuer", "issued", "signer", "signer_title", "place")

# (corpus file, letterhead left, letterhead right, kind line, recipients, signature), as printed.
DOCUMENTS = [
    ("hanoi_nq_70_2025_hdnd_ngansach_dautu_noxh.md",
     ["HỘI ĐỒNG NHÂN DÂN", "THÀNH PHỐ HÀ NỘI", "-------", "Số: 70/2025/NQ-HĐND"],
     ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------",
      "Hà Nội, ngày 27 tháng 11 năm 2025"],
     "NGHỊ QUYẾT",
     ["Nơi nhận:", "- Ủy ban Thường vụ Quốc hội;", "- Chính phủ;", "- Văn phòng Quốc hội,",
      "Văn phòng Chính phủ;", "- Các sở, ban, ngành TP;", "- Lưu: VT."],
     ["TM. HỘI ĐỒNG NHÂN DÂN", "CHỦ TỊCH", "", "", "Phùng Thị Hồng Hà"]),
    ("cp_nd_335_2025_danhgia_text.pdf",
     ["CHÍNH PHỦ", "_______", "Số: 335/2025/NĐ-CP"],
     ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc", "_________________",
      "Hà Nội, ngày 21 tháng 12 năm 2025"],
     "NGHỊ ĐỊNH",
     ["Nơi nhận:", "- Ban Bí thư Trung ương Đảng;", "- Thủ tướng, các Phó Thủ tướng", "Chính phủ;",
      "- Văn phòng Quốc hội;", "- Lưu: VT, TCCV (2b)."],
     ["TM. CHÍNH PHỦ", "KT. THỦ TƯỚNG", "PHÓ THỦ TƯỚNG", "", "", "", "Phạm Thị Thanh Trà"]),
    ("camau_kh_ubnd_204_2025_taichinh_ns_3nam.md",
     ["ỦY BAN NHÂN DÂN", "TỈNH CÀ MAU", "--------", "Số: 0204/KH-UBND"],
     ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------",
      "Cà Mau, ngày 24 tháng 11 năm 2025"],
     "KẾ HOẠCH",
     ["Nơi nhận:", "- Bộ Tài chính (b/c);", "- Thường trực Tỉnh ủy (b/c);", "- Sở Tài chính;",
      "- Lưu: VT, DT (KH03)."],
     ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "", "", "", "Lâm Văn Bi"]),
]


def side_by_side(left: list[str], right: list[str], width: int = 80, split: int = 38,
                 centre: bool = True, right_from: int = 0) -> list[str]:
    """Two blocks printed in columns, as a layout-keeping extractor writes them: each block centred
    in its column (or flush left), the right one starting `right_from` lines lower."""
    right = [""] * right_from + right
    out = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        a = a.center(split).rstrip() if centre and a else a
        line = a.ljust(split) + "   " + (b.center(width - split - 3) if b else "")
        out.append(line.rstrip())
    return out


def tabbed(left: list[str], right: list[str]) -> list[str]:
    return [f"{a}\t{b}".rstrip() if b else a for a, b in zip(left + [""] * len(right), right + [""] * len(left))
            if a or b]


def body_of(name: str) -> list[str]:
    """The corpus document's paragraphs from its first "Căn cứ"/"Kính gửi" line to its "Nơi
    nhận", at most 40."""
    lines = process_file(REAL_CORPUS / name, Settings(embed_model="none")).clean.text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(("Căn cứ", "Kính gửi")))
    end = next(i for i, line in enumerate(lines) if line.startswith("Nơi nhận"))
    return lines[start:min(end, start + 40)]


def wrapped(paragraphs: list[str]) -> list[str]:
    """Paragraphs wrapped at 80 columns, a blank line after each (a layout-keeping extractor's body)."""
    return [w for line in paragraphs for w in textwrap.wrap(line, 80) + [""]]


def forms(doc, variant: str) -> tuple[str, str]:
    name, left, right, kind, recipients, signature = doc
    body = body_of(name)
    # the single-column form reads the letterhead row by row: issuer, motto, number, place and date
    cut = [next(i for i, line in enumerate(block) if set(line) <= set("-_")) + 1 for block in (left, right)]
    head = left[:cut[0]] + right[:cut[1]] + left[cut[0]:] + right[cut[1]:]
    single = head + [kind] + body + [line for line in signature + recipients if line]
    if variant == "flush":  # blocks flush left in their columns, no blank line anywhere
        head = side_by_side(left, right, centre=False)
        tail = side_by_side(recipients, signature, centre=False)
    elif variant == "one-column-blank-lines":  # no columns, a blank line after each paragraph
        tail = [line for line in signature + recipients if line]  # the head read row by row, as above
    elif variant == "tabs":  # a Word table copied as text: cells separated by a tab
        head = tabbed(left, right)
        tail = tabbed(recipients, signature)
    elif variant == "signature-above":  # the signature block starts a line above "Nơi nhận"
        head = side_by_side(left, right)
        tail = side_by_side([""] + recipients, signature, centre=False)
    else:  # centred, the name under the list
        head = side_by_side(left, right)
        tail = side_by_side(recipients, signature, centre=False, right_from=1)
    layout = head + ["", kind.center(80).rstrip(), ""] + wrapped(body) + tail
    return "\n".join(single) + "\n", "\n".join(layout) + "\n"


@needs_real_corpus
@pytest.mark.parametrize("variant", ["centred", "flush", "signature-above", "tabs", "one-column-blank-lines"])
@pytest.mark.parametrize("doc", DOCUMENTS, ids=[d[0].split("_")[0] + "_" + d[0].split("_")[2] for d in DOCUMENTS])
def test_two_column_text_reads_as_the_single_column_form(tmp_path, doc, variant):
    single, layout = forms(doc, variant)
    (tmp_path / "single.txt").write_text(single, encoding="utf-8")
    (tmp_path / "layout.txt").write_text(layout, encoding="utf-8")
    settings = Settings(embed_model="none")
    one = process_file(tmp_path / "single.txt", settings).meta
    two = process_file(tmp_path / "layout.txt", settings).meta
    got = {f: getattr(two, f) for f in FIELDS}
    assert got == {f: getattr(one, f) for f in FIELDS}
    assert all(got[f] for f in ("number", "issuer", "issued", "signer")), got


def test_zones_become_layout_cells(tmp_path):
    left, right = DOCUMENTS[0][1], DOCUMENTS[0][2]
    text = "\n".join(side_by_side(left, right) + ["", "Căn cứ Luật Tổ chức chính quyền địa phương;"])
    out, tables = split_columns(text)
    assert tables == ((("HỘI ĐỒNG NHÂN DÂN\nTHÀNH PHỐ HÀ NỘI",
                        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"),
                       ("Số: 70/2025/NQ-HĐND", "Hà Nội, ngày 27 tháng 11 năm 2025")),)
    assert out.endswith("\n\nCăn cứ Luật Tổ chức chính quyền địa phương;")


def test_justified_text_and_data_tables_stay_as_they_are():
    """Body lines with wide spaces (justified) and a three-column table in text are no zone."""
    text = "\n".join([
        "Điều 1. Thông qua Kế hoạch phát triển    kinh tế - xã hội năm 2026 tỉnh với nội",
        "dung chủ yếu như sau: tăng trưởng kinh   tế hai con số, tạo bước bứt phá rõ nét",
        "trong phát triển kinh tế - xã hội; đẩy    mạnh cơ cấu lại nền kinh tế theo hướng",
        "",
        "STT    Chỉ tiêu                    Đơn vị       Kế hoạch",
        "1      Tốc độ tăng trưởng GRDP     %            10",
        "2      Thu ngân sách               tỷ đồng      3.530",
    ])
    assert split_columns(text) == (text, ())
    indented = "\tĐiều 1. Phạm vi điều chỉnh\n\tNghị định này quy định nguyên tắc, tiêu chí, thẩm quyền.\n"
    assert split_columns(indented) == (indented, ())  # tabs that indent paragraphs


def test_a_long_run_of_two_column_lines_is_read_once():
    """A two-column text table of 20,000 rows is no zone, and is passed over in one go."""
    import time

    text = "\n".join(f"Mã hồ sơ {i:05d}      Đã tiếp nhận và giải quyết đúng hạn" for i in range(20000))
    started = time.perf_counter()
    assert split_columns(text) == (text, ())
    assert time.perf_counter() - started < 5


def test_a_layout_text_file_has_its_zones_as_tables(tmp_path):
    path = tmp_path / "layout.txt"
    path.write_text("\n".join(side_by_side(DOCUMENTS[2][1], DOCUMENTS[2][2]) + ["", "KẾ HOẠCH", "",
                                                                                "Kính gửi: Hội đồng nhân dân tỉnh"]),
                    encoding="utf-8")
    raw = load(path, 10 * 1024 * 1024)
    assert len(raw.tables) == 1 and raw.tables[0][1] == ("Số: 0204/KH-UBND", "Cà Mau, ngày 24 tháng 11 năm 2025")
