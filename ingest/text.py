"""Everything that knows Vietnamese. The only module that imports underthesea.

- `normalize`: NFC and one tone-mark placement ("hoà" -> "hòa", "thuỷ" -> "thủy").
- `fold`: lowercase without diacritics, đ -> d ("Đồng" -> "dong"), for no-diacritic queries.
- `syllables` / `lexical_tokens`: the tokens BM25 indexes (syllables + syllable bigrams).
- `sentence_spans`: underthesea sentence boundaries as character spans (never inside a URL,
  e-mail address or domain name: "www.hanoi.gov.vn" is one word of its sentence).
- `words`: underthesea word segmentation ("chuyển_đổi số").
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .spelling import (ACRONYM, READABLE_MARKS, READABLE_SHARE, _WORD_TOKEN, diacritic_share,  # noqa: F401
                       is_syllable, readable, syllable_share)

_WORD = re.compile(r"\w+")
# A token: a number with its inner separators ("3.530", "56,85", "2026") or a run of letters.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below
_DIACRITIC = re.compile("[\u0300-\u036f]")
# A heading label that the sentence splitter cuts off on its own: "Điều 3.", "1.", "3.1.4.", "a)"
_LABEL = re.compile(r"(?:(?:Điều|Khoản|Mục|Chương|Phần)\s+\S+|\d+(?:\.\d+)*|[IVXLC]+|[a-zđ])[.)]?")
# A list item's marker at the start of a text: "(11) ", "a) ", "3.2.1. ", "- ".
LIST_MARKER = re.compile(r"^\s*(?:\(\w{1,4}\)|\w{1,2}\)|\d+(?:\.\d+)*\.|[-–+•])\s+")


# Web addresses, whose dots and "?" are no sentence ends: a URL with a scheme ("https://a.vn/x?y=1"),
# an e-mail address, or a bare domain ("www.hanoi.gov.vn/huong-dan", "dichvucong.gov.vn": labels of
# ASCII letters, digits and hyphens, a lowercase top-level label, then an optional path). Trailing
# punctuation is the sentence's, not the address's: "… tại https://a.vn/x." ends at the last dot.
_URL_CHARS = r"[^\s<>()\[\]{}\"'“”]"
_URL_END = r"[^\s<>()\[\]{}\"'“”.,;:!?…]"  # a URL's last character: no trailing punctuation
_WEB_ADDRESS = re.compile(
    rf"(?<![\w/])(?i:(?:https?|ftp)://|mailto:){_URL_CHARS}*{_URL_END}"
    r"|(?<![\w.+-])[\w.+-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,24}(?![\w-])"
    rf"|(?<![\w.@/-])(?:[a-zA-Z0-9-]+\.)+[a-z]{{2,24}}(?![\w-])(?:/(?:{_URL_CHARS}*{_URL_END})?)?")


def web_addresses(text: str) -> list[tuple[int, int]]:
    """Spans of the URLs, e-mail addresses and domain names in `text` (see `_WEB_ADDRESS`)."""
    return [m.span() for m in _WEB_ADDRESS.finditer(text)]


@functools.lru_cache(maxsize=1)
def _tone_map() -> dict[str, str]:
    """underthesea's token map, restricted to pure tone-placement fixes (same letters).

    Its other entries are spelling corrections ("nghành" -> "ngành"); we never rewrite words.
    """
    from underthesea.pipeline.text_normalize.text_normalizer import token_map

    def letters(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", s) if c not in _TONES)

    return {k: v for k, v in token_map.items() if letters(k) == letters(v) and k != v}


def normalize(text: str) -> str:
    """NFC, Vietnamese tone marks on one placement (the modern one: hòa, thủy, khỏe)."""
    text = unicodedata.normalize("NFC", text).replace("\u00d0", "Đ").replace("\u00f0", "đ")
    tone_map = _tone_map()
    return _WORD.sub(lambda m: tone_map.get(m.group(), m.group()), text)


def fold(text: str) -> str:
    """Lowercase, no diacritics, đ -> d: 'Chỉ tiêu Đầu tư' -> 'chi tieu dau tu'."""
    text = text.lower().replace("đ", "d")
    return unicodedata.normalize("NFC", _DIACRITIC.sub("", unicodedata.normalize("NFD", text)))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (a tone mark, â/ă/ê/ô/ơ/ư or đ)."""
    return fold(text) != text.lower()


def syllables(text: str, folded: bool = False) -> list[str]:
    """Lowercase syllables and numbers in order: '3.530 tỷ đồng' -> ['3.530', 'tỷ', 'đồng']."""
    return list(_syllables(text, folded))


@functools.lru_cache(maxsize=8192)  # the answerer reads the same chunks for many questions
def _syllables(text: str, folded: bool) -> tuple[str, ...]:
    text = normalize(text).lower()
    if folded:
        text = fold(text)
    return tuple(_TOKEN.findall(text))


def lexical_tokens(text: str, folded: bool = False) -> list[str]:
    """Syllables followed by syllable bigrams ('chuyển_đổi'): what the BM25 fields index."""
    syl = syllables(text, folded)
    return syl + [f"{a}_{b}" for a, b in zip(syl, syl[1:])]


