"""Word .docx: paragraphs in body order, Word's automatic numbering written out, tables rendered
by `ingest.tables` (cells aligned to the grid: a cell spanning columns fills them all once).

Before python-docx parses anything, every entry of the zip is inflated in bounded steps and its
real size counted against a cap (`ingest.limits`): the sizes a zip declares can lie, and
python-docx inflates a whole entry at once. A zip whose content does not match its headers is
refused. The extracted text is capped while reading.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

from .errors import CorruptFile, FileTooLarge, human_size
from .limits import MAX_DOCX_PARAGRAPHS, MAX_UNZIP_MB, MAX_UNZIP_RATIO, check_text, vi_number
from .tables import Table, render

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy binary Word .doc
_STEP = 1 << 16  # bytes inflated per step
_ROMAN = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90), ("l", 50),
          ("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))


def docx_text(data: bytes, path: str | Path, max_bytes: int) -> tuple[str, tuple[Table, ...]]:
    """Paragraph lines and rendered table lines in body order, and the tables."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(OLE_MAGIC):
            raise CorruptFile(path, "not a .docx but an old Word .doc? save it as .docx",
                              "tệp Word .doc cũ, hãy lưu lại dạng .docx")
        raise CorruptFile(path, "not a valid .docx (not a zip archive)",
                          "tệp .docx bị hỏng hoặc không phải .docx")
    _check_unpacked(data, path)
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(data))
    paragraphs = sum(1 for _ in doc.element.body.iter(qn("w:p")))
    if paragraphs > MAX_DOCX_PARAGRAPHS:
        raise FileTooLarge(path, f"{paragraphs:,} paragraphs, over the {MAX_DOCX_PARAGRAPHS:,} limit",
                           f"tệp có quá nhiều đoạn ({vi_number(paragraphs)} > {vi_number(MAX_DOCX_PARAGRAPHS)})")
    _soft_hyphens_as_text(doc.element.body)
    numbering = _Numbering(doc)
    lines: list[str] = []
    tables: list[Table] = []
    chars = 0
    for block in _blocks(doc.element.body, doc, numbering):
        chars += len(block) if isinstance(block, str) else sum(map(len, (c for row in block for c in row)))
        check_text(chars, path)  # stops reading at once, not after the whole body
        if isinstance(block, str):
            if block.strip():
                lines.append(block)
        elif block:
            lines.append("")
            lines.extend(render(block, len(tables)))
            lines.append("")
            tables.append(block)
    return "\n".join(lines), tuple(tables)


def _soft_hyphens_as_text(body) -> None:
    """Each <w:softHyphen/> becomes the character U+00AD, which python-docx would drop: in a
    TCVN3 document (and a .doc LibreOffice converts) that byte is the letter "ư" ("Ch¬ng" +
    soft hyphen ... "Thñ t­íng"), restored by legacy.repair; elsewhere load() removes it."""
    from docx.oxml.ns import qn
    from lxml import etree

    for el in list(body.iter(qn("w:softHyphen"))):
        t = etree.Element(qn("w:t"))
        t.text = "\u00ad"
        el.getparent().replace(el, t)


def _check_unpacked(data: bytes, path: str | Path) -> None:
    """Inflate every entry in steps of _STEP bytes, counting what comes out: FileTooLarge past
    MAX_UNZIP_RATIO times the file's size or MAX_UNZIP_MB (whichever is less), CorruptFile when
    an entry does not match its declared size and checksum or uses another compression."""
    limit = min(MAX_UNZIP_RATIO * len(data), MAX_UNZIP_MB << 20)

    def too_large(size: int, declared: bool) -> FileTooLarge:
        said = "declares it unpacks" if declared else "unpacks"
        return FileTooLarge(path, f"{said} to {'' if declared else 'more than '}{human_size(size)}, "
                                  f"over the {human_size(limit)} limit (zip bomb?)",
                            f"tệp giải nén ra quá lớn (hơn {human_size(limit, True)})")

    archive = zipfile.ZipFile(io.BytesIO(data))
    declared = sum(info.file_size for info in archive.infolist())
    if declared > limit:
        raise too_large(declared, True)
    total = 0
    try:
        for info in archive.infolist():
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
                raise CorruptFile(path, f"zip entry {info.filename} is encrypted or uses compression "
                                        f"method {info.compress_type} (Word writes only 0 and 8)",
                                  "tệp .docx bị mã hóa hoặc nén theo cách không hỗ trợ")
            with archive.open(info) as entry:
                while step := entry.read(_STEP):
                    total += len(step)
                    if total > limit:
                        raise too_large(total, False)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CorruptFile(path, f"the zip's content does not match its headers: {exc}",
                          "tệp .docx bị hỏng (nội dung nén không khớp thông tin khai báo)") from None


