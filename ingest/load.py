"""Stage 1: read one file into a `RawDocument`: its text as faithfully as possible, plus tables.

Formats by extension: .txt .md (UTF-8, or UTF-16/32 with a BOM, or a legacy Vietnamese
encoding that reads as Vietnamese: `ingest.legacy`), .html/.htm, .docx and Word 97 .doc
(`ingest.office`), .pdf (text layer, OCR where it has none: `ingest.pdf`; pages separated by
form feeds) and scanned images .png/.jpg/.tif (`ingest.ocr`). Text in legacy font encodings
(TCVN3, VNI ...) is converted in every format. Markdown tables and emphasis are read by
`ingest.markdown`; every table is rendered by `ingest.tables` into tagged lines that paragraph
reconstruction keeps whole. Each reader works within the budget of `ingest.limits` (at most 5
million characters of text per file, bounded unzipping, bounded HTML depth). No cleaning here (the
clean stage does NFC, tone placement, paragraphs, junk removal). Every failure is an `IngestError` subclass
naming the file, with a Vietnamese `user_message` for the UI.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from .errors import (human_size, CorruptFile, DecodeFailure, EmptyDocument, FileTooLarge, IngestError,
                     NeedsOCR, UnsupportedFormat)
from .layout import HARD
from .legacy import MIN_SHARE, best_share, decode, repair
from .limits import check_lines, check_text
from .ocr import IMAGE_FORMATS, OcrConfig, Progress
from .types import RawDocument, Table

FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".docx": "docx",
           ".doc": "doc", ".pdf": "pdf", **IMAGE_FORMATS}
SUPPORTED = ".txt, .md, .html, .docx, .doc, .pdf, .png, .jpg, .tif"
# Text files: BOM -> codec. UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# C0 control characters that never occur in text (tab, newlines and form feed excluded), and DEL.
_CONTROLS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\v\f\r") + ("\x7f",)
_MAX_CONTROL_SHARE = 0.02
_MIN_CONTROLS = 8  # a handful of stray control characters (a DOS end-of-file mark ...) is tolerated


def load(path: str | Path, max_bytes: int, ocr: OcrConfig | None = OcrConfig(),
         progress: Progress | None = None) -> RawDocument:
    """Read `path` (format by extension) into a RawDocument, or raise an IngestError subclass.

    `ocr=None` refuses scans (NeedsOCR) instead of reading them; `progress(done, total)` is
    called per OCRed page."""
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
    reading: list[str] = []
    try:
        if fmt in ("txt", "md"):
            text = _text(data, path, reading)
            check_text(len(text), path)  # before the markdown reader's work
            check_lines(text, path)
            if fmt == "md":
                from .markdown import to_text

                text, tables = to_text(text)
            else:
                from .columns import split_columns

                text, tables = split_columns(text)
        elif fmt == "html":
            text, tables = _html(data, path, reading)
        elif fmt in ("docx", "doc"):
            from .office import OLE_MAGIC, docx_text
            from .word97 import doc_text

            if data.startswith(OLE_MAGIC):  # a Word 97 file, whatever its name says
                fmt = "doc"
            text, tables = (docx_text if fmt == "docx" else doc_text)(data, path, max_bytes)
        elif fmt == "pdf":
            from .pdf import pdf_text

            got = pdf_text(data, path, ocr, progress)
            text = got.text
            reading += ["ocr"] * bool(got.ocr_pages) + [got.encoding] * bool(got.encoding)
        else:
            text = _image(data, path, ocr, progress)
            reading.append("ocr")
    except IngestError:
        raise
    except Exception as exc:  # any parser crash: the file is the problem, never a raw traceback
        raise CorruptFile(path, f"cannot read this {fmt.upper()} file: {type(exc).__name__}: {exc}",
                          f"tệp {fmt.upper()} bị hỏng hoặc không đọc được") from exc
    check_text(len(text), path)  # tables are in the text, rendered
    check_lines(text, path)
    if not any(tag in reading for tag in ("tcvn3", "vni", "viscii", "cp1258")):
        fixed = repair(text)  # a Word or HTML file typed in a legacy font
        if fixed.encoding:
            text, tables = fixed.text, tuple(_repair_table(t, fixed.encoding) for t in tables)
            reading.append(fixed.encoding)
    if SOFT_HYPHEN in text:  # a legacy "ư" is converted by now; a real soft hyphen is invisible
        text = text.replace(SOFT_HYPHEN, "")
        tables = tuple(tuple(tuple(c.replace(SOFT_HYPHEN, "") for c in row) for row in t) for t in tables)
    if not text.replace(HARD, "").replace("\f", "").strip():
        if "ocr" in reading:
            raise EmptyDocument(path, "no text: OCR found no readable text in the scan",
                                "không nhận dạng được chữ nào trong bản quét (OCR)")
        raise EmptyDocument(path, "no text: the file holds only whitespace or page furniture",
                            "tệp không có nội dung chữ")
    return RawDocument(text=text, source=str(path), format=fmt, tables=tables, reading="+".join(reading))


SOFT_HYPHEN = "\u00ad"


def _repair_table(table: Table, encoding: str) -> Table:
    """A table's cells converted like the text: each cell on its own (`repair` decides)."""
    return tuple(tuple(repair(cell, encoding).text if cell else cell for cell in row) for row in table)


