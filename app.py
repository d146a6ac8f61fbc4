"""`python app.py [--host 127.0.0.1] [--port 7860] [--store DIR]` — the web app (Gradio).

On first run the default index is built (progress in the terminal) before the app serves.
This file only lays out the pages and connects events; the handlers are in bot/web.py (the
public app) and bot/admin.py (the officials' app).

Two Gradio apps on one server (FastAPI + uvicorn):
- `/`: citizens ask and read. It registers no event that writes to the store.
- `/admin`: officials upload, replace and remove documents, behind a login (accounts of
  bot/accounts.py: `python -m bot admin add NAME`). With no account configured it does not exist
  and the CLI (`python -m ingest`) manages the store.
Local only: never share=True; analytics off; the font is shipped in assets/fonts/.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

# Before gradio is imported anywhere: no telemetry, offline model loading.
for _key, _value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"),
                     ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
    os.environ.setdefault(_key, _value)

import gradio as gr  # noqa: E402

from bot import web  # noqa: E402
from bot.accounts import Accounts, load_accounts  # noqa: E402
from bot.admin import AUDIT_HEADERS, AdminApp  # noqa: E402
from ingest.errors import VnqaError  # noqa: E402
from ingest.settings import Settings, configure_runtime  # noqa: E402

HEADER = """
<div id="app-header">
  <h1><span class="logo">VB</span>Trợ lý hỏi đáp văn bản</h1>
  <p>Trả lời bằng nội dung của các văn bản đã nạp, kèm trích dẫn đúng điều, đúng mục.</p>
</div>
"""
PRIVATE = {"api_visibility": "private"}
ADMIN_HEADER = """
<div id="app-header">
  <h1><span class="logo">VB</span>Quản lý văn bản</h1>
  <p>Nạp, thay thế và xóa văn bản của kho. Mọi thao tác được ghi vào nhật ký.</p>
