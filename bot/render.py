"""HTML for the web app, as pure functions of answers, document texts and their sections.

- The chat: an answer with its [n] markers and, under it, its sources (or, for a refusal, the
  closest sections), each a <details> that opens on the section that contains the quote, the
  quote marked with <mark>.
- The reader: a document (or one section) with headings and "sec-<index>" anchors, its outline
  and its header.

`sections` are the store's rows [path, heading, kind, start, end] (`Store.document_text`).
"""

from __future__ import annotations

import bisect
import html
import logging
import re
from dataclasses import dataclass

from ingest.types import SEP, has_word, section_label

from .tables import provenance, vn_date
from .types import Answer, Citation

log = logging.getLogger("vnqa")

WHOLE_DOC = "*"  # the reader's value meaning "the whole document"
THINKING = '<span class="thinking">…</span>'

# Sections rendered as headings in the reader; items, points and clauses stay paragraphs.
_HEADING_KINDS = {"info", "header", "preamble", "signature", "part", "chapter", "section", "article",
                  "plan", "group", "appendix"}
_CONTEXT_LIMIT = 2400  # a longer section is shown as the paragraphs around the quote
_CITE_MARK = re.compile(r"\\\[(\d{1,2})\\\]")  # an [n] marker once markdown_text has escaped it

# Document text is shown as text. The chat bubble is markdown (Gradio renders it, then sanitises
# the HTML): a document's "[cổng chính thức](https://evil.example/phish)", "**", "`x`", "~~" or
# "# " would become a live link or formatting, and GFM turns bare "https://…", "www.…" and e-mail
# addresses into links. markdown_text escapes all of them with backslashes, which markdown removes
# again: the reader sees the text exactly as written (a copied quote is still verbatim).
_MD_PUNCT = re.compile(r"[\\`*_\[\]~|]")
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)([#=]|-{3,}$)")  # headings, setext underlines, rules
_MD_AUTOLINK = re.compile(r"(?i)(?<![\w-])(https?|ftp|mailto|www)(:|\.)")  # "https:" / "www."


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def markdown_text(text: str) -> str:
    """`text` (a document's or an answer's) for a markdown view, shown exactly as written: HTML
    escaped, markdown syntax and autolinks neutralised by backslashes (see _MD_PUNCT)."""
    body = _MD_PUNCT.sub(lambda m: "\\" + m.group(0), esc(text))
    body = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), body)
    body = _MD_AUTOLINK.sub(lambda m: m.group(1) + "\\" + m.group(2), body)
    return body.replace("@", "\\@")  # e-mail autolinks


def _multiline(text: str) -> str:
    return "<br>".join(esc(line) for line in text.split("\n"))


def _squash(s: str) -> str:
    return " ".join(s.split())


def short(s: str, n: int) -> str:
    """s on one line, cut to n characters with "…"."""
    s = _squash(s)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _section_rows(sections: list) -> list[tuple[tuple[str, ...], str, str, int, int]]:
    rows = []
    for s in sections:
        try:
            path, heading, kind, start, end = s[0], s[1], s[2], int(s[3]), int(s[4])
        except (IndexError, TypeError, ValueError):
            continue
        rows.append((tuple(path), heading or "", kind or "", start, end))
    return rows


# ---------------------------------------------------------------------------------------------
# The chat
# ---------------------------------------------------------------------------------------------
def answer_markdown(text: str) -> str:
    """The answer text for the chat bubble: its document text shown as text (markdown_text: no
    links, no markup), the app's own line breaks and "- " lists kept, [n] markers as small
    badges."""
    return _CITE_MARK.sub(r'<sup class="cite-ref">[\1]</sup>', markdown_text(text))


def error_html(message: str) -> str:
    return f'<div class="error">{esc(message)}</div>'


