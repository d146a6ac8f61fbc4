"""Which PDF text extractor keeps Vietnamese text best? Measured on the bundled document.

Builds PDFs of data/70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt with several producers
(fpdf2 and reportlab with DejaVu Sans, left-aligned and justified ("-J"); LibreOffice when it is
installed; and an fpdf2 PDF of the *decomposed* NFD text, the hard case for diacritics), extracts
each with pypdf, pdfplumber, pypdfium2 and pymupdf (those installed), and prints one row per
(producer, extractor), then a per-extractor summary with licences:

  sim      character similarity to the source after NFC, whitespace collapsed (difflib ratio)
  syl      share of the source's syllables (multiset) found in the extraction
  dsyl     the same, for syllables carrying a diacritic (what breaks first)
  brk      combining marks left unattached after NFC (broken diacritics), count
  lines    share of source lines recovered as whole extracted lines (PDF wrapping allowed)
  ms       median extraction time over 3 runs, milliseconds

Usage: python scripts/bench_pdf.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import difflib
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_SYLLABLE = re.compile(r"[^\W\d_]+")


# ---------------------------------------------------------------- producers


def make_fpdf2(text: str, out: Path, align: str = "L") -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))


def make_fpdf2_justified(text: str, out: Path) -> None:
    make_fpdf2(text, out, align="J")


def make_fpdf2_nfd(text: str, out: Path) -> None:
    make_fpdf2(unicodedata.normalize("NFD", text), out)


def make_reportlab(text: str, out: Path, justify: bool = False) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    style = ParagraphStyle("body", fontName="DejaVu", fontSize=11, leading=14,
                           alignment=TA_JUSTIFY if justify else TA_LEFT)
    story = [Paragraph(escape(line) or "&nbsp;", style) for line in text.splitlines()]
    SimpleDocTemplate(str(out), pagesize=A4).build(story)


def make_reportlab_justified(text: str, out: Path) -> None:
    make_reportlab(text, out, justify=True)


def make_libreoffice(text: str, out: Path) -> None:
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if exe is None:
        raise RuntimeError("libreoffice not installed")
    src = out.with_suffix(".txt")
    src.write_text(text, encoding="utf-8")
    command = [exe, "--headless", "--convert-to", "pdf", "--outdir", str(out.parent), str(src)]
    subprocess.run(command, check=True, capture_output=True, timeout=180)


PRODUCERS: dict[str, Callable[[str, Path], None]] = {
    "fpdf2": make_fpdf2,
    "fpdf2-J": make_fpdf2_justified,
    "reportlab": make_reportlab,
    "reportlab-J": make_reportlab_justified,
    "libreoffice": make_libreoffice,
    "fpdf2-NFD": make_fpdf2_nfd,
}

# ---------------------------------------------------------------- extractors


def ex_pypdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def ex_pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def ex_pypdfium2(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range().replace("\r\n", "\n") for page in pdf)
    finally:
        pdf.close()


def ex_pymupdf(path: Path) -> str:  # AGPL-3.0: measured for reference only
    import pymupdf

    with pymupdf.open(path) as doc:
        return "\n".join(page.get_text("text") for page in doc)


LICENCES = {"pypdf": "BSD-3-Clause", "pdfplumber": "MIT (+pdfminer.six MIT, pypdfium2)",
            "pypdfium2": "BSD-3-Clause / Apache-2.0", "pymupdf (AGPL)": "AGPL-3.0 or commercial"}
EXTRACTORS: dict[str, Callable[[Path], str]] = {
    "pypdf": ex_pypdf,
    "pdfplumber": ex_pdfplumber,
    "pypdfium2": ex_pypdfium2,
    "pymupdf (AGPL)": ex_pymupdf,
}

# ---------------------------------------------------------------- metrics


def collapse(text: str) -> str:
    return " ".join(text.split())


def similarity(source: str, extracted: str) -> float:
    """Character-level difflib ratio of the whitespace-collapsed texts."""
    a, b = collapse(source), collapse(extracted)
    if a == b:  # the common case; difflib takes ~10 s on 40k characters
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def syllable_recall(source: str, extracted: str, diacritic_only: bool = False) -> float:
    def bag(text: str) -> collections.Counter:
        syl = _SYLLABLE.findall(text.lower())
        if diacritic_only:
            syl = [s for s in syl if not s.isascii()]
        return collections.Counter(syl)

    src, ext = bag(source), bag(extracted)
    return sum((src & ext).values()) / max(1, sum(src.values()))


def broken_marks(extracted: str) -> int:
    return sum(1 for ch in extracted if unicodedata.combining(ch))


def line_fidelity(source: str, extracted: str) -> float:
    """Share of source lines that come back as one or more *whole* consecutive extracted lines."""
    key = lambda s: "".join(s.split())  # noqa: E731 - spacing is scored by `similarity`
    src = [key(s) for s in source.splitlines() if key(s)]
    ext = [key(s) for s in extracted.splitlines() if key(s)]
    hits, j = 0, 0
    for line in src:
        for start in range(j, min(j + 4, len(ext))):  # skip a few stray lines (page numbers ...)
            joined, k = "", start
            while k < len(ext) and len(joined) < len(line):
                joined += ext[k]
                k += 1
            if joined == line:
                hits, j = hits + 1, k
                break
    return hits / max(1, len(src))


def timed(fn: Callable[[Path], str], path: Path, runs: int = 3) -> tuple[str, float]:
    times, out = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the PDFs here instead of a temp folder")
    args = parser.parse_args()
    source = unicodedata.normalize("NFC", SOURCE.read_text(encoding="utf-8"))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_pdf_"))
    folder.mkdir(parents=True, exist_ok=True)

    header = (f"{'producer':<12} {'extractor':<15} {'sim':>6} {'syl':>6} {'dsyl':>6} {'brk':>5} "
              f"{'lines':>6} {'ms':>7}")
    scores: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    print(header)
    print("-" * len(header))
    for pname, produce in PRODUCERS.items():
        pdf = folder / f"{pname}.pdf"
        try:
            produce(source, pdf)
        except Exception as exc:  # a missing producer is reported, not fatal
            print(f"{pname:<12} (skipped: {exc})")
            continue
        for ename, extract in EXTRACTORS.items():
            try:
                raw, ms = timed(extract, pdf)
            except Exception as exc:
                print(f"{pname:<12} {ename:<15} failed: {type(exc).__name__}: {exc}")
                continue
            text = unicodedata.normalize("NFC", raw)
            sim = similarity(source, text)
            scores[ename].append((sim, ms))
            print(f"{pname:<12} {ename:<15} {sim:6.4f} {syllable_recall(source, text):6.4f} "
                  f"{syllable_recall(source, text, True):6.4f} {broken_marks(text):5d} "
                  f"{line_fidelity(source, text):6.3f} {ms:7.0f}")
    print(f"\n{'extractor':<15} {'mean sim':>8} {'min sim':>8} {'mean ms':>8}  licence")
    for ename, rows in scores.items():
        sims, times = [r[0] for r in rows], [r[1] for r in rows]
        print(f"{ename:<15} {statistics.mean(sims):8.4f} {min(sims):8.4f} "
              f"{statistics.mean(times):8.0f}  {LICENCES[ename]}")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
