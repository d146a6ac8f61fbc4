"""`python -m bot ask|batch|targets|tasks|admin` — the command line of the assistant.

  ask "câu hỏi" [--json] [--doc ID] [--url URL]   one answer (JSON = the app's /ask endpoint);
                                          with --url, asked of a running app through /ask (no model here)
  batch IN.jsonl --out OUT.jsonl          one output line per input line (stable contract)
  targets [--json] [--doc ID]             the numbered targets (chỉ tiêu) as a table
  tasks [--json] [--agency TEXT] [--doc ID]   the task assignments (nhiệm vụ)
  (targets and tasks print a header line, then tab-separated rows; a document without a number
  is named by its kind and title)
  admin add NAME | remove NAME | list     officials' accounts of the web app's /admin (the
                                          password: prompted, else stdin, else $VNQA_ADMIN_PASSWORD)
All take --store DIR; commands that need the index build the default one when the store is empty.
A question or batch file that cannot be answered is refused before the model is loaded; loading
it says "Đang nạp mô hình…". Help, errors and summaries are in Vietnamese (the English detail of
an error with --verbose).
Exit status: 0 ok, 2 usage/store error, 3 a question could not be processed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ingest.errors import QueryError, VnqaError
from ingest.settings import Settings, configure_runtime
from ingest.text import fold
from vectorstore.types import Filters

from ingest.__main__ import vietnamese_parser

from .tables import document_names

log = logging.getLogger("vnqa")

def main(argv: list[str] | None = None) -> int:
    parser = vietnamese_parser("python -m bot", "Hỏi đáp văn bản (dòng lệnh).")
    parser.add_argument("--store", type=Path, metavar="THƯ_MỤC", help="thư mục kho (mặc định: $VNQA_STORE hoặc ./store)")
    parser.add_argument("-v", "--verbose", action="store_true", help="in thêm chi tiết (kể cả lỗi kỹ thuật bằng tiếng Anh)")
    sub = parser.add_subparsers(dest="cmd", required=True, title="lệnh", metavar="LỆNH")
    ask = sub.add_parser("ask", help="trả lời một câu hỏi", description="Trả lời một câu hỏi.")
    ask.add_argument("question", metavar="CÂU_HỎI")
    ask.add_argument("--json", action="store_true", help="in dạng JSON (như API /ask của ứng dụng)")
    ask.add_argument("--doc", help="chỉ tìm trong văn bản này (doc_id hoặc số hiệu)")
    ask.add_argument("--url", metavar="ĐỊA_CHỈ",
                     help="hỏi ứng dụng đang chạy qua API /ask (vd. http://127.0.0.1:7860), không nạp mô hình")
    batch = sub.add_parser("batch", help="trả lời một tệp JSONL câu hỏi", description="Trả lời một tệp JSONL câu hỏi.")
    batch.add_argument("input", type=Path, metavar="TỆP_VÀO", help="mỗi dòng một JSON {\"question\": …}")
    batch.add_argument("--out", type=Path, required=True, metavar="TỆP_RA", help="tệp JSONL kết quả")
    targets = sub.add_parser("targets", help="liệt kê các chỉ tiêu", description="Liệt kê các chỉ tiêu có đánh số.")
    targets.add_argument("--json", action="store_true", help="in dạng JSON")
    targets.add_argument("--doc", help="chỉ văn bản này (doc_id)")
    tasks = sub.add_parser("tasks", help="liệt kê các nhiệm vụ được giao", description="Liệt kê các nhiệm vụ được giao.")
    tasks.add_argument("--json", action="store_true", help="in dạng JSON")
    tasks.add_argument("--agency", metavar="CƠ_QUAN", help="một phần tên cơ quan chủ trì (có dấu hay không đều được)")
    tasks.add_argument("--doc", help="chỉ văn bản này (doc_id)")
    admin = sub.add_parser("admin", help="tài khoản quản trị của ứng dụng web (/admin)",
                           description="Thêm, xóa, liệt kê tài khoản quản trị của ứng dụng web (/admin).")
    admin.add_argument("action", choices=["add", "remove", "list"], metavar="add|remove|list",
                       help="thêm, xóa hoặc liệt kê tài khoản")
    admin.add_argument("name", nargs="?", metavar="TÊN", help="tên tài khoản (với add, remove)")
    for p in (ask, batch, targets, tasks):
        p.add_argument("--store", type=Path, default=argparse.SUPPRESS, metavar="THƯ_MỤC", help="thư mục kho")
    args = parser.parse_args(argv)
    if args.cmd == "admin" and (args.action == "list") != (args.name is None):
        parser.error("admin add TÊN | admin remove TÊN | admin list")

    configure_runtime(args.verbose)
    quiet_model_loading()
    settings = Settings.from_env(store=args.store)
    try:
        if args.cmd == "admin":
            try:
                return _admin(settings, args.action, args.name)
            except VnqaError as e:
                _error(e, args.verbose)
                return 2
        if args.cmd in ("targets", "tasks"):
            from ingest.service import open_store

            store = open_store(settings, dense=False)  # the tables need no model
            return _targets(store, args) if args.cmd == "targets" else _tasks(store, args)
        # What can be refused is refused before the model and the index are loaded.
        if args.cmd == "ask":
            from .query import check_question

            check_question(args.question)
            if args.url:
                return _ask_remote(args)
            return _ask(_build(settings), args)
        lines = _read_lines(args.input)
        if lines is None:
            return 2
        return _batch(_build(settings) if any(x.strip() for x in lines) else None, lines, args.out)
    except QueryError as e:
        _error(e, args.verbose)
        return 3
    except VnqaError as e:
        _error(e, args.verbose)
        return 2


def _error(e: VnqaError, verbose: bool) -> None:
    """The Vietnamese message; the English detail only with --verbose."""
    print(f"Lỗi: {e.user_message}" + (f"\n({e})" if verbose else ""), file=sys.stderr)


def _build(settings: Settings):
    from .service import build_bot

    if settings.dense_enabled:
        print("Đang nạp mô hình…", file=sys.stderr, flush=True)
    return build_bot(settings)


def quiet_model_loading() -> None:
    """No English "Loading weights" bar from transformers (it reads huggingface_hub's switch)."""
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()


def _ask(bot, args) -> int:
    filters = Filters(doc_ids=(args.doc,)) if args.doc else None
    answer, ms = bot.ask(args.question, filters=filters)
    if args.json:
        from .service import answer_record

        print(json.dumps(answer_record(args.question, answer, ms, bot.store), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print("\nNguồn:")
        for c in answer.citations:
            print(f"  [{c.n}] {c.where}\n      “{c.quote}”")
    for flag in answer.flags:
        print(f"(!) {flag}", file=sys.stderr)
    return 0


def _ask_remote(args) -> int:
    """The question asked of a running app through its /ask API: the same JSON, printed as `ask`
    prints a local answer."""
    from gradio_client import Client

    try:
        record = Client(args.url, verbose=False).predict(args.question, args.doc, api_name="/ask")
    except Exception as e:  # noqa: BLE001 (no server, another app, an error it reports)
        print(f"Lỗi: không hỏi được ứng dụng tại {args.url} ({type(e).__name__}).", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    print(record["answer"])
    if record["citations"]:
        print("\nNguồn:")
        for c in record["citations"]:
            where = " › ".join(x for x in (c["number"] or c["label"], c["section"]) if x)
            page = f", trang {c['page']}" if c["page"] else ""
            print(f"  [{c['n']}] {where}{page}\n      “{c['text']}”")
    for flag in record["flags"]:
        print(f"(!) {flag}", file=sys.stderr)
    return 0


def batch_record(bot, line: str, lineno: int) -> dict:
    """One output record for one input line; a malformed line gives an error record (with the
    line's id when it has one)."""
    item = None
    try:
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise ValueError('expected an object with a "question" string')
        history = item.get("history") or []
        if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
            raise ValueError('"history" must be a list of {"role", "content"} objects')
    except ValueError as e:
        qid = item.get("id") if isinstance(item, dict) else None
        return {"id": qid, "line": lineno, "error": f"line {lineno}: {e}"}
    qid = item.get("id", lineno)
    try:
        answer, ms = bot.ask(item["question"], history)
    except QueryError as e:
        return {"id": qid, "question": item["question"], "error": str(e)}
    data = answer.to_json()
    return {
        "id": qid, "question": item["question"], "answer": data["answer"],
        "abstained": data["abstained"],
        "citations": [{k: c[k] for k in ("doc_id", "number", "section", "text")} for c in data["citations"]],
        "retrieved": [{k: r[k] for k in ("doc_id", "section", "text", "score")} for r in data["retrieved"]],
        "latency_ms": round(ms, 1),
        "mode": data["mode"], "flags": data["flags"],
    }


def _read_lines(src: Path) -> list[str] | None:
    """The lines of a batch input; None (after saying why on stderr) when it cannot be read."""
    try:
        return src.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        print(f"Lỗi: không đọc được tệp {src} (UTF-8, mỗi dòng một câu hỏi JSON).", file=sys.stderr)
        log.info("cannot read %s: %s", src, e)
        return None


def _batch(bot, lines: list[str], out: Path) -> int:
    """`bot` is None when there is no question (the model is then never loaded)."""
    from tqdm import tqdm

    out.parent.mkdir(parents=True, exist_ok=True)
    errors = 0
    with out.open("w", encoding="utf-8") as fh:
        for lineno, line in enumerate(tqdm(lines, desc="Trả lời", unit="câu"), start=1):
            if not line.strip():
                continue
            record = batch_record(bot, line, lineno)
            errors += "error" in record
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len([l for l in lines if l.strip()])} câu hỏi, {errors} lỗi -> {out}", file=sys.stderr)
    return 0


def _admin(settings: Settings, action: str, name: str | None) -> int:
    """Manage the accounts file (settings.admin_file); accounts of $VNQA_ADMINS are only listed."""
    from .accounts import load_accounts, remove_account, save_account

    path = settings.admin_file
    if action == "list":
        in_file = load_accounts(path).names
        in_env = load_accounts(None, settings.admins).names
        for n in in_file:
            print(f"{n}\t{path}")
        for n in in_env:
            print(f"{n}\tVNQA_ADMINS")
        if not in_file and not in_env:
            print(f"Chưa có tài khoản quản trị: không có trang /admin, kho do dòng lệnh quản lý "
                  f"(no accounts in {path} or VNQA_ADMINS)", file=sys.stderr)
        return 0
    if action == "remove":
        if not remove_account(path, name):
            print(f"Không có tài khoản {name} trong {path} (no such account)", file=sys.stderr)
            return 1
        print(f"Đã xóa tài khoản {name} ({path})")
        return 0
    password = _read_password()
    save_account(path, name, password)
    load_accounts(path)  # the file still reads back
    print(f"Đã lưu tài khoản {name} vào {path}; đăng nhập tại /admin của ứng dụng (khởi động lại ứng dụng).")
    return 0


def _read_password() -> str:
    """$VNQA_ADMIN_PASSWORD, else typed twice at a terminal, else the first line of stdin."""
    if os.environ.get("VNQA_ADMIN_PASSWORD"):
        return os.environ["VNQA_ADMIN_PASSWORD"]
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Mật khẩu: ")
        if first != getpass.getpass("Nhập lại mật khẩu: "):
            from .accounts import AccountError

            raise AccountError("the passwords differ", "Hai lần nhập mật khẩu không khớp.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


TARGETS_HEADER = "Văn bản\tMã\tChỉ tiêu\tGiá trị\tMục"
TASKS_HEADER = "Văn bản\tMục\tCơ quan chủ trì\tNhiệm vụ (thời hạn)"


def _targets(store, args) -> int:
    rows = [t.to_dict() for t in store.targets(args.doc)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    names = document_names(store)
    print(TARGETS_HEADER)
    for t in rows:
        doc = t["number"] or names.get(t["doc_id"], t["doc_id"])
        print(f"{doc}\t{t['code']}\t{t['indicator']}\t{t['value']}\t{t['section']}")
    return 0


def _tasks(store, args) -> int:
    """The tasks; a task naming no agency has the lead agency its document's implementation
    clause gives ("agency_inherited_from": that clause's section and text)."""
    from ingest.tasks import lead_agencies

    tasks = store.tasks(args.doc)
    rows = []
    for t, lead in zip(tasks, lead_agencies(tasks)):
        row = t.to_dict()
        if lead.inherited:
            row.update(agency=lead.agency, agency_label=lead.label(),
                       agency_inherited_from={"section": lead.clause.section, "text": lead.clause.text})
        rows.append(row)
    if args.agency:
        rows = [t for t in rows if fold(args.agency) in fold(t["agency"])]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    names = document_names(store)
    print(TASKS_HEADER)
    for t in rows:
        period = f" ({t['period']})" if t["period"] else ""
        doc = t["number"] or names.get(t["doc_id"], t["doc_id"])
        print(f"{doc}\t{t['section']}\t{t.get('agency_label') or t['agency'] or '—'}\t{t['task']}{period}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
