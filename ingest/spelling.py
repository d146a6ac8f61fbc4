"""Whether text is Vietnamese: the spelling of a written syllable, and the shares built on it.

`is_syllable` is the test; `syllable_share` (legacy encodings, corpus figures), `readable` (PDF
text layers) and the OCR noise filter rely on it. Re-exported by `ingest.text`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# -- valid Vietnamese syllables ----------------------------------------------------------------
# A syllable is onset + rhyme + tone; the rhyme is a nucleus (its glides included) and a final.
# Only spelling rules that hold for every native syllable are enforced (checked against
# underthesea's Viet74K word list and the development corpus):
# - a stop final (-p, -t, -c, -ch) takes the sắc or nặng tone, or none ("mất", "học"; never "mầt");
# - a nucleus that ends in a glide or is an open diphthong takes no final ("hai", "mua"; never "hait");
# - ă, â, iê/yê, uô, ươ, oă, uâ, uyê need a final ("ăn", "tiền"; never "tiê");
# - -ch and -nh follow only a, ê, i/y (with their on-glides: "oanh", "uếch", "huỳnh");
# - gh, ngh only before e, ê, i/y; c, ng never before them (k is not held to the rule: "Kạn",
#   "Kon Tum"; nor g: the loanword "gen").
_INITIALS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
             "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_OPEN = frozenset(("iêu", "yêu", "uôi", "ươi", "ươu", "oai", "oay", "oao", "oeo", "uây", "uya", "uyu",
                   "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi", "ua", "ui",
                   "ưa", "ưi", "ưu"))
_CLOSED = frozenset(("ă", "â", "iê", "yê", "uô", "ươ", "oă", "uâ", "uyê"))
_NUCLEI = _OPEN | _CLOSED | frozenset(("oa", "oe", "oo", "uê", "uy", "uơ", "a", "e", "ê", "i", "o", "ô",
                                       "ơ", "u", "ư", "y"))
_FINALS = ("ch", "ng", "nh", "c", "m", "n", "p", "t", "")
_STOPS = frozenset(("p", "t", "c", "ch"))
_PALATAL = frozenset(("ch", "nh"))
_PALATAL_NUCLEI = frozenset(("a", "ê", "i", "y", "oa", "uê", "uy"))
_FRONT = ("e", "ê", "i", "y")
_TONE_MARKS = re.compile("[\u0300\u0301\u0303\u0309\u0323]")
_LEVEL_TONES = frozenset(("", "\u0301", "\u0323"))  # the tones a stop final takes: none, sắc, nặng


def _rhyme_ok(onset: str, nucleus: str, final: str, tone: str) -> bool:
    if nucleus not in _NUCLEI:
        return False
    if final in _STOPS and tone not in _LEVEL_TONES:
        return False
    if (nucleus in _OPEN and final) or (nucleus in _CLOSED and not final):
        return False
    if final in _PALATAL and nucleus not in _PALATAL_NUCLEI:
        return False
    front = nucleus.startswith(_FRONT)
    return not ((onset in ("gh", "ngh") and not front) or (onset in ("c", "ng") and front))


@functools.lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """A valid written Vietnamese syllable: onset + rhyme, at most one tone mark, and the
    spelling rules above ("nghiêng", "Đồng", "học"; not "mầt", "hait", "ce")."""
    nfd = unicodedata.normalize("NFD", word.lower())
    tones = _TONE_MARKS.findall(nfd)
    if len(tones) > 1:
        return False
    tone = tones[0] if tones else ""
    base = unicodedata.normalize("NFC", _TONE_MARKS.sub("", nfd))
    for onset in _INITIALS:
        if not base.startswith(onset):
            continue
        rest = base[len(onset):]
        for final in _FINALS:
            if rest.endswith(final) and _rhyme_ok(onset, rest[:len(rest) - len(final)], final, tone):
                return True
    return False


_WORD_TOKEN = re.compile(r"[^\W\d_]+")
ACRONYM = re.compile("[A-ZĐ]{2,6}")  # "UBND", "HĐND", "PCI"; not "UYÛ" (a VNI-encoded "ỦY")


def syllable_share(text: str, sample: int = 20000) -> float:
    """Share of the words of `text` (first `sample` words) that are valid Vietnamese syllables.

    Acronyms (2-6 capitals of A-Z and Đ: "UBND", "HĐND") count as valid. Real text scores about
    0.9 and more; mojibake, garbage OCR layers and other languages much less.
    """
    words = _WORD_TOKEN.findall(text)[:sample]
    if not words:
        return 0.0
    ok = sum(1 for w in words if is_syllable(w) or ACRONYM.fullmatch(w))
    return ok / len(words)


def diacritic_share(text: str) -> float:
    """Share of the letters of `text` that carry a Vietnamese diacritic or are đ: 0.25-0.35 in
    real Vietnamese, 0 in an OCR layer that lost every mark ("uY BAN NgAN nAN")."""
    letters = [c for c in text[:50000] if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c in "đĐ" or len(unicodedata.normalize("NFD", c)) > 1) / len(letters)


def readable(text: str, min_words: int = 20) -> bool:
    """Whether an extracted page reads as Vietnamese: most words valid syllables, and marks on the
    letters. A page of fewer than `min_words` words (a title page, a signature) is not judged."""
    if len(_WORD_TOKEN.findall(text)) < min_words:
        return True
    return syllable_share(text) >= READABLE_SHARE and diacritic_share(text) >= READABLE_MARKS


READABLE_SHARE = 0.8  # real pages of the dev corpus: 0.96-1.00; a garbage OCR layer: 0.39-0.43
READABLE_MARKS = 0.08  # real pages: 0.26-0.35; a garbage OCR layer: 0.00