def chat_message(answer: Answer, store) -> str:
    """The assistant's bubble: the answer, any verifier notes, then its sources (all one HTML
    line after the answer so that markdown leaves it alone)."""
    out = answer_markdown(answer.text)
    notes = "".join(f'<div class="flag">{esc(f)}</div>' for f in answer.flags)
    if answer.rewritten:
        notes += f'<div class="rewritten">Hiểu câu hỏi là: {esc(answer.rewritten)}</div>'
    # One line: markdown leaves an HTML block alone up to its first blank line, so a line break
    # in a flag, title or quote must not end the block (the rest would be read as markdown).
    block = (notes + sources_html(answer, store)).replace("\r", "&#13;").replace("\n", "&#10;")
    return out + ("\n\n" + block if block else "")


def done_status(answer: Answer, seconds: float) -> str:
    """The status line under the chat once an answer is shown."""
    took = f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} giây".replace(".", ",")
    if answer.abstained:
        return f"Các văn bản không nêu thông tin này · đã tìm trong {took}"
    n = len(answer.citations)
    return f"Đã trả lời trong {took} · {n} nguồn trích dẫn"


def sources_html(answer: Answer, store) -> str:
    """The sources under an answer (or the closest sections of a refusal), one <details> each."""
    if not answer.citations:
        return ""
    texts: dict[str, tuple[str, list, str]] = {}
    items = []
    for c in answer.citations:
        if c.doc_id not in texts:
            try:
                texts[c.doc_id] = (*store.document_text(c.doc_id), uploaded_label(*store.provenance(c.doc_id)))
            except Exception:  # a document removed meanwhile: show the quote alone
                log.exception("document_text(%s)", c.doc_id)
                texts[c.doc_id] = ("", [], "")
        text, sections, by = texts[c.doc_id]
        items.append(_source_item(c, text, sections, by))
    title = "Các phần gần nhất" if answer.abstained else "Nguồn"
    cls = "sources abstained" if answer.abstained else "sources"
    return (f'<div class="{cls}"><div class="sources-title">{title}</div>'
            + "".join(items) + "</div>")


def _source_item(c: Citation, text: str, sections: list, by: str = "") -> str:
    start, end = locate(text, c.quote, c.start, c.end)
    if start >= 0:
        body = excerpt_html(excerpt(text, sections, start, end))
    else:
        body = f'<div class="src-context"><div class="ctx-text"><mark>{_multiline(c.quote)}</mark></div></div>'
    title = f' title="{esc(c.title)}"' if c.title else ""
    # A section naming nothing (an unnumbered note's "") is left out, not shown as a bare "›".
    sec = ", ".join(x for x in (c.section.strip() if has_word(c.section) else "",
                                f"trang {c.page}" if c.page else "") if x)
    return (f'<details class="source" data-n="{c.n}"><summary>'
            f'<span class="src-n">[{c.n}]</span>'
            f'<span class="src-doc"{title}>{esc(c.document)}</span>'
            + (f'<span class="src-sec">{esc(sec)}</span>' if sec else "")
            + f'<span class="src-quote">“{esc(short(c.quote, 220))}”</span>'
            + (f'<span class="src-by">{esc(by)}</span>' if by else "")
            + f"</summary>{body}</details>")


def uploaded_label(by: str, at: str) -> str:
    """Who put a document in the store, and when, as a source shows it: "Nạp bởi canbo, ngày
    02/12/2026" ("kho mặc định" for the bundled corpus, "dòng lệnh (…)" for the CLI); "" when
    neither is known. An uploaded text is only as good as who uploaded it: the reader must see it."""
    who, day = provenance(by or "", ""), vn_date((at or "")[:10])
    if who and day:
        return f"Nạp bởi {who}, ngày {day}"
    return f"Nạp bởi {who}" if who else f"Nạp ngày {day}" if day else ""