def words(text: str) -> str:
    """underthesea word segmentation, syllables of one word joined by '_'."""
    from underthesea import word_tokenize

    return word_tokenize(normalize(text), format="text")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries (underthesea) as (start, end) spans into `text`, covering its content."""
    from underthesea import sent_tokenize

    spans: list[tuple[int, int]] = []
    pos = 0
    for sentence in sent_tokenize(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        start = text.find(sentence, pos)
        if start < 0:  # the tokenizer altered spacing: fall back to its first word
            head = sentence.split()[0]
            start = text.find(head, pos)
            if start < 0:
                continue
            end = start + len(head)
        else:
            end = start + len(sentence)
        if spans and start < spans[-1][1]:
            continue
        if spans and _LABEL.fullmatch(text[spans[-1][0]:spans[-1][1]]):
            spans[-1] = (spans[-1][0], end)  # "Điều 3." / "1." / "3.1.4." is not a sentence
        else:
            spans.append((start, end))
        pos = end
    spans = _join_inside_addresses(text, spans)
    # Stretch each span to the next one so no text is lost between them.
    out = []
    for i, (start, end) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        segment_end = start + len(text[start:nxt].rstrip())
        out.append((start, max(end, segment_end)))
    if out and out[0][0] > 0 and text[: out[0][0]].strip():
        out[0] = (0, out[0][1])
    return out


def _join_inside_addresses(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans whose boundary falls inside a web address joined: the tokenizer cuts
    "https://evil.example/phish" at its dots, which would cut a quote in the middle of it."""
    if len(spans) < 2 or not any(c in text for c in "@/.") or not (inside := web_addresses(text)):
        return spans
    out = [spans[0]]
    for start, end in spans[1:]:
        prev_end = out[-1][1]
        if any(a < cut < b for a, b in inside for cut in (prev_end, start)):
            out[-1] = (out[-1][0], max(end, prev_end))
        else:
            out.append((start, end))
    return out


def split_long(text: str, budget: int) -> list[tuple[int, int]]:
    """Split `text` into spans of at most ~`budget` characters at sentence boundaries."""
    if len(text) <= budget:
        return [(0, len(text))]
    pieces: list[tuple[int, int]] = []
    cur_start, cur_end = None, None
    for start, end in sentence_spans(text) or [(0, len(text))]:
        if cur_start is None:
            cur_start, cur_end = start, end
        elif end - cur_start <= budget:
            cur_end = end
        else:
            pieces.append((cur_start, cur_end))
            cur_start, cur_end = start, end
    if cur_start is not None:
        pieces.append((cur_start, cur_end))
    return pieces


# Numbers as written in Vietnamese documents: "3.530" (thousands), "56,85" (decimal).
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\w])|(?<![\w.,])\d+(?:,\d+)?(?![\w])")


def numbers(text: str) -> list[str]:
    """Numbers as written: '3.530 tỷ, 56,85 triệu, 10%' -> ['3.530', '56,85', '10']."""
    return _NUMBER.findall(text)


def parse_number(token: str) -> float | None:
    """'3.530' -> 3530.0, '56,85' -> 56.85, '47,6' -> 47.6; None when not a number."""
    token = token.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    token = token.replace(",", ".")
    try:
        return float(token)
    except ValueError:
        return None


# -- tone marks lost by OCR ------------------------------------------------------------------------
_MARKED = ("\u0302", "\u0306", "\u031b")  # circumflex, breve, horn: â ê ô ă ơ ư


@functools.lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    """underthesea's Viet74K word list (73,901 words and names), lowercase."""
    from importlib.resources import files

    path = files("underthesea") / "corpus" / "data" / "Viet74K.txt"
    return frozenset(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _toned(syllable: str) -> set[str]:
    """The syllable with each tone mark on its marked vowel ("tô" -> tồ tố tổ tỗ tộ)."""
    base = unicodedata.normalize("NFC", syllable)
    at = max(i for i, c in enumerate(base) if unicodedata.normalize("NFD", c)[1:2] in _MARKED)
    out = set()
    for tone in _TONES:
        v = unicodedata.normalize("NFC", base[:at + 1] + tone + base[at + 1:])
        if is_syllable(v):
            out.add(v)
    return out


def restore_tones(text: str) -> str:
    """Put back the tone marks OCR drops above â ê ô ă ơ ư ("tô chức" -> "tổ chức", "thâm quyên"
    -> "thẩm quyền"): a toneless marked syllable that makes no word of the lexicon with either
    neighbour takes the one tone that does (several or none: it stays). Measured on the scan of
    Nghị định 335/2025: CER 3.4% -> 2.9%, and one change in 48k syllables of its clean twin."""
    lexicon = _lexicon()

    def fix_line(line: str) -> str:
        spans = [m.span() for m in _WORD_TOKEN.finditer(line)]
        low = [line[a:b].lower() for a, b in spans]
        out, last = [], 0
        for i, (a, b) in enumerate(spans):
            word = low[i]
            nfd = unicodedata.normalize("NFD", word)
            if any(t in nfd for t in _TONES) or not any(m in nfd for m in _MARKED):
                continue
            left, right = (low[i - 1] if i else None), (low[i + 1] if i + 1 < len(low) else None)

            def makes_word(w: str) -> bool:
                return (left is not None and f"{left} {w}" in lexicon) or (right is not None and f"{w} {right}" in lexicon)

            if makes_word(word):
                continue
            found = [v for v in _toned(word) if makes_word(v)]
            if len(found) == 1:
                orig = line[a:b]
                v = found[0]
                v = v.upper() if orig.isupper() and len(orig) > 1 else (v[:1].upper() + v[1:] if orig[:1].isupper() else v)
                out.append(line[last:a] + v)
                last = b
        return "".join(out) + line[last:]

    return "\n".join(fix_line(line) for line in text.split("\n"))
