"""OCR of scans with Tesseract 5 and its Vietnamese data (Debian `tesseract-ocr`, `tesseract-ocr-vie`).

PDF pages are rasterised by PDFium at `OcrConfig.dpi` (300) in grey; image files (.png, .jpg,
.tif, every frame of a multi-page TIFF) are read with Pillow. A page a degree or two askew is
straightened and a speckled one despeckled first (ingest/scanclean.py, `OcrConfig.clean`,
VNQA_OCR_CLEAN). Each page goes to the `tesseract`
CLI on stdin, one single-threaded process per core (Tesseract's own threads are slower on 2
cores than two pages at once), each under a timeout. The text comes back with its layout line
breaks; `ingest.layout` rebuilds the paragraphs as for any PDF text layer.

Quality and speed on the 29-page scan of Nghị định 335/2025 against its text-layer twin:
`python -m eval ocr` (docs/eval/README.md "Bản quét, tệp .doc và phông chữ cũ").
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import FileTooLarge, IngestError, NeedsOCR
from .text import ACRONYM, is_syllable, restore_tones

APT = "sudo apt-get install tesseract-ocr tesseract-ocr-vie"
IMAGE_FORMATS = {".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
                 ".tiff": "image"}
MAX_IMAGE_PIXELS = 80_000_000  # an A3 page at 600 dpi is 70 M pixels; more is a decompression bomb

Progress = Callable[[int, int], None]  # (pages done, pages to do)


@dataclass(frozen=True)
class OcrConfig:
    lang: str = "vie"
    dpi: int = 300
    max_pages: int = 200  # a scan longer than this is refused (about 6 min of OCR per 100 pages)
    page_timeout_s: float = 120.0
    workers: int = 0  # 0: one per core
    clean: bool = True  # straighten and despeckle each page first (ingest/scanclean.py)


def tesseract(path: str | Path, config: OcrConfig) -> str:
    """The tesseract binary, with `config.lang` installed; else NeedsOCR naming the apt command."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise NeedsOCR(path, f"this document needs OCR and Tesseract is not installed: {APT}",
                       f"văn bản quét cần nhận dạng ký tự (OCR) nhưng máy chưa cài Tesseract: {APT}")
    missing = [lang for lang in config.lang.split("+") if lang not in _languages(exe)]
    if missing:
        raise NeedsOCR(path, f"Tesseract has no {'+'.join(missing)} data: {APT}",
                       f"Tesseract chưa có dữ liệu tiếng Việt: {APT}")
    return exe


@functools.lru_cache(maxsize=4)
def _languages(exe: str) -> tuple[str, ...]:
    """The language data Tesseract has (asked once per process)."""
    return tuple(subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout.split())


def ocr_pages(images: Iterable[bytes], count: int, path: str | Path, config: OcrConfig,
              progress: Progress | None = None) -> list[str]:
    """The text of each page image (PNG or PGM bytes), in order; pages run in parallel."""
    exe = tesseract(path, config)
    if count > config.max_pages:
        raise FileTooLarge(path, f"{count} pages to OCR, over the limit of {config.max_pages}",
                           f"bản quét quá dài để nhận dạng ({count} trang > {config.max_pages})")
    workers = config.workers or os.cpu_count() or 1
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def run(image: bytes) -> str:
        if config.clean:  # in the worker thread: the pages are cleaned side by side too
            image = _cleaned(image)
        try:
            out = subprocess.run([exe, "stdin", "stdout", "-l", config.lang, "--dpi", str(config.dpi), "tsv"],
                                 input=image, capture_output=True, env=env, timeout=config.page_timeout_s)
        except subprocess.TimeoutExpired:
            raise IngestError(path, f"OCR of a page took over {config.page_timeout_s:.0f} s",
                              "nhận dạng ký tự một trang quá lâu") from None
        if out.returncode != 0:
            raise IngestError(path, f"tesseract failed: {out.stderr.decode(errors='replace')[-300:]}",
                              "không nhận dạng được ký tự của bản quét")
        return restore_tones(drop_noise(tsv_text(out.stdout.decode("utf-8", errors="replace"))))

    texts: list[str] = []
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for image in images:  # at most 2 pages per worker rendered ahead: memory stays bounded
            pending.append(pool.submit(run, image))
            while len(pending) > 2 * workers or (pending and pending[0].done()):
                texts.append(pending.popleft().result())
                if progress:
                    progress(len(texts), count)
        while pending:
            texts.append(pending.popleft().result())
            if progress:
                progress(len(texts), count)
    return texts


