"""Noisy scans made from text PDFs, for the tests and `python -m eval forms --parts ocr`.

A page of a PDF with a text layer is rendered in grey at 300 dpi, as a scanner would see it,
then made worse the way real scans are: turned by a degree or two, speckled with dark dots
(dust, a fax), blurred a little and saved as a JPEG. The text layer of the same page is the
reference its OCR is scored against (eval.forms.error_rates).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

DPI = 300


def render(pdf: Path | bytes, page: int, dpi: int = DPI):
    """A page of a PDF as a grey Pillow image."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        return doc[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()


def page_text(pdf: Path, page: int) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc[page].get_textpage().get_text_range()
    finally:
        doc.close()


def noisy(image, angle: float, seed: int = 0, specks: float = 0.004, quality: int = 60):
    """The page turned by `angle` degrees (counter-clockwise), with `specks` of its pixels set
    to dark dots, a light blur and JPEG compression at `quality`."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    turned = image.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    a = np.asarray(turned.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.int16).copy()
    a += rng.normal(0, 12, a.shape).astype(np.int16)  # sensor grain
    dots = rng.random(a.shape) < specks
    a[dots] = rng.integers(0, 80, int(dots.sum()))
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def noisy_pdf(pdf: Path, out: Path, angles=(1.5, -1.0, 2.0, -1.8), seed: int = 0, pages: int | None = None) -> Path:
    """A scanned-looking copy of `pdf` (no text layer): each page made `noisy`, turned by the
    angles in turn, saved as a PDF of JPEG pages at DPI."""
    import pypdfium2 as pdfium

    count = len(pdfium.PdfDocument(str(pdf)))
    count = min(count, pages) if pages else count
    images = [noisy(render(pdf, i), angles[i % len(angles)], seed + i) for i in range(count)]
    out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return out
