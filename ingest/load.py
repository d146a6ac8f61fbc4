"""Stage 1: read one file into a `RawDocument`: its text as faithfully as possible, plus tables.

Formats by extension: .txt .md (strict UTF-8, or UTF-16/32 with a BOM), .html/.htm, .docx and .pdf
(text layer only). No cleaning here (the clean stage does NFC, tone placement, junk removal); only
PDF text is NFC-normalised, and line endings become "\\n". Every failure is an `IngestError`
subclass naming the file, with a Vietnamese `user_message` for the UI.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from pathlib import Path
from typing import Iterator

from .errors import (CorruptFile, DecodeFailure, EmptyDocument, FileTooLarge, IngestError,
                     NeedsOCR, UnsupportedFormat)
from .types import RawDocument, Table

FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".docx": "docx",
           ".pdf": "pdf"}
SUPPORTED = ".txt, .md, .html, .docx, .pdf"
MIN_PDF_CHARS_PER_PAGE = 20  # fewer non-space characters per page on average: a scan
# Text files: BOM -> codec. UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# C0 control characters that never occur in text (tab, newlines and form feed excluded), and DEL.
_CONTROLS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\v\f\r") + ("\x7f",)
_MAX_CONTROL_SHARE = 0.02
_MIN_CONTROLS = 8  # a handful of stray control characters (a DOS end-of-file mark ...) is tolerated
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy binary Word .doc
_MAX_UNZIP_FACTOR = 10  # a .docx may unpack to at most this many times the size limit
_HTML_JUNK = ("head", "script", "style", "noscript", "template", "nav", "header", "footer",
              "aside", "form", "select", "button", "textarea")
_HTML_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol", "dl", "dt",
                "dd", "section", "article", "main", "blockquote", "pre", "address", "figure",
                "figcaption", "caption", "center", "hr")
_BREAK = "\ue000"  # private-use sentinel marking a line break while flattening HTML
_MB = 1024 * 1024


def load(path: str | Path, max_bytes: int) -> RawDocument:
    """Read `path` (format by extension) into a RawDocument, or raise an IngestError subclass."""
    p = Path(path)
    if not p.exists():
        raise IngestError(path, "file not found", "không tìm thấy tệp")
    if p.is_dir():
        raise IngestError(path, "is a directory, not a file", "đây là thư mục, không phải tệp")
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        ext = p.suffix or "(no extension)"
        raise UnsupportedFormat(path, f"unsupported format {ext}; supported: {SUPPORTED}",
                                f"định dạng không hỗ trợ ({p.suffix or 'không có phần mở rộng'}); "
                                f"hỗ trợ: {SUPPORTED}")
    data = _read(p, path, max_bytes)
    tables: tuple[Table, ...] = ()
    try:
        if fmt in ("txt", "md"):
            text = _text(data, path)
        elif fmt == "html":
            text, tables = _html(data, path)
        elif fmt == "docx":
            text, tables = _docx(data, path, max_bytes)
        else:
            text = _pdf(data, path)
    except IngestError:
        raise
    except Exception as exc:  # any parser crash: the file is the problem, never a raw traceback
        raise CorruptFile(path, f"cannot read this {fmt.upper()} file: {type(exc).__name__}: {exc}",
                          f"tệp {fmt.upper()} bị hỏng hoặc không đọc được") from exc
    if not text.strip():
        raise EmptyDocument(path, "no text: the file holds only whitespace or page furniture",
                            "tệp không có nội dung chữ")
    return RawDocument(text=text, source=str(path), format=fmt, tables=tables)


def _size(n: int, vi: bool = False) -> str:
    """'25.3 MB' / '900 KB' / '12 B'; Vietnamese uses a decimal comma ('25,3 MB')."""
    value, unit = (n / _MB, "MB") if n >= _MB // 10 else (n / 1024, "KB") if n >= 1024 else (n, "B")
    s = f"{value:.2f}".rstrip("0").rstrip(".") + " " + unit
    return s.replace(".", ",") if vi else s


def _read(p: Path, path: str | Path, max_bytes: int) -> bytes:
    """The file's bytes; the size limit is checked before reading anything."""
    data = b""
    try:
        size = p.stat().st_size
        if size <= max_bytes:
            with p.open("rb") as f:
                data = f.read(max_bytes + 1)  # bounded even if the file grows meanwhile
            size = max(size, len(data))
    except OSError as exc:
        raise IngestError(path, f"cannot read the file: {exc.strerror or exc}",
                          "không đọc được tệp") from exc
    if size > max_bytes:
        raise FileTooLarge(path, f"file is {_size(size)}, over the {_size(max_bytes)} limit",
                           f"tệp quá lớn ({_size(size, True)} > {_size(max_bytes, True)})")
    if not data:
        raise EmptyDocument(path, "empty file (0 bytes)", "tệp rỗng")
    return data


