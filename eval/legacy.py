"""`python -m eval forms --parts legacy`: legacy-encoding conversion measured on Unicode text encoded here.

The encoders below are the project's own tables, written from the encodings' definitions,
independent of the charmaps `ingest.legacy` takes from viparse: a Unicode text is encoded to the
bytes an old editor would have saved (TCVN3/ABC, VNI-Windows, Windows-1252 as the carrier), read
back through `ingest.load` like any uploaded .txt, and compared word by word with the original.
The tests (tests/test_forms.py) run the same check on their own texts.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

# TCVN3 (TCVN 5712:1993 VN3): lowercase letters and the seven base capitals have their own byte;
# toned capitals do not exist (a .VnTimeH font draws the lowercase bytes as capitals).
_TCVN3 = dict(zip(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂÊÔƠƯĐ",
    "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢£¤¥¦§"))

# VNI-Windows: a base letter followed by a mark character (sắc, huyền, hỏi, ngã, nặng).
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRCUMFLEX_TONE = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE_TONE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò"}
_TONES = set(_VNI_TONE)


def encode_tcvn3(text: str) -> bytes:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3:
            out.append(_TCVN3[ch])
        elif ch.lower() in _TCVN3 and ch.isupper():
            out.append(_TCVN3[ch.lower()])  # no toned capitals in TCVN3
        else:
            out.append(ch)
    return "".join(out).encode("cp1252", errors="replace")


def encode_vni(text: str) -> bytes:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        upper = ch.isupper()
        low = ch.lower()
        if low == "đ":
            out.append("Ñ" if upper else "ñ")
            continue
        if low in _VNI_I:
            out.append(_VNI_I[low].upper() if upper else _VNI_I[low])
            continue
        nfd = unicodedata.normalize("NFD", low)
        base, marks = nfd[0], nfd[1:]
        if not marks or not base.isascii():
            out.append(ch)
            continue
        tone = next((m for m in marks if m in _TONES), "")
        if "\u031b" in marks:  # horn: ơ ư are single characters
            head = {"o": "ô", "u": "ö"}[base]
            tail = _VNI_TONE.get(tone, "")
        elif "\u0302" in marks:
            head, tail = base, _VNI_CIRCUMFLEX_TONE[tone]
        elif "\u0306" in marks:
            head, tail = base, _VNI_BREVE_TONE[tone]
        else:
            head, tail = base, _VNI_TONE.get(tone, "")
        piece = head + tail
        out.append(piece.upper() if upper else piece)
    return "".join(out).encode("cp1252", errors="replace")


ENCODERS = {"tcvn3": encode_tcvn3, "vni": encode_vni}


def word_accuracy(original: str, decoded: str) -> float:
    """Share of the original's words found at the same position in the decoded text."""
    from ingest.text import normalize

    a = normalize(original).split()
    b = normalize(decoded).split()
    same = sum(1 for x, y in zip(a, b) if x == y)
    return same / max(len(a), 1)


def roundtrip(text: str, encoding: str) -> dict:
    """Encode `text`, read the bytes back as an uploaded .txt file, compare."""
    from ingest.load import load

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{encoding}.txt"
        path.write_bytes(ENCODERS[encoding](text))
        raw = load(path, max_bytes=50 * 1024 * 1024)
    return {"encoding": encoding, "detected": raw.reading, "words": len(text.split()),
            "word_accuracy": round(word_accuracy(text, raw.text), 4),
            "word_accuracy_nocase": round(word_accuracy(text.lower(), raw.text.lower()), 4)}
