"""The handlers of the Gradio app (app.py only lays out the page and connects events to these).

Everything here is plain Python over the `Bot` and its `Store`, so tests call it directly:

- `ask_json(bot, question, doc)` — the JSON of `python -m bot ask --json` and of the /ask API.
- `WebApp` — one per process, shared by every browser session. It holds no per-user state: each
  session's chat history lives in a `gr.State` that the handlers receive and return.
- Rendering: an answer with its [n] markers and, under it, its sources, each a <details> that
  opens on the section that contains the quote, the quote marked with <mark>.

Errors reach users as Vietnamese messages (`VnqaError.user_message`); unexpected exceptions are
logged with their traceback and shown as one friendly sentence, never as a stack trace.
"""

from __future__ import annotations

import csv
import hashlib
import html
import logging
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from ingest.errors import QueryError, VnqaError
from ingest.settings import PROJECT_ROOT, Settings
from ingest.text import fold
from vectorstore.types import Filters

from .service import answer_record
from .types import Answer, Citation

log = logging.getLogger("vnqa")

ASSETS = PROJECT_ROOT / "assets"
FONT_FAMILY = "Be Vietnam Pro"
ALL_DOCS = "*"  # the filter value meaning "every document"
ALL_DOCS_LABEL = "Tất cả văn bản"
WHOLE_DOC = "*"  # the reader's value meaning "the whole document"
UPLOAD_TYPES = [".txt", ".md", ".docx", ".pdf", ".html", ".htm"]
EXAMPLES = (
    "Chỉ tiêu DTI năm 2026 là gì?",
    "ty le ho ngheo giam bao nhieu",
    "Tỉnh muốn thu ngân sách bao nhiêu tiền?",
    "Ai giám sát việc thực hiện nghị quyết?",
    "Giá vàng SJC hôm nay?",
)
STATUS_SEARCHING = "Đang tìm trong văn bản…"
STATUS_COMPOSING = "Đang soạn câu trả lời…"
GENERIC_ERROR = "Đã xảy ra lỗi ngoài dự kiến. Vui lòng thử lại; nếu lỗi lặp lại, hãy báo quản trị viên."

DOC_HEADERS = ["Số hiệu", "Trích yếu", "Cơ quan ban hành", "Ngày ban hành", "Người ký", "Số đoạn"]
TARGET_HEADERS = ["Mã", "Chỉ tiêu", "Giá trị", "Đơn vị", "Nhóm", "Mục", "Văn bản"]
TASK_HEADERS = ["Nhiệm vụ", "Cơ quan chủ trì", "Phối hợp", "Thời hạn", "Lĩnh vực", "Mục", "Văn bản"]

# Sections rendered as headings in the reader; items, points and clauses stay paragraphs.
_HEADING_KINDS = {"info", "header", "preamble", "signature", "part", "chapter", "section", "article",
                  "plan", "group", "appendix"}
_CONTEXT_LIMIT = 2400  # a longer section is shown as the paragraphs around the quote
_CITE_MARK = re.compile(r"\[(\d{1,2})\]")


# ---------------------------------------------------------------------------------------------
# The /ask contract
# ---------------------------------------------------------------------------------------------
def doc_filters(doc: str | None) -> Filters | None:
    """A filter on one document (doc_id or số hiệu); None/""/"*" mean every document."""
    doc = (doc or "").strip()
    return Filters(doc_ids=(doc,)) if doc and doc != ALL_DOCS else None


def ask_json(bot, question: str, doc: str | None = None, history: list[dict] | None = None) -> dict:
    """Answer one question: {"question", **Answer.to_json(), "latency_ms"} (bot/__main__.py's JSON)."""
    answer, ms = bot.ask(question, history, doc_filters(doc))
    return answer_record(question, answer, ms)


# ---------------------------------------------------------------------------------------------
# Streaming: bot/llm.py's stream_answer when it exists, else one final answer
# ---------------------------------------------------------------------------------------------
def _llm_stream():
    try:
        from .llm import stream_answer  # noqa: PLC0415
    except Exception:  # not written yet, or its optional dependencies are missing
        return None
    return stream_answer


