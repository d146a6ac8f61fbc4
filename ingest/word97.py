"""Word 97-2003 .doc files: converted to .docx by LibreOffice headless, then read as any .docx
(paragraphs, numbering, tables as tables). antiword is the fallback where LibreOffice is not
installed (text only: its tables come out as "|cell|cell|" lines).

Chosen by `python -m eval forms --parts doc` on the four .doc files of the development corpus:
the same text (valid syllables after legacy conversion 0.97-1.00 with either; antiword 0.6 points
higher on the TCVN3 file), but only LibreOffice keeps tables as tables (the assignment tables of
a plan); antiword is much faster (0.01 s against about 1 s per file, most of it LibreOffice's
start), which matters little next to embedding. Text in legacy fonts (TCVN3, VNI) is converted
after extraction by `ingest.load` (`ingest.legacy`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from .errors import CorruptFile, IngestError
from .office import OLE_MAGIC, docx_text
from .tables import Table

APT = "sudo apt-get install libreoffice-writer-nogui"
TIMEOUT_S = 25.0  # the reading budget (ingest/limits.py); a real .doc converts in about 1 s
_LOCK = threading.Lock()  # one LibreOffice per profile at a time


def doc_text(data: bytes, path: str | Path, max_bytes: int) -> tuple[str, tuple[Table, ...]]:
    """Paragraph and table lines of a Word 97 file, and its tables (LibreOffice), or its text
    alone (antiword)."""
    if not data.startswith(OLE_MAGIC):
        raise CorruptFile(path, "not a Word 97-2003 .doc file (no OLE2 header)",
                          "tệp .doc bị hỏng hoặc không phải tệp Word")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        return docx_text(_to_docx(soffice, data, path), path, max_bytes)
    antiword = shutil.which("antiword")
    if antiword:
        return _antiword(antiword, data, path), ()
    raise IngestError(path, f"reading .doc files needs LibreOffice: {APT} (or antiword)",
                      f"cần LibreOffice để đọc tệp .doc: {APT}")


def _to_docx(soffice: str, data: bytes, path: str | Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="vnqa-doc-") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        profile = Path(tempfile.gettempdir()) / f"vnqa-libreoffice-{os.getuid()}"
        cmd = [soffice, "--headless", "--norestore", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", "docx", "--outdir", tmp, str(src)]
        with _LOCK:
            try:
                run = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S,
                                     env=dict(os.environ, HOME=tmp))
            except subprocess.TimeoutExpired:
                raise IngestError(path, f"LibreOffice took over {TIMEOUT_S:.0f} s to convert it",
                                  "chuyển đổi tệp .doc quá lâu") from None
        out = Path(tmp) / "in.docx"
        if run.returncode != 0 or not out.exists():
            raise CorruptFile(path, "LibreOffice could not convert this .doc file: "
                                    f"{run.stderr.decode(errors='replace')[-300:]}",
                              "tệp .doc bị hỏng hoặc không đọc được")
        return out.read_bytes()


def _antiword(exe: str, data: bytes, path: str | Path) -> str:
    with tempfile.NamedTemporaryFile(suffix=".doc") as f:
        f.write(data)
        f.flush()
        try:
            run = subprocess.run([exe, "-w", "0", "-m", "UTF-8.txt", f.name], capture_output=True,
                                 timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise IngestError(path, f"antiword took over {TIMEOUT_S:.0f} s", "đọc tệp .doc quá lâu") from None
    if run.returncode != 0:
        raise CorruptFile(path, f"antiword could not read this .doc file: {run.stderr.decode(errors='replace')[-300:]}",
                          "tệp .doc bị hỏng hoặc không đọc được")
    return run.stdout.decode("utf-8", errors="replace")
