"""`python -m ingest PATH... [--replace] | --list [--json] | --remove DOC_ID`, each with `--store DIR`.

A file with the number of an indexed document but other content is not written unless
`--replace` confirms it: without it, what would change is printed and the file counts as failed.
Every write is recorded in the store's audit log as "cli:<login name>".
Exit status: 0 on success, 1 if any file failed or waits for --replace (each one on stderr, in
Vietnamese; the English detail with --verbose), 2 on usage or store errors. Help, errors and
the summary line are in Vietnamese. The embedding model is loaded
only once a file is ready to be written: refusing bad files takes no model.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from .errors import VnqaError
from .settings import Settings, configure_runtime


def main(argv: list[str] | None = None) -> int:
    parser = vietnamese_parser("python -m ingest", "Lập chỉ mục văn bản vào kho: nạp tệp, liệt kê hoặc xóa văn bản.")
    parser.add_argument("paths", nargs="*", metavar="TỆP", help="tệp hoặc thư mục (đọc cả thư mục con) cần lập chỉ mục")
    parser.add_argument("--store", type=Path, metavar="THƯ_MỤC", help="thư mục kho (mặc định: $VNQA_STORE hoặc ./store)")
    parser.add_argument("--list", action="store_true", help="liệt kê các văn bản đã lập chỉ mục")
    parser.add_argument("--json", action="store_true", help="dùng với --list: in dạng JSON")
    parser.add_argument("--remove", metavar="DOC_ID", help="xóa một văn bản theo doc_id")
    parser.add_argument("--replace", action="store_true",
                        help="xác nhận thay nội dung đã lập chỉ mục của văn bản cùng số hiệu")
    parser.add_argument("-q", "--quiet", action="store_true", help="không hiện thanh tiến trình")
    parser.add_argument("-v", "--verbose", action="store_true", help="in thêm chi tiết (kể cả lỗi kỹ thuật bằng tiếng Anh)")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.paths, args.list, args.remove)) != 1:
        parser.error("hãy cho đúng một trong: TỆP..., --list hoặc --remove DOC_ID")
    if args.replace and not args.paths:
        parser.error("--replace đi kèm TỆP...")

    configure_runtime(args.verbose)
    settings = Settings.from_env(store=args.store)
    try:
        from vectorstore.embed import load_embedder
        from vectorstore.store import Store

        if args.list:
            return _list(Store(settings.store), args.json)
        from .service import index_files, remove_document

        store = Store(settings.store, None, sync=False)  # the model is loaded for the first write
        if args.remove:
            remove_document(store, args.remove, cli_user())
            print(f"Đã xóa {args.remove}")
            return 0

        def embedder():
            if settings.dense_enabled:
                print("Đang nạp mô hình…", file=sys.stderr, flush=True)
            return load_embedder(settings)

        report = index_files(store, args.paths, settings, progress=not args.quiet, user=cli_user(),
                             replace=args.replace, embedder=embedder)
        for r in report.results:
            if r.status in ("failed", "duplicate", "alternate"):
                print(refused_text(r, args.verbose), file=sys.stderr)
            elif r.status == "unconfirmed":
                print(unconfirmed_text(r, args.verbose), file=sys.stderr)
        print(summary_text(report) + f" [kho: {settings.store}, chế độ tìm kiếm: {MODES.get(store.recorded_mode, store.recorded_mode)}]")
        return 1 if report.failures or report.unconfirmed or not report.results else 0
    except VnqaError as e:
        print(f"Lỗi: {e.user_message}" + (f" ({e})" if args.verbose else ""), file=sys.stderr)
        return 2


MODES = {"hybrid": "kết hợp từ khóa và ngữ nghĩa", "lexical": "từ khóa (BM25)", "empty": "kho trống"}

# argparse's own words (usage, headings, its error lines) in Vietnamese.
_ARGPARSE_VN = {
    "usage: ": "Cách dùng: ", "positional arguments": "tham số", "options": "tùy chọn",
    "show this help message and exit": "hiện hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không hiểu: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "expected one argument": "cần một giá trị", "expected at least one argument": "cần ít nhất một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn mơ hồ: %(option)s có thể là %(matches)s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "not allowed with argument %s": "không dùng cùng tham số %s",
}


def vietnamese_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser whose usage, headings and errors are in Vietnamese (argparse looks its
    words up through the module's gettext function; the CLIs replace it)."""
    argparse._ = lambda text: _ARGPARSE_VN.get(text, text)  # type: ignore[attr-defined]
    return argparse.ArgumentParser(prog=prog, description=description)


