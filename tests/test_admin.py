"""Roles: citizens ask and read at /, officials upload, replace and remove at /admin behind a login.

Real parts throughout: the bundled corpus indexed once (lexical-only), the real app served by
`python app.py` with an accounts file, anonymous HTTP clients that call every event the public
page registers, gradio_client logged in as an official. Also the handlers in this process (the
server-side check of `request.username`) and bot/accounts.py.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest

from ingest.settings import PROJECT_ROOT
from tests.app_server import AppServer, copy_store, lexical_settings, write_accounts
from tests.fixtures import BUNDLED
from tests.test_app import DTI, FAKE_DOC, fake_doc, no_progress, random_pdf

OFFICIAL, PASSWORD = "canbo.vanthu", "mat-khau-thu-nghiem"
BEES = "Mỗi hộ nuôi ong được hỗ trợ tối đa bao nhiêu thùng?"


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def server(base_store, tmp_path_factory):
    """The app with one official's account."""
    store = copy_store(base_store, tmp_path_factory.mktemp("admin-served") / "store")
    write_accounts(store, **{OFFICIAL: PASSWORD})
    with AppServer(store) as running:
        yield running


@pytest.fixture(scope="module")
def official(server):
    from gradio_client import Client

    return Client(server.url + "admin/", auth=(OFFICIAL, PASSWORD), verbose=False)


def snapshot(store_dir: Path):
    """What a write would change: the documents (with their text) and the audit log."""
    from vectorstore.store import Store

    store = Store(store_dir)
    try:
        docs = [(d.meta.doc_id, d.meta.sha256, d.indexed_at, d.chunks, store.document_text(d.meta.doc_id)[0])
                for d in store.documents()]
        return docs, store.audit(1000)
    finally:
        store.close()


def request_as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def make_admin(store: Path, **changes):
    from bot.accounts import Accounts, hash_password
    from bot.admin import AdminApp
    from vectorstore.store import Store

    accounts = Accounts(((OFFICIAL, hash_password(PASSWORD, iterations=1000)),))
    return AdminApp(Store(store), lexical_settings(store, **changes), accounts)


# ------------------------------------------------------------------------- the public app
def call_every_event(url: str, value) -> int:
    """Call every dependency of the page at `url` (hidden ones too, by fn_index, queued or not),
    each input set to value(component). Returns how many calls were made; waits for them all."""
    config = httpx.get(url + "config", timeout=30).json()
    components = {c["id"]: c for c in config["components"]}
    session = secrets.token_hex(8)
    pending = set()
    with httpx.Client(base_url=url, timeout=60) as http:
        for dep in config["dependencies"]:
            body = {"data": [value(components[i]) for i in dep["inputs"]], "fn_index": dep["id"],
                    "session_hash": session, "event_data": None,
                    "trigger_id": dep["targets"][0][0] if dep["targets"] else None}
            if dep["queue"] is False:
                http.post("gradio_api/run/predict", json=body)  # an error reply is fine: nothing written
            else:
                reply = http.post("gradio_api/queue/join", json=body)
                assert reply.status_code == 200, reply.text
                pending.add(reply.json()["event_id"])
        deadline = time.monotonic() + 120
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        pending.discard(msg.get("event_id"))
                    if msg.get("msg") == "close_stream":
                        break
                if not pending or time.monotonic() > deadline:
                    break
    assert not pending, "some events never completed"
    return len(config["dependencies"])


def refused(call) -> bool:
    """An HTTP error status, or the connection dropped (Gradio lets some bad requests raise)."""
    try:
        return call().status_code >= 400
    except httpx.HTTPError:
        return True


