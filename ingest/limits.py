"""The reading budget of one file: what the readers refuse before it can exhaust the machine.

Every file is read, or refused with an `IngestError` naming it, within about 30 s and 1.5 GB of
memory on 2 cores (tests/test_hostile.py checks each hostile file), so one upload never holds the
single write slot of the app longer than that. The limits, each checked where it costs least:
- the file's size (`Settings.max_file_mb`, `ingest.load`);
- a .docx unpacks to at most MAX_UNZIP_RATIO times its size and MAX_UNZIP_MB, counted while
  inflating, whatever its zip headers declare (`ingest.office`);
- a .docx holds at most MAX_DOCX_PARAGRAPHS paragraphs;
- HTML nests at most 255 elements deep and holds at most 1.5M tags (`ingest.html`);
- the extracted text holds at most MAX_TEXT_CHARS characters and MAX_TEXT_LINES lines (every
  format);
- a line without spaces is cut hard at the chunk maximum (`ingest.chunk`);
- LibreOffice gets 25 s to convert a Word 97 .doc (`ingest.word97`).
Not bounded by 30 s: the OCR of a scan (at most `Settings.ocr_max_pages` pages, about 0.7 s each).
"""

from __future__ import annotations

from pathlib import Path

from .errors import FileTooLarge

# Refused, not truncated: the first 5 million characters of a legal text are not that text (its
# later articles, its signature and annexes would be missing), and answers cited from a silently
# cut document would look complete. The longest document of the development corpus holds 176
# thousand characters (2,500 lines); 5 million is a whole code of law, read in about 12 s.
MAX_TEXT_CHARS = 5_000_000
# Each line costs about 10 us in cleaning whatever its length: 2.4M one-digit lines took 26 s and
# 970 MB. Real text averages 50-100 characters a line; a million lines of it is 50+ MB of text.
MAX_TEXT_LINES = 1_000_000
MAX_UNZIP_RATIO = 100  # real .docx files unpack to 7-11 times their size
MAX_UNZIP_MB = 40  # lxml holds about 15 times the XML in memory: 40 MB -> about 600 MB
MAX_DOCX_PARAGRAPHS = 300_000  # a 1,000-page document holds about 30 thousand


def check_text(chars: int, path: str | Path) -> None:
    """FileTooLarge when `chars` characters of text are over MAX_TEXT_CHARS."""
    if chars > MAX_TEXT_CHARS:
        raise FileTooLarge(
            path, f"over {MAX_TEXT_CHARS:,} characters of text (found {chars:,} or more); "
                  "split the document into several files",
            f"văn bản quá dài (hơn {vi_number(MAX_TEXT_CHARS)} ký tự), hãy tách thành nhiều tệp")


def check_lines(text: str, path: str | Path) -> None:
    """FileTooLarge when `text` holds over MAX_TEXT_LINES lines."""
    lines = text.count("\n") + 1
    if lines > MAX_TEXT_LINES:
        raise FileTooLarge(
            path, f"{lines:,} lines of text, over the {MAX_TEXT_LINES:,} limit",
            f"văn bản có quá nhiều dòng ({vi_number(lines)} > {vi_number(MAX_TEXT_LINES)})")


def vi_number(n: int) -> str:
    """5000000 -> '5.000.000' (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")
