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
Vietnamese syllables (a Latin-1 French text is still refused) and, in a text of HORN_WORDS words
or more, HORN_SHARE of them hold ư, ơ or ă (real documents: 13-19%, no 20-line stretch of 60+ words
under 4% but a numbers table). A Vietnamese document saved as Latin-1 ("Save as ANSI": the marks
Latin-1 lacks dropped, đ as ð) has none, and its VISCII reading passes the syllable test on its own.
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
HORN_SHARE = 0.02  # ... and this share of its words hold ư, ơ or ă
HORN_WORDS = 100  # ... when it has this many words
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
    surface |= {glyph for glyph, control in _C1_GLYPHS.items() if control in surface}
    return frozenset(ch for ch in surface if not _vietnamese_letter(ch)) | {"\u2212", "\u2219"}


# Bytes 0x80-0x9F as Windows-1252 shows them ("“", "…", "€") -> as Latin-1 (C1 controls): VISCII puts
# capitals there (0x93 is "Ộ") and its charmap is written against Latin-1.
_C1_GLYPHS = {g: c for c, g in ((chr(b), bytes([b]).decode("cp1252", "ignore")) for b in range(0x80, 0xA0)) if g}


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

    charmap = _charmaps()[encoding]
    if any(seq[:1] in _C1 for seq, _ in charmap.pairs):
        text = text.translate(_C1_TABLE)
    out = convert(text, charmap, "NFC")
    if encoding == "tcvn3":  # no accented capitals in TCVN3: "QUYÕT" -> "QUYếT" -> "QUYẾT"
        out = _WORD.sub(_capitalised, out)
    return out


_WORD = re.compile(r"[^\W\d_]+")
_C1 = frozenset(_C1_GLYPHS.values())
_C1_TABLE = str.maketrans(_C1_GLYPHS)


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
    return best if best is not None and best.share >= MIN_SHARE and not lost_horns(best.text) else None


def lost_horns(text: str) -> bool:
    """Whether a text long enough to tell lacks the letters ư, ơ, ă that Vietnamese uses in every
    sentence or two: Vietnamese written in Latin-1, not in a Vietnamese encoding."""
    words = _WORD.findall(_MARKUP.sub(" ", text))
    if len(words) < HORN_WORDS:
        return False
    horned = sum(1 for w in words if _HORN.search(unicodedata.normalize("NFD", w)))
    return horned < HORN_SHARE * len(words)


_HORN = re.compile("[\u031b\u0306]")  # combining horn (ơ ư) and breve (ă)
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
