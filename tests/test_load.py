"""ingest.load: every format on files built from the bundled document, and every bad input."""

from __future__ import annotations

import random
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ingest.errors import (CorruptFile, DecodeFailure, EmptyDocument, FileTooLarge, IngestError,
                           NeedsOCR, UnsupportedFormat)
from ingest.layout import HARD, HARD_END
from ingest.load import SUPPORTED, load
from ingest.text import has_diacritics
from .conftest import REAL_CORPUS, needs_real_corpus
from tests.fixtures import (BUNDLED, HTML_JUNK, bundled_lines, bundled_table, bundled_text,
                            make_docx, make_html, make_pdf, make_scanned_pdf)

MB = 1024 * 1024
LIMIT = 20 * MB
PAR_LINE = ("(11) Chỉ số cải cách hành chính (PAR Index) xếp thứ 29, chỉ số chuyển đổi số (DTI) "
            "xếp thứ 32 trên cả nước.")
ARTICLE_2 = ("Điều 2. Hội đồng nhân dân tỉnh giao Ủy ban nhân dân tỉnh tổ chức triển khai "
             "thực hiện Nghị quyết")
TABLE = tuple(bundled_table())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def lines_of(text: str) -> list[str]:
    return [nfc(line) for line in text.splitlines() if line.strip()]


def rendered(rows) -> list[str]:
    """How ingest.tables renders the bundled metadata table: its header, then "Key: value" lines."""
    return [" | ".join(rows[0])] + [f"{k}: {v}" for k, v in rows[1:]]


def plain(text: str) -> str:
    """The loader's text without its table-line tags (ingest.layout.HARD … HARD_END)."""
    return re.sub(f"{HARD}[^{HARD_END}]*{HARD_END}", "", text)


def check_error(exc_info: pytest.ExceptionInfo, path: Path) -> IngestError:
    """The error names the file in English (str) and in the Vietnamese user message."""
    err = exc_info.value
    assert isinstance(err, IngestError)
    assert path.name in str(err)
    assert err.user_message.startswith(path.name + ": ")
    assert has_diacritics(err.user_message.replace(path.name, "")), err.user_message
    return err


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Each format built once from the bundled document (the PDF takes the longest)."""
    folder = tmp_path_factory.mktemp("built")
    lines = bundled_lines()
    return {
        "pdf": make_pdf(bundled_text(), folder / "nq70.pdf"),
        "docx": make_docx(lines, folder / "nq70.docx", TABLE),
        "html": make_html(lines, folder / "nq70.html", TABLE),
    }


# ---------------------------------------------------------------- text formats


def test_txt_is_the_file_exactly():
    doc = load(BUNDLED, LIMIT)
    assert doc.text == bundled_text()
    assert (doc.format, doc.source, doc.tables) == ("txt", str(BUNDLED), ())
    assert PAR_LINE in lines_of(doc.text)
    assert any(line.startswith(ARTICLE_2) for line in lines_of(doc.text))


@pytest.mark.parametrize("name, fmt", [("nq70.md", "md"), ("NQ70.TXT", "txt"), ("nq70.Md", "md")])
def test_extensions_are_case_insensitive(tmp_path, name, fmt):
    path = tmp_path / name
    path.write_text(bundled_text(), encoding="utf-8")
    doc = load(path, LIMIT)
    assert doc.format == fmt
    if fmt == "txt":
        assert doc.text == bundled_text()
    else:  # markdown: its pipe tables become tables, every paragraph stays
        assert doc.tables and doc.tables[0][0] == ("Số hiệu", "70/NQ-HĐND")
        assert PAR_LINE in lines_of(plain(doc.text))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_bom_encodings(tmp_path, encoding):
    path = tmp_path / "bom.txt"
    data = bundled_text().encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # these codecs write no BOM: add it
        data = "\ufeff".encode(encoding) + data
    path.write_bytes(data)
    assert load(path, LIMIT).text == bundled_text()


def test_crlf_becomes_newline(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(bundled_text().replace("\n", "\r\n").encode("utf-8"))
    assert load(path, LIMIT).text == bundled_text()


# ---------------------------------------------------------------- html


def test_html_lines_tables_and_no_junk(built):
    doc = load(built["html"], LIMIT)
    assert doc.format == "html"
    # Inline <b> and line breaks in the HTML source do not split lines.
    assert lines_of(plain(doc.text)) == bundled_lines() + rendered(TABLE)
    assert PAR_LINE in lines_of(doc.text)
    assert doc.tables == (TABLE,)
    assert doc.tables[0][1] == ("Số hiệu", "70/NQ-HĐND")
    for junk in HTML_JUNK + ("Tìm kiếm", "Văn bản liên quan", "Cổng thông tin"):
        assert junk not in doc.text


def test_html_cells_collapse_whitespace_and_breaks(tmp_path):
    path = tmp_path / "cells.htm"
    path.write_text("<table><tr><td>HỘI ĐỒNG NHÂN<br>DÂN</td><td> <p>Số:\n  70/NQ-HĐND</p> </td>"
                    "</tr><tr><td></td><td></td></tr></table><p>Sau bảng</p>", encoding="utf-8")
    doc = load(path, LIMIT)
    assert doc.tables == ((("HỘI ĐỒNG NHÂN\nDÂN", "Số: 70/NQ-HĐND"),),)
    # a letterhead: each cell's lines as lines, a caps fragment ("DÂN") joined to its line
    assert plain(doc.text) == "HỘI ĐỒNG NHÂN DÂN\nSố: 70/NQ-HĐND\nSau bảng"


def test_html_page_wrapping_form_and_article_header_are_content(tmp_path):
    """ASP.NET portals wrap the whole page in a <form>; an <article>'s <header> holds its title."""
    path = tmp_path / "aspnet.html"
    path.write_text("<body><form id='form1'><header>Cổng thông tin</header><article><header><h1>"
                    f"NGHỊ QUYẾT</h1></header><div><p>{PAR_LINE}</p></div></article></form></body>",
                    encoding="utf-8")
    assert load(path, LIMIT).text == f"NGHỊ QUYẾT\n{PAR_LINE}"