def test_an_anonymous_client_calling_every_public_event_changes_nothing(server, tmp_path):
    before = snapshot(server.store)
    config = httpx.get(server.url + "config", timeout=30).json()
    kinds = {c["type"] for c in config["components"]}
    assert "file" not in kinds  # no upload widget on the public page
    assert not {d["api_name"] for d in config["dependencies"]} & {"upload", "remove", "confirm", "ask_remove"}

    doc_id = before[0][0][0]
    n = call_every_event(server.url, lambda c: None)
    call_every_event(server.url, lambda c: doc_id)  # a document id in every input
    call_every_event(server.url, lambda c: [{"path": str(BUNDLED), "meta": {"_type": "gradio.FileData"}}])
    assert n >= 20
    # Named write endpoints do not exist on the public app, by name or by a guessed index.
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for name in ("upload", "remove", "confirm"):
            assert refused(lambda: http.post(f"gradio_api/call/{name}", json={"data": [doc_id]}))
        for fn_index in range(n, n + 10):
            assert refused(lambda: http.post("gradio_api/run/predict", json={
                "data": [doc_id], "fn_index": fn_index, "session_hash": "x"}))
    assert snapshot(server.store) == before
    # The page still answers: the calls broke nothing.
    from gradio_client import Client

    assert "xếp thứ 32" in Client(server.url, verbose=False).predict(DTI, api_name="/ask")["answer"]


def test_the_admin_app_refuses_requests_without_login(server):
    before = snapshot(server.store)
    with httpx.Client(base_url=server.url + "admin/", timeout=30) as http:
        assert http.get("config").status_code == 401
        assert http.get("gradio_api/info").status_code == 401
        for fn_index in range(12):
            body = {"data": [None, None], "fn_index": fn_index, "session_hash": "anon"}
            assert http.post("gradio_api/queue/join", json=body).status_code == 401
            assert http.post("gradio_api/run/predict", json=body).status_code == 401
        for name in ("upload", "remove", "confirm", "ask_remove"):
            assert http.post(f"gradio_api/call/{name}", json={"data": []}).status_code == 401
        assert http.post("gradio_api/upload", files={"files": ("a.txt", b"x")}).status_code == 401
        wrong = http.post("login", data={"username": OFFICIAL, "password": "sai"})
        assert wrong.status_code == 400 and "access-token" not in "".join(wrong.headers.get_list("set-cookie"))
        unknown = http.post("login", data={"username": "khach", "password": PASSWORD})
        assert unknown.status_code == 400
    assert snapshot(server.store) == before


