"""The public web app: the /ask API (same JSON as `python -m bot ask --json`), tables, CSV,
chat rendering and errors (officials' uploads and removals: tests/test_admin.py). Real parts
throughout: a store built from the bundled corpus (lexical-only for speed), the real bot, the real
app served by `python app.py`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import PROJECT_ROOT
from tests.app_server import AppServer, app_env, copy_store, free_port, lexical_settings

DTI = "Chỉ tiêu DTI năm 2026 là gì?"
FAKE_DOC = """HỘI ĐỒNG NHÂN DÂN
TỈNH THỬ NGHIỆM
Số: 12/NQ-HĐND
Thử Nghiệm, ngày 05 tháng 3 năm 2025
NGHỊ QUYẾT
VỀ VIỆC HỖ TRỢ NUÔI ONG MẬT TẠI CÁC XÃ VÙNG CAO
HỘI ĐỒNG NHÂN DÂN TỈNH THỬ NGHIỆM
QUYẾT NGHỊ:
Điều 1. Hỗ trợ mỗi hộ nuôi ong mật tối đa 15 thùng ong trong năm 2025.
Điều 2. Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết này.
Điều 3. Nghị quyết có hiệu lực từ ngày ký.
CHỦ TỊCH
Nguyễn Văn Thử
"""


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def server(base_store, tmp_path_factory):
    store = copy_store(base_store, tmp_path_factory.mktemp("served") / "store")
    with AppServer(store) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


@pytest.fixture
def web_app(base_store, tmp_path):
    """The handlers over a private copy of the store (what app.py wires), in this process."""
    return make_web_app(copy_store(base_store, tmp_path / "store"))


def make_web_app(store: Path, **changes):
    from bot import web
    from bot.service import build_bot

    settings = lexical_settings(store, **changes)
    return web.WebApp(build_bot(settings, progress=False), settings)


def fake_doc(folder: Path, name: str = "nghi-quyet-12-nuoi-ong.txt") -> Path:
    path = folder / name
    path.write_text(FAKE_DOC, encoding="utf-8")
    return path


def random_pdf(folder: Path, name: str = "hong-ngau-nhien.pdf") -> Path:
    path = folder / name
    path.write_bytes(os.urandom(4096))
    return path


def cli_ask(store: Path, question: str, *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", question, *extra],
                         cwd=str(PROJECT_ROOT), env=app_env(store), capture_output=True, text=True,
                         timeout=180, check=True)
    return json.loads(out.stdout)


def numbers(web_app) -> list[str]:
    return sorted(d.meta.number for d in web_app.store.documents())


def no_progress(*_args, **_kwargs):
    pass


# -------------------------------------------------------------------------------- the /ask API
def test_ask_endpoint_returns_the_cli_json(server, client):
    got = client.predict(DTI, api_name="/ask")
    assert isinstance(got, dict)
    assert "xếp thứ 32" in got["answer"]
    assert not got["abstained"]
    assert "(11)" in got["citations"][0]["section"]
    assert got["question"] == DTI and got["latency_ms"] >= 0

    cli = cli_ask(server.store, DTI)
    assert set(got) == set(cli)
    assert got["answer"] == cli["answer"]
    assert got["citations"] == cli["citations"]
    assert [r["chunk_id"] for r in got["retrieved"]] == [r["chunk_id"] for r in cli["retrieved"]]
    assert set(got["citations"][0]) == set(cli["citations"][0])
    first = got["citations"][0]  # who put the cited document in the store, and when
    assert first["uploaded_by"] and first["uploaded_at"][:4].isdigit()


def test_bot_ask_asks_a_running_app_through_its_api(server, client):
    """`python -m bot ask --url`: the served app answers (its /ask JSON), no model loads here; a
    document filter goes along; no app at the address is a Vietnamese error, exit 2."""
    def remote(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", "ask", *args], cwd=str(PROJECT_ROOT),
                              env=app_env(server.store), capture_output=True, text=True, timeout=120)

    shown = remote("--url", server.url, "--doc", "70/NQ-HĐND", DTI)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(client.predict(DTI, "70/NQ-HĐND", api_name="/ask")["answer"])
    assert "xếp thứ 32" in shown.stdout and "Nguồn:" in shown.stdout and "70/NQ-HĐND ›" in shown.stdout
    assert "Đang nạp mô hình" not in shown.stderr
    gone = remote("--url", f"http://127.0.0.1:{free_port()}", DTI)
    assert gone.returncode == 2 and gone.stderr.startswith("Lỗi: không hỏi được ứng dụng")


def test_ask_endpoint_document_filter(client):
    by_number = client.predict(DTI, "70/NQ-HĐND", api_name="/ask")
    assert "xếp thứ 32" in by_number["answer"]
    elsewhere = client.predict(DTI, "99/NQ-KHONGCO", api_name="/ask")
    assert elsewhere["abstained"] and elsewhere["citations"] == []


def test_ask_endpoint_error_is_vietnamese(client):
    with pytest.raises(Exception) as raised:
        client.predict("   ", api_name="/ask")
    assert "Vui lòng nhập câu hỏi" in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_only_ask_is_a_documented_endpoint(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask"}


def test_ask_json_is_the_shared_builder(web_app):
    from bot.web import ask_json

    got = ask_json(web_app.bot, DTI)
    assert list(got)[:2] == ["question", "answer"] and list(got)[-1] == "latency_ms"
    assert got["citations"][0]["text"] in web_app.store.document_text(got["citations"][0]["doc_id"])[0]


# ------------------------------------------------------------------------------- read only
def test_without_accounts_there_is_no_admin_app(server):
    """No official's account configured: /admin does not exist; the page says the CLI manages
    the store (writes in tests/test_admin.py)."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path in ("admin", "admin/", "admin/config", "admin/login"):
            assert http.get(path).status_code == 404, path
        assert http.post("admin/login", data={"username": "a", "password": "b"}).status_code in (404, 405)
        config = http.get("config").json()
    assert "file" not in {c["type"] for c in config["components"]}
    assert "dòng lệnh" in json.dumps(config, ensure_ascii=False)
    assert "[quản trị](admin/)" not in json.dumps(config, ensure_ascii=False)


