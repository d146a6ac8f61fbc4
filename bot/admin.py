"""The officials' handlers: upload, confirm a replacement, remove, read the audit log.

app.py mounts these as a second Gradio app at /admin, behind a login (bot/accounts.py); the
public app registers no write event at all. Every write handler checks `request.username`
against the accounts itself, so a request that reaches it without a login changes nothing.

A file that would replace the indexed text of a document (same number, other content) is not
written: the report shows what would change and a confirmation button writes it. Every write,
refused or done, lands in the store's audit log (`ingest.service.index_files`).
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path

import gradio as gr

from ingest.errors import human_size
from ingest.service import FileResult, index_files, remove_document

from . import render, tables
from .accounts import Accounts
from .web import document_choices, path_of, user_errors

log = logging.getLogger("vnqa")

AUDIT_HEADERS = ["Thời điểm", "Tài khoản", "Thao tác", "Kết quả", "Văn bản", "Tệp", "SHA-256", "Ghi chú"]
STATUS_LABELS = {
    "added": ("ok", "Đã thêm"),
    "updated": ("ok", "Đã cập nhật"),
    "unchanged": ("same", "Đã có sẵn, không thay đổi"),
    "alternate": ("same", "Bản khác, giữ bản đang có"),
    "duplicate": ("warn", "Trùng lặp"),
    "unconfirmed": ("warn", "Chờ xác nhận thay thế"),
    "failed": ("err", "Lỗi"),
    "removed": ("ok", "Đã xóa"),
}
ACTIONS = {"upload": "Nạp tệp", "remove": "Xóa"}
LOGIN_REQUIRED = "Cần đăng nhập bằng tài khoản quản trị để thay đổi kho văn bản."


class AdminApp:
    """The handlers behind /admin: one instance, shared by every official's session."""

    def __init__(self, store, settings, accounts: Accounts):
        self.store, self.settings, self.accounts = store, settings, accounts

    def user(self, request: gr.Request | None) -> str:
        """The logged-in official making this request; gr.Error for anyone else."""
        name = getattr(request, "username", None) if request is not None else None
        if not name or name not in self.accounts.names:
            log.warning("write refused: no official logged in (%r)", name)
            raise gr.Error(LOGIN_REQUIRED, title="Không có quyền")
        return name

    # -- writes --------------------------------------------------------------------------
    def upload(self, files, current_remove=None, request: gr.Request = None, progress=gr.Progress()):
        """Index the uploaded files: (report, pending replacements, confirm button, *refresh(),
        cleared file input). Replacements wait for `confirm`."""
        user = self.user(request)
        paths = [str(path_of(f)) for f in (files or []) if f]
        if not paths:
            gr.Warning("Hãy chọn ít nhất một tệp (.txt, .md, .docx, .doc, .pdf, .html, ảnh quét).", title="Lưu ý")
            return ("", [], gr.update(visible=False), *self.refresh(current_remove), None)
        results = self._index(paths, user, replace=False, progress=progress)
        pending = [r.path for r in results if r.status == "unconfirmed"]
        return (upload_report(results, self.store), pending, gr.update(visible=bool(pending)),
                *self.refresh(current_remove), None)

    def confirm(self, pending, current_remove=None, request: gr.Request = None, progress=gr.Progress()):
        """Write the replacements the official confirmed: (report, pending, button, *refresh())."""
        user = self.user(request)
        paths = [p for p in (pending or []) if Path(p).exists()]
        if not paths:
            return ("", [], gr.update(visible=False), *self.refresh(current_remove))
        results = self._index(paths, user, replace=True, progress=progress)
        return (upload_report(results, self.store), [], gr.update(visible=False), *self.refresh(current_remove))

    def cancel(self):
        """Drop the pending replacements: (report, pending, button)."""
        return ('<div class="report"><div class="r same">Đã hủy, kho không thay đổi.</div></div>', [],
                gr.update(visible=False))

    def ask_remove(self, doc_id: str | None, request: gr.Request = None):
        """The confirmation before a removal, naming the document: (question, doc_id to remove,
        confirmation row). Nothing is written."""
        self.user(request)
        meta = self.store.get(doc_id) if doc_id else None
        if meta is None:
            gr.Warning("Hãy chọn văn bản cần xóa.", title="Lưu ý")
            return "", None, gr.update(visible=False)
        name = " — ".join(x for x in (meta.number, meta.title) if x) or meta.doc_id
        return (f"Xóa văn bản **{render.esc(name)}** khỏi kho? Câu trả lời sẽ không còn dựa vào văn bản "
                "này; muốn có lại phải nạp lại tệp.", meta.doc_id, gr.update(visible=True))

    def remove(self, doc_id: str | None, request: gr.Request = None):
        """Remove one document (after ask_remove): (message, None, hidden row, *refresh())."""
        user = self.user(request)
        if not doc_id:
            gr.Warning("Hãy chọn văn bản cần xóa.", title="Lưu ý")
            return ("", None, gr.update(visible=False), *self.refresh())
        with user_errors(f"remove {doc_id}"):
            label = remove_document(self.store, doc_id, user)
        return (removed_html(label), None, gr.update(visible=False), *self.refresh())

    def cancel_remove(self):
        """(message, no doc_id, hidden row)."""
        return "", None, gr.update(visible=False)

    def _index(self, paths: list[str], user: str, replace: bool, progress) -> list[FileResult]:
        limit = self.settings.max_file_mb * 1024 * 1024
        results: list[FileResult] = []
        accepted = []
        for p in paths:
            size = Path(p).stat().st_size if Path(p).exists() else 0
            if size > limit:
                results.append(oversize(p, size, self.settings.max_file_mb))
            else:
                accepted.append(p)

        def on_file(i: int, n: int, name: str) -> None:
            progress((i, n), desc=f"Đang xử lý {name} ({i + 1}/{n})", unit="tệp")

        if accepted:
            progress((0, len(accepted)), desc="Bắt đầu lập chỉ mục…", unit="tệp")
            with user_errors("upload"):
                report = index_files(self.store, accepted, self.settings, progress=False, on_file=on_file,
                                     user=user, replace=replace)
            results.extend(report.results)
        order = {p: i for i, p in enumerate(paths)}
        results.sort(key=lambda r: order.get(r.path, len(order)))
        for r in results:
            if r.status == "failed" and r.path not in accepted:  # index_files logs the others
                log.info("upload refused: %s", r.error)  # a user's file, not a fault: INFO
        return results

    # -- views ---------------------------------------------------------------------------
    def refresh(self, current_remove: str | None = None):
        """(documents table, remove selector, audit table)."""
        choices = document_choices(self.store)
        values = [v for _, v in choices]
        value = current_remove if current_remove in values else None
        return (tables.documents_table(self.store), gr.update(choices=choices, value=value),
                self.audit_table())

    def audit_table(self):
        rows = [[tables.vn_time(e.at), e.user, ACTIONS.get(e.action, e.action),
                 STATUS_LABELS.get(e.status, ("", e.status))[1], e.doc_id, e.file, e.sha256[:12], e.detail]
                for e in self.store.audit(200)]
        return tables.frame(AUDIT_HEADERS, rows)

    def whoami(self, request: gr.Request = None) -> str:
        name = getattr(request, "username", None) or "?"
        return f"Đăng nhập: **{render.esc(name)}** · [Đăng xuất](logout)"


