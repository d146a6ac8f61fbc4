"""The rough edges of issue 14 (Build 5), each against the real CLI or store, lexical-only:

- the CLIs refuse bad input before loading the embedding model;
- a normal ingest result is logged at INFO, not WARNING;
- tasks found by agency without diacritics; a query naming an agency matches the agency columns;
- `bot tasks` / `bot targets` print a header; an unnumbered document is named by kind and title;
- a message with no letter or digit is no question: never merged with the previous one;
- a document without a number is cited by its kind and title, never as "[3] › .";
- (issue 24) the CLIs' help, usage errors, error lines and summary line are in Vietnamese.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.errors import QueryError
from ingest.settings import PROJECT_ROOT
from ingest.types import DocMeta
from tests.app_server import app_env, build_store, lexical_settings

# An unnumbered draft plan (what an official uploads before it is signed) and a note with no
# title at all: neither has a số hiệu.
DRAFT = """ỦY BAN NHÂN DÂN TỈNH CAO BẰNG

DỰ THẢO

KẾ HOẠCH
Triển khai chuyển đổi số năm 2026

1. Sở Tài chính chủ trì, phối hợp với các sở, ngành xây dựng dự toán kinh phí chuyển đổi số năm 2026.

2. Sở Khoa học và Công nghệ hướng dẫn các cơ quan triển khai nền tảng số dùng chung trước ngày 30 tháng 6 năm 2026.
"""
NOTE = ("Người dân cần mang theo căn cước khi làm thủ tục đăng ký xe máy điện tại trụ sở công an xã.\n\n"
        "Lệ phí đăng ký xe máy điện là 150.000 đồng.\n")
# Where the model would come from if anything loaded it: loading it fails loudly (load_embedder
# warns "could not be loaded … LEXICAL-ONLY"), so its absence from stderr shows it was not loaded.
NO_MODEL_MESSAGES = ("could not be loaded", "LEXICAL-ONLY")
FAST_S = 5.0  # a refusal without the model (the model alone takes 12-14 s to load on 2 cores)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The bundled resolution plus the draft and the note, indexed lexical-only."""
    from ingest.service import index_files
    from vectorstore.store import Store

    base = tmp_path_factory.mktemp("rough")
    folder = build_store(base / "store")
    (base / "du-thao-ke-hoach.txt").write_text(DRAFT, encoding="utf-8")
    (base / "ghichu.txt").write_text(NOTE, encoding="utf-8")
    opened = Store(folder)
    report = index_files(opened, [base / "du-thao-ke-hoach.txt", base / "ghichu.txt"],
                         lexical_settings(folder), progress=False)
    opened.close()
    assert [r.status for r in report.results] == ["added", "added"], report.results
    return folder


def run(module: str, *args: str, store: Path, model: str = "none") -> tuple[subprocess.CompletedProcess, float]:
    env = app_env(store, embed_model=model)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, time.monotonic() - started


