"""`python -m ingest PATH... | --list [--json] | --remove DOC_ID`, each with `--store DIR`.

Exit status: 0 on success, 1 if any file failed (each failure one line on stderr), 2 on usage or
store errors.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.paths, args.list, args.remove)) != 1:
        parser.error("give PATH..., --list or --remove DOC_ID (exactly one)")

    configure_runtime(args.verbose)
    settings = Settings.from_env(store=args.store)
    try:
        from vectorstore.embed import load_embedder
        from vectorstore.store import Store

        if args.list:
            return _list(Store(settings.store), args.json)
        store = Store(settings.store, load_embedder(settings) if args.paths else None, sync=False)
        if args.remove:
            store.remove(args.remove)
            print(f"removed {args.remove}")
            return 0
        from .service import index_files

        report = index_files(store, args.paths, settings, progress=not args.quiet)
        for r in report.results:
            if r.status in ("failed", "duplicate", "alternate"):
                kind = {"failed": "error", "duplicate": "skipped", "alternate": "bản khác"}[r.status]
                print(f"{kind}: {r.error if r.status != 'alternate' else r.user_error}", file=sys.stderr)
        print(report.summary() + f" [store: {settings.store}, mode: {store.recorded_mode}]")
        return 1 if report.failures or not report.results else 0
    except VnqaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _list(store, as_json: bool) -> int:
    from .types import reading_label

    docs = store.documents()
    if as_json:
        rows = [{**d.meta.to_dict(), "chunks": d.chunks, "indexed_at": d.indexed_at,
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