def oversize(path: str, size: int, max_mb: float) -> FileResult:
    name = Path(path).name
    return FileResult(path, "failed", error=f"{path}: over {max_mb} MB",
                      user_error=f"{name}: tệp quá lớn ({human_size(size, vi=True)}; tối đa "
                                 f"{f'{max_mb:g}'.replace('.', ',')} MB)")


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
def upload_report(results: list[FileResult], store) -> str:
    """One line per file: what happened to it, in Vietnamese; a pending replacement with what
    it would change (the changed words struck through and inserted)."""
    if not results:
        return ""
    lines = []
    for r in results:
        cls, word = STATUS_LABELS.get(r.status, ("err", r.status))
        name = render.esc(Path(r.path).name)
        if r.status in ("added", "updated", "unchanged"):
            meta = store.get(r.doc_id) if r.doc_id else None
            what = render.esc(meta.label) if meta else render.esc(r.doc_id)
            extra = f" — {r.chunks} đoạn" if r.chunks else ""
            lines.append(f'<div class="r {cls}"><b>{word}</b>: {name} → {what}{extra}</div>')
        else:
            msg = r.user_error or r.error or "không xử lý được tệp"
            lines.append(f'<div class="r {cls}"><b>{word}</b>: {render.esc(msg)}{changes_html(r)}</div>')
    counts = {s: sum(r.status == s for r in results) for s in STATUS_LABELS}
    summary = (f"{counts['added'] + counts['updated']} tệp đã lập chỉ mục, {counts['unchanged']} không đổi, "
               f"{counts['duplicate']} trùng lặp, {counts['failed']} lỗi")
    if counts["unconfirmed"]:
        summary += f", {counts['unconfirmed']} chờ xác nhận thay thế (xem các chỗ thay đổi bên dưới)"
    return f'<div class="report"><div class="summary">{summary}</div>{"".join(lines)}</div>'


def changes_html(r: FileResult) -> str:
    if r.changes is None:
        return ""
    items = "".join(f"<li>{_diff_words(c.before, c.after)}</li>" for c in r.changes.changes)
    more = r.changes.total - len(r.changes.changes)
    tail = f"<li>… và {more} chỗ khác</li>" if more > 0 else ""
    return f'<ul class="changes">{items}{tail}</ul>'


def _diff_words(before: str, after: str) -> str:
    """One changed passage: words only in the old text in <del>, only in the new one in <ins>."""
    a, b = before.split(), after.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(render.esc(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{render.esc(' '.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{render.esc(' '.join(b[j1:j2]))}</ins>")
    return " ".join(out)


def removed_html(label: str) -> str:
    return f'<div class="report"><div class="r ok">Đã xóa văn bản <b>{render.esc(label)}</b> khỏi kho.</div></div>'