def _image(data: bytes, path: str | Path, ocr: OcrConfig | None, progress: Progress | None) -> str:
    """A scanned image (every frame of a TIFF a page), read by OCR; pages joined by form feeds."""
    from .ocr import image_pages, ocr_pages

    if ocr is None:
        raise NeedsOCR(path, "an image needs OCR, which is off", "ảnh cần nhận dạng ký tự (OCR)")
    frames = image_pages(data, path)
    return "\f".join(ocr_pages(frames, len(frames), path, ocr, progress))


_size = human_size


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


def _not_decodable(path: str | Path, size: int, exc: UnicodeDecodeError, codec: str,
                   data: bytes = b"") -> DecodeFailure:
    """Say which byte broke the decoding, and where in the file (a stripped BOM counted)."""
    bad = exc.object[exc.start:exc.start + 1].hex()
    at = exc.start + size - len(exc.object)
    if codec.startswith("utf-8"):
        share = best_share(data) if data else 0.0
        ansi = share >= MIN_SHARE  # refused for lacking ư, ơ, ă (ingest.legacy.lost_horns)
        return DecodeFailure(
            path, f"not UTF-8 text: invalid byte 0x{bad} at offset {at}, and no legacy Vietnamese "
                  f"encoding (TCVN3, VNI, VISCII, Windows-1258) reads it as Vietnamese (at best "
                  f"{share:.0%} valid syllables{', but no ư, ơ or ă: Vietnamese saved as Latin-1' if ansi else ''}); "
                  f"save the file as UTF-8",
            f"không phải văn bản UTF-8 (byte 0x{bad} không hợp lệ ở vị trí {at}) và không đọc được "
            f"theo bảng mã tiếng Việt cũ nào (TCVN3, VNI, VISCII, Windows-1258)"
            f"{' (tiếng Việt đã mất các chữ ư, ơ, ă khi lưu dạng Latin-1)' if ansi else ''}; hãy lưu lại tệp dạng UTF-8")
    return DecodeFailure(path, f"not valid {codec} text: {exc.reason} at offset {at}",
                         f"không giải mã được theo bảng mã {codec} (vị trí {at})")


def _text(data: bytes, path: str | Path, reading: list[str]) -> str:
    """txt/md: UTF-8 (BOM allowed), or UTF-16/UTF-32 only with a BOM; bytes that are not UTF-8
    are read in the legacy Vietnamese encoding that makes them Vietnamese (`ingest.legacy`),
    else refused naming the first bad byte."""
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), "utf-8")
    if codec.startswith("utf-8"):  # judge the raw bytes: junk must not pass as a decode problem
        _reject_binary(data.decode("latin-1"), path)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        legacy = decode(data) if codec == "utf-8" else None
        if legacy is None:
            raise _not_decodable(path, len(data), exc, codec, data) from None
        reading.append(legacy.encoding)
        text = legacy.text
    if not codec.startswith("utf-8"):
        _reject_binary(text, path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html(data: bytes, path: str | Path, reading: list[str]) -> tuple[str, tuple[Table, ...]]:
    """Block elements become lines, tables "cell | cell" lines (and `tables`); page chrome dropped
    (`ingest.html`).

    Encoding: the BOM, else the declared charset, else UTF-8, else a legacy Vietnamese encoding
    that reads as Vietnamese (`ingest.legacy.decode`).
    """
    from bs4.dammit import EncodingDetector

    body, bom_codec = EncodingDetector.strip_byte_order_mark(data)
    codec = bom_codec or EncodingDetector.find_declared_encoding(body, is_html=True) or "utf-8"
    try:
        markup = body.decode(codec)
    except LookupError:
        raise DecodeFailure(path, f"unknown declared charset {codec!r}",
                            f"bảng mã khai báo không hợp lệ ({codec})") from None
    except UnicodeDecodeError as exc:
        legacy = decode(body) if codec.lower().replace("_", "-") in ("utf-8", "utf8") else None
        if legacy is None:
            raise _not_decodable(path, len(data), exc, codec, body) from None
        reading.append(legacy.encoding)
        markup = legacy.text
    from .html import html_lines

    return html_lines(markup, path)