def test_html_nested_table_becomes_cell_text(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<table><tr><td>Ngoài</td><td><table><tr><td>a</td><td>b</td></tr></table></td>"
                    "</tr></table>", encoding="utf-8")
    doc = load(path, LIMIT)
    assert doc.tables == ((("Ngoài", "a | b"),), (("a", "b"),))
    assert plain(doc.text) == "Ngoài | a | b"


def test_html_declared_legacy_charset_is_honoured(tmp_path):
    # Windows-1258 writes "ằ" as "ă" + combining grave; the declared charset is used, not guessed.
    path = make_html(["Cao Bă\u0300ng"], tmp_path / "cp1258.html", charset="windows-1258")
    assert nfc(load(path, LIMIT).text) == "Cao Bằng"


def test_html_undeclared_legacy_bytes_fail(tmp_path):
    path = tmp_path / "legacy.html"
    path.write_bytes("<p>Hội đồng nhân dân</p>".encode("cp1252", errors="replace") + b"<p>\xe9</p>")
    with pytest.raises(DecodeFailure) as info:
        load(path, LIMIT)
    check_error(info, path)


# ---------------------------------------------------------------- docx


def test_docx_lines_and_table(built):
    doc = load(built["docx"], LIMIT)
    assert doc.format == "docx"
    assert lines_of(plain(doc.text)) == bundled_lines() + rendered(TABLE)
    assert PAR_LINE in lines_of(doc.text)
    assert any(line.startswith(ARTICLE_2) for line in lines_of(doc.text))
    assert doc.tables == (TABLE,)


def test_docx_keeps_body_order(tmp_path):
    head, tail = bundled_lines()[:3], [PAR_LINE, bundled_lines()[-1]]
    doc = load(make_docx(head, tmp_path / "order.docx", TABLE, tail_lines=tail), LIMIT)
    assert lines_of(plain(doc.text)) == head + rendered(TABLE) + tail
    assert doc.tables == (TABLE,)


def test_docx_merged_cell_spans_its_grid_columns_once(tmp_path):
    from docx import Document

    rows = [("HỘI ĐỒNG NHÂN DÂN", "", ""), ("a", "b", "c")]
    path = make_docx(["Trước bảng"], tmp_path / "merged.docx", rows)
    document = Document(str(path))
    row = document.tables[0].rows[0]
    row.cells[0].merge(row.cells[2])
    document.save(str(path))
    doc = load(path, LIMIT)
    assert doc.tables == ((("HỘI ĐỒNG NHÂN DÂN", "", ""), ("a", "b", "c")),)  # aligned to the grid
    assert lines_of(plain(doc.text)) == ["Trước bảng", "HỘI ĐỒNG NHÂN DÂN", "a | b | c"]