def stream_answer(answerer, question: str, history: list[dict] | None,
                  filters: Filters | None) -> Iterator[str | Answer]:
    """Partial answer texts (str) while the answerer streams, then the final `Answer`."""
    streamer = _llm_stream()
    if streamer is None:
        yield answerer.answer(question, history, filters)
        return
    final = None
    for item in streamer(answerer, question, history, filters):
        if isinstance(item, Answer):
            final = item
        yield item
    if final is None:  # a streamer that ended without its final answer: ask once more
        yield answerer.answer(question, history, filters)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------
def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def _multiline(text: str) -> str:
    return "<br>".join(esc(line) for line in text.split("\n"))


def answer_markdown(text: str) -> str:
    """The answer text for the chat bubble: markdown-safe, [n] markers as small badges."""
    body = esc(text).replace("*", "\\*").replace("_", "\\_")
    return _CITE_MARK.sub(r'<sup class="cite-ref">[\1]</sup>', body)


@dataclass(frozen=True)
class Excerpt:
    """What a source opens to: text[lo:hi] around the quote text[start:end]."""

    label: str  # the section shown above the excerpt
    before: str
    quote: str
    after: str
    cut_before: bool
    cut_after: bool


def _section_rows(sections: list) -> list[tuple[tuple[str, ...], str, str, int, int]]:
    rows = []
    for s in sections:
        try:
            path, heading, kind, start, end = s[0], s[1], s[2], int(s[3]), int(s[4])
        except (IndexError, TypeError, ValueError):
            continue
        rows.append((tuple(path), heading or "", kind or "", start, end))
    return rows


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


def _squash(s: str) -> str:
    return " ".join(s.split())


def excerpt(text: str, sections: list, start: int, end: int, limit: int = _CONTEXT_LIMIT) -> Excerpt:
    """The innermost section holding text[start:end]; a long one shrinks to nearby paragraphs."""
    from ingest.types import section_label

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


def sources_html(answer: Answer, store) -> str:
    """The sources under an answer (or the closest sections of a refusal), one <details> each."""
    if not answer.citations:
        return ""
    texts: dict[str, tuple[str, list]] = {}
    items = []
    for c in answer.citations:
        if c.doc_id not in texts:
            try:
                texts[c.doc_id] = store.document_text(c.doc_id)
            except Exception:  # a document removed meanwhile: show the quote alone
                log.exception("document_text(%s)", c.doc_id)
                texts[c.doc_id] = ("", [])
        text, sections = texts[c.doc_id]
        items.append(_source_item(c, text, sections))
    title = "Các phần gần nhất" if answer.abstained else "Nguồn"
    cls = "sources abstained" if answer.abstained else "sources"
    return (f'<div class="{cls}"><div class="sources-title">{title}</div>'
            + "".join(items) + "</div>")


def _source_item(c: Citation, text: str, sections: list) -> str:
    start, end = locate(text, c.quote, c.start, c.end)
    if start >= 0:
        body = excerpt_html(excerpt(text, sections, start, end))
    else:
        body = f'<div class="src-context"><div class="ctx-text"><mark>{_multiline(c.quote)}</mark></div></div>'
    title = f' title="{esc(c.title)}"' if c.title else ""
    return (f'<details class="source" data-n="{c.n}"><summary>'
            f'<span class="src-n">[{c.n}]</span>'
            f'<span class="src-doc"{title}>{esc(c.number or c.title or c.doc_id)}</span>'
            f'<span class="src-sec">{esc(c.section)}</span>'
            f'<span class="src-quote">“{esc(_short(c.quote, 220))}”</span>'
            f"</summary>{body}</details>")


def _short(s: str, n: int) -> str:
    s = _squash(s)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def chat_message(answer: Answer, store) -> str:
    """The assistant's bubble: the answer, any verifier notes, then its sources (all one HTML
    line after the answer so that markdown leaves it alone)."""
    out = answer_markdown(answer.text)
    notes = "".join(f'<div class="flag">{esc(f)}</div>' for f in answer.flags)
    if answer.rewritten:
        notes += f'<div class="rewritten">Hiểu câu hỏi là: {esc(answer.rewritten)}</div>'
    block = notes + sources_html(answer, store)
    return out + ("\n\n" + block if block else "")


