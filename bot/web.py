"""The handlers of the Gradio app (app.py only lays out the page and connects events to these).

Everything here is plain Python over the `Bot` and its `Store`, so tests call it directly:

- `ask_json(bot, question, doc)` — the JSON of `python -m bot ask --json` and of the /ask API.
- `WebApp` — one per process, shared by every browser session. It holds no per-user state: each
  session's chat history lives in a `gr.State` that the handlers receive and return.
- The HTML they show comes from bot/render.py; the tables and their CSV from bot/tables.py.

Errors reach users as Vietnamese messages (`VnqaError.user_message`); unexpected exceptions are
logged with their traceback and shown as one friendly sentence, never as a stack trace.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from ingest.errors import VnqaError
from ingest.settings import PROJECT_ROOT, Settings
from ingest.text import fold
from vectorstore.types import Filters

from . import render, tables
from .llm import stream_answer
from .query import NO_QUESTION, is_question
from .render import WHOLE_DOC  # noqa: F401  (re-exported for app.py and the tests)
from .service import answer_record
from .tables import DOC_HEADERS, TARGET_HEADERS, TASK_HEADERS  # noqa: F401  (re-exported)
from .types import Answer

log = logging.getLogger("vnqa")

ASSETS = PROJECT_ROOT / "assets"
FONT_FAMILY = "Be Vietnam Pro"
ALL_DOCS = "*"  # the filter value meaning "every document"
ALL_DOCS_LABEL = "Tất cả văn bản"
UPLOAD_TYPES = [".txt", ".md", ".docx", ".doc", ".pdf", ".html", ".htm", ".png", ".jpg", ".jpeg",
                ".tif", ".tiff"]
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
    return answer_record(question, answer, ms, bot.store)


def document_choices(store, with_all: bool = False) -> list[tuple[str, str]]:
    """(label, doc_id) for a document selector; with_all: "every document" first."""
    out = [(ALL_DOCS_LABEL, ALL_DOCS)] if with_all else []
    for d in store.documents():
        m = d.meta
        label = f"{m.number} — {m.title}" if m.number and m.title else (m.number or m.title or m.doc_id)
        out.append((render.short(label, 110), m.doc_id))
    return out


def shown_interpretation(answer: Answer, question: str) -> Answer:
    """The answer with its "Hiểu câu hỏi là" line only when that differs from what was typed."""
    if answer.rewritten and fold(answer.rewritten).strip(" ?.") == fold(question).strip(" ?."):
        return replace(answer, rewritten="")
    return answer


@contextmanager
def user_errors(what: str):
    """A failure as a Gradio error: a VnqaError's Vietnamese message, else GENERIC_ERROR (logged
    with its traceback)."""
    try:
        yield
    except VnqaError as e:
        log.warning("%s: %s", what, e)
        raise gr.Error(e.user_message, title="Lỗi") from None
    except Exception:
        log.exception("%s failed", what)
        raise gr.Error(GENERIC_ERROR, title="Lỗi") from None


# ---------------------------------------------------------------------------------------------
# The app's handlers
# ---------------------------------------------------------------------------------------------
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
        """Generator: (chat, history, status, textbox) while answering. The answer streams in
        when the answerer can stream (bot/llm.py's `stream_answer`)."""
        chat = list(chat or [])
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            gr.Warning("Hãy nhập câu hỏi.", title="Lưu ý")
            yield list(chat), list(history), "", message
            return
        if not is_question(question):  # "👍": answered with a prompt, kept out of the history
            chat = chat + [{"role": "user", "content": render.esc(question)},
                           {"role": "assistant", "content": render.answer_markdown(NO_QUESTION)}]
            yield list(chat), list(history), "", ""
            return
        chat = chat + [{"role": "user", "content": render.esc(question)},
                       {"role": "assistant", "content": render.THINKING}]
        yield list(chat), list(history), STATUS_SEARCHING, ""
        started = time.perf_counter()
        answerer, filters = self.bot.answerer, doc_filters(doc)
        final: Answer | None = None
        error: str | None = None
        try:
            for item in stream_answer(answerer, question, history, filters):
                if isinstance(item, Answer):
                    final = item
                    break
                chat[-1] = {"role": "assistant", "content": render.answer_markdown(str(item))}
                yield list(chat), list(history), STATUS_COMPOSING, ""
            else:  # a streamer that ended without its final answer: ask once more
                final = answerer.answer(question, history, filters)
        except VnqaError as e:
            log.warning("question %r: %s", question, e)
            error = e.user_message
        except Exception:
            log.exception("question %r failed", question)
            error = GENERIC_ERROR
        if error or not isinstance(final, Answer):
            chat[-1] = {"role": "assistant", "content": render.error_html(error or GENERIC_ERROR)}
            yield list(chat), list(history), "", ""
            return
        yield list(chat), list(history), STATUS_COMPOSING, ""
        seconds = time.perf_counter() - started
        final = shown_interpretation(final, question)
        try:
            content = render.chat_message(final, self.store)
        except Exception:  # rendering the sources must never lose the answer
            log.exception("rendering the sources of %r", question)
            content = render.answer_markdown(final.text)
        chat[-1] = {"role": "assistant", "content": content}
        history = history + [{"role": "user", "content": question},
                             {"role": "assistant", "content": final.text}]
        yield list(chat), list(history), render.done_status(final, seconds), ""

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
        with user_errors(f"/ask {question!r}"):
            return ask_json(self.bot, question, doc)

    # -- documents -----------------------------------------------------------------------
    def documents_table(self):
        return tables.documents_table(self.store)

    def doc_update(self, current: str | None = None, with_all: bool = False):
        """A document selector's choices, keeping `current` while it is still there; else every
        document (with_all, the chat's filter) or the first one."""
        choices = document_choices(self.store, with_all)
        values = [v for _, v in choices]
        default = ALL_DOCS if with_all else (values[0] if values else None)
        return gr.update(choices=choices, value=current if current in values else default)

    def refresh(self, current_filter: str | None = None, current_reader: str | None = None,
                targets_query: str = "", tasks_query: str = ""):
        """Everything that shows the index: (documents table, filter, reader selector, targets
        table, targets CSV, tasks table, tasks CSV). Officials change it at /admin; the page
        refreshes on load and on every tab switch."""
        return (self.documents_table(), self.doc_update(current_filter, with_all=True),
                self.doc_update(current_reader), *self.targets(targets_query), *self.tasks(tasks_query))

    # -- reader --------------------------------------------------------------------------
    def outline(self, doc_id: str | None):
        """(section selector update, text HTML, document header HTML) for a chosen document."""
        meta = self.store.get(doc_id) if doc_id else None
        if meta is None:
            return gr.update(choices=[], value=None), "", ""
        text, sections = self.store.document_text(doc_id)
        return (gr.update(choices=render.outline_choices(sections), value=WHOLE_DOC),
                render.section_html(text, sections),
                render.doc_header_html(meta, *self.store.provenance(doc_id)))

    def section(self, doc_id: str | None, which: str | None):
        """The chosen section's text (or the whole document) as HTML."""
        if not doc_id:
            return ""
        text, sections = self.store.document_text(doc_id)
        return render.section_html(text, sections, which)

    # -- targets and tasks ---------------------------------------------------------------
    def targets(self, query: str = ""):
        """(table, CSV path) of the targets matching the query."""
        return tables.targets_table(self.store, query)

    def tasks(self, query: str = ""):
        """(table, CSV path) of the tasks matching the query."""
        return tables.tasks_table(self.store, query)

    # -- page ----------------------------------------------------------------------------
    def on_load(self):
        """A new page: refresh() with nothing chosen yet, then the status line of the index."""
        return (*self.refresh(), self.mode_note())

    def model_warning(self) -> str:
        """A prominent warning when an embedding model is configured but did not load (the app
        then searches by keywords only, which measures worse); empty when all is well or when
        lexical-only was chosen (VNQA_EMBED_MODEL=none)."""
        if not self.settings.dense_enabled or self.store.mode == "hybrid":
            return ""
        return (f"⚠️ **Chưa có mô hình nhúng** `{self.settings.embed_model}`: trợ lý đang chỉ tìm theo từ khóa, "
                "tìm kém hơn với câu hỏi diễn đạt khác văn bản. Quản trị viên: chạy "
                "`bash scripts/provision-embeddinggemma.sh` rồi khởi động lại ứng dụng.")

    def mode_note(self) -> str:
        docs = len(self.store.documents())
        mode = ("kết hợp từ khóa và ngữ nghĩa" if self.store.mode == "hybrid" else "theo từ khóa (BM25)")
        answer = "mô hình ngôn ngữ + kiểm chứng" if self.settings.llm_enabled else "trích nguyên văn"
        return f"{docs} văn bản · tìm kiếm {mode} · câu trả lời {answer}"


def path_of(f) -> Path:
    """An uploaded file as Gradio hands it over (a path string, or an object with .name/.path)."""
    if isinstance(f, (str, Path)):
        return Path(f)
    if isinstance(f, dict):
        return Path(f.get("path") or f.get("name"))
    return Path(getattr(f, "path", None) or f.name)


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
    raw = (ASSETS / "app.css").read_text(encoding="utf-8")
    return raw.replace("{{FONTS}}", "/gradio_api/file=" + quote(str(ASSETS / "fonts")))
