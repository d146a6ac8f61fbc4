"""Legacy Vietnamese encodings -> Unicode NFC, decided from the text, never from font names.

Before Unicode, Vietnamese documents were typed in font encodings: TCVN3/ABC (".VnTime"),
VNI-Windows ("VNI-Times"), VISCII, and the Windows-1258 code page. Word, PDF and text
extractors hand their bytes back as Latin-1 look-alikes ("Céng hßa x· héi" is TCVN3 for "Cộng
hòa xã hội", "COÄNG HOAØ" is VNI for "CỘNG HOÀ"). The charmaps come from `viparse`, assessed
against the project's own tables (`python -m eval forms --parts legacy`: >= 98.6% word accuracy
on text encoded with them) and carrying what real documents showed its authors (PDF glyph
substitutions, VNI multi-character forms). The decision is ours: the document's encoding is the one whose conversion of its
suspect lines (those holding characters no Unicode Vietnamese word has) gains the most valid
syllables, and a line is converted unless the conversion reads worse, so Unicode text is never
touched and a document mixing Unicode and legacy paragraphs gets each line right.

`repair(text)`: any extracted text (docx, doc, pdf, html). `decode(data)`: the bytes of a text
file that is not UTF-8: accepted only when at least MIN_SHARE of its words become valid
Vietnamese syllables (a Latin-1 French text is still refused).
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from dataclasses import dataclass

from .text import syllable_share

MIN_SHARE = 0.95  # a non-UTF-8 file is converted only when this share of its words is Vietnamese
MIN_GAIN = 0.1  # a document is legacy-encoded when its suspect lines gain this much in valid syllables
UNICODE_SHARE = 0.9  # a document this Vietnamese as extracted is left alone
NAMES = {"tcvn3": "TCVN3", "vni": "VNI-Windows", "viscii": "VISCII", "cp1258": "Windows-1258"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "" when the text was Unicode already; else a key of NAMES
    share: float  # share of valid Vietnamese syllables after conversion


@functools.lru_cache(maxsize=1)
def _charmaps() -> dict:
    from viparse.normalize.encodings import AUTO_DETECT_CHARMAPS

    return dict(AUTO_DETECT_CHARMAPS)


@functools.lru_cache(maxsize=1)
def _legacy_surface() -> frozenset[str]:
    """Characters that legacy charmaps read as Vietnamese letters but that are not themselves
    letters of Unicode Vietnamese: a line without any of them is never a legacy line."""
    surface = {ch for cm in _charmaps().values() for seq, _ in cm.pairs for ch in seq}
    return frozenset(ch for ch in surface if not _vietnamese_letter(ch)) | {"\u2212", "\u2219"}


_VIET_LETTERS = frozenset(
    c for base in "aăâeêioôơuưy" for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    for c in (unicodedata.normalize("NFC", base + tone), unicodedata.normalize("NFC", base.upper() + tone))
) | {"đ", "Đ"}


def _vietnamese_letter(ch: str) -> bool:
    return ch.isascii() or ch in _VIET_LETTERS


@functools.lru_cache(maxsize=1)
def _in_word() -> re.Pattern:
    """A legacy letter next to a letter: it is part of a word."""
    chars = re.escape("".join(sorted(_legacy_surface())))
    return re.compile(rf"[^\W\d_][{chars}]|[{chars}][^\W\d_]")


def _convert(text: str, encoding: str) -> str:
    from viparse.normalize.tables import convert

    out = convert(text, _charmaps()[encoding], "NFC")
    if encoding == "tcvn3":  # no accented capitals in TCVN3: "QUYÕT" -> "QUYếT" -> "QUYẾT"
        out = _WORD.sub(_capitalised, out)
    return out


_WORD = re.compile(r"[^\W\d_]+")


def _capitalised(m: re.Match) -> str:
    """A word set in a capitals font: ASCII capitals only, two of them or one after the start
    ("NH¢N", "ñY"); "Sè" (Số) is a capitalised word and stays."""
    w = m.group()
    caps = [i for i, c in enumerate(w) if "A" <= c <= "Z"]
    if any("a" <= c <= "z" for c in w) or not caps or (len(caps) == 1 and caps[0] == 0):
        return w
    return w.upper()


def repair(text: str, encoding: str = "") -> Decoded:
    """`text` with its legacy-encoded lines converted, all in one encoding: `encoding`, else the
    one whose conversion of the suspect lines gains the most valid syllables."""
    share = syllable_share(text)
    surface = _legacy_surface()
    lines = text.split("\n")
    suspects = [i for i, line in enumerate(lines) if any(ch in surface for ch in line)]
    if not suspects or (not encoding and share >= UNICODE_SHARE and len(suspects) < 0.02 * len(lines)):
        return Decoded(text, "", share)
    if not encoding:
        sample = "\n".join(lines[i] for i in suspects[:400])
        before = syllable_share(sample)
        gains = {name: syllable_share(_convert(sample, name)) - before for name in _charmaps()}
        encoding = max(gains, key=gains.get)
        if gains[encoding] < MIN_GAIN:
            return Decoded(text, "", share)
    changed = 0
    for i in suspects:
        converted = _convert(lines[i], encoding)
        gain = syllable_share(converted) - syllable_share(lines[i])
        # Many legacy forms are valid syllables by chance ("Sè" is TCVN3 for "Số", "côm" for
        # "cụm"): a line converts unless it reads worse, if its legacy letters sit inside words.
        if gain > 0 or (gain == 0 and _in_word().search(lines[i])):
            lines[i] = converted
            changed += 1
    if not changed:
        return Decoded(text, "", share)
    out = "\n".join(lines)
    return Decoded(out, encoding, syllable_share(out))


def decode(data: bytes) -> Decoded | None:
    """A non-UTF-8 text file's bytes read in the legacy encoding that makes them Vietnamese, or
    None when no encoding reaches MIN_SHARE."""
    best: Decoded | None = None
    candidates = [repair(_cp1252(data))]
    try:
        candidates.append(Decoded(unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258", 0.0))
    except UnicodeDecodeError:
        pass
    for c in candidates:
        share = syllable_share(_MARKUP.sub(" ", c.text))  # an HTML file is judged by its words
        if c.encoding and (best is None or share > best.share):
            best = Decoded(c.text, c.encoding, share)
    return best if best is not None and best.share >= MIN_SHARE else None


_MARKUP = re.compile(r"<[^>]{0,2000}>")


def best_share(data: bytes) -> float:
    """The highest share of valid syllables any legacy reading of `data` gives (for errors)."""
    return max(repair(_cp1252(data)).share, syllable_share(data.decode("cp1258", "replace")))


def _cp1252(data: bytes) -> str:
    """Bytes as Windows-1252 shows them, the five undefined bytes as their Latin-1 characters:
    the surface legacy charmaps are written against."""
    return data.decode("cp1252", errors="latin1fallback")


def _latin1_fallback(exc: UnicodeDecodeError):
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("latin1fallback", _latin1_fallback)