def render_document(text: str, sections: list, lo: int = 0, hi: int | None = None) -> str:
    """text[lo:hi] as HTML: each line a paragraph, section headings as headings (smaller with
    depth), headless sections (document info, preamble, signature) with their name; each section's
    first line carries the anchor id "sec-<index>"."""
    import bisect

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
        for i, (path, heading, kind, _s, _e) in here:
            if kind not in _HEADING_KINDS or len(path) > 4:
                continue
            depth = max(0, len(path) - base)
            level = min(6, 3 + depth)
            anchor = f' id="{ids.pop(0)}"' if ids else ""
            if not heading:
                out.append(f'<h{level}{anchor} class="doc-h synthetic">{esc(path[-1] if path else "")}</h{level}>')
            elif not heading_done and _squash(line).startswith(_squash(heading)[:40]):
                extra = "".join(f'<span id="{x}"></span>' for x in ids)
                out.append(f'<h{level}{anchor} class="doc-h d{depth}">{extra}{esc(line)}</h{level}>')
                ids, heading_done = [], True
        if heading_done:
            continue
        if not line.strip():
            if ids:
                out.append("".join(f'<span id="{x}"></span>' for x in ids))
            continue
        anchor = f' id="{ids.pop(0)}"' if ids else ""
        extra = "".join(f'<span id="{x}"></span>' for x in ids)
        cls = ' class="item"' if any(r[2] in ("item", "point", "clause") for _, r in here) else ""
        out.append(f"<p{anchor}{cls}>{extra}{esc(line)}</p>")
    out.append("</div>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
def _date(iso: str) -> str:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else (iso or "")


def document_rows(store) -> list[list[Any]]:
    return [[d.meta.number or "—", d.meta.title, d.meta.issuer, _date(d.meta.issued), d.meta.signer, d.chunks]
            for d in store.documents()]


def document_choices(store, with_all: bool = False) -> list[tuple[str, str]]:
    out = [(ALL_DOCS_LABEL, ALL_DOCS)] if with_all else []
    for d in store.documents():
        m = d.meta
        label = f"{m.number} — {m.title}" if m.number and m.title else (m.number or m.title or m.doc_id)
        out.append((_short(label, 110), m.doc_id))
    return out


def target_rows(store) -> list[list[str]]:
    return [[t.code, t.indicator, t.value, t.unit, t.group, t.section, t.number] for t in store.targets()]


def task_rows(store) -> list[list[str]]:
    return [[t.task, t.agency, t.cooperating, t.period, t.sector, short_section(t.section), t.number]
            for t in store.tasks()]


def short_section(section: str) -> str:
    """'Điều 1 › 3 › 3.1 › 3.1.1. Phát triển …' -> 'Điều 1 › 3 › 3.1 › 3.1.1' (the name is in Lĩnh vực)."""
    m = re.match(r"^(.*?)(\d+(?:\.\d+)*)\.? \S.*$", section.rsplit(" › ", 1)[-1])
    if not m or m.group(1):
        return section
    head = section.rsplit(" › ", 1)[0] if " › " in section else ""
    return f"{head} › {m.group(2)}" if head else m.group(2)


def search_rows(rows: list[list[Any]], query: str) -> list[list[Any]]:
    """Rows containing every word of the query, ignoring case and diacritics ("ubnd tinh")."""
    words = fold(query or "").split()
    if not words:
        return rows
    return [r for r in rows if all(w in fold(" ".join(str(c) for c in r)) for w in words)]


def write_csv(headers: list[str], rows: list[list[Any]], name: str) -> str:
    """A UTF-8 CSV with BOM (Excel shows Vietnamese), at a content-addressed temp path."""
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    data = buf.getvalue()
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "vnqa-csv" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        tmp = folder / (name + ".part")
        tmp.write_text(data, encoding="utf-8-sig", newline="")
        tmp.replace(path)
    return str(path)


def _table(headers: list[str], rows: list[list[Any]]):
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)


# ---------------------------------------------------------------------------------------------
# The app's handlers
# ---------------------------------------------------------------------------------------------
_STATUS_LABELS = {
    "added": ("ok", "Đã thêm"),
    "updated": ("ok", "Đã cập nhật"),
    "unchanged": ("same", "Đã có sẵn, không thay đổi"),
    "duplicate": ("warn", "Trùng lặp"),
    "failed": ("err", "Lỗi"),
}