# ---------------------------------------------------------------- pdf


def test_pdf_text_layer(built):
    doc = load(built["pdf"], LIMIT)
    assert (doc.format, doc.tables) == ("pdf", ())
    assert doc.text == nfc(doc.text)
    assert not any(unicodedata.combining(ch) for ch in doc.text)
    flat = " ".join(doc.text.split())
    assert " ".join(bundled_text().split()) == flat  # every character back; lines are wrapped
    assert PAR_LINE in flat and ARTICLE_2 in flat
    starts = lines_of(doc.text)
    assert any(line.startswith("(11) Chỉ số cải cách hành chính") for line in starts)
    assert any(line.startswith("Điều 2. Hội đồng nhân dân tỉnh") for line in starts)


def test_pdf_with_empty_user_password_opens(built, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=built["pdf"])
    writer.encrypt(user_password="", owner_password="chủ", algorithm="AES-256")
    path = tmp_path / "restricted.pdf"
    writer.write(path)
    assert PAR_LINE in " ".join(load(path, LIMIT).text.split())


def test_pdf_with_password_is_corrupt(built, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=built["pdf"])
    writer.encrypt(user_password="secret", algorithm="AES-256")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    with pytest.raises(CorruptFile, match="encrypted") as info:
        load(path, LIMIT)
    assert "mật khẩu" in check_error(info, path).user_message


def test_scanned_pdf_needs_ocr(tmp_path):
    """With OCR off a scan is refused; with it, a "scan" of grey bars yields no text, and says so
    (the real OCR of real scans: tests/test_forms.py)."""
    path = make_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(NeedsOCR) as info:
        load(path, LIMIT, ocr=None)
    assert "OCR" in check_error(info, path).user_message
    with pytest.raises(EmptyDocument, match="OCR found no readable text") as info:
        load(path, LIMIT)
    assert "OCR" in check_error(info, path).user_message


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.docx", "empty.pdf"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(EmptyDocument) as info:
        load(path, LIMIT)
    assert "tệp rỗng" in check_error(info, path).user_message


@pytest.mark.parametrize("name, content", [
    ("blank.txt", " \n\t\n  \r\n"),
    ("blank.html", "<body><nav>Trang chủ</nav><p>  </p><footer>Bản quyền</footer></body>"),
])
def test_whitespace_only(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EmptyDocument) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_docx_without_text_is_empty(tmp_path):
    path = make_docx(["", "   "], tmp_path / "blank.docx")
    with pytest.raises(EmptyDocument) as info:
        load(path, LIMIT)
    check_error(info, path)