</div>
"""
DOCS_NOTE_ADMIN = ("Cán bộ quản lý nạp, thay thế và xóa văn bản tại trang [quản trị](admin/) "
                   "(cần đăng nhập).")
DOCS_NOTE_CLI = "Văn bản trong kho do quản trị viên nạp bằng dòng lệnh."
DOC_WIDTHS = ["12%", "30%", "16%", "9%", "11%", "6%", "10%", "6%"]
log = logging.getLogger("vnqa")


def table_tab(label: str, name: str, placeholder: str, headers: list[str], widths: list[str]):
    """A tab with a search box, a CSV download and a table: (tab, query, download, table)."""
    with gr.Tab(label, id=f"{name}-tab") as tab:
        with gr.Row(equal_height=True):
            query = gr.Textbox(placeholder=placeholder, show_label=False, scale=5, container=False)
            download = gr.DownloadButton("Tải CSV", scale=1, min_width=120, size="md")
        table = gr.Dataframe(headers=headers, interactive=False, wrap=True, max_height=560,
                             elem_id=f"{name}-table", column_widths=widths)
    return tab, query, download, table


def build_demo(app: web.WebApp, with_admin: bool = False) -> gr.Blocks:
    """The public app: chat, documents (read only), targets, tasks, the /ask API."""
    with gr.Blocks(title="Hỏi đáp văn bản", analytics_enabled=False, fill_width=False) as demo:
        history = gr.State([])  # this session's turns, plain text ({"role", "content"})
        with gr.Row(equal_height=True, elem_id="header-row"):
            gr.HTML(HEADER, padding=False, min_width=340, scale=3)
            mode_note = gr.Markdown(app.mode_note(), elem_id="mode-note", min_width=300, scale=2)
        warning = app.model_warning()
        gr.Markdown(warning, elem_id="model-warning", visible=bool(warning))

        with gr.Tabs():
            # ---------------------------------------------------------------- Hỏi đáp
            with gr.Tab("Hỏi đáp", id="chat-tab") as chat_tab:
                with gr.Row(equal_height=False):
                    doc_filter = gr.Dropdown(
                        choices=web.document_choices(app.store, with_all=True), value=web.ALL_DOCS,
                        label="Tìm trong", scale=4, min_width=220, elem_id="doc-filter")
                    new_chat = gr.Button("Cuộc trò chuyện mới", scale=1, min_width=190,
                                         size="md", elem_id="new-chat")
                chatbot = gr.Chatbot(
                    elem_id="chat", show_label=False, height=540, buttons=[],
                    placeholder="Hỏi về nội dung văn bản: chỉ tiêu, nhiệm vụ, cơ quan chủ trì, thời hạn…",
                    feedback_options=None, autoscroll=True, layout="bubble", sanitize_html=True,
                    latex_delimiters=[])
                status = gr.Markdown("", elem_id="status")
                with gr.Row(equal_height=True):
                    message = gr.Textbox(
                        placeholder="Nhập câu hỏi về văn bản…", show_label=False,
                        lines=1, max_lines=4, scale=8, autofocus=True, elem_id="question", container=False)
                    send = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="send")
                gr.Markdown("Câu hỏi mẫu:", elem_classes="examples-label")
                with gr.Row(elem_id="examples"):
                    example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in web.EXAMPLES]

            # ---------------------------------------------------------------- Văn bản
            with gr.Tab("Văn bản", id="docs-tab") as docs_tab:
                docs_table = gr.Dataframe(
                    value=app.documents_table(), headers=web.DOC_HEADERS, interactive=False, wrap=True,
                    label="Văn bản trong kho", elem_id="docs-table", max_height=320, column_widths=DOC_WIDTHS)
                gr.Markdown(DOCS_NOTE_ADMIN if with_admin else DOCS_NOTE_CLI, elem_id="docs-note")
                gr.Markdown("### Đọc văn bản")
                reader_doc = gr.Dropdown(choices=web.document_choices(app.store), label="Văn bản",
                                         elem_id="reader-doc")
                reader_meta = gr.HTML("")
                with gr.Row():
                    with gr.Column(scale=2, min_width=240):
                        outline = gr.Radio(choices=[], label="Mục lục", elem_id="outline")
                    with gr.Column(scale=5):
                        reader = gr.HTML("", elem_id="reader")

            # ---------------------------------------------------------------- Chỉ tiêu, Nhiệm vụ
            targets_tab, targets_query, targets_csv, targets_table = table_tab(
                "Chỉ tiêu", "targets", "Tìm chỉ tiêu (có thể gõ không dấu)…", web.TARGET_HEADERS,
                ["6%", "30%", "14%", "9%", "15%", "16%", "10%"])
            tasks_tab, tasks_query, tasks_csv, tasks_table = table_tab(
                "Nhiệm vụ", "tasks", "Tìm nhiệm vụ, cơ quan, thời hạn (có thể gõ không dấu)…", web.TASK_HEADERS,
                ["38%", "14%", "12%", "9%", "13%", "8%", "6%"])

        # ------------------------------------------------------------------------ events
        chat_io = dict(inputs=[message, chatbot, history, doc_filter],
                       outputs=[chatbot, history, status, message],
                       concurrency_id="answer", show_progress="hidden", **PRIVATE)
        message.submit(app.respond, **chat_io)
        send.click(app.respond, **chat_io)
        for button, question in zip(example_buttons, web.EXAMPLES):
            button.click(lambda q=question: q, outputs=message, queue=False, **PRIVATE).then(
                app.respond, **chat_io)
        new_chat.click(app.new_chat, outputs=[chatbot, history, status, message], queue=False, **PRIVATE)
        chatbot.clear(app.new_chat, outputs=[chatbot, history, status, message], queue=False, **PRIVATE)

        index_views = [docs_table, doc_filter, reader_doc, targets_table, targets_csv, tasks_table, tasks_csv]

        reader_doc.change(app.outline, inputs=reader_doc, outputs=[outline, reader, reader_meta], **PRIVATE)
        outline.input(app.section, inputs=[reader_doc, outline], outputs=reader, **PRIVATE)

        for query, handler, views in ((targets_query, app.targets, [targets_table, targets_csv]),
                                      (tasks_query, app.tasks, [tasks_table, tasks_csv])):
            query.change(handler, inputs=query, outputs=views, show_progress="hidden",
                         trigger_mode="always_last", **PRIVATE)

        # Another session may have changed the index: refresh on page load and on tab switch.
        refresh_io = dict(inputs=[doc_filter, reader_doc, targets_query, tasks_query],
                          outputs=index_views, show_progress="hidden", **PRIVATE)
        for tab in (chat_tab, docs_tab, targets_tab, tasks_tab):
            tab.select(app.refresh, **refresh_io)
        demo.load(app.on_load, outputs=[*index_views, mode_note], show_progress="hidden", **PRIVATE).then(
            app.outline, inputs=reader_doc, outputs=[outline, reader, reader_meta], show_progress="hidden",
            **PRIVATE)

        # The API: same JSON as `python -m bot ask --json`.
        gr.api(app.ask_api, api_name="ask",
               api_description="Trả lời một câu hỏi (question; doc = doc_id hoặc số hiệu để lọc, tùy chọn). "
                               "Trả về JSON giống `python -m bot ask --json`.",
               concurrency_id="answer")
    return demo


def build_admin(admin: AdminApp, max_file_mb: float) -> gr.Blocks:
    """The officials' app (mounted at /admin behind a login): documents, upload with a confirmation
    for replacements, removal with a confirmation, the audit log."""
    with gr.Blocks(title="Quản lý văn bản", analytics_enabled=False, fill_width=False) as demo:
        pending = gr.State([])  # uploaded files waiting for the replacement to be confirmed
        doomed = gr.State(None)  # the doc_id whose removal waits for confirmation
        with gr.Row(equal_height=True, elem_id="header-row"):
            gr.HTML(ADMIN_HEADER, padding=False, min_width=340, scale=3)
            whoami = gr.Markdown("", elem_id="whoami", min_width=240, scale=2)
        docs_table = gr.Dataframe(headers=web.DOC_HEADERS, interactive=False, wrap=True, max_height=320,
                                  label="Văn bản trong kho", elem_id="docs-table", column_widths=DOC_WIDTHS)
        with gr.Row():
            with gr.Column(scale=3):
                files = gr.File(
                    label=f"Nạp văn bản (.txt, .md, .docx, .doc, .pdf, .html, ảnh quét — tối đa "
                          f"{str(max_file_mb).removesuffix('.0').replace('.', ',')} MB mỗi tệp)",
                    file_count="multiple", file_types=web.UPLOAD_TYPES, elem_id="upload")
                upload = gr.Button("Lập chỉ mục các tệp đã chọn", variant="primary", elem_id="upload-btn")
                upload_report = gr.HTML("", elem_id="upload-report")
                with gr.Row(visible=False, elem_id="replace-confirm") as replace_row:
                    confirm = gr.Button("Xác nhận thay thế", variant="stop", elem_id="confirm-replace")
                    cancel = gr.Button("Hủy, giữ bản đang có", elem_id="cancel-replace")
            with gr.Column(scale=2):
                to_remove = gr.Dropdown(choices=[], value=None, label="Xóa văn bản", elem_id="remove-doc")
                remove = gr.Button("Xóa văn bản đã chọn…", variant="secondary", elem_id="remove-btn")
                with gr.Group(visible=False, elem_id="remove-confirm") as remove_row:
                    remove_question = gr.Markdown("")
                    with gr.Row():
                        confirm_remove = gr.Button("Xác nhận xóa", variant="stop", elem_id="confirm-remove")
                        cancel_remove = gr.Button("Hủy", elem_id="cancel-remove")
                remove_report = gr.HTML("", elem_id="remove-report")
        gr.Markdown("### Nhật ký thay đổi")
        audit = gr.Dataframe(headers=AUDIT_HEADERS, interactive=False, wrap=True, max_height=360,
                             elem_id="audit-table",
                             column_widths=["13%", "10%", "8%", "12%", "16%", "20%", "9%", "12%"])

        # The writes are callable with gradio_client too (after logging in), not listed in the API page.
        views = [docs_table, to_remove, audit]
        api = {"api_visibility": "undocumented"}
        write = dict(concurrency_limit=1, concurrency_id="write", **api)
        upload.click(admin.upload, inputs=[files, to_remove], api_name="upload",
                     outputs=[upload_report, pending, replace_row, *views, files], **write)
        confirm.click(admin.confirm, inputs=[pending, to_remove], api_name="confirm",
                      outputs=[upload_report, pending, replace_row, *views], **write)
        cancel.click(admin.cancel, outputs=[upload_report, pending, replace_row], api_name="cancel", queue=False,
                     **api)
        remove.click(admin.ask_remove, inputs=to_remove, outputs=[remove_question, doomed, remove_row],
                     api_name="ask_remove", queue=False, **api)
        confirm_remove.click(admin.remove, inputs=doomed, api_name="remove",
                             outputs=[remove_report, doomed, remove_row, *views], **write)
        for event in (cancel_remove.click, to_remove.change):
            event(admin.cancel_remove, outputs=[remove_question, doomed, remove_row], queue=False, **PRIVATE)
        demo.load(admin.whoami, outputs=whoami, queue=False, **PRIVATE).then(
            admin.refresh, outputs=views, show_progress="hidden", **PRIVATE)
    return demo


def serve(demo: gr.Blocks, admin_demo: gr.Blocks | None, accounts: Accounts, host: str, port: int,
          max_file_mb: float) -> None:
    """Both apps on one FastAPI server: /admin (behind the login) when there are accounts, / always."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse

    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    common = dict(server_name=host, server_port=port, theme=web.theme(), css=web.css(),
                  allowed_paths=web.static_paths(), max_file_size=int(max_file_mb * 1024 * 1024),
                  ssr_mode=False, show_error=False, pwa=False, mcp_server=False, run_history=False)

    async def check(name: str, password: str) -> bool:  # PBKDF2 off the event loop
        return await asyncio.to_thread(accounts.check, name, password)

    if admin_demo is not None:  # mounted first: "/" would take every path
        server.add_api_route("/admin", lambda: RedirectResponse("admin/"), include_in_schema=False)
        gr.mount_gradio_app(server, admin_demo, path="/admin", auth=check, footer_links=[],
                            auth_message="Đăng nhập bằng tài khoản quản trị để nạp, thay thế hoặc xóa văn bản.",
                            **common)
    # No footer: its links ("Use via API", "Built with Gradio") are English; the /ask API stays.
    gr.mount_gradio_app(server, demo, path="/", footer_links=[], **common)
    print(f"* Ứng dụng đang chạy tại: http://{host}:{port}" + (f" (quản trị: http://{host}:{port}/admin/)"
                                                              if admin_demo is not None else ""), flush=True)
    uvicorn.run(server, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> int:
    from ingest.__main__ import vietnamese_parser

    parser = vietnamese_parser("python app.py", "Trợ lý hỏi đáp văn bản (web).")
    parser.add_argument("--host", default="127.0.0.1", metavar="ĐỊA_CHỈ",
                        help="địa chỉ lắng nghe (mặc định: chỉ máy này, 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), metavar="CỔNG",
                        help="cổng (mặc định: $GRADIO_SERVER_PORT hoặc 7860)")
    parser.add_argument("--store", type=Path, metavar="THƯ_MỤC", help="thư mục kho (mặc định: $VNQA_STORE hoặc ./store)")
    parser.add_argument("-v", "--verbose", action="store_true", help="in thêm chi tiết")
    args = parser.parse_args(argv)

    configure_runtime(args.verbose)
    settings = Settings.from_env(store=args.store)
    print(f"Kho dữ liệu: {settings.store}", file=sys.stderr, flush=True)
    try:
        accounts = load_accounts(settings.admin_file, settings.admins)
        from bot.__main__ import quiet_model_loading
        from bot.service import build_bot

        quiet_model_loading()
        if settings.dense_enabled:
            print("Đang nạp mô hình…", file=sys.stderr, flush=True)
        bot = build_bot(settings, progress=True)  # builds the default index on first run (tqdm)
    except VnqaError as e:
        print(f"Lỗi: {e.user_message}\n({e})", file=sys.stderr)
        return 2
    app = web.WebApp(bot, settings)
    app.warm_up()
    gr.set_static_paths(web.static_paths())
    demo = build_demo(app, with_admin=bool(accounts))
    demo.queue(default_concurrency_limit=2, max_size=64)
    admin_demo = None
    if accounts:
        log.info("admin app at /admin for %d account(s): %s", len(accounts.names), ", ".join(accounts.names))
        admin_demo = build_admin(AdminApp(app.store, settings, accounts), settings.max_file_mb)
        admin_demo.queue(default_concurrency_limit=1, max_size=16)
    else:
        log.info("no admin account (%s, VNQA_ADMINS): no /admin app; the CLI (python -m ingest) manages "
                 "the store", settings.admin_file)
    serve(demo, admin_demo, accounts, args.host, args.port, settings.max_file_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
