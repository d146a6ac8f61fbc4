"""`python -m ingest PATH... [--replace] | --list [--json] | --remove DOC_ID`, each with `--store DIR`.

A file with the number of an indexed document but other content is not written unless
`--replace` confirms it: without it, what would change is printed and the file counts as failed.
Every write is recorded in the store's audit log as "cli:<login name>".
Exit status: 0 on success, 1 if any file failed or waits for --replace (each one on stderr, in
Vietnamese with the English detail), 2 on usage or store errors. The embedding model is loaded
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
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders (recursive) to index")
    parser.add_argument("--store", type=Path, help="store folder (default: $VNQA_STORE or ./store)")
    parser.add_argument("--list", action="store_true", help="list the indexed documents")
    parser.add_argument("--json", action="store_true", help="with --list: JSON output")
    parser.add_argument("--remove", metavar="DOC_ID", help="remove a document by doc_id")
    parser.add_argument("--replace", action="store_true",
                        help="confirm replacing the indexed text of documents with the same number")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.paths, args.list, args.remove)) != 1:
        parser.error("give PATH..., --list or --remove DOC_ID (exactly one)")
    if args.replace and not args.paths:
        parser.error("--replace goes with PATH...")

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
            print(f"removed {args.remove}")
            return 0
        report = index_files(store, args.paths, settings, progress=not args.quiet, user=cli_user(),
                             replace=args.replace, embedder=lambda: load_embedder(settings))
        for r in report.results:
            if r.status in ("failed", "duplicate", "alternate"):
                print(refused_text(r), file=sys.stderr)
            elif r.status == "unconfirmed":
                print(unconfirmed_text(r), file=sys.stderr)
        print(report.summary() + f" [store: {settings.store}, mode: {store.recorded_mode}]")
        return 1 if report.failures or report.unconfirmed or not report.results else 0
    except VnqaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def cli_user() -> str:
    """Who writes from the command line, as the audit log names it."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (a container without a passwd entry)
        return "cli:"


def refused_text(r) -> str:
    """A file not written (failed, a duplicate, another copy): the Vietnamese message, then the
    English detail: 'lỗi: empty.txt: tệp rỗng (/path/empty.txt: empty file (0 bytes))'."""
    kind = {"failed": "lỗi", "duplicate": "bỏ qua", "alternate": "bản khác"}[r.status]
    if r.status == "alternate" or not r.user_error:
        return f"{kind}: {r.user_error or r.error}"
    return f"{kind}: {r.user_error} ({r.error})"


def unconfirmed_text(r) -> str:
    """A replacement waiting for --replace: in Vietnamese, what would change, then the English detail."""
    lines = [f"chưa thay: {r.user_error}. Các chỗ khác (- đang có, + tệp mới):"]
    for c in r.changes.changes if r.changes else ():
        lines += [f"  - {c.before or '(không có)'}", f"  + {c.after or '(không có)'}"]
    more = r.changes.total - len(r.changes.changes) if r.changes else 0
    if more > 0:
        lines.append(f"  … và {more} chỗ khác")
    lines.append(f"  Chạy lại với --replace để xác nhận thay thế. ({r.error})")
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
        print("(the store is empty)", file=sys.stderr)
    for d in docs:
        m = d.meta
        note = f"\t({reading_label(m.reading)})" if m.reading else ""
        print(f"{m.doc_id}\t{m.number}\t{m.issued}\t{d.chunks} chunks\t{m.title}{note}")
        for a in d.alternates:
            print(f"\tbản khác: {a.source} (tỷ lệ âm tiết hợp lệ {a.quality:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