class WebApp:
    """The handlers behind app.py. One instance serves every session; no per-user state."""

    def __init__(self, bot, settings: Settings | None = None):
        self.bot = bot
        self.settings = settings or bot.settings

    @property
    def store(self):
        return self.bot.store

    # -- chat ----------------------------------------------------------------------------
    def respond(self, message: str, chat: list | None, history: list | None, doc: str | None):
        """Generator: (chat, history, status, textbox) while answering."""
        chat = list(chat or [])
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            gr.Warning("Hãy nhập câu hỏi.")
            yield list(chat), list(history), "", message
            return
        chat = chat + [{"role": "user", "content": esc(question)},
                       {"role": "assistant", "content": '<span class="thinking">…</span>'}]
        yield list(chat), list(history), STATUS_SEARCHING, ""
        started = time.perf_counter()
        final: Answer | None = None
        try:
            for item in stream_answer(self.bot.answerer, question, history, doc_filters(doc)):
                if isinstance(item, Answer):
                    final = item
                    break
                chat[-1] = {"role": "assistant", "content": answer_markdown(str(item))}
                yield list(chat), list(history), STATUS_COMPOSING, ""
        except VnqaError as e:
            log.warning("question %r: %s", question, e)
            chat[-1] = {"role": "assistant", "content": f'<div class="error">{esc(e.user_message)}</div>'}
            yield list(chat), list(history), "", ""
            return
        except Exception:
            log.exception("question %r failed", question)
            chat[-1] = {"role": "assistant", "content": f'<div class="error">{esc(GENERIC_ERROR)}</div>'}
            yield list(chat), list(history), "", ""
            return
        if final is None:
            chat[-1] = {"role": "assistant", "content": f'<div class="error">{esc(GENERIC_ERROR)}</div>'}
            yield list(chat), list(history), "", ""
            return
        yield list(chat), list(history), STATUS_COMPOSING, ""
        seconds = time.perf_counter() - started
        try:
            content = chat_message(final, self.store)
        except Exception:  # rendering the sources must never lose the answer
            log.exception("rendering the sources of %r", question)
            content = answer_markdown(final.text)
        chat[-1] = {"role": "assistant", "content": content}
        history = history + [{"role": "user", "content": question},
                             {"role": "assistant", "content": final.text}]
        yield list(chat), list(history), _done_status(final, seconds), ""

    @staticmethod
    def new_chat():
        """(chat, history, status, textbox) of an empty conversation."""
        return [], [], "", ""

    def warm_up(self) -> None:
        """One throw-away question so that the first user does not wait for lazy loading
        (word segmentation, BM25 files)."""
        try:
            self.bot.ask("Văn bản này quy định gì?")
        except Exception:  # warming up must never stop the app
            log.debug("warm-up failed", exc_info=True)

    # -- API -----------------------------------------------------------------------------
    def ask_api(self, question: str, doc: str | None = None) -> dict:
        try:
            return ask_json(self.bot, question, doc)
        except VnqaError as e:
            raise gr.Error(e.user_message) from None
        except Exception:
            log.exception("/ask %r failed", question)
            raise gr.Error(GENERIC_ERROR) from None

    # -- documents -----------------------------------------------------------------------
    def documents_table(self):
        return _table(DOC_HEADERS, document_rows(self.store))

    def filter_update(self, current: str | None = None):
        choices = document_choices(self.store, with_all=True)
        value = current if current in {v for _, v in choices} else ALL_DOCS
        return gr.update(choices=choices, value=value)

    def doc_update(self, current: str | None = None):
        choices = document_choices(self.store)
        values = [v for _, v in choices]
        value = current if current in values else (values[0] if values else None)
        return gr.update(choices=choices, value=value)

    def refresh(self, current_filter: str | None = None, current_remove: str | None = None,
                current_reader: str | None = None, targets_query: str = "", tasks_query: str = ""):
        """Everything that shows the index: (documents table, filter, remove selector, reader
        selector, targets table, targets CSV, tasks table, tasks CSV)."""
        return (self.documents_table(), self.filter_update(current_filter), self.doc_update(current_remove),
                self.doc_update(current_reader), *self.targets(targets_query), *self.tasks(tasks_query))

    def upload(self, files, current_filter=None, current_remove=None, current_reader=None,
               targets_query="", tasks_query="", progress=gr.Progress()):
        """Ingest the uploaded files: (report HTML, *refresh(), cleared file input)."""
        from ingest.service import FileResult, index_files

        keep = (current_filter, current_remove, current_reader, targets_query, tasks_query)
        paths = [str(_path_of(f)) for f in (files or []) if f]
        if not paths:
            gr.Warning("Hãy chọn ít nhất một tệp (.txt, .md, .docx, .pdf, .html).")
            return ("", *self.refresh(*keep), None)
        limit = self.settings.max_file_mb * 1024 * 1024
        results: list[FileResult] = []
        accepted = []
        for p in paths:
            name = Path(p).name
            size = Path(p).stat().st_size if Path(p).exists() else 0
            if size > limit:
                results.append(FileResult(p, "failed", error=f"{p}: over {self.settings.max_file_mb} MB",
                                          user_error=f"{name}: tệp quá lớn ({size / 1048576:.1f} MB; "
                                                     f"tối đa {_mb(self.settings.max_file_mb)} MB)"))
            else:
                accepted.append(p)

        def on_file(i: int, n: int, name: str) -> None:
            progress((i, n), desc=f"Đang xử lý {name} ({i + 1}/{n})", unit="tệp")

        if accepted:
            progress((0, len(accepted)), desc="Bắt đầu lập chỉ mục…", unit="tệp")
            try:
                report = index_files(self.store, accepted, self.settings, progress=False, on_file=on_file)
                results.extend(report.results)
            except VnqaError as e:
                log.warning("upload failed: %s", e)
                raise gr.Error(e.user_message) from None
            except Exception:
                log.exception("upload failed")
                raise gr.Error(GENERIC_ERROR) from None
        order = {p: i for i, p in enumerate(paths)}
        results.sort(key=lambda r: order.get(r.path, len(order)))
        for r in results:
            if r.status == "failed":
                log.warning("upload %s", r.error)
        return (upload_report(results, self.store), *self.refresh(*keep), None)

    def remove(self, doc_id: str | None, current_filter=None, current_reader=None, targets_query="",
               tasks_query=""):
        """Remove one document: (message HTML, *refresh())."""
        keep = (current_filter, None, current_reader, targets_query, tasks_query)
        if not doc_id:
            gr.Warning("Hãy chọn văn bản cần xóa.")
            return ("", *self.refresh(*keep))
        meta = self.store.get(doc_id)
        label = meta.label if meta else doc_id
        try:
            self.store.remove(doc_id)
        except VnqaError as e:
            raise gr.Error(e.user_message) from None
        except Exception:
            log.exception("remove %s failed", doc_id)
            raise gr.Error(GENERIC_ERROR) from None
        msg = f'<div class="report"><div class="r ok">Đã xóa văn bản <b>{esc(label)}</b> khỏi kho.</div></div>'
        return (msg, *self.refresh(*keep))

    # -- reader --------------------------------------------------------------------------
    def outline(self, doc_id: str | None):
        """(section selector update, text HTML, document header HTML) for a chosen document."""
        if not doc_id or self.store.get(doc_id) is None:
            return gr.update(choices=[], value=None), "", ""
        text, sections = self.store.document_text(doc_id)
        choices = [("Toàn văn", WHOLE_DOC)]
        for i, (path, heading, kind, _s, _e) in enumerate(_section_rows(sections)):
            depth = max(0, len(path) - 1)
            name = heading if heading and kind in ("item", "point", "clause") else (path[-1] if path else heading)
            choices.append(("\u2003" * depth + _short(name, 64), str(i)))
        return (gr.update(choices=choices, value=WHOLE_DOC), _scroll(render_document(text, sections)),
                self.doc_header(doc_id))

    def section(self, doc_id: str | None, which: str | None):
        """The chosen section's text (or the whole document) as HTML."""
        if not doc_id:
            return ""
        text, sections = self.store.document_text(doc_id)
        rows = _section_rows(sections)
        if which in (None, "", WHOLE_DOC):
            return _scroll(render_document(text, sections))
        try:
            path, _h, _k, lo, hi = rows[int(which)]
        except (ValueError, IndexError):
            return _scroll(render_document(text, sections))
        from ingest.types import SEP

        crumb = f'<div class="crumb">{esc(SEP.join(path))}</div>'
        return _scroll(crumb + render_document(text, sections, lo, hi))

    def doc_header(self, doc_id: str) -> str:
        meta = self.store.get(doc_id)
        if meta is None:
            return ""
        fields = [("Số hiệu", meta.number), ("Loại", meta.type), ("Cơ quan ban hành", meta.issuer),
                  ("Ngày ban hành", _date(meta.issued)), ("Hiệu lực", _date(meta.effective)),
                  ("Người ký", meta.signer), ("Lĩnh vực", meta.fields)]
        cells = "".join(f"<div><dt>{k}</dt><dd>{esc(v)}</dd></div>" for k, v in fields if v)
        return (f'<div class="doc-meta"><div class="doc-title">{esc(meta.title or meta.label)}</div>'
                f"<dl>{cells}</dl></div>")

    # -- targets and tasks ---------------------------------------------------------------
    def targets(self, query: str = ""):
        rows = search_rows(target_rows(self.store), query)
        return _table(TARGET_HEADERS, rows), write_csv(TARGET_HEADERS, rows, "chi-tieu.csv")

    def tasks(self, query: str = ""):
        rows = search_rows(task_rows(self.store), query)
        return _table(TASK_HEADERS, rows), write_csv(TASK_HEADERS, rows, "nhiem-vu.csv")

    # -- page ----------------------------------------------------------------------------
    def on_load(self):
        """A new page: refresh() with nothing chosen yet, then the status line of the index."""
        return (*self.refresh(), self.mode_note())

    def mode_note(self) -> str:
        docs = len(self.store.documents())
        mode = ("kết hợp từ khóa và ngữ nghĩa" if self.store.mode == "hybrid" else "theo từ khóa (BM25)")
        answer = "mô hình ngôn ngữ + kiểm chứng" if self.settings.llm_enabled else "trích nguyên văn"
        return f"{docs} văn bản · tìm kiếm {mode} · câu trả lời {answer}"