def test_an_official_uploads_replaces_after_confirming_and_removes(server, official, tmp_path):
    from gradio_client import Client, handle_file

    first = fake_doc(tmp_path, "nq12-can-bo.txt")
    bad = random_pdf(tmp_path, "hong-can-bo.pdf")
    report, docs, _choices, audit, _files = official.predict(
        [handle_file(str(first)), handle_file(str(bad))], None, api_name="/upload")
    assert "Đã thêm" in report and "12/NQ-HĐND" in report and "hong-can-bo.pdf" in report and "Lỗi" in report
    row = next(r for r in docs["data"] if r[0] == "12/NQ-HĐND")
    assert row[6].startswith(OFFICIAL)  # "Nạp bởi"
    assert [OFFICIAL, "Nạp tệp", "Đã thêm"] in [r[1:4] for r in audit["data"][:2]]
    public = Client(server.url, verbose=False)
    assert "15 thùng" in public.predict(BEES, "12/NQ-HĐND", api_name="/ask")["answer"]

    # Same number, other content: shown with what changes, not written until confirmed.
    edited = tmp_path / "v2" / first.name
    edited.parent.mkdir()
    edited.write_text(FAKE_DOC.replace("15 thùng", "150 thùng"), encoding="utf-8")
    before = snapshot(server.store)[0]
    report, *_ = official.predict([handle_file(str(edited))], None, api_name="/upload")
    assert "Chờ xác nhận thay thế" in report and "<del>15</del>" in report and "<ins>150</ins>" in report
    assert snapshot(server.store)[0] == before
    assert "15 thùng" in public.predict(BEES, "12/NQ-HĐND", api_name="/ask")["answer"]
    cancelled = official.predict(api_name="/cancel")
    assert "kho không thay đổi" in (cancelled[0] if isinstance(cancelled, (list, tuple)) else cancelled)
    assert official.predict(None, api_name="/confirm")[0] == ""  # nothing pending any more
    assert snapshot(server.store)[0] == before

    official.predict([handle_file(str(edited))], None, api_name="/upload")
    report, docs, _choices, audit, *_ = official.predict(None, api_name="/confirm")
    assert "Đã cập nhật" in report
    assert "150 thùng" in public.predict(BEES, "12/NQ-HĐND", api_name="/ask")["answer"]
    assert [e[1:4] for e in audit["data"][:2]] == [[OFFICIAL, "Nạp tệp", "Đã cập nhật"],
                                                 [OFFICIAL, "Nạp tệp", "Chờ xác nhận thay thế"]]

    # Remove: first the confirmation naming the document, then the removal.
    doc_id = next(d[0] for d in snapshot(server.store)[0] if d[4].count("150 thùng"))
    question = official.predict(doc_id, api_name="/ask_remove")
    question = question[0] if isinstance(question, (list, tuple)) else question
    assert "12/NQ-HĐND" in question and "nuôi ong mật" in question
    message, docs, choices, audit = official.predict(api_name="/remove")
    assert "Đã xóa" in message and "12/NQ-HĐND" in message
    assert all(r[0] != "12/NQ-HĐND" for r in docs["data"]) and choices["value"] is None
    assert audit["data"][0][1:5] == [OFFICIAL, "Xóa", "Đã xóa", doc_id]
    assert [d[0] for d in snapshot(server.store)[0]] == ["70-nq-hdnd-cao-bang"]
    entries = snapshot(server.store)[1]
    assert {e.user for e in entries} == {OFFICIAL, "setup"}
    assert all(len(e.sha256) == 64 for e in entries if e.status != "failed")


def test_a_forged_copy_of_the_resolution_is_not_written_unless_confirmed(server, official, tmp_path):
    """The attack of issue 14, now by an official's mistake: a copy of 70/NQ-HĐND with DTI "32"
    changed. A shorter text is kept out (the indexed copy reads better); a longer one waits for a
    confirmation that shows the change. Either way the answer stays "xếp thứ 32"."""
    from gradio_client import Client, handle_file

    text = BUNDLED.read_text(encoding="utf-8")
    assert "xếp thứ 32" in text
    public = Client(server.url, verbose=False)
    for forged in ("1", "100"):
        path = tmp_path / f"nghi-quyet-70-ban-sua-{forged}.txt"
        path.write_text(text.replace("xếp thứ 32", f"xếp thứ {forged}"), encoding="utf-8")
        before = snapshot(server.store)[0]
        report, *_ = official.predict([handle_file(str(path))], None, api_name="/upload")
        assert "Đã cập nhật" not in report and "Đã thêm" not in report
        assert snapshot(server.store)[0] == before
        assert "xếp thứ 32" in public.predict(DTI, api_name="/ask")["answer"]
    assert "Chờ xác nhận thay thế" in report and "<del>32</del>" in report and "<ins>100</ins>" in report
    official.predict(api_name="/cancel")