def _reject_binary(text: str, path: str | Path) -> None:
    """CorruptFile when `text` holds NUL characters or a high share of control characters."""
    nul = text.count("\x00")
    controls = sum(map(text.count, _CONTROLS))
    if nul or (controls >= _MIN_CONTROLS and controls > _MAX_CONTROL_SHARE * len(text)):
        found = f"{nul} NUL bytes" if nul else f"{controls / len(text):.0%} control characters"
        raise CorruptFile(path, f"binary data, not text ({found})",
                          "dữ liệu nhị phân, không phải văn bản")


def _not_decodable(path: str | Path, size: int, exc: UnicodeDecodeError, codec: str
                   ) -> DecodeFailure:
    """Say which byte broke the decoding, and where in the file (a stripped BOM counted)."""
    bad = exc.object[exc.start:exc.start + 1].hex()
    at = exc.start + size - len(exc.object)
    if codec.startswith("utf-8"):
        return DecodeFailure(
            path, f"not UTF-8 text: invalid byte 0x{bad} at offset {at} (a legacy encoding such as "
                  "Windows-1258, TCVN3/VNI or Latin-1?); save the file as UTF-8",
            f"không phải văn bản UTF-8 (byte 0x{bad} không hợp lệ ở vị trí {at}, có thể là bảng mã "
            "cũ như Windows-1258, TCVN3, VNI); hãy lưu lại tệp dạng UTF-8")
    return DecodeFailure(path, f"not valid {codec} text: {exc.reason} at offset {at}",
                         f"không giải mã được theo bảng mã {codec} (vị trí {at})")


def _text(data: bytes, path: str | Path) -> str:
    """txt/md: strict UTF-8 (BOM allowed), or UTF-16/UTF-32 only with a BOM. No legacy guessing."""
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), "utf-8")
    if codec.startswith("utf-8"):  # judge the raw bytes: junk must not pass as a decode problem
        _reject_binary(data.decode("latin-1"), path)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, len(data), exc, codec) from None
    if not codec.startswith("utf-8"):
        _reject_binary(text, path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html(data: bytes, path: str | Path) -> tuple[str, tuple[Table, ...]]:
    """Block elements become lines, tables "cell | cell" lines (and `tables`); page chrome dropped.

    Encoding: the BOM, else the declared charset, else strict UTF-8 (no guessing).
    """
    from bs4 import BeautifulSoup
    from bs4.dammit import EncodingDetector

    body, bom_codec = EncodingDetector.strip_byte_order_mark(data)
    codec = bom_codec or EncodingDetector.find_declared_encoding(body, is_html=True) or "utf-8"
    try:
        markup = body.decode(codec)
    except LookupError:
        raise DecodeFailure(path, f"unknown declared charset {codec!r}",
                            f"bảng mã khai báo không hợp lệ ({codec})") from None
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, len(data), exc, codec) from None
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(_HTML_JUNK):
        if not tag.decomposed and _is_chrome(tag):
            tag.decompose()
    for br in soup("br"):
        br.replace_with(_BREAK)
    for tag in soup(_HTML_BLOCKS):
        tag.insert_before(_BREAK)
        tag.insert_after(_BREAK)
    tables: list[Table] = []
    for table in reversed(soup("table")):  # innermost first: a nested table becomes cell text
        rows = tuple(row for row in map(_html_row, table.find_all("tr")) if any(row))
        if rows:
            tables.append(rows)
        table.replace_with(_BREAK + _BREAK.join(_row_line(row) for row in rows) + _BREAK)
    lines = (" ".join(part.split()) for part in soup.get_text().split(_BREAK))
    return "\n".join(line for line in lines if line), tuple(reversed(tables))