def random_bytes(n: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize("name", ["random.pdf", "random.docx", "random.txt", "random.md"])
def test_random_bytes_are_corrupt(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(random_bytes())
    with pytest.raises(CorruptFile) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_pdf_header_with_garbage_is_corrupt(tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random_bytes())
    with pytest.raises(CorruptFile) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_truncated_pdf_is_corrupt(built, tmp_path):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(built["pdf"].read_bytes()[:20_000])
    with pytest.raises(CorruptFile) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_truncated_docx_is_corrupt(built, tmp_path):
    path = tmp_path / "truncated.docx"
    path.write_bytes(built["docx"].read_bytes()[:3000])
    with pytest.raises(CorruptFile) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_old_word_doc_renamed_docx(tmp_path):
    """A Word 97 file named .docx is read as the .doc it is; a broken one is a clear error."""
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(CorruptFile, match=r"\.doc") as info:
        load(path, LIMIT)
    assert ".doc" in check_error(info, path).user_message


def test_docx_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", " " * 5_000_000)  # ~5 KB packed
    with pytest.raises(FileTooLarge, match="unpacks to") as info:
        load(path, 100_000)
    check_error(info, path)


def test_zip_that_is_not_docx_is_corrupt(tmp_path):
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "xin chào")
    with pytest.raises(CorruptFile) as info:
        load(path, LIMIT)
    check_error(info, path)


def test_nul_laden_txt_is_binary(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes("\x00".join(bundled_lines()[:20]).encode("utf-8"))
    with pytest.raises(CorruptFile, match="binary data, not text") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_utf16_without_bom_is_binary(tmp_path):
    path = tmp_path / "nobom.txt"
    path.write_bytes(bundled_text().encode("utf-16-le"))
    with pytest.raises(CorruptFile, match="NUL") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_control_characters_are_binary(tmp_path):
    path = tmp_path / "ctrl.md"
    rng = random.Random(1)
    path.write_bytes(bytes(rng.choice(b"\x01\x02\x1b\x7fabc ") for _ in range(2000)))
    with pytest.raises(CorruptFile, match="control characters") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_a_few_stray_controls_are_tolerated(tmp_path):
    path = tmp_path / "stray.txt"
    path.write_bytes(bundled_text().encode("utf-8") + b"\x1a")  # DOS end-of-file marker
    assert load(path, LIMIT).text.startswith("Nghị quyết 70/NQ-HĐND")


@pytest.mark.parametrize("encoding", ["cp1252", "cp1258", "latin-1"])
def test_legacy_encoded_vietnamese_is_a_decode_failure(tmp_path, encoding):
    path = tmp_path / f"legacy-{encoding}.txt"
    data = "\n".join(bundled_lines()[:30]).encode(encoding, errors="replace")
    path.write_bytes(data)
    with pytest.raises(DecodeFailure) as info:
        load(path, LIMIT)
    err = check_error(info, path)
    offset = next(i for i, b in enumerate(data) if b >= 0x80)  # the first non-ASCII byte
    assert f"invalid byte 0x{data[offset]:02x} at offset {offset}" in str(err)
    assert "save the file as UTF-8" in str(err)
    assert "UTF-8" in err.user_message and "không phải" in err.user_message


def test_bad_utf16_is_a_decode_failure(tmp_path):
    path = tmp_path / "odd.txt"
    # A UTF-16 BOM, then a lone high surrogate.
    path.write_bytes(b"\xff\xfe" + "Hội đồng".encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(DecodeFailure, match="utf-16") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_oversize_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.pdf"
    with path.open("wb") as f:  # sparse: 25.3 MB on paper, nothing on disk
        f.truncate(int(25.3 * MB))
    with pytest.raises(FileTooLarge) as info:
        load(path, LIMIT)
    err = check_error(info, path)
    assert "25.3 MB" in str(err) and "20 MB" in str(err)
    assert "tệp quá lớn (25,3 MB > 20 MB)" in err.user_message


def test_small_limit(tmp_path):
    path = tmp_path / "nq70.txt"
    path.write_text(bundled_text(), encoding="utf-8")
    with pytest.raises(FileTooLarge) as info:
        load(path, 1000)
    assert "over the 1000 B limit" in str(check_error(info, path))


def test_unsupported_extension(tmp_path):
    path = tmp_path / "bang.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnsupportedFormat) as info:
        load(path, LIMIT)
    err = check_error(info, path)
    assert SUPPORTED == ".txt, .md, .html, .docx, .doc, .pdf, .png, .jpg, .tif"
    assert "unsupported format .xls; supported: " + SUPPORTED in str(err)
    assert err.user_message == "bang.xls: định dạng không hỗ trợ (.xls); hỗ trợ: " + SUPPORTED


def test_missing_file(tmp_path):
    path = tmp_path / "khong-co.txt"
    with pytest.raises(IngestError, match="not found") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_directory(tmp_path):
    path = tmp_path / "folder.txt"
    path.mkdir()
    with pytest.raises(IngestError, match="directory") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("Hội đồng", encoding="utf-8")

    def denied(self, *args, **kwargs):  # chmod 0 does not stop root, so fake the refusal
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(IngestError, match="cannot read the file: Permission denied") as info:
        load(path, LIMIT)
    check_error(info, path)


def test_unexpected_parser_crash_becomes_corrupt_file(built, monkeypatch):
    import pypdfium2

    def boom(*args, **kwargs):
        raise RuntimeError("xref table exploded")

    monkeypatch.setattr(pypdfium2, "PdfDocument", boom)
    with pytest.raises(CorruptFile, match="RuntimeError: xref table exploded") as info:
        load(built["pdf"], LIMIT)
    check_error(info, built["pdf"])


# -- the Vietnamese test: spelling rules, and Latin-1 files refused (issue 23) ----------------------

@pytest.mark.parametrize("word", ["mất", "học", "thích", "cấp", "hạt", "tiền", "khuya", "oanh", "huỳnh",
                                  "nguệch", "nghiêng", "ghế", "Bắc", "Kạn", "gen", "gì", "quốc", "UỶ"])
def test_vietnamese_syllables_pass(word):
    from ingest.text import is_syllable

    assert is_syllable(word)


@pytest.mark.parametrize("word", [
    "mầt", "hỏc", "thìch", "cẫp", "hảt",  # a stop final takes only sắc or nặng, or no tone
    "hait", "muan", "ưum",  # a glide or an open diphthong takes no final
    "tiê", "ă", "thuô",  # ă, â, iê, uô, ươ need a final
    "onh", "ech", "unh",  # -ch and -nh follow only a, ê, i/y
    "gha", "nghu", "ce", "ngi",  # gh, ngh before e, ê, i; c, ng never
    "bủrger", "fủr", "tiếè"])
def test_forbidden_syllables_fail(word):
    from ingest.text import is_syllable

    assert not is_syllable(word)


LATIN1_PROSE = {
    "deutsch.txt": "Die Bürger müssen über die Änderung der Gebühren rechtzeitig informiert werden. "
                   "Für die Prüfung gilt: Größe und Gewicht sind zu überprüfen.",
    "espanol.txt": "El niño comió una manzana en el jardín. La información está disponible en "
                   "español para todos los ciudadanos; mañana habrá reunión.",
    "portugues.txt": "A educação é um direito de todos. O governo não pode negar acesso à "
                     "informação pública; a decisão será anunciada amanhã.",
    "italiano.txt": "La città è bella e il perché della decisione è stato spiegato più volte. "
                    "Ciò non è vero, però è così.",
}


@pytest.mark.parametrize("name", sorted(LATIN1_PROSE))
def test_latin1_prose_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(((LATIN1_PROSE[name] + "\n") * 20).encode("latin-1"))
    with pytest.raises(DecodeFailure) as info:
        load(path, LIMIT)
    err = check_error(info, path)
    assert name in str(err) and "valid syllables" in str(err) and "UTF-8" in err.user_message


def saved_as_latin1(text: str) -> bytes:
    """Vietnamese as a Western-locale "Save as ANSI" writes it: each letter as the Latin-1 letter
    that keeps most of its marks ("ộ" -> "ô", "ờ" -> "ò", "ư" -> "u"), đ as ð."""
    out = []
    for ch in text:
        if ch in "đĐ":
            out.append("ð" if ch == "đ" else "Ð")
            continue
        nfd = unicodedata.normalize("NFD", ch)
        for k in range(len(nfd), 0, -1):
            near = unicodedata.normalize("NFC", nfd[:k])
            if len(near) == 1 and ord(near) < 256:
                out.append(near)
                break
        else:
            out.append("?")
    return "".join(out).encode("latin-1")


@needs_real_corpus
@pytest.mark.parametrize("lines", [40, 120, None])
def test_vietnamese_saved_as_latin1_is_refused(tmp_path, lines):
    """Real documents of the development corpus saved as Latin-1: each was read as VISCII before
    the stricter test (most of their words are still syllables: "Hôi ðông" -> "Hôi đông")."""
    for source in sorted(REAL_CORPUS.glob("*.md")):
        if source.name == "SOURCES.md":
            continue
        path = tmp_path / f"{source.stem}.txt"
        text = source.read_text(encoding="utf-8")
        path.write_bytes(saved_as_latin1("\n".join(text.split("\n")[:lines])))
        with pytest.raises(DecodeFailure) as info:
            load(path, LIMIT)
        err = check_error(info, path)
        assert path.name in str(err)


@pytest.mark.parametrize("encoding, reading", [("VISCII", "viscii"), ("CP1258", "cp1258")])
def test_viscii_and_cp1258_text_files_convert(tmp_path, encoding, reading):
    """The bundled document encoded by glibc's iconv (its own tables, not ours) reads back."""
    import subprocess

    from ingest.text import syllable_share

    text = "\n".join(bundled_lines()[:60])
    data = subprocess.run(["iconv", "-f", "UTF-8", "-t", f"{encoding}//TRANSLIT"], input=text.encode("utf-8"),
                          capture_output=True, check=True).stdout
    path = tmp_path / f"{reading}.txt"
    path.write_bytes(data)
    raw = load(path, LIMIT)
    assert raw.reading == reading and syllable_share(raw.text) >= 0.95
    ours, theirs = raw.text.split(), nfc(text).split()
    assert sum(a == b for a, b in zip(ours, theirs)) >= 0.98 * len(theirs)