def tsv_text(tsv: str) -> str:
    """Tesseract's TSV (word boxes) as text: one line per OCR line, split where a gap wider than
    COLUMN_GAP line heights separates two columns (the letterhead's issuer | national motto,
    number | place and date) into cells that stand alone, an empty line between paragraphs."""
    lines: dict[tuple[int, int, int], list[tuple[int, int, int, str]]] = {}
    for row in tsv.split("\n")[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        key = (int(f[2]), int(f[3]), int(f[4]))
        lines.setdefault(key, []).append((int(f[6]), int(f[6]) + int(f[8]), int(f[9]), f[11].strip()))
    out: list[str] = []
    last_par = None
    for key in sorted(lines):
        words = sorted(lines[key])
        if last_par is not None and key[:2] != last_par:
            out.append("")
        last_par = key[:2]
        height = sorted(h for _, _, h, _ in words)[len(words) // 2]
        segments, segment = [], [words[0][3]]
        for (_, end, _, _), (start, _, _, text) in zip(words, words[1:]):
            if start - end > COLUMN_GAP * height:
                segments.append(" ".join(segment))
                segment = []
            segment.append(text)
        segments.append(" ".join(segment))
        if len(segments) == 1:
            out.append(segments[0])
        else:  # column cells: each its own paragraph, never joined to the lines around it
            out.extend(x for seg in segments for x in ("", seg))
            out.append("")
    return "\n".join(out)


COLUMN_GAP = 2.0


def drop_noise(text: str) -> str:
    """OCR text without the lines that read as noise (stamps, handwriting, dotted form fields:
    "000 01986996006069 vononse", "` . ` Lá FA S y9"): no letter or digit, or mostly tokens
    that are neither Vietnamese syllables, acronyms nor plausible numbers."""
    return "\n".join(line for line in text.split("\n") if not _noise(line))


_TOKEN = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d{1,6}")  # a day, an amount's group, an article number; longer runs are dots


def _noise(line: str) -> bool:
    tokens = _TOKEN.findall(line)
    if not tokens:
        return bool(line.strip())
    bad = sum(1 for t in tokens if not (_NUMBER.fullmatch(t) or is_syllable(t) or ACRONYM.fullmatch(t)))
    return bad / len(tokens) > NOISE_SHARE


NOISE_SHARE = 0.5


def pdf_page_images(data: bytes, pages: list[int], config: OcrConfig) -> Iterator[bytes]:
    """PGM bytes of the given PDF pages (0-based), rendered in grey at config.dpi (at most
    2 pages per worker are held: ocr_pages)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for n in pages:
            page = pdf[n]
            w, h = page.get_size()
            scale = config.dpi / 72
            if w * h * scale * scale > MAX_IMAGE_PIXELS:
                scale = (MAX_IMAGE_PIXELS / (w * h)) ** 0.5
            image = page.render(scale=scale, grayscale=True).to_pil()
            page.close()
            yield _pnm(image)
    finally:
        pdf.close()


def image_pages(data: bytes, path: str | Path) -> list[bytes]:
    """Every frame of an image file as grey PNG bytes; a bad or oversized image is an error."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = [_png(frame.convert("L")) for frame in ImageSequence.Iterator(img)]
    except Image.DecompressionBombError as exc:
        raise FileTooLarge(path, f"image too large: {exc}", "ảnh quá lớn") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise IngestError(path, f"cannot read this image: {exc}", "tệp ảnh bị hỏng hoặc không đọc được") from exc
    return frames


def _cleaned(page: bytes) -> bytes:
    from PIL import Image

    from .scanclean import clean

    with Image.open(io.BytesIO(page)) as image:
        return _pnm(clean(image))


def _pnm(image) -> bytes:
    """Uncompressed (PGM): a rendered page goes to Tesseract at once (PNG of a speckled page
    costs 0.35 s to write and 0.1 s to read back)."""
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PPM")
    return buf.getvalue()


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
