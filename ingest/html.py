"""HTML pages: block elements become lines, tables "cell | cell" lines (and tables); page chrome
dropped.

Read with lxml (libxml2) and flattened in one iterative walk (`lxml.etree.iterwalk`): no Python
recursion over the depth of the page and no tree edits, so the work is linear in the size of the
page. (The former BeautifulSoup version inserted line-break markers into the tree; each insert
walked the subtree before it, which made a page nested 30k <div> deep take 51 s and 100k deep
more than 10 minutes.) Hostile pages are refused before any work in Python:
- nesting deeper than libxml2's limit (256 levels; a real page nests a few dozen);
- more than MAX_TAGS tags (counted as "<" characters, an upper bound).
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import CorruptFile, FileTooLarge
from .layout import HARD
from .limits import vi_number
from .tables import Table, render

MAX_TAGS = 1_500_000  # ~600 MB of lxml tree; a real 20 MB page holds a few hundred thousand
JUNK = frozenset(("head", "script", "style", "noscript", "template", "nav", "header", "footer",
                  "aside", "form", "select", "button", "textarea"))
BLOCKS = frozenset(("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol", "dl",
                    "dt", "dd", "section", "article", "main", "blockquote", "pre", "address",
                    "figure", "figcaption", "caption", "center", "hr"))
BREAK = "\ue000"  # private-use sentinel marking a line break while flattening
_TABLE = "\ue003"  # private-use sentinel around a table's placeholder
_KEY = re.compile(f"{_TABLE}(\\d+){_TABLE}")


def html_lines(markup: str, path: str | Path) -> tuple[str, tuple[Table, ...]]:
    """The lines of a decoded page, and its non-empty tables in document order."""
    from lxml import etree

    if not markup.strip():
        return "", ()
    tags = markup.count("<")
    if tags > MAX_TAGS:
        raise FileTooLarge(path, f"HTML with {tags:,} tags, over the {MAX_TAGS:,} limit",
                           f"trang HTML có quá nhiều thẻ ({vi_number(tags)} > {vi_number(MAX_TAGS)})")
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = etree.fromstring(markup.encode("utf-8", "surrogatepass"), parser)
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise CorruptFile(path, "HTML nested more than 255 elements deep (a hostile or broken page)",
                          "trang HTML lồng nhau quá sâu (hơn 255 cấp), không phải văn bản bình thường")
    if root is None:
        return "", ()
    walk = _Walk()
    flat = walk.text(root, top=True)
    lines = (" ".join(part.split()) if not part.startswith(HARD) else part.strip()
             for part in flat.split(BREAK))
    return "\n".join(line for line in lines if line), tuple(t for t in walk.tables if t)


class _Walk:
    """One page's flattening: tables numbered in document order (nested ones too)."""

    def __init__(self):
        self.tables: list[Table] = []
        self.as_cell: list[str] = []

    def text(self, root, top: bool = False) -> str:
        """The content of `root` (not its tail) with BREAK around blocks and for <br>; a table
        becomes its rendered lines (`top`) or a key for its cell text (inside a cell)."""
        from lxml import etree

        out: list[str] = []
        walker = etree.iterwalk(root, events=("start", "end"))
        articles = 0  # open <article>/<main> ancestors: their header/footer is content
        skipped = False  # the next "end" closes a subtree skipped at its start
        for event, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if el is root:
                out.append(el.text or "" if event == "start" else "")
                continue
            if event == "end":
                if skipped:
                    skipped = False
                else:
                    articles -= tag in ("article", "main")
                    out.append(BREAK if tag in BLOCKS else "")
                out.append(el.tail or "")
                continue
            if tag in JUNK and _is_chrome(el, tag, articles):
                walker.skip_subtree()
                skipped = True
            elif tag == "table":
                n = self.table(el)
                out.append(self.rendered(n) if top else f"{_TABLE}{n}{_TABLE}")
                walker.skip_subtree()
                skipped = True
            else:
                articles += tag in ("article", "main")
                out.append(BREAK if tag in BLOCKS or tag == "br" else "")
                out.append(el.text or "")
        return "".join(out)

    def rendered(self, n: int) -> str:
        return BREAK + BREAK.join(render(self.tables[n], n)) + BREAK

    def table(self, table) -> int:
        """Number `table`, record its rows (cells on the grid, nested tables as cell text)."""
        from lxml import etree

        n = len(self.tables)
        self.tables.append(())
        self.as_cell.append("")
        rows: list[tuple[str, ...]] = []
        walker = etree.iterwalk(table, events=("start",))
        for _, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if el is table:
                continue
            if tag in JUNK and _is_chrome(el, tag, 0):
                walker.skip_subtree()
            elif tag == "table":  # a table outside any cell: numbered, not part of this one
                self.table(el)
                walker.skip_subtree()
            elif tag == "tr":
                row = self.row(el)
                if any(row):
                    rows.append(row)
                walker.skip_subtree()
        self.tables[n] = tuple(rows)
        self.as_cell[n] = " | ".join(" | ".join(c for c in row if c) for row in rows)
        return n

    def row(self, tr) -> tuple[str, ...]:
        """A <tr>'s cells on the grid (a colspan cell is followed by empty ones); a cell's lines
        (block elements, <br>) stay apart as "\\n"."""
        out: list[str] = []
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            parts = (" ".join(p.split()) for p in self.text(cell).split(BREAK))
            text = "\n".join(p for p in parts if p)
            out.append(_KEY.sub(lambda m: self.as_cell[int(m.group(1))], text))
            try:
                span = max(1, min(int(cell.get("colspan", 1)), 50))
            except (TypeError, ValueError):
                span = 1
            out.extend([""] * (span - 1))
        return tuple(out)


def _is_chrome(el, tag: str, articles: int) -> bool:
    """Whether a junk-named element is page chrome: not a <header>/<footer> of an <article>/<main>,
    nor a <form> wrapping the whole page (ASP.NET WebForms portals); a search form is chrome."""
    if tag in ("header", "footer"):
        return not articles and next(el.iterancestors("article", "main"), None) is None
    if tag == "form":
        return next(el.iterdescendants("p", "table", "article", "main"), None) is None
    return True