def test_chats_go_on_while_an_official_uploads(server, tmp_path):
    """Several citizens ask while an official uploads: every answer arrives, the upload lands."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client, handle_file

    doc = tmp_path / "nq13.txt"
    doc.write_text(FAKE_DOC.replace("12/NQ-HĐND", "13/NQ-HĐND").replace("ong mật", "bò sữa")
                   .replace("thùng ong", "con bò"), encoding="utf-8")

    def ask(_):
        return Client(server.url, verbose=False).predict(DTI, api_name="/ask")["answer"]

    def upload():
        client = Client(server.url + "admin/", auth=(OFFICIAL, PASSWORD), verbose=False)
        return client.predict([handle_file(str(doc))], None, api_name="/upload")[0]

    with ThreadPoolExecutor(max_workers=5) as pool:
        uploading = pool.submit(upload)
        answers = list(pool.map(ask, range(4)))
        report = uploading.result(timeout=120)
    assert all("xếp thứ 32" in a for a in answers)
    assert "Đã thêm" in report and "13/NQ-HĐND" in report


def test_the_admin_page_needs_the_login_and_has_it(server):
    with httpx.Client(timeout=30) as http:
        assert http.get(server.url + "admin").status_code in (307, 308)  # to /admin/
        page = http.get(server.url + "admin/")
        assert page.status_code == 200  # the login page
        assert http.post(server.url + "admin/login", data={"username": OFFICIAL, "password": PASSWORD}).json() \
            == {"success": True}
        config = http.get(server.url + "admin/config").json()  # now logged in (cookie)
        assert config["username"] == OFFICIAL
        assert {"file", "dataframe"} <= {c["type"] for c in config["components"]}
    public = httpx.get(server.url, timeout=30).text
    assert "admin/" in json.dumps(httpx.get(server.url + "config", timeout=30).json(), ensure_ascii=False)
    assert public


# ---------------------------------------------------------------- the handlers in-process
def test_handlers_refuse_a_request_without_an_official(base_store, tmp_path):
    store = copy_store(base_store, tmp_path / "store")
    admin = make_admin(store)
    doc = fake_doc(tmp_path)
    before = snapshot(store)
    for request in (None, request_as(None), request_as("khach")):
        with pytest.raises(gr.Error, match="Cần đăng nhập"):
            admin.upload([str(doc)], request=request, progress=no_progress)
        with pytest.raises(gr.Error):
            admin.confirm([str(doc)], request=request, progress=no_progress)
        with pytest.raises(gr.Error):
            admin.remove("70-nq-hdnd-cao-bang", request=request)
        with pytest.raises(gr.Error):
            admin.ask_remove("70-nq-hdnd-cao-bang", request=request)
    assert snapshot(store) == before


def test_upload_handler_reports_each_file(base_store, tmp_path):
    store = copy_store(base_store, tmp_path / "store")
    admin = make_admin(store)
    me = request_as(OFFICIAL)
    good, bad = fake_doc(tmp_path), random_pdf(tmp_path)
    report, pending, row, table, remove_dd, audit, cleared = admin.upload(
        [str(good), str(bad)], request=me, progress=no_progress)
    assert "Đã thêm" in report and "12/NQ-HĐND" in report and bad.name in report and "Lỗi" in report
    assert pending == [] and row["visible"] is False and cleared is None
    assert set(table["Số hiệu"]) == {"12/NQ-HĐND", "70/NQ-HĐND"}
    assert remove_dd["value"] is None and len(remove_dd["choices"]) == 2  # nothing chosen for removal
    assert list(audit["Tài khoản"])[:2] == [OFFICIAL, OFFICIAL]
    again, *_ = admin.upload([str(good)], request=me, progress=no_progress)
    assert "Đã có sẵn" in again
    copy = tmp_path / "ban-sao.txt"
    copy.write_bytes(BUNDLED.read_bytes())
    dup, *_ = admin.upload([str(copy)], request=me, progress=no_progress)
    assert "Trùng lặp" in dup and "ban-sao.txt" in dup

    small = make_admin(store, max_file_mb=0.0001)
    report, *_ = small.upload([str(fake_doc(tmp_path, "lon.txt"))], request=me, progress=no_progress)
    assert "lon.txt: tệp quá lớn (" in report and "tối đa 0,0001 MB" in report


# ------------------------------------------------------------------------------ accounts
def test_password_hashes_verify_and_are_salted():
    from bot.accounts import Accounts, hash_password, verify_password

    a, b = hash_password("bí mật"), hash_password("bí mật")
    assert a != b and a.startswith("pbkdf2_sha256$") and "bí mật" not in a
    assert verify_password("bí mật", a) and not verify_password("bi mat", a)
    assert not verify_password("x", "not-a-hash") and not verify_password("x", "md5$1$YQ==$YQ==")
    accounts = Accounts((("an", a),))
    assert accounts and accounts.check("an", "bí mật")
    assert not accounts.check("an", "") and not accounts.check("binh", "bí mật") and not accounts.check("", "")
    assert not Accounts()


def test_accounts_from_file_and_environment(tmp_path):
    from bot.accounts import AccountError, hash_password, load_accounts, remove_account, save_account

    path = tmp_path / "admins.txt"
    save_account(path, "an", "mot")
    save_account(path, "binh", "hai")
    save_account(path, "an", "ba")  # a new password replaces the old
    assert oct(path.stat().st_mode & 0o777) == "0o600" and "mot" not in path.read_text()
    accounts = load_accounts(path, f"chi:{hash_password('bon', iterations=1000)}")
    assert accounts.names == ("an", "binh", "chi")
    assert accounts.check("an", "ba") and not accounts.check("an", "mot") and accounts.check("chi", "bon")
    assert remove_account(path, "binh") and not remove_account(path, "binh")
    assert load_accounts(path).names == ("an",)
    assert not load_accounts(tmp_path / "absent.txt", "")

    broken = tmp_path / "hong.txt"
    broken.write_text("# ok\nan:pbkdf2_sha256$1$YQ==$YQ==\nbinh:mat-khau-tho\n", encoding="utf-8")
    with pytest.raises(AccountError, match=r"hong\.txt: entry 3") as raised:
        load_accounts(broken)
    assert "hong.txt" in raised.value.user_message
    with pytest.raises(AccountError, match="VNQA_ADMINS"):
        load_accounts(None, "an=khong-dung-dang")
    with pytest.raises(AccountError):
        save_account(path, "tên có dấu cách", "x")


def test_settings_read_the_admin_variables(tmp_path):
    from ingest.settings import Settings

    s = Settings.from_env({"VNQA_ADMIN_FILE": str(tmp_path / "a.txt"), "VNQA_ADMINS": "an:pbkdf2_sha256$1$a$b"})
    assert s.admin_file == tmp_path / "a.txt" and s.admins.startswith("an:")
    assert Settings.from_env({}).admin_file == PROJECT_ROOT / "admins.txt"


def run_bot(*args: str, env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("VNQA_")} | env
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=full, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_bot_admin_cli_adds_lists_and_removes(tmp_path):
    from bot.accounts import load_accounts

    path = tmp_path / "admins.txt"
    env = {"VNQA_ADMIN_FILE": str(path)}
    added = run_bot("admin", "add", "an", env=env, stdin="mat khau an\n")  # stdin is not a tty
    assert added.returncode == 0, added.stderr
    assert "an" in added.stdout and str(path) in added.stdout
    run_bot("admin", "add", "binh", env={**env, "VNQA_ADMIN_PASSWORD": "mat khau binh"})
    assert load_accounts(path).check("an", "mat khau an") and load_accounts(path).check("binh", "mat khau binh")
    listed = run_bot("admin", "list", env=env)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["an", "binh"]
    assert "mat khau" not in path.read_text() and "pbkdf2" not in listed.stdout
    assert run_bot("admin", "remove", "binh", env=env).returncode == 0
    assert run_bot("admin", "remove", "binh", env=env).returncode == 1
    assert load_accounts(path).names == ("an",)
    empty = run_bot("admin", "add", "chi", env=env, stdin="\n")
    assert empty.returncode == 2 and "Mật khẩu không được để trống" in empty.stderr
    path.write_text("an:khong-phai-hash\n", encoding="utf-8")
    broken = run_bot("admin", "list", env=env)
    assert broken.returncode == 2 and str(path) in broken.stderr
    assert run_bot("admin", "add", env=env).returncode == 2  # usage: NAME is needed
