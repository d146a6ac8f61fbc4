"""Hostile files (issue 14, point 2): each is read or refused within the reading budget of
`ingest.limits`: 30 s and 1.5 GB of peak memory, measured in a child process (`os.wait4`), with a
clear error naming the file in English and Vietnamese when refused. Lexical-only settings.

Before the budget: a page nested 100k <div> deep was still parsing after 600 s; a 3.4 MB .docx
declaring 100 bytes for 1 GB of XML took 1.9 GB as soon as its entry was inflated; a 645 KB .docx
holding 190 MB of XML took minutes and gigabytes; 700k short lines took over 2 minutes to clean,
200k list lines 60 s (joined into one paragraph by adding to a string), 40k articles 35 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingest.chunk import MAX_CHARS
from vectorstore.store import Store

from .conftest import BUNDLED
from .hostile import (CONTENT_TYPES, RELS, deep_html, deflate, docx, framed, no_space_line, process_measured,
                      repeated_paragraphs, run_measured, varied_paragraphs, write_zip)

BUDGET_S = 30.0
BUDGET_MB = 1536.0
KILL_S = BUDGET_S + 90  # the child's imports and warm-up come on top of the budget
LEXICAL = {"VNQA_EMBED_MODEL": "none", "VNQA_OCR": "0"}


@pytest.fixture(scope="module")
def gigabyte_document():
    """document.xml of 1 GB of one repeated paragraph, deflated to 3.4 MB."""
    return deflate("word/document.xml", framed(repeated_paragraphs(1_000_000_000)))


def lying_docx(path: Path, document, declared: int) -> Path:
    parts = [deflate("[Content_Types].xml", [CONTENT_TYPES]), deflate("_rels/.rels", [RELS]), document]
    return write_zip(path, parts, {document.name: declared})


def text_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def lines_txt(path: Path, n: int) -> Path:
    path.write_text("\n".join(str(i) for i in range(n)), encoding="utf-8")
    return path


# name -> (builder(folder, gigabyte_document), expected status, expected error class)
CASES = {
    "deep.html": (lambda f, g: deep_html(f / "deep.html", 100_000), "refused", "CorruptFile"),
    "lying.docx": (lambda f, g: lying_docx(f / "lying.docx", g, 100), "refused", "CorruptFile"),
    "lying-30mb.docx": (lambda f, g: lying_docx(f / "lying-30mb.docx", g, 30 << 20), "refused", "CorruptFile"),
    "bomb.docx": (lambda f, g: docx(f / "bomb.docx", repeated_paragraphs(190_000_000)), "refused", "FileTooLarge"),
    "dense.docx": (lambda f, g: docx(f / "dense.docx", varied_paragraphs(9_000_000)), "refused", "FileTooLarge"),
    "line.txt": (lambda f, g: no_space_line(f / "line.txt", 5_000_000), "done", ""),
    "line.md": (lambda f, g: no_space_line(f / "line.md", 5_000_000), "done", ""),
    "over-cap.txt": (lambda f, g: text_file(f / "over-cap.txt", "a" * 5_000_001), "refused", "FileTooLarge"),
    "lines.txt": (lambda f, g: lines_txt(f / "lines.txt", 200_000), "done", ""),
    "2.4m-lines.txt": (lambda f, g: lines_txt(f / "2.4m-lines.txt", 2_400_000), "refused", "FileTooLarge"),
    "articles.txt": (lambda f, g: text_file(f / "articles.txt", "".join(
        f"Điều {i}. Quy định số {i}\n1. Khoản một của điều {i}.\na) Điểm a nội dung {i}.\n" for i in range(40_000))),
        "done", ""),
    "list.txt": (lambda f, g: text_file(f / "list.txt", "".join(
        f"{i}. mục liệt kê số {i}\n- gạch đầu dòng {i}\n" for i in range(100_000))), "done", ""),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_read_or_refused_within_budget(name, tmp_path, gigabyte_document):
    build, status, kind = CASES[name]
    path = build(tmp_path, gigabyte_document)
    got, run = process_measured(path, tmp_path, KILL_S)
    assert run.returncode == 0, f"{name}: child killed or crashed after {run.seconds:.0f} s: {run.stderr[-2000:]}"
    assert got["seconds"] < BUDGET_S, f"{name}: {got['seconds']:.1f} s"
    assert run.peak_mb < BUDGET_MB, f"{name}: peak RSS {run.peak_mb:.0f} MB"
    assert got["status"] == status, got
    if status == "refused":
        assert got["kind"] == kind, got
        assert got["error"].startswith(str(path)), got  # English, naming the file
        assert got["user_message"].startswith(f"{name}: "), got  # Vietnamese, naming the file
        assert not got["user_message"].isascii(), got
    else:
        assert 0 < got["longest"] <= MAX_CHARS, got


def test_over_cap_error_is_clear(tmp_path):
    """The text cap names the limit, and tells the user what to do, in both languages."""
    from ingest.errors import FileTooLarge
    from ingest.load import load

    path = tmp_path / "dài.md"
    path.write_text("Điều 1. " + "x" * 5_000_000, encoding="utf-8")
    with pytest.raises(FileTooLarge) as caught:
        load(path, max_bytes=20 << 20)
    assert "5,000,000 characters" in str(caught.value) and "split" in str(caught.value)
    assert caught.value.user_message == "dài.md: văn bản quá dài (hơn 5.000.000 ký tự), hãy tách thành nhiều tệp"


def test_cli_refuses_hostile_files_and_keeps_the_store(tmp_path, gigabyte_document):
    """`python -m ingest` on a store holding a document: the hostile files are refused, each
    named on stderr; the good one is indexed; what was indexed stays; time and memory bounded."""
    store = tmp_path / "store"
    first = run_measured([sys.executable, "-m", "ingest", "-q", "--store", str(store), str(BUNDLED)], KILL_S,
                         LEXICAL)
    assert first.returncode == 0, first.stderr
    before = {d.meta.doc_id: d.chunks for d in Store(store).documents()}
    hostile = [deep_html(tmp_path / "deep.html", 100_000), lying_docx(tmp_path / "lying.docx", gigabyte_document, 100),
               docx(tmp_path / "bomb.docx", repeated_paragraphs(190_000_000))]
    good = no_space_line(tmp_path / "line.txt", 5_000_000)
    run = run_measured([sys.executable, "-m", "ingest", "-q", "--store", str(store), *map(str, hostile), str(good)],
                       KILL_S + 2 * BUDGET_S, LEXICAL)
    assert run.returncode == 1, run.stderr  # some files failed
    assert run.peak_mb < BUDGET_MB, f"peak RSS {run.peak_mb:.0f} MB"
    assert run.seconds < KILL_S, f"{run.seconds:.0f} s"
    for path in hostile:  # each named on a line of its own, in Vietnamese and in English
        assert any(f"{path.name}: " in line and str(path) in line for line in run.stderr.splitlines()), run.stderr
    assert str(good) not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert "Đã lập chỉ mục 1 văn bản" in run.stdout and "3 lỗi" in run.stdout, run.stdout
    after = {d.meta.doc_id: d.chunks for d in Store(store).documents()}
    assert len(after) == len(before) + 1 and all(after[k] == v for k, v in before.items()), (before, after)
