"""Hostile files for tests/test_hostile.py, written into a test's folder, and a way to run a
child process and measure its time and peak memory (`os.wait4`: that child's own rusage).

The .docx files are zips crafted here byte by byte (local headers, central directory), so they
can declare any uncompressed size, true or not.
"""

from __future__ import annotations

import os
import re
import random
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ingest.settings import PROJECT_ROOT

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>').encode()
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>').encode()
BODY_START = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'.encode()
BODY_END = b"</w:body></w:document>"
WORDS = ("nghị quyết kế hoạch phát triển kinh tế xã hội tỉnh năm ủy ban nhân dân điều khoản thực "
         "hiện ngân sách đồng tỷ chỉ tiêu cải cách hành chính").split()


@dataclass
class Entry:
    name: str
    data: bytes  # raw deflate stream
    crc: int
    size: int  # the true uncompressed size


def deflate(name: str, parts: Iterable[bytes]) -> Entry:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for part in parts:
        out.append(packer.compress(part))
        crc, size = zlib.crc32(part, crc), size + len(part)
    out.append(packer.flush())
    return Entry(name, b"".join(out), crc, size)


def write_zip(path: Path, entries: list[Entry], declared: dict[str, int] | None = None) -> Path:
    """A deflated zip; `declared` overrides the uncompressed size written in both headers."""
    body, central = bytearray(), bytearray()
    for e in entries:
        name, size = e.name.encode(), (declared or {}).get(e.name, e.size)
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 33, e.crc, len(e.data),
                               size, len(name), 0, 0, 0, 0, 0, len(body)) + name
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, e.crc, len(e.data), size,
                            len(name), 0) + name + e.data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                      len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def docx(path: Path, paragraphs: Iterable[bytes], declared: int | None = None) -> Path:
    """A .docx whose document.xml holds `paragraphs`; `declared`: the size its headers claim."""
    document = deflate("word/document.xml", framed(paragraphs))
    entries = [deflate("[Content_Types].xml", [CONTENT_TYPES]), deflate("_rels/.rels", [RELS]), document]
    return write_zip(path, entries, None if declared is None else {document.name: declared})


def framed(paragraphs: Iterable[bytes]) -> Iterable[bytes]:
    yield BODY_START
    yield from paragraphs
    yield BODY_END


def repeated_paragraphs(total: int, block: int = 1000) -> Iterable[bytes]:
    """About `total` bytes of one paragraph repeated (compresses about 300 to 1)."""
    para = "<w:p><w:r><w:t>Điều 1. Nội dung lặp lại của văn bản độc hại.</w:t></w:r></w:p>".encode()
    chunk = para * block
    for _ in range(total // len(chunk)):
        yield chunk


def varied_paragraphs(total: int) -> Iterable[bytes]:
    """About `total` bytes of paragraphs of random words (compresses about 6 to 1)."""
    rnd = random.Random(1)
    n = 0
    while n < total:
        para = f"<w:p><w:r><w:t>{' '.join(rnd.choices(WORDS, k=60))} {n}.</w:t></w:r></w:p>".encode()
        n += len(para)
        yield para


def deep_html(path: Path, depth: int) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "Nội dung" + "</div>" * depth + "</body></html>",
                    encoding="utf-8")
    return path


def no_space_line(path: Path, size: int) -> Path:
    """One line of about `size` bytes of Vietnamese syllables glued together."""
    unit = "Nghịquyếtvềkếhoạchpháttriểnkinhtếxãhội"
    path.write_text(unit * (size // len(unit.encode("utf-8"))), encoding="utf-8")
    return path


@dataclass
class Run:
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


# A Python child reports its own peak RSS (VmHWM of its memory after exec) at exit. ru_maxrss of
# wait4 is no measure here: Linux carries the forking parent's peak across exec, so a child of a
# test process that has loaded models would report the parent's 1.6 GB.
_PEAK = r"""
import atexit, runpy, sys
def _peak():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                print("VNQA_PEAK_KB=" + line.split()[1], file=sys.stderr, flush=True)
atexit.register(_peak)
flag, what, *rest = sys.argv[1:]
if flag == "-m":
    sys.argv = [what, *rest]
    runpy.run_module(what, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(what, "<child>", "exec"), {"__name__": "__main__"})
"""


def run_measured(args: list[str], timeout: float, env: dict | None = None) -> Run:
    """Run a child; its wall time and its own peak RSS, killed at `timeout`. A Python child
    (`python -m …` or `python -c …`) reports its peak itself (`_PEAK`); another gets ru_maxrss."""
    if args[0] == sys.executable and args[1:2] in (["-m"], ["-c"]):
        args = [sys.executable, "-c", _PEAK, *args[1:]]
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"vnqa-hostile-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=PROJECT_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})})
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        reported = re.findall(r"^VNQA_PEAK_KB=(\d+)$", stderr, re.M)
        peak_kb = int(reported[-1]) if reported else usage.ru_maxrss
        run = Run(None if killed.is_set() else proc.returncode, out.read(), stderr, seconds, peak_kb / 1024)
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    return run


# The child of `process_measured`: warms up on the bundled document (a running app has its
# modules loaded), then reads the one file and prints the outcome as JSON.
CHILD = r"""
import json, sys, time
from pathlib import Path
from ingest.errors import IngestError
from ingest.pipeline import process_file
from ingest.settings import PROJECT_ROOT, Settings, configure_runtime

configure_runtime()
folder = Path(sys.argv[2])
settings = Settings(store=folder / "store", cache_dir=folder / "cache", embed_model="none")
process_file(PROJECT_ROOT / "data" / "70-NQ-HDND-2025-Cao-Bang-ke-hoach-KTXH-2026.txt", settings)
start = time.perf_counter()
try:
    doc = process_file(sys.argv[1], settings)
    out = {"status": "done", "chunks": len(doc.chunks), "longest": max(len(c.text) for c in doc.chunks)}
except IngestError as e:
    out = {"status": "refused", "kind": type(e).__name__, "error": str(e), "user_message": e.user_message}
out["seconds"] = time.perf_counter() - start
print(json.dumps(out, ensure_ascii=False))
"""


def process_measured(path: Path, folder: Path, timeout: float) -> tuple[dict, Run]:
    """`process_file(path)` in a child with lexical-only settings: its JSON outcome and the run."""
    import json

    run = run_measured([sys.executable, "-c", CHILD, str(path), str(folder)], timeout)
    lines = run.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if run.returncode == 0 and lines else {}), run