def test_the_page_and_the_log_speak_vietnamese_only(server):
    """Issue 24: no "Use via API" / "Built with Gradio" footer (the /ask API stays), and no log
    line suggesting share=True: the app is local-only."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as http:
        config = http.get("config").json()
        assert http.get("gradio_api/info").status_code == 200  # the API itself is still served
    assert config["footer_links"] == []
    log = server.log()
    assert "Ứng dụng đang chạy tại: http://127.0.0.1:" in log, log
    for english in ("share=True", "public link", "Running on local URL", "Loading weights"):
        assert english not in log, (english, log)


# ---------------------------------------------------------------------------- tables and CSV
def read_csv(path: str) -> tuple[bytes, list[list[str]]]:
    raw = Path(path).read_bytes()
    return raw[:3], list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_targets_table_and_csv(web_app):
    from bot import web

    table, path = web_app.targets("")
    bom, rows = read_csv(path)
    targets = web_app.store.targets()
    assert bom == b"\xef\xbb\xbf"
    assert rows[0] == web.TARGET_HEADERS
    assert len(rows) - 1 == len(targets) == len(table)
    if targets:  # the extractor provides them: the 11 numbered targets, each code present
        assert {r[0] for r in rows[1:]} >= {f"({i})" for i in range(1, 12)}
        dti, dti_csv = web_app.targets("chi so chuyen doi so dti")  # no diacritics
        assert len(dti) >= 1 and all(code == "(11)" for code in dti["Mã"])
        assert len(read_csv(dti_csv)[1]) == len(dti) + 1


def test_tasks_table_and_csv(web_app):
    from bot import web

    table, path = web_app.tasks("")
    bom, rows = read_csv(path)
    assert bom == b"\xef\xbb\xbf" and rows[0] == web.TASK_HEADERS
    assert len(rows) - 1 == len(web_app.store.tasks()) == len(table)
    if len(table):
        from ingest.text import fold

        word = fold(table.iloc[0]["Nhiệm vụ"]).split()[-1]
        assert 1 <= len(web_app.tasks(word)[0]) <= len(table)
    assert len(web_app.tasks("khong co tu nay xyzzy")[0]) == 0


def test_tasks_table_lead_agencies_inherited_and_searched_by_agency(web_app):
    """Issue 24: every task of the bundled resolution has a lead agency (56 inherited from its
    implementation clause, marked); a query naming an agency returns no task without one."""
    table, _ = web_app.tasks("")
    agencies = list(table["Cơ quan chủ trì"])
    assert len(agencies) == 58 and all(agencies)
    assert agencies.count("Ủy ban nhân dân tỉnh (kế thừa từ Điều 2)") == 56
    found, path = web_app.tasks("uy ban nhan dan tinh")
    assert len(found) == 57 and all("Ủy ban nhân dân tỉnh" in a for a in found["Cơ quan chủ trì"])
    assert read_csv(path)[1][1][1] == found.iloc[0]["Cơ quan chủ trì"]  # the CSV says so too


def test_documents_table(web_app):
    from bot import web

    table = web_app.documents_table()
    assert list(table.columns) == web.DOC_HEADERS
    row = table.iloc[0]
    assert row["Số hiệu"] == "70/NQ-HĐND" and row["Ngày ban hành"] == "11/12/2025"
    assert row["Số đoạn"] == web_app.store.documents()[0].chunks


# ------------------------------------------------------------------------------------- chat
def run_chat(web_app, question, chat=None, history=None, doc=None):
    outputs = list(web_app.respond(question, chat or [], history or [], doc))
    return outputs, outputs[-1]


def test_chat_answer_has_sources_with_the_quote_marked(web_app):
    from bot import web

    outputs, (chat, history, status, box) = run_chat(web_app, DTI, doc=web.ALL_DOCS)
    assert outputs[0][2] == web.STATUS_SEARCHING and box == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    content = chat[-1]["content"]
    assert "xếp thứ 32" in content and '<sup class="cite-ref">[1]</sup>' in content
    assert "<details" in content and "Nguồn" in content and "(11)" in content
    marked = content.split("<mark>")[1].split("</mark>")[0]
    assert "xếp thứ 32" in marked
    # The opened source shows the surroundings: the group of (10) and (11).
    assert "(10) Tỉ lệ sử dụng dịch vụ công trực tuyến" in content
    assert status.startswith("Đã trả lời")
    # The history holds plain text only.
    assert history == [{"role": "user", "content": DTI},
                       {"role": "assistant", "content": history[1]["content"]}]
    assert "<" not in history[1]["content"] and "xếp thứ 32" in history[1]["content"]

    # A follow-up uses that history.
    _, (chat2, history2, _, _) = run_chat(web_app, "Còn PAR Index thì sao?", chat, history)
    assert "xếp thứ 29" in history2[-1]["content"] and len(chat2) == 4 and len(history2) == 4


def test_the_interpretation_line_only_for_real_followups(web_app):
    """Issue 24: "Hiểu câu hỏi là" shows a real follow-up merged with the previous question,
    whole words kept; a question naming a document, or with a typo, stands alone and shows none."""
    _, (chat, history, _, _) = run_chat(web_app, DTI)
    assert "Hiểu câu hỏi là" not in chat[-1]["content"]
    _, (chat, history, _, _) = run_chat(web_app, "Còn PAR Index thì sao?", chat, history)
    assert f'<div class="rewritten">Hiểu câu hỏi là: PAR Index — {DTI}</div>' in chat[-1]["content"]
    assert "xếp thứ 29" in history[-1]["content"]
    for question in ("Nghị quyết 70/NQ-HĐND do ai ký?", "Chỉ tiêu DTl năm 2026 là gì?"):
        _, (chat, history, _, _) = run_chat(web_app, question, chat, history)
        assert "Hiểu câu hỏi là" not in chat[-1]["content"], (question, chat[-1]["content"])
    assert "Bế Thanh Tịnh" in history[-3]["content"]  # the signer, not a PAR Index figure


def test_chat_refusal_shows_the_closest_sections(web_app):
    _, (chat, history, status, _) = run_chat(web_app, "Giá vàng SJC hôm nay?")
    content = chat[-1]["content"]
    assert "Các phần gần nhất" in content and "<details" in content and "<mark>" in content
    assert "không nêu" in status


def test_chat_errors_are_friendly(web_app, monkeypatch):
    from bot import web

    _, (chat, *_rest) = run_chat(web_app, "chỉ tiêu " * 400)
    assert "Câu hỏi quá dài" in chat[-1]["content"]

    def boom(*_a, **_k):
        raise RuntimeError("internal detail that users must not see")

    monkeypatch.setattr(web_app.bot.answerer, "answer", boom)
    _, (chat, history, status, _) = run_chat(web_app, DTI)
    assert web.GENERIC_ERROR in chat[-1]["content"]
    assert "internal detail" not in chat[-1]["content"] and "Traceback" not in chat[-1]["content"]
    assert history == []

    with pytest.warns(UserWarning, match="Hãy nhập câu hỏi"):
        _, (chat, *_rest) = run_chat(web_app, "   ")
    assert chat == []


def test_chat_streams_partial_answers(web_app):
    """An answerer with `stream` (the LLM one) shows growing text, then the final answer."""
    from bot import web
    from bot.types import Answer

    final = web_app.bot.answerer.answer(DTI)

    class Streaming:
        def stream(self, question, history=None, filters=None):
            yield "Theo 70/NQ-HĐND"
            yield "Theo 70/NQ-HĐND, chỉ số DTI"
            yield final

        def answer(self, question, history=None, filters=None):
            return final

    web_app.bot.answerer = Streaming()
    outputs, (chat, *_rest) = run_chat(web_app, DTI)
    contents = [o[0][-1]["content"] for o in outputs]
    statuses = [o[2] for o in outputs]
    assert "Theo 70/NQ-HĐND, chỉ số DTI" in contents and web.STATUS_COMPOSING in statuses
    assert isinstance(final, Answer) and "<mark>" in chat[-1]["content"]


# ------------------------------------------------------------------------------- rendering
def test_excerpt_is_the_section_with_the_quote_marked():
    from bot.render import excerpt, excerpt_html

    text = "Điều 1. Mở đầu\nCâu một. Câu hai cần tìm. Câu ba.\nĐiều 2. Khác\nNội dung khác."
    sections = [[["Điều 1"], "Điều 1. Mở đầu", "article", 0, 48], [["Điều 2"], "Điều 2. Khác", "article", 49, 76]]
    start = text.index("Câu hai")
    ex = excerpt(text, sections, start, start + len("Câu hai cần tìm."))
    assert ex.label == "Điều 1" and ex.quote == "Câu hai cần tìm."
    assert ex.before.startswith("Điều 1. Mở đầu") and ex.after.strip() == "Câu ba."
    assert "<mark>Câu hai cần tìm.</mark>" in excerpt_html(ex) and "Điều 2" not in excerpt_html(ex)

    # A very long section shrinks to the paragraphs around the quote.
    long_text = "Điều 1. Dài\n" + "\n".join(f"Đoạn {i} " + "x" * 300 for i in range(40))
    at = long_text.index("Đoạn 20 ")
    ex = excerpt(long_text, [[["Điều 1"], "Điều 1. Dài", "article", 0, len(long_text)]], at, at + 8, limit=1000)
    assert ex.cut_before and ex.cut_after and len(ex.before) + len(ex.after) < 1000


def test_reader_outline_and_sections(web_app):
    from bot import web

    doc_id = web_app.store.documents()[0].meta.doc_id
    text, sections = web_app.store.document_text(doc_id)
    selector, html, header = web_app.outline(doc_id)
    choices = selector["choices"]
    assert choices[0] == ("Toàn văn", web.WHOLE_DOC) and len(choices) == len(sections) + 1
    assert any(label.startswith("\u2003\u2003(11)") for label, _ in choices)  # indented by depth
    assert "Điều 1." in html and '<h3 id="sec-' in html and "70/NQ-HĐND" in header
    item = next(v for label, v in choices if label.strip().startswith("(11)"))
    part = web_app.section(doc_id, item)
    assert "xếp thứ 32" in part and "(10)" not in part
    assert web_app.section(doc_id, web.WHOLE_DOC).count("<p") > 50


def test_theme_and_css_fetch_nothing_from_the_web():
    from bot import web

    theme = web.theme()
    assert not theme._stylesheets  # no Google Fonts stylesheet
    css = web.css()
    assert "http://" not in css and "https://" not in css and "{{FONTS}}" not in css
    fonts = list((web.ASSETS / "fonts").glob("*.woff2"))
    assert len(fonts) >= 3 and (web.ASSETS / "fonts" / "OFL.txt").exists()
    for font in fonts:
        assert font.name in css and font.read_bytes()[:4] == b"wOF2"
    assert "@media (max-width: 640px)" in css


# --------------------------------------------------------------------- the default model
@pytest.mark.slow
def test_default_model_answers_with_sources(tmp_path):
    """The app's handlers over the default embedding model (hybrid retrieval), when present."""
    from bot import web
    from bot.service import build_bot
    from ingest.settings import Settings
    from tests.conftest import GEMMA, gemma_available

    if not gemma_available():
        pytest.skip("embeddinggemma-300m is not in the HF cache")
    settings = Settings(store=tmp_path / "store", embed_model=GEMMA)  # shared embedding cache
    app = web.WebApp(build_bot(settings, progress=False), settings)
    assert app.store.mode == "hybrid" and "ngữ nghĩa" in app.mode_note()
    got = web.ask_json(app.bot, DTI)
    assert "xếp thứ 32" in got["answer"] and "(11)" in got["citations"][0]["section"]
    _, (chat, *_rest) = run_chat(app, DTI)
    assert "<mark>" in chat[-1]["content"] and "xếp thứ 32" in chat[-1]["content"]


def test_a_missing_embedding_model_is_shown_prominently(tmp_path):
    """A configured embedding model that does not load: the app shows a warning naming the
    provisioning script; chosen lexical-only (VNQA_EMBED_MODEL=none) shows none."""
    import gradio as gr

    import app as app_module
    from bot import web
    from bot.service import build_bot
    from ingest.settings import Settings

    missing = Settings.from_env({}, store=tmp_path / "store", embed_model=str(tmp_path / "no-model"),
                                cache_dir=tmp_path / "cache")
    shown = web.WebApp(build_bot(missing, progress=False), missing)
    assert "provision-embeddinggemma.sh" in shown.model_warning()
    demo = app_module.build_demo(shown)
    config = demo.get_config_file() if hasattr(demo, "get_config_file") else demo.config
    warnings = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "model-warning"]
    assert warnings and warnings[0]["props"]["visible"] is True
    chosen = Settings.from_env({}, store=tmp_path / "store2", embed_model="none")
    assert web.WebApp(build_bot(chosen, progress=False), chosen).model_warning() == ""
    assert isinstance(demo, gr.Blocks)
