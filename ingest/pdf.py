"""PDF text layers: pages joined by form feeds, for `ingest.layout` to rebuild paragraphs.

Extractor: PDFium (pypdfium2), with pypdf as the fallback when PDFium fails or reads almost
nothing. Measured on the 9 PDFs of the development corpus (`scripts/bench_pdf.py --real`):
the same characters and diacritics as pypdf on every text-layer file, 10-20x faster, footnotes
placed at the page bottom (pypdf puts some in the middle of the page text), and it reads the
2004 TCVN3 report that pypdf 7 rejects (a "/Fl" filter name).

Pages without a text layer (a scanned page: little text, an image) and pages whose layer is not
readable Vietnamese (`ingest.text.readable`: a lost-diacritics OCR layer, broken glyphs) are
OCRed (`ingest.ocr`), after legacy encodings (TCVN3 ...) are converted (`ingest.legacy`).

Known glyph substitutions of broken text layers are mapped back (U+01A3 "ƣ" for "ư", as some
Vietnamese PDF producers emit); PDFium's U+FFFE marks a hyphen at a line end.

Electronically signed copies print the number and day into signature fields ("Số: [4580]/UBND-TH",
"ngày [13] tháng 7"): their appearance text is not in the page's text layer, so short field
texts are read (pypdf) and put after the words to their left on the same line.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import CorruptFile, NeedsOCR
from .legacy import repair
from .ocr import OcrConfig, Progress
from .text import readable

MIN_CHARS_PER_PAGE = 20  # fewer non-space characters on a page: no text layer there
GLYPH_FIXES = str.maketrans({"ƣ": "ư", "Ƣ": "Ư", "\ufffe": "-"})  # U+00AD stays for legacy.repair (TCVN3 "ư")


@dataclass(frozen=True)
class PdfText:
    text: str  # pages separated by "\f"
    ocr_pages: int = 0  # pages read by OCR (no text layer, or one that is not readable Vietnamese)
    encoding: str = ""  # a legacy encoding the text layer was converted from (ingest.legacy)


def pdf_text(data: bytes, path: str | Path, ocr: OcrConfig | None = None,
             progress: Progress | None = None) -> PdfText:
    """The text layer, legacy encodings converted; pages without readable text are OCRed
    (`ocr=None`: refused with NeedsOCR instead)."""
    if b"%PDF-" not in data[:1024]:
        raise CorruptFile(path, "not a PDF (no %PDF- header)", "tệp không phải PDF hợp lệ")
    pages = _pdfium_pages(data, path)
    if pages is None or _chars(pages) < MIN_CHARS_PER_PAGE * max(len(pages), 1):
        other = _pypdf_pages(data, path)
        if other is not None and (pages is None or _chars(other) > _chars(pages)):
            pages = other
    if pages is None:
        raise CorruptFile(path, "cannot read this PDF file (PDFium and pypdf both failed)",
                          "tệp PDF bị hỏng hoặc không đọc được")
    repaired = repair("\f".join(pages))
    pages = repaired.text.replace("\u00ad", "").split("\f")  # a soft hyphen left is no legacy "ư"
    short = {i for i, page in enumerate(pages) if len("".join(page.split())) < MIN_CHARS_PER_PAGE}
    pictured = _pages_with_images(data, short) if short else set()
    bad = [i for i, page in enumerate(pages) if (i in pictured if i in short else not readable(page))]
    if bad and ocr is None:
        raise NeedsOCR(path, f"{len(bad)} of {len(pages)} page(s) have no readable text layer "
                             "(scanned PDF?); needs OCR", "PDF không có lớp chữ đọc được (bản quét?), cần OCR")
    if bad:
        from .ocr import ocr_pages, pdf_page_images

        for i, text in zip(bad, ocr_pages(pdf_page_images(data, bad, ocr), len(bad), path, ocr, progress)):
            pages[i] = _clean_page(text)
    return PdfText("\f".join(pages), len(bad), repaired.encoding)


def _pages_with_images(data: bytes, pages: set[int]) -> set[int]:
    """Those of `pages` that hold an image (a scanned page; a page without one is blank)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out = set()
    pdf = pdfium.PdfDocument(data)
    try:
        for n in sorted(pages):
            page = pdf[n]
            if next(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2), None) is not None:
                out.add(n)
            page.close()
    finally:
        pdf.close()
    return out