# ------------------------------------------------------------------ refusals without the model
def bad_files(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rong.txt").write_bytes(b"")
    (folder / "gia.pdf").write_text("không phải PDF", encoding="utf-8")
    return [str(folder / "rong.txt"), str(folder / "gia.pdf")]


def test_ingest_cli_refuses_bad_files_without_loading_the_model(tmp_path):
    missing_model = str(tmp_path / "no-such-model")
    files = bad_files(tmp_path / "in")
    done, seconds = run("ingest", *files, "-q", store=tmp_path / "store", model=missing_model)
    assert done.returncode == 1, done.stderr
    # Issue 24: the error lines and the summary in Vietnamese, each file named with its path.
    assert done.stderr.splitlines() == [f"lỗi: rong.txt: tệp rỗng ({files[0]})",
                                        f"lỗi: gia.pdf: tệp không phải PDF hợp lệ ({files[1]})"], done.stderr
    assert not any(m in done.stderr for m in NO_MODEL_MESSAGES), done.stderr
    assert done.stdout.startswith("Đã lập chỉ mục 0 văn bản (0 mới, 0 cập nhật), 2 lỗi; 0 đoạn; "), done.stdout
    assert seconds < FAST_S, (seconds, done.stderr)
    verbose, _ = run("ingest", files[0], "-q", "-v", store=tmp_path / "store", model=missing_model)
    assert f"lỗi: rong.txt: tệp rỗng ({files[0]}: empty file (0 bytes))" in verbose.stderr  # the detail

    # The sentinel works: a file that is written does ask for the model, which fails loudly.
    good = tmp_path / "in" / "ghichu.txt"
    good.write_text(NOTE, encoding="utf-8")
    written, _ = run("ingest", str(good), "-q", store=tmp_path / "store", model=missing_model)
    assert written.returncode == 0 and "Đã lập chỉ mục 1 văn bản (1 mới, 0 cập nhật)" in written.stdout, written.stderr
    assert "Đang nạp mô hình…" in written.stderr and "could not be loaded" in written.stderr
    assert written.stderr.index("Đang nạp mô hình…") < written.stderr.index("could not be loaded")


def test_bot_ask_says_in_vietnamese_that_it_loads_the_model(store, tmp_path):
    """Issue 24: "Đang nạp mô hình…" before the (slow) model load, nothing when no model is asked for."""
    question = "Chỉ tiêu DTI năm 2026 là gì?"
    loading, _ = run("bot", "ask", question, store=store, model=str(tmp_path / "no-such-model"))
    assert loading.returncode == 0 and "xếp thứ 32" in loading.stdout, loading.stderr
    assert loading.stderr.startswith("Đang nạp mô hình…\n"), loading.stderr
    assert "Loading weights" not in loading.stderr
    lexical, _ = run("bot", "ask", question, store=store)
    assert lexical.returncode == 0 and "Đang nạp mô hình" not in lexical.stderr, lexical.stderr


@pytest.mark.parametrize("module, command", [("ingest", []), ("bot", []), ("bot", ["tasks"]), ("bot", ["ask"])])
def test_cli_help_and_usage_errors_are_vietnamese(module, command, tmp_path):
    helped, _ = run(module, *command, "--help", store=tmp_path / "store")
    assert helped.returncode == 0 and helped.stdout.startswith("Cách dùng: python -m " + module), helped.stdout
    assert "tùy chọn:" in helped.stdout and "hiện hướng dẫn này rồi thoát" in helped.stdout
    for english in ("usage:", "options:", "show this help", "positional arguments"):
        assert english not in helped.stdout, (english, helped.stdout)
    wrong, _ = run(module, *command, "--khong-co", store=tmp_path / "store")
    assert wrong.returncode == 2 and f"python -m {module}" in wrong.stderr and ": lỗi: " in wrong.stderr, wrong.stderr
    assert "error:" not in wrong.stderr and "usage:" not in wrong.stderr, wrong.stderr


def test_bot_cli_refuses_a_non_question_and_a_bad_batch_file_without_loading(tmp_path):
    """An empty store would even be built from the bundled corpus if the bot were built."""
    missing_model = str(tmp_path / "no-such-model")
    store = tmp_path / "store"
    for question, message in (("👍😀", "không có câu hỏi"), ("   ", "Vui lòng nhập câu hỏi")):
        done, seconds = run("bot", "ask", question, store=store, model=missing_model)
        assert done.returncode == 3 and message in done.stderr, done.stderr
        assert not any(m in done.stderr for m in NO_MODEL_MESSAGES) and seconds < FAST_S, seconds
    done, seconds = run("bot", "batch", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o.jsonl"),
                        store=store, model=missing_model)
    assert done.returncode == 2 and "không đọc được tệp" in done.stderr, done.stderr
    assert not any(m in done.stderr for m in NO_MODEL_MESSAGES) and seconds < FAST_S, seconds
    assert not store.exists()  # nothing was opened, let alone built


# --------------------------------------------------------------------------------- log levels
def test_ingest_results_are_logged_at_info(tmp_path, caplog):
    """The first-run indexing of the bundled corpus and each file's result (added, unchanged,
    refused) are INFO; nothing at WARNING in a lexical-only setup that asked for no model."""
    from ingest.service import index_files, open_store

    settings = lexical_settings(tmp_path / "store")
    with caplog.at_level(logging.DEBUG, logger="vnqa"):
        opened = open_store(settings, progress=False)
        note = tmp_path / "ghichu.txt"
        note.write_text(NOTE, encoding="utf-8")
        report = index_files(opened, [note, PROJECT_ROOT / "data", *bad_files(tmp_path / "bad")], settings,
                             progress=False)
    opened.close()
    assert [r.status for r in report.results] == ["added", "unchanged", "failed", "failed"]
    records = [r for r in caplog.records if r.name == "vnqa"]
    assert not [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    messages = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert any("documents indexed" in m for m in messages), messages  # the first-run summary
    for name in ("ghichu.txt", "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt", "rong.txt", "gia.pdf"):
        assert any(m.startswith(name + ":") for m in messages), (name, messages)


# ---------------------------------------------------------------------------------- tasks
def test_bot_tasks_header_folded_agency_and_unnumbered_documents(store):
    done, _ = run("bot", "tasks", "--agency", "so tai chinh", store=store)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header == "Văn bản\tMục\tCơ quan chủ trì\tNhiệm vụ (thời hạn)"
    assert len(rows) == 1 and rows[0].split("\t")[:3] == [
        "Kế hoạch triển khai chuyển đổi số năm 2026", "Khoản 1", "Sở Tài chính"], rows

    everything, _ = run("bot", "tasks", store=store)
    lines = everything.stdout.splitlines()
    assert lines[0] == header and len(lines) > 50
    assert all(len(x.split("\t")) == 4 and x.split("\t")[0].strip() for x in lines[1:])
    targets, _ = run("bot", "targets", store=store)
    assert targets.stdout.splitlines()[0] == "Văn bản\tMã\tChỉ tiêu\tGiá trị\tMục"


def test_tasks_table_query_naming_an_agency_matches_the_agency_columns(store):
    from bot import tables
    from vectorstore.store import Store

    opened = Store(store)
    try:
        for query, agency in (("uy ban nhan dan tinh", "ủy ban nhân dân tỉnh"), ("so tai chinh", "sở tài chính"),
                              ("Sở Khoa học", "sở khoa học")):
            table, _ = tables.tasks_table(opened, query)
            assert len(table) >= 1, query
            assert all(agency in f"{a} {c}".lower() for a, c in zip(table["Cơ quan chủ trì"], table["Phối hợp"])), \
                (query, list(table["Cơ quan chủ trì"]))
        drafts = tables.tasks_table(opened, "nen tang so dung chung")[0]  # not an agency: the task text
        assert list(drafts["Văn bản"]) == ["Kế hoạch triển khai chuyển đổi số năm 2026"]
    finally:
        opened.close()


def test_search_tasks_rules():
    from bot.tables import search_tasks

    rows = [["Rà soát số liệu thống kê", "", "", "", "", "1", "A"],
            ["Tổ chức triển khai Nghị quyết", "Ủy ban nhân dân tỉnh", "", "", "", "2", "A"],
            ["Báo cáo Ủy ban nhân dân tỉnh kết quả", "Sở Tài chính", "", "", "", "3", "A"]]
    assert [r[5] for r in search_tasks(rows, "uy ban nhan dan tinh")] == ["2"]  # not the mention in 3
    assert [r[5] for r in search_tasks(rows, "ubnd")] == []  # an agency query: no loose fallback
    assert [r[5] for r in search_tasks(rows, "so tai chinh")] == ["3"]
    assert [r[5] for r in search_tasks(rows, "so lieu")] == ["1"]  # "số liệu": no agency has it
    assert [r[5] for r in search_tasks(rows, "bao cao")] == ["3"]  # no agency query: every column
    assert len(search_tasks(rows, "")) == 3


# ---------------------------------------------------------------------------- non-questions
HISTORY = [{"role": "user", "content": "Chỉ tiêu DTI năm 2026 là gì?"},
           {"role": "assistant", "content": "xếp thứ 32 [1]"}]


@pytest.mark.parametrize("message", ["👍", "😀😀", "???", " … ! "])
def test_a_message_without_letters_is_no_question_and_never_merged(message):
    from bot.followup import rewrite
    from bot.query import NO_QUESTION, make_query

    rw = rewrite(message, HISTORY)
    assert not rw.is_followup and rw.standalone == message
    with pytest.raises(QueryError) as caught:
        make_query(message)
    assert caught.value.user_message == NO_QUESTION and "đặt câu hỏi" in NO_QUESTION
    assert rewrite("Còn PAR Index thì sao?", HISTORY).is_followup  # real follow-ups still are
    # nor is it the previous question of the next follow-up
    after = rewrite("Còn PAR Index thì sao?", HISTORY + [{"role": "user", "content": message},
                                                        {"role": "assistant", "content": NO_QUESTION}])
    assert after.is_followup and after.standalone.endswith(HISTORY[0]["content"])


def test_the_bot_answers_a_non_question_with_a_prompt(store):
    from bot.service import build_bot

    bot = build_bot(lexical_settings(store), progress=False)
    try:
        with pytest.raises(QueryError) as caught:
            bot.ask("👍", HISTORY)
        assert "Hãy đặt câu hỏi" in caught.value.user_message
        answer, _ = bot.ask("Còn PAR Index thì sao?", HISTORY)
        assert answer.rewritten and "xếp thứ 29" in answer.text  # a real follow-up is merged

        from bot.web import WebApp

        # The chat shows the message and the prompt as an answer (not an error), and keeps the
        # message out of the history the next follow-up reads.
        *_, (chat, history, status, box) = WebApp(bot).respond("👍", [], list(HISTORY), None)
        assert [m["role"] for m in chat] == ["user", "assistant"] and "Hãy đặt câu hỏi" in chat[1]["content"]
        assert 'class="error"' not in chat[1]["content"] and history == HISTORY and box == ""
    finally:
        bot.store.close()


# ---------------------------------------------------------------------------------- labels
def test_documents_without_a_number_are_named_by_kind_and_title():
    draft = DocMeta(doc_id="ke-hoach-cds", type="Kế hoạch", title="Triển khai chuyển đổi số năm 2026")
    assert draft.label == "Kế hoạch triển khai chuyển đổi số năm 2026"
    assert DocMeta(doc_id="x", title="Tổ chức hội nghị tổng kết").label == "Văn bản tổ chức hội nghị tổng kết"
    untitled = DocMeta(doc_id="doc-7a838e0c8e9d", title=" . ", number=" ", source="/tmp/up/ghichu.txt")
    assert untitled.label == "Văn bản ghichu.txt"
    assert DocMeta(doc_id="doc-1", title="…").label == "doc-1"
    assert DocMeta(doc_id="d", number="70/NQ-HĐND", title="Về kế hoạch").label == "70/NQ-HĐND"


def test_citations_of_unnumbered_documents_name_them(store):
    from bot import render
    from bot.types import Answer, Citation

    bare = Citation(n=3, doc_id="doc-1", number="", title="", section=".", quote="Câu trích.", start=0, end=10)
    assert bare.where == "doc-1" and bare.document == "doc-1"
    labelled = Citation(n=3, doc_id="d", number="", title="", section="", quote="Câu.", start=0, end=4,
                        label="Kế hoạch triển khai chuyển đổi số năm 2026", page=2)
    assert labelled.where == "Kế hoạch triển khai chuyển đổi số năm 2026, trang 2"

    from bot.service import build_bot

    bot = build_bot(lexical_settings(store), progress=False)
    try:
        for question, name in (("Lệ phí đăng ký xe máy điện là bao nhiêu?", "Văn bản ghichu.txt"),
                               ("Sở Tài chính xây dựng dự toán kinh phí chuyển đổi số năm nào?",
                                "Kế hoạch triển khai chuyển đổi số năm 2026")):
            answer, _ = bot.ask(question)
            assert not answer.abstained and answer.citations, answer.text
            cite = answer.citations[0]
            assert cite.number == "" and cite.label == name and cite.where.startswith(name + " › ")
            html = render.sources_html(answer, bot.store)
            assert re.search(f'class="src-doc"[^>]*>{name}</span>', html), html[:400]
            assert "› ." not in answer.text and "] ›" not in answer.text
        empty = render.sources_html(Answer("x [1]", citations=(bare,)), bot.store)
        assert 'class="src-doc">doc-1<' in empty and "src-sec" not in empty  # no bare "›"
    finally:
        bot.store.close()