def cli_user() -> str:
    """Who writes from the command line, as the audit log names it."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (a container without a passwd entry)
        return "cli:"


def refused_text(r, verbose: bool = False) -> str:
    """A file not written (failed, a duplicate, another copy), in Vietnamese with its path:
    'lỗi: empty.txt: tệp rỗng (/path/empty.txt)'; --verbose puts the English detail in the
    brackets instead ('(/path/empty.txt: empty file (0 bytes))')."""
    kind = {"failed": "lỗi", "duplicate": "bỏ qua", "alternate": "bản khác"}[r.status]
    if r.status == "alternate":
        return f"{kind}: {r.user_error or Path(r.path).name}"
    message = r.user_error or f"{Path(r.path).name}: không xử lý được tệp"
    return f"{kind}: {message} ({r.error if verbose else r.path})"


def summary_text(report) -> str:
    """The closing line, in Vietnamese: what was written, kept (when any), refused; chunks; time."""
    n = {s: sum(r.status == s for r in report.results)
         for s in ("added", "updated", "unchanged", "alternate", "duplicate", "unconfirmed", "failed")}
    parts = [f"Đã lập chỉ mục {n['added'] + n['updated']} văn bản ({n['added']} mới, {n['updated']} cập nhật)"]
    for key, label in (("unchanged", "không đổi"), ("alternate", "bản khác của văn bản đã có"),
                       ("duplicate", "trùng lặp"), ("unconfirmed", "chờ xác nhận thay thế"), ("failed", "lỗi")):
        if n[key] or key == "failed":
            parts.append(f"{n[key]} {label}")
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    return ", ".join(parts) + f"; {report.chunks} đoạn; {seconds} giây"


def unconfirmed_text(r, verbose: bool = False) -> str:
    """A replacement waiting for --replace: in Vietnamese, what would change, then the English detail."""
    lines = [f"chưa thay: {r.user_error}. Các chỗ khác (- đang có, + tệp mới):"]
    for c in r.changes.changes if r.changes else ():
        lines += [f"  - {c.before or '(không có)'}", f"  + {c.after or '(không có)'}"]
    more = r.changes.total - len(r.changes.changes) if r.changes else 0
    if more > 0:
        lines.append(f"  … và {more} chỗ khác")
    lines.append("  Chạy lại với --replace để xác nhận thay thế." + (f" ({r.error})" if verbose else ""))
    return "\n".join(lines)


def _list(store, as_json: bool) -> int:
    from .types import reading_label

    docs = store.documents()
    if as_json:
        rows = [{**d.meta.to_dict(), "chunks": d.chunks, "indexed_at": d.indexed_at,
                 "indexed_by": d.indexed_by,
                 "alternates": [{"source": a.source, "quality": a.quality} for a in d.alternates]} for d in docs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not docs:
        print("(kho chưa có văn bản nào)", file=sys.stderr)
    for d in docs:
        m = d.meta
        note = f"\t({reading_label(m.reading)})" if m.reading else ""
        print(f"{m.doc_id}\t{m.number}\t{m.issued}\t{d.chunks} đoạn\t{m.title}{note}")
        for a in d.alternates:
            print(f"\tbản khác: {a.source} (tỷ lệ âm tiết hợp lệ {a.quality:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