def _blocks(parent, doc, numbering: "_Numbering") -> Iterator[str | Table]:
    """Paragraph texts (numbering label first) and tables, content controls opened."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, doc)
            label = numbering.label(paragraph)
            yield f"{label} {paragraph.text}" if label and paragraph.text.strip() else paragraph.text
        elif child.tag == qn("w:tbl"):
            yield _table(child, doc)
        elif child.tag == qn("w:sdt") and child.find(qn("w:sdtContent")) is not None:
            yield from _blocks(child.find(qn("w:sdtContent")), doc, numbering)


def _table(tbl, doc) -> Table:
    """Rows of cells on the grid: a cell spanning n columns is followed by n-1 empty cells; a
    vertically merged continuation cell is empty. A cell's paragraphs stay apart ("\\n")."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    rows = []
    for tr in tbl.iterchildren(qn("w:tr")):
        row: list[str] = []
        for tc in tr.iterchildren(qn("w:tc")):
            tc_pr = tc.find(qn("w:tcPr"))
            span = 1
            if tc_pr is not None and (gs := tc_pr.find(qn("w:gridSpan"))) is not None:
                span = max(1, int(gs.get(qn("w:val"), "1")))
            merged = tc_pr is not None and (vm := tc_pr.find(qn("w:vMerge"))) is not None and \
                vm.get(qn("w:val"), "continue") == "continue"
            paragraphs = [Paragraph(p, doc).text for p in tc.iter(qn("w:p"))]
            text = "" if merged else "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
            row.extend([text] + [""] * (span - 1))
        rows.append(tuple(row))
    return tuple(r for r in rows if any(r))


class _Numbering:
    """Labels of Word's automatic numbering ("1.", "a)", "II.", "1.2."), counted in body order."""

    def __init__(self, doc):
        from docx.oxml.ns import qn

        self.qn = qn
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (fmt, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        self.by_style: dict = {}  # paragraph style id -> the numbering its style chain gives
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for a in root.iterchildren(qn("w:abstractNum")):
            lvls = {}
            for lvl in a.iterchildren(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                text = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                lvls[int(lvl.get(qn("w:ilvl"), "0"))] = (
                    fmt.get(qn("w:val"), "decimal") if fmt is not None else "decimal",
                    text.get(qn("w:val"), "") if text is not None else "",
                    int(start.get(qn("w:val"), "1")) if start is not None else 1)
            abstract[a.get(qn("w:abstractNumId"))] = lvls
        for num in root.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.levels[num.get(qn("w:numId"))] = abstract.get(ref.get(qn("w:val")), {})

    def label(self, paragraph) -> str:
        num_pr = self._num_pr(paragraph)
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        fmt, text, _ = levels[ilvl]
        if fmt in ("bullet", "none") or not text:
            return "-" if fmt == "bullet" else ""

        def value(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            n = counts.get(k, levels.get(k, ("decimal", "", 1))[2])
            return _format(n, levels.get(k, (fmt,))[0])

        return re.sub(r"%(\d)", value, text)

    def _num_pr(self, paragraph):
        p_pr = paragraph._p.pPr
        if p_pr is not None and p_pr.numPr is not None:
            return p_pr.numPr
        style_id = p_pr.style if p_pr is not None else None
        if style_id not in self.by_style:  # a style lookup is an XPath query: once per style
            self.by_style[style_id] = self._style_num_pr(paragraph.style)
        return self.by_style[style_id]

    @staticmethod
    def _style_num_pr(style):
        while style is not None:
            s_pr = style.element.pPr
            if s_pr is not None and s_pr.numPr is not None:
                return s_pr.numPr
            style = style.base_style
        return None


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26]
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        out, rest = "", n
        for sym, val in _ROMAN:
            while rest >= val:
                out, rest = out + sym, rest - val
        return out.upper() if fmt == "upperRoman" else out
    return str(n)