def _clean_page(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(GLYPH_FIXES)
    return unicodedata.normalize("NFC", text)


def _chars(pages: list[str]) -> int:
    return sum(len("".join(p.split())) for p in pages)


def _pdfium_pages(data: bytes, path: str | Path) -> list[str] | None:
    """Pages read by PDFium; None when PDFium cannot open the file (pypdf then decides)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a dependency, but pypdf still works without it
        return None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise CorruptFile(path, "encrypted PDF: it needs a password to open",
                              "PDF được đặt mật khẩu, không mở được") from exc
        return None
    fields = _field_texts(data) if b"/Widget" in data else {}
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            for rect, value in fields.get(i, ()):
                text = _insert_field(text, textpage, rect, value)
            out.append(_clean_page(text))
            textpage.close()
            page.close()
        return out
    finally:
        pdf.close()


def _field_texts(data: bytes) -> dict[int, list[tuple[list[float], str]]]:
    """Per page, (rect, text) of form widgets whose appearance prints a short text."""
    from pypdf import PdfReader
    from pypdf._page import PageObject
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    out: dict[int, list] = {}
    try:
        reader = PdfReader(io.BytesIO(data))
        for n, page in enumerate(reader.pages):
            for ref in page.get("/Annots") or []:
                annot = ref.get_object()
                if annot.get("/Subtype") != "/Widget" or "/AP" not in annot or "/N" not in annot["/AP"]:
                    continue
                ap = annot["/AP"]["/N"].get_object()
                if not hasattr(ap, "get_data"):
                    continue
                holder = PageObject(pdf=reader)
                if "/Resources" in ap:
                    holder[NameObject("/Resources")] = ap["/Resources"]
                holder[NameObject("/Contents")] = annot["/AP"].raw_get("/N")
                holder[NameObject("/MediaBox")] = ArrayObject(FloatObject(x) for x in ap.get("/BBox", [0, 0, 1, 1]))
                value = " ".join(holder.extract_text().split())
                if 0 < len(value) <= MAX_FIELD_CHARS and re.fullmatch(r"[\w/.-]+", value):
                    out.setdefault(n, []).append(([float(x) for x in annot["/Rect"]], value))
    except Exception:  # noqa: BLE001 - fields are a bonus; the text layer stands without them
        return {}
    return out


def _insert_field(text: str, textpage, rect: list[float], value: str) -> str:
    """Put `value` after the words printed just left of `rect` on its line."""
    x0, y0, x1, y1 = rect
    left = textpage.get_text_bounded(left=max(x0 - FIELD_ANCHOR_WIDTH, 0), bottom=y0, right=x0, top=y1)
    lines = [line.strip() for line in left.replace("\r", "\n").split("\n") if line.strip()]
    anchor = " ".join(lines[-1].split()[-3:]) if lines else ""
    if not anchor:
        return text
    at = text.find(anchor)
    if at < 0:
        return text
    end = at + len(anchor)
    return f"{text[:end]} {value}{text[end:]}"


MAX_FIELD_CHARS = 20
FIELD_ANCHOR_WIDTH = 120  # points to the left of a field where its label is printed


def _pypdf_pages(data: bytes, path: str | Path) -> list[str] | None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptFile(path, "encrypted PDF: it needs a password to open",
                              "PDF được đặt mật khẩu, không mở được")
        return [_clean_page(page.extract_text() or "") for page in reader.pages]
    except CorruptFile:
        raise
    except Exception:  # noqa: BLE001 - PDFium already had its chance; the caller decides
        return None