def _is_chrome(tag) -> bool:
    """Whether a junk-named tag is page chrome: not a <header>/<footer> of an <article>/<main>,
    nor a <form> wrapping the whole page (ASP.NET WebForms portals); a search form is chrome."""
    if tag.name in ("header", "footer"):
        return tag.find_parent(["article", "main"]) is None
    if tag.name == "form":
        return tag.find(["p", "table", "article", "main"]) is None
    return True


def _html_row(tr) -> tuple[str, ...]:
    """A <tr>'s cells, whitespace collapsed (line breaks inside a cell become spaces)."""
    return tuple(" ".join(cell.get_text().replace(_BREAK, " ").split())
                 for cell in tr.find_all(["td", "th"], recursive=False))


def _row_line(row: tuple[str, ...]) -> str:
    return " | ".join(cell for cell in row if cell)


def _docx(data: bytes, path: str | Path, max_bytes: int) -> tuple[str, tuple[Table, ...]]:
    """Paragraphs (one line each) and tables ("cell | cell" lines) in body order."""
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(_OLE_MAGIC):
            raise CorruptFile(path, "not a .docx but an old Word .doc? save it as .docx",
                              "tệp Word .doc cũ, hãy lưu lại dạng .docx")
        raise CorruptFile(path, "not a valid .docx (not a zip archive)",
                          "tệp .docx bị hỏng hoặc không phải .docx")
    unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    if unpacked > _MAX_UNZIP_FACTOR * max_bytes:  # a zip bomb would exhaust memory in lxml
        raise FileTooLarge(path, f"unpacks to {_size(unpacked)} (zip bomb?)",
                           f"tệp giải nén ra quá lớn ({_size(unpacked, True)})")
    from docx import Document

    doc = Document(io.BytesIO(data))
    lines, tables = [], []
    for block in _docx_blocks(doc.element.body, doc):
        if isinstance(block, str):
            if block.strip():
                lines.append(block)
        else:
            tables.append(block)
            lines.extend(_row_line(row) for row in block)
    return "\n".join(lines), tuple(tables)


def _docx_blocks(parent, doc) -> Iterator[str | Table]:
    """Walk the body's XML children: paragraph texts and table rows, content controls opened."""
    from docx.oxml.ns import qn
    from docx.table import Table as DocxTable, _Cell
    from docx.text.paragraph import Paragraph

    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, doc).text
        elif child.tag == qn("w:tbl"):
            table = DocxTable(child, doc)
            # Raw <w:tc> cells: a merged cell appears once, not once per grid column it spans.
            rows = (tuple(" ".join(_Cell(tc, table).text.split()) for tc in tr.tc_lst)
                    for tr in child.tr_lst)
            yield tuple(row for row in rows if any(row))
        elif child.tag == qn("w:sdt") and child.find(qn("w:sdtContent")) is not None:
            yield from _docx_blocks(child.find(qn("w:sdtContent")), doc)


def _pdf(data: bytes, path: str | Path) -> str:
    """The text layer with pypdf, NFC-normalised, pages joined by newlines; lines kept as extracted.

    scripts/bench_pdf.py, bundled 70/NQ-HĐND as 12-13 page fpdf2/reportlab PDFs (plain, justified,
    NFD): pypdf, pypdfium2, pdfplumber, pymupdf all at similarity 1.0000, 100% syllables, 0 broken
    marks, 100% lines; 33-96 ms with pypdf, 9-20 pypdfium2, 10-17 pymupdf (AGPL), 0.9-1.5 s
    pdfplumber. A tie on quality -> pypdf: BSD, pure Python, already a dependency.
    """
    if b"%PDF-" not in data[:1024]:
        raise CorruptFile(path, "not a PDF (no %PDF- header)", "tệp không phải PDF hợp lệ")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise CorruptFile(path, "encrypted PDF: it needs a password to open",
                          "PDF được đặt mật khẩu, không mở được")
    pages = [unicodedata.normalize("NFC", page.extract_text() or "") for page in reader.pages]
    chars = sum(len("".join(page.split())) for page in pages)
    if chars < MIN_PDF_CHARS_PER_PAGE * len(pages):
        raise NeedsOCR(path, f"no text layer (scanned PDF?): {chars} characters on {len(pages)} "
                             "page(s); needs OCR", "PDF không có lớp chữ (bản quét?), cần OCR")
    return "\n".join(pages)
