"""Small helpers on spans of the cleaned text, shared by the extraction stages (targets.py,
tasks.py): regex alternations, trimming a span, heading titles."""

from __future__ import annotations

import re


def alternation(words: str) -> str:
    """'a|bb|c' -> a regex alternation, longest first, escaped."""
    return "|".join(map(re.escape, sorted(words.split("|"), key=len, reverse=True)))


MARKER = re.compile(r"^(?:Điều\s+\d+[a-z]?[.:]\s*|[IVXLC]+\.\s+|\d{1,2}(?:\.\d{1,2})*\.\s+"
                    r"|\d{1,2}(?:\.\d{1,2})+\s+(?=\D)|[a-zđ]\)\s+|\(\d{1,3}\)\s*|[-–•+*]\s+)")


def line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \t,;:.":
        s += 1
    while e > s and text[e - 1] in " \t,;:.":
        e -= 1
    return s, e


def heading_title(heading: str) -> str:
    """A heading as a sector name: without its number, and only when it reads like a title."""
    title = MARKER.sub("", heading.strip(), count=1).strip()
    return title if title and len(title) <= 160 and not re.search(r"[.;:!?]$", title) else ""


def capitalize(s: str) -> str:
    return s[:1].upper() + s[1:]
