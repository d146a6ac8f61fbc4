"""The store on disk (real Chroma, real bm25s, real SQLite, real MiniLM): idempotent ingest,
replace, remove, all-or-nothing updates, bad inputs leaving the index unchanged, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.errors import DocumentNotFound
from ingest.pipeline import process_file
from ingest.service import index_files, open_store
from ingest.settings import PROJECT_ROOT
from vectorstore.embed import load_embedder
from vectorstore.store import Store
from vectorstore.types import Filters

from .conftest import BUNDLED
from .fixtures import make_scanned_pdf

OTHER = """Nghị quyết 12/NQ-HĐND năm 2025 về chương trình giám sát năm 2026 tỉnh Thử Nghiệm
HỘI ĐỒNG NHÂN DÂN TỈNH THỬ NGHIỆM
Số: 12/NQ-HĐND
Thử Nghiệm, ngày 05 tháng 12 năm 2025
VỀ CHƯƠNG TRÌNH GIÁM SÁT NĂM 2026
Điều 1. Thông qua chương trình giám sát năm 2026 của Hội đồng nhân dân tỉnh với 4 chuyên đề về đất đai.
Điều 2. Thường trực Hội đồng nhân dân tỉnh tổ chức thực hiện Nghị quyết này./.
"""


def snapshot(store: Store) -> tuple:
    """Everything a reader can observe: documents, chunks, lexical and dense contents."""
    docs = sorted((d.meta.doc_id, d.meta.sha256, d.chunks) for d in store.documents())
    chunk_ids = sorted(c.id for c in store.chunks())
    dense = sorted(store.dense.ids()) if store.dense else []
    return docs, chunk_ids, dense


def test_ingest_is_idempotent_and_records_mode(minilm_settings):
    store = Store(minilm_settings.store, load_embedder(minilm_settings))
    first = index_files(store, [BUNDLED], minilm_settings, progress=False)
    assert [r.status for r in first.results] == ["added"] and first.chunks > 80
    before = snapshot(store)
    assert len(before[2]) == len(before[1])  # a vector for every chunk
    again = index_files(store, [BUNDLED], minilm_settings, progress=False)
    assert [r.status for r in again.results] == ["unchanged"]
    assert snapshot(store) == before
    assert store.recorded_mode.startswith("hybrid")


def test_changed_document_replaces_its_chunks_and_remove_deletes(minilm_settings, tmp_path):
    store = Store(minilm_settings.store, load_embedder(minilm_settings))
    changed = tmp_path / "70.txt"
    changed.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    index_files(store, [changed], minilm_settings, progress=False)
    old = snapshot(store)
    changed.write_text(BUNDLED.read_text(encoding="utf-8").replace("xếp thứ 32", "xếp thứ 30"), encoding="utf-8")
    # The file was edited: nothing changes until the replacement is confirmed, and the
    # refusal shows exactly what would change.
    report = index_files(store, [changed], minilm_settings, progress=False)
    [r] = report.results
    assert r.status == "unconfirmed" and r.changes.total == 1
    assert "xếp thứ 32" in r.changes.changes[0].before and "xếp thứ 30" in r.changes.changes[0].after
    assert snapshot(store) == old
    report = index_files(store, [changed], minilm_settings, progress=False, replace=True, user="tester")
    assert [r.status for r in report.results] == ["updated"]
    assert store.provenance("70-nq-hdnd-cao-bang")[0] == "tester"
    assert [(e.user, e.status) for e in store.audit()[:2]] == [("tester", "updated"), ("?", "unconfirmed")]
    docs, chunk_ids, dense = snapshot(store)
    assert len(docs) == 1 and docs[0][1] != old[0][0][1]
    assert set(chunk_ids) == set(dense)
    assert len(set(chunk_ids) - set(old[1])) == 1  # only the changed item got a new chunk
    hits = store.lexical_search("DTI xếp thứ 30", 3)
    assert "xếp thứ 30" in hits[0].chunk.text
    assert not any("xếp thứ 32" in c.text for c in store.chunks())

    store.remove("70-nq-hdnd-cao-bang")
    assert snapshot(store) == ([], [], [])
    assert store.lexical_search("DTI", 5) == []
    with pytest.raises(DocumentNotFound):
        store.remove("70-nq-hdnd-cao-bang")


def test_crash_mid_document_leaves_previous_state(minilm_settings, tmp_path, monkeypatch):
    store = Store(minilm_settings.store, load_embedder(minilm_settings))
    changed = tmp_path / "70.txt"
    changed.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    index_files(store, [changed], minilm_settings, progress=False)
    before = snapshot(store)
    changed.write_text(BUNDLED.read_text(encoding="utf-8").replace("56,85", "99,99"), encoding="utf-8")
    doc = process_file(changed, minilm_settings)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(store.catalog, "replace", crash)  # dies after the vectors were added
    with pytest.raises(RuntimeError):
        store.upsert(doc, replace=True)
    monkeypatch.undo()
    reopened = Store(minilm_settings.store, load_embedder(minilm_settings))  # reconciles orphans
    assert snapshot(reopened) == before
    hits = reopened.dense_search("GRDP bình quân đầu người", 10)
    assert all("99,99" not in h.chunk.text for h in hits)
    assert any("56,85" in h.chunk.text for h in hits)


def test_bad_inputs_are_refused_and_index_unchanged(lexical_settings, tmp_path):
    store = Store(lexical_settings.store)
    index_files(store, [BUNDLED], lexical_settings, progress=False)
    before = snapshot(store)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "random.pdf").write_bytes(os.urandom(4096))
    (bad / "latin1.txt").write_bytes("Thông báo của Ủy ban về kế hoạch".encode("latin-1", errors="replace"))
    (bad / "table.xls").write_bytes(b"\xd0\xcf\x11\xe0" + os.urandom(100))
    make_scanned_pdf(bad / "scan.pdf")
    copy = bad / "ban-sao.txt"
    copy.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    report = index_files(store, [bad], lexical_settings, progress=False)
    status = {Path(r.path).name: r.status for r in report.results}
    assert status == {"ban-sao.txt": "duplicate", "empty.txt": "failed", "latin1.txt": "failed",
                      "random.pdf": "failed", "scan.pdf": "failed"}  # .xls is not picked from folders
    for r in report.results:
        assert Path(r.path).name in r.error and Path(r.path).name in r.user_error
    assert "OCR" in next(r.error for r in report.results if r.path.endswith("scan.pdf"))
    assert snapshot(store) == before


def test_filters_restrict_both_indexes(minilm_settings, tmp_path):
    other = tmp_path / "12-NQ.txt"
    other.write_text(OTHER, encoding="utf-8")
    store = Store(minilm_settings.store, load_embedder(minilm_settings))
    index_files(store, [BUNDLED, other], minilm_settings, progress=False)
    ids = {d.meta.doc_id for d in store.documents()}
    assert ids == {"70-nq-hdnd-cao-bang", "12-nq-hdnd-thu-nghiem"}
    only = Filters(doc_ids=("12/NQ-HĐND",))
    for hits in (store.lexical_search("Hội đồng nhân dân tỉnh", 10, only),
                 store.dense_search("Hội đồng nhân dân tỉnh", 10, only)):
        assert hits and {h.chunk.doc_id for h in hits} == {"12-nq-hdnd-thu-nghiem"}
    assert {h.chunk.doc_id for h in store.lexical_search("Hội đồng", 20, Filters(issuer="cao bang"))} \
        == {"70-nq-hdnd-cao-bang"}
    assert store.lexical_search("Hội đồng", 20, Filters(year=2024)) == []


def test_lexical_only_when_model_cannot_load(tmp_path, caplog):
    from ingest.settings import Settings

    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache",
                        embed_model=str(tmp_path / "no-such-model"))
    with caplog.at_level("WARNING", logger="vnqa"):
        store = open_store(settings, progress=False)
    assert store.dense is None and store.recorded_mode == "lexical"
    assert any("LEXICAL-ONLY" in r.getMessage() for r in caplog.records)
    assert store.lexical_search("chỉ số chuyển đổi số DTI", 1)[0].chunk.section.endswith("(11)")


def test_catalog_readers_skip_the_model_once_the_store_is_built(tmp_path, monkeypatch):
    """open_store(dense=False) (the targets/tasks tables): an empty store is still built with
    the model; a built one is opened without loading it."""
    import vectorstore.embed
    from ingest.settings import Settings

    from .conftest import minilm_path

    settings = Settings(store=tmp_path / "store", cache_dir=tmp_path / "cache", embed_model=minilm_path())
    first = open_store(settings, progress=False, dense=False)
    assert first.recorded_mode.startswith("hybrid") and first.dense is not None
    first.close()

    def no_model(_settings):
        raise AssertionError("the model must not be loaded to read the tables")

    monkeypatch.setattr(vectorstore.embed, "load_embedder", no_model)
    again = open_store(settings, progress=False, dense=False)
    assert again.dense is None and len(again.catalog.targets()) == 21
    again.close()


def run_cli(*args: str, store: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "VNQA_STORE": str(store), "VNQA_EMBED_MODEL": "none", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_ingest_list_remove(tmp_path):
    store = tmp_path / "store"
    data_file = str(PROJECT_ROOT / "data" / BUNDLED.name)
    first = run_cli(data_file, "-q", store=store)
    assert first.returncode == 0, first.stderr
    assert "Đã lập chỉ mục 1 văn bản" in first.stdout
    listed = json.loads(run_cli("--list", "--json", store=store).stdout)
    assert len(listed) == 1
    doc = listed[0]
    assert doc["number"] == "70/NQ-HĐND" and doc["signer"] == "Bế Thanh Tịnh"
    assert doc["issued"] == "2025-12-11" and doc["issuer"] == "Hội đồng nhân dân tỉnh Cao Bằng"
    assert doc["title"].startswith("Về Kế hoạch phát triển kinh tế - xã hội năm 2026")
    assert doc["chunks"] > 80
    again = run_cli(data_file, "-q", store=store)
    assert again.returncode == 0 and "1 không đổi" in again.stdout

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Thông báo của Ủy ban về kế hoạch".encode("latin-1", errors="replace"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    failed = run_cli(str(bad), str(empty), "-q", store=store)
    assert failed.returncode == 1
    errors = [line for line in failed.stderr.splitlines() if line.startswith("lỗi:")]  # Vietnamese first
    assert len(errors) == 2 and "latin1.txt" in failed.stderr and "empty.txt" in failed.stderr
    assert json.loads(run_cli("--list", "--json", store=store).stdout) == listed

    removed = run_cli("--remove", "70-nq-hdnd-cao-bang", store=store)
    assert removed.returncode == 0
    assert json.loads(run_cli("--list", "--json", store=store).stdout) == []
    assert run_cli("--remove", "nope", store=store).returncode == 2


def test_cli_replace_needs_the_flag_and_writes_are_audited(tmp_path):
    """A file with the number of an indexed document but other content: without --replace the CLI
    shows what would change (Vietnamese; the English detail with -v), writes nothing and exits 1;
    with it, the text is replaced. Every write is audited as cli:<login name>."""
    import getpass

    store = tmp_path / "store"
    original = tmp_path / "nq12.txt"
    original.write_text(OTHER, encoding="utf-8")
    assert run_cli(str(original), "-q", store=store).returncode == 0
    edited = tmp_path / "sua" / "nq12.txt"
    edited.parent.mkdir()
    edited.write_text(OTHER.replace("4 chuyên đề", "14 chuyên đề"), encoding="utf-8")
    listed = run_cli("--list", "--json", store=store).stdout

    refused = run_cli(str(edited), "-q", store=store)
    assert refused.returncode == 1
    assert "chưa thay" in refused.stderr and "12/NQ-HĐND" in refused.stderr
    assert "- " in refused.stderr and "4 chuyên đề" in refused.stderr and "+ " in refused.stderr
    assert "14 chuyên đề" in refused.stderr and "--replace" in refused.stderr
    verbose = run_cli(str(edited), "-q", "-v", store=store)
    assert "would replace the indexed text" in verbose.stderr  # the English detail with -v
    assert run_cli("--list", "--json", store=store).stdout == listed

    replaced = run_cli(str(edited), "--replace", "-q", store=store)
    assert replaced.returncode == 0, replaced.stderr
    assert "1 cập nhật" in replaced.stdout
    [doc] = json.loads(run_cli("--list", "--json", store=store).stdout)
    assert doc["source"] == str(edited) and doc["indexed_by"] == f"cli:{getpass.getuser()}"
    assert run_cli("--remove", doc["doc_id"], store=store).returncode == 0
    assert run_cli("--replace", "--list", store=store).returncode == 2  # --replace goes with files

    opened = Store(store)
    audit = [(e.user, e.action, e.status) for e in opened.audit()]
    opened.close()
    me = f"cli:{getpass.getuser()}"
    assert audit == [(me, "remove", "removed"), (me, "upload", "updated"), (me, "upload", "unconfirmed"),
                     (me, "upload", "unconfirmed"), (me, "upload", "added")]  # refused twice (-v the second time)


def test_an_unchanged_file_is_recognised_by_its_bytes_before_it_is_read(lexical_settings, tmp_path, monkeypatch):
    """A store indexed before file hashes were kept learns them on the next unchanged upload;
    from then on the same bytes are 'unchanged' without being read again."""
    import ingest.service as service

    store = Store(lexical_settings.store)
    index_files(store, [BUNDLED], lexical_settings, progress=False)
    store.catalog._db.execute("UPDATE documents SET file_sha256=''")  # an older store
    assert [r.status for r in index_files(store, [BUNDLED], lexical_settings, progress=False).results] == ["unchanged"]

    def never(*args, **kwargs):
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr(service, "process_file", never)
    again = index_files(store, [BUNDLED], lexical_settings, progress=False)
    assert [r.status for r in again.results] == ["unchanged"] and again.results[0].sha256