def _scroll(inner: str) -> str:
    return f'<div class="reader-scroll">{inner}</div>'


def _done_status(answer: Answer, seconds: float) -> str:
    took = f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} giây".replace(".", ",")
    if answer.abstained:
        return f"Các văn bản không nêu thông tin này · đã tìm trong {took}"
    n = len(answer.citations)
    return f"Đã trả lời trong {took} · {n} nguồn trích dẫn"


def _mb(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _path_of(f) -> Path:
    """An uploaded file as Gradio hands it over (a path string, or an object with .name/.path)."""
    if isinstance(f, (str, Path)):
        return Path(f)
    if isinstance(f, dict):
        return Path(f.get("path") or f.get("name"))
    return Path(getattr(f, "path", None) or getattr(f, "name"))


def upload_report(results, store) -> str:
    """One line per file: what happened to it, in Vietnamese."""
    if not results:
        return ""
    lines = []
    for r in results:
        cls, word = _STATUS_LABELS.get(r.status, ("err", r.status))
        name = esc(Path(r.path).name)
        if r.status in ("added", "updated", "unchanged"):
            meta = store.get(r.doc_id) if r.doc_id else None
            what = esc(meta.label) if meta else esc(r.doc_id)
            extra = f" — {r.chunks} đoạn" if r.chunks else ""
            lines.append(f'<div class="r {cls}"><b>{word}</b>: {name} → {what}{extra}</div>')
        else:
            msg = r.user_error or r.error or "không xử lý được tệp"
            lines.append(f'<div class="r {cls}"><b>{word}</b>: {esc(msg)}</div>')
    counts = {s: sum(r.status == s for r in results) for s in _STATUS_LABELS}
    summary = (f"{counts['added'] + counts['updated']} tệp đã lập chỉ mục, {counts['unchanged']} không đổi, "
               f"{counts['duplicate']} trùng lặp, {counts['failed']} lỗi")
    return f'<div class="report"><div class="summary">{summary}</div>{"".join(lines)}</div>'


# ---------------------------------------------------------------------------------------------
# Look: theme, CSS with the shipped font, static paths
# ---------------------------------------------------------------------------------------------
def theme():
    """Soft, with the locally shipped font and no web-font (Google Fonts) stylesheet."""
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.blue,
        secondary_hue=gr.themes.colors.sky,
        neutral_hue=gr.themes.colors.slate,
        font=[gr.themes.Font(FONT_FAMILY), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("ui-monospace"), "Consolas", "monospace"],
    ).set(
        body_background_fill="#f5f7fb",
        block_radius="12px",
        button_large_radius="10px",
        button_small_radius="8px",
    )


def static_paths() -> list[str]:
    """Folders Gradio may serve as files (the fonts)."""
    return [str(ASSETS)]


def css() -> str:
    """assets/app.css with the font URLs pointing at the shipped files (served by Gradio)."""
    from urllib.parse import quote

    raw = (ASSETS / "app.css").read_text(encoding="utf-8")
    return raw.replace("{{FONTS}}", "/gradio_api/file=" + quote(str(ASSETS / "fonts")))

