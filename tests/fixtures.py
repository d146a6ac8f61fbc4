"""Builders of test input files from the bundled document (plain functions, not pytest fixtures).

Each `make_*` writes one file at `path` and returns that path, so tests can build them in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED = DATA / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # has the Vietnamese glyphs
# Page chrome that make_html puts around the text; none of it may survive loading.
HTML_JUNK = ("Trang chủ", "Đăng nhập", "trackPageView", "color: red", "Bản quyền thuộc Cổng")


def bundled_text() -> str:
    """The bundled document, exactly as stored (UTF-8, NFC)."""
    return BUNDLED.read_text(encoding="utf-8")


def bundled_lines() -> list[str]:
    """The bundled document's non-empty lines."""
    return [line for line in bundled_text().splitlines() if line.strip()]


def bundled_table() -> list[tuple[str, str]]:
    """The document's metadata table ("| Số hiệu | 70/NQ-HĐND |" lines), with a header row."""
    rows = [("Thuộc tính", "Giá trị")]
    for line in bundled_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 2 and all(cells):
            rows.append((cells[0], cells[1]))
    return rows


Rows = Sequence[Sequence[str]]


def make_docx(text_lines: Sequence[str], path: Path, table_rows: Rows | None = None,
              tail_lines: Sequence[str] = ()) -> Path:
    """A .docx: a paragraph per line, the table (first row bold: the header), then `tail_lines`."""
    from docx import Document

    doc = Document()
    for line in text_lines:
        doc.add_paragraph(line)
    if table_rows:
        table = doc.add_table(rows=0, cols=len(table_rows[0]))
        for i, row in enumerate(table_rows):
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = ""
                cell.paragraphs[0].add_run(value).bold = i == 0
    for line in tail_lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return Path(path)


def make_pdf(text: str, path: Path) -> Path:
    """A text-layer PDF (fpdf2, DejaVu Sans 11 pt, A4); multi_cell wraps long lines."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return Path(path)


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF like a scan: each page only an image of grey "text lines" and a frame, no text."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        image = Image.new("L", (420, 600), 255)
        draw = ImageDraw.Draw(image)
        for y in range(40, 560, 18):
            draw.rectangle((30, y, 390 - (y * 7) % 120, y + 8), fill=90)
        pdf.image(image, x=15, y=15, w=180)
        pdf.rect(10, 10, 190, 277)
    pdf.output(str(path))
    return Path(path)


def make_html(text_lines: Sequence[str], path: Path, table_rows: Rows | None = None,
              charset: str = "utf-8") -> Path:
    """An HTML page: the lines as <p>/<h3> (inline <b> on "Điều N.", a source line break inside one
    paragraph), the table (first row <th>), and nav/script/style/header/footer/search-form junk."""
    body = []
    for i, line in enumerate(text_lines):
        head, _, rest = line.partition(". ")
        if line.startswith("Điều ") and rest:
            body.append(f"<h3><b>{escape(head)}.</b> {escape(rest)}</h3>")
        elif i == 1 and " " in line:  # HTML source wrapping must not split the line
            a, b = line.split(" ", 1)
            body.append(f"<p>\n  {escape(a)}\n  {escape(b)}\n</p>")
        else:
            body.append(f"<p>{escape(line)}</p>")
    if table_rows:
        rows = [
            "<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{escape(c)}</{'th' if i == 0 else 'td'}>"
                             for c in row) + "</tr>"
            for i, row in enumerate(table_rows)
        ]
        body.append("<table border='1'>\n" + "\n".join(rows) + "\n</table>")
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="{charset}"><title>Văn bản - Cổng thông tin</title>
<style>p {{ color: red; }}</style>
<script>window._paq = []; _paq.push(['trackPageView']);</script></head>
<body>
<header><a href="/">Cổng thông tin điện tử</a></header>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/login">Đăng nhập</a></li></ul></nav>
<form action="/search"><input name="q"><button>Tìm kiếm</button></form>
<main><article>
{chr(10).join(body)}
</article></main>
<aside>Văn bản liên quan</aside>
<footer>Bản quyền thuộc Cổng thông tin điện tử tỉnh</footer>
<script>console.log("Đăng nhập")</script>
</body></html>
"""
    # A legacy charset lacks most precomposed letters: those become character references.
    Path(path).write_bytes(page.encode(charset, errors="xmlcharrefreplace"))
    return Path(path)