def locate(text: str, quote: str, start: int, end: int) -> tuple[int, int]:
    """The quote's span; the citation's own when it matches the text, else the quote found."""
    if 0 <= start < end <= len(text) and (not quote or _squash(text[start:end]) == _squash(quote)):
        return start, end
    if quote:
        at = text.find(quote)
        if at >= 0:
            return at, at + len(quote)
    if 0 <= start < end <= len(text):
        return start, end
    return -1, -1


@dataclass(frozen=True)
class Excerpt:
    """What a source opens to: text[lo:hi] around the quote text[start:end]."""

    label: str  # the section shown above the excerpt
    before: str
    quote: str
    after: str
    cut_before: bool
    cut_after: bool


def excerpt(text: str, sections: list, start: int, end: int, limit: int = _CONTEXT_LIMIT) -> Excerpt:
    """The innermost section holding text[start:end]; a long one shrinks to nearby paragraphs."""
    rows = sorted((r for r in _section_rows(sections) if r[3] <= start and end <= r[4]),
                  key=lambda r: (r[4] - r[3], -len(r[0])))
    if rows:
        # The innermost section; when it is little more than the quote itself (a numbered item),
        # its parent shows the surroundings, as long as the parent is not too long.
        best = rows[0]
        for parent in rows[1:]:
            if (best[4] - best[3]) - (end - start) > 80 or parent[4] - parent[3] > limit:
                break
            best = parent
        path, _, _, lo, hi = best
        label = section_label(path)
    else:
        lo, hi, label = 0, len(text), ""
    cut_before = cut_after = False
    if hi - lo > limit:
        # The quote's own lines, then whole neighbouring lines, alternately, while they fit.
        p_lo, p_hi = _line_start(text, lo, start), _line_end(text, end, hi)
        grew = True
        while grew:
            grew = False
            if p_lo > lo and p_hi - _line_start(text, lo, p_lo - 1) <= limit:
                p_lo, grew = _line_start(text, lo, p_lo - 1), True
            if p_hi < hi and _line_end(text, p_hi + 1, hi) - p_lo <= limit:
                p_hi, grew = _line_end(text, p_hi + 1, hi), True
        if p_hi - p_lo > limit:  # one huge paragraph: a window around the quote
            p_lo = max(p_lo, start - limit // 2)
            p_hi = min(p_hi, end + limit // 2)
        cut_before, cut_after = p_lo > lo, p_hi < hi
        lo, hi = p_lo, p_hi
    return Excerpt(label, text[lo:start].lstrip("\n"), text[start:end], text[end:hi].rstrip("\n"),
                   cut_before, cut_after)


def _line_start(text: str, lo: int, i: int) -> int:
    j = text.rfind("\n", lo, i)
    return lo if j < 0 else j + 1


def _line_end(text: str, i: int, hi: int) -> int:
    j = text.find("\n", i, hi)
    return hi if j < 0 else j


def excerpt_html(ex: Excerpt) -> str:
    parts = ['<div class="src-context">']
    if ex.label:
        parts.append(f'<div class="ctx-label">{esc(ex.label)}</div>')
    parts.append('<div class="ctx-text">')
    if ex.cut_before:
        parts.append('<span class="ctx-cut">…</span><br>')
    parts.append(_multiline(ex.before))
    parts.append(f"<mark>{_multiline(ex.quote)}</mark>")
    parts.append(_multiline(ex.after))
    if ex.cut_after:
        parts.append('<br><span class="ctx-cut">…</span>')
    parts.append("</div></div>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------------
def outline_choices(sections: list) -> list[tuple[str, str]]:
    """The reader's outline: "Toàn văn", then every section indented by its depth."""
    choices = [("Toàn văn", WHOLE_DOC)]
    for i, (path, heading, kind, _s, _e) in enumerate(_section_rows(sections)):
        depth = max(0, len(path) - 1)
        name = heading if heading and kind in ("item", "point", "clause") else (path[-1] if path else heading)
        choices.append(("\u2003" * depth + short(name, 64), str(i)))
    return choices


def section_html(text: str, sections: list, which: str | None = WHOLE_DOC) -> str:
    """The outline entry `which` (a section index, or WHOLE_DOC) as the reader shows it."""
    try:  # WHOLE_DOC, None and "" are no index either
        path, _h, _k, lo, hi = _section_rows(sections)[int(which)]
    except (TypeError, ValueError, IndexError):
        return _scroll(render_document(text, sections))
    crumb = f'<div class="crumb">{esc(SEP.join(path))}</div>'
    return _scroll(crumb + render_document(text, sections, lo, hi))


def _scroll(inner: str) -> str:
    return f'<div class="reader-scroll">{inner}</div>'


def render_document(text: str, sections: list, lo: int = 0, hi: int | None = None) -> str:
    """text[lo:hi] as HTML: each line a paragraph, section headings as headings (smaller with
    depth), headless sections (document info, preamble, signature) with their name; each section's
    first line carries the anchor id "sec-<index>"."""
    hi = len(text) if hi is None else hi
    rows = _section_rows(sections)
    inside = [(i, r) for i, r in enumerate(rows) if lo <= r[3] < hi]
    base = min((len(r[0]) for _, r in inside), default=1)
    lines, offsets, pos = [], [], lo
    for line in text[lo:hi].split("\n"):
        lines.append(line)
        offsets.append(pos)
        pos += len(line) + 1
    at_line: dict[int, list] = {}
    for i, r in inside:
        at_line.setdefault(max(0, bisect.bisect_right(offsets, r[3]) - 1), []).append((i, r))
    out = ['<div class="doc-text">']
    for n, line in enumerate(lines):
        here = sorted(at_line.get(n, []), key=lambda x: len(x[1][0]))
        ids = [f"sec-{i}" for i, _ in here]
        heading_done = False
        for _i, (path, heading, kind, _s, _e) in here:
            if kind not in _HEADING_KINDS or len(path) > 4:
                continue
            depth = max(0, len(path) - base)
            level = min(6, 3 + depth)
            anchor = f' id="{ids.pop(0)}"' if ids else ""
            if not heading:
                out.append(f'<h{level}{anchor} class="doc-h synthetic">{esc(path[-1] if path else "")}</h{level}>')
            elif not heading_done and _squash(line).startswith(_squash(heading)[:40]):
                out.append(f'<h{level}{anchor} class="doc-h d{depth}">{_anchors(ids)}{esc(line)}</h{level}>')
                ids, heading_done = [], True
        if heading_done:
            continue
        if not line.strip():
            if ids:
                out.append(_anchors(ids))
            continue
        anchor = f' id="{ids.pop(0)}"' if ids else ""
        cls = ' class="item"' if any(r[2] in ("item", "point", "clause") for _, r in here) else ""
        out.append(f"<p{anchor}{cls}>{_anchors(ids)}{esc(line)}</p>")
    out.append("</div>")
    return "".join(out)


def _anchors(ids: list[str]) -> str:
    return "".join(f'<span id="{x}"></span>' for x in ids)


def doc_header_html(meta, by: str = "", at: str = "") -> str:
    """The reader's header: the document's title and its metadata (a `DocMeta`), and who put it
    in the store, when (`Store.provenance`)."""
    fields = [("Số hiệu", meta.number), ("Loại", meta.type), ("Cơ quan ban hành", meta.issuer),
              ("Ngày ban hành", vn_date(meta.issued)), ("Hiệu lực", vn_date(meta.effective)),
              ("Người ký", meta.signer), ("Lĩnh vực", meta.fields),
              ("Nạp bởi", provenance(by or "", "")), ("Ngày nạp", vn_date((at or "")[:10]))]
    cells = "".join(f"<div><dt>{k}</dt><dd>{esc(v)}</dd></div>" for k, v in fields if v)
    return (f'<div class="doc-meta"><div class="doc-title">{esc(meta.title or meta.label)}</div>'
            f"<dl>{cells}</dl></div>")
