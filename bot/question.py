"""A question, read once: what is asked, which documents and sections it names, its years.

`analyse(text, catalog)` returns a frozen `Question` that retrieval, the candidates, the ranker
and the answer text all use; nothing below re-reads the raw question.

- What is asked: a figure (and its unit: %, tỷ đồng, triệu đồng, năm, tháng, ngày, tuổi, ha,
  km, lần, a rank), a maximum or minimum, an agency, a date or deadline, a place, yes/no, a
  definition, a list, a document ("quyết định nào"); or metadata fields of a document (signer,
  dates, number, issuer, kind, basis) or its relations (what it amends, what amends it, whether
  it is still in force).
- Document references ("Nghị quyết 70/NQ-HĐND", "nghi quyet 70", "Chỉ thị 010", "NĐ 47/2020",
  "Thông tư 112") resolved against the catalog: by number, by kind + number, by kind + title
  words. A document number is never an unknown name; one no catalog document has is kept apart
  (`others`).
- Section references ("Điều 5", "khoản 2 Điều 3", "mục 3.1.4", "Phụ lục II") that exist in the
  referenced documents.
- Years and places named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest import text as vn
from ingest.types import DocMeta

from .query import Domain, keywords

# What is asked (patterns over the folded question).
_ASKS = (
    # A quantity asked: "mấy" only where the question is typed without diacritics or says "mấy"
    # ("máy tính" is no question; `_asks`), a topic such as "mức chi" or "định mức" alone is not.
    ("figure", r"\b(bao nhieu|ty le|ti le|phan tram|bao lau|bao xa|toi da|toi thieu|len den|it nhat|"
               r"nhieu nhat|hang may|thu may|xep thu|xep hang|so luong|tong so|gap may|may lan)\b|%"),
    ("max", r"\b(toi da|len den|cao nhat|nhieu nhat|khong qua|khong vuot qua|lon nhat)\b"),
    ("min", r"\b(toi thieu|it nhat|thap nhat|khong duoi|khong thap hon)\b"),
    ("agency", r"\b(ai|co quan nao|don vi nao|so nao|bo nao|ban nao|cap nao|ben nao|chu tri|phu trach|"
               r"chiu trach nhiem|giao cho|do ai|noi nao thuc hien)\b"),
    ("when", r"\b(khi nao|bao gio|ngay nao|thang nao|nam nao|thoi han|han chot|truoc ngay|luc nao|"
             r"thoi gian nao|thoi diem|den khi nao|tu khi nao|bao lau|dinh ky|hang thang|hang nam|"
             r"(?:ngay|thang|quy) may)\b"),
    ("place", r"\b(o dau|tai dau|noi nao|dia diem|cho nao)\b"),
    ("yesno", r"\b(co\b.*\bkhong|co phai|duoc\b.*\bkhong|phai khong|hay khong|chua)\s*\??$"),
    ("definition", r"\b(la gi|nghia la gi|duoc hieu|the nao la|khai niem|dinh nghia)\b"),
    ("list", r"\b(gom|bao gom|nhung gi|nhung\b.*\bnao|cac\b.*\bnao|liet ke|nhung)\b"),
)
_ASKS = tuple((name, re.compile(rx)) for name, rx in _ASKS)
# "Phần nào / mục mấy / điều nào … quy định X?": the part of the document is asked. Typed with
# diacritics "mục" is told from "mức" ("mức nào": a level); without them "muc" is left out.
_PART = r"(phần|mục|điều|chương|phụ lục|tiểu mục)"
_ASKS_PART = re.compile(rf"\b{_PART} (nào|mấy|số mấy|thứ mấy)(?!\w)|\b(ở|tại|thuộc) {_PART} (nào|mấy)(?!\w)")
_ASKS_PART_FOLDED = re.compile(r"\b(phan|dieu|chuong|phu luc|tieu muc) (nao|may|so may|thu may)\b")
# The unit of an asked figure: the word after "bao nhiêu" / "mấy" ("bao nhiêu tiền", "mấy năm"),
# else a cue in the question ("tỷ lệ", "kinh phí"); both read with the places named taken out
# ("Hà Nội" is no hectare, "Đồng Nai" no đồng).
_UNIT_WORDS = {"phan tram": "%", "ty dong": "tỷ", "ty": "tỷ", "trieu": "triệu", "trieu dong": "triệu", "tien": "đồng",
               "dong": "đồng", "tuoi": "tuổi", "nam": "năm", "thang": "tháng", "ngay": "ngày", "ha": "ha",
               "hec ta": "ha", "km": "km", "nguoi": "người", "lan": "lần"}
_ASKED_UNIT = re.compile(r"\b(?:bao nhieu|may)\s+(" + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True)) + r")\b")
_UNITS = (("%", r"%|phan tram|ty le|ti le"), ("hạng", r"\b(?:hang may|thu may|xep thu|xep hang|dung thu)\b"),
          ("tỷ", r"\bty dong\b|(?<!cong )\bty\b"), ("triệu", r"\btrieu\b"),
          ("đồng", r"\b(?:ty|trieu|nghin) dong\b|\btien\b|kinh phi|muc (?:chi|ho tro|phat|thu)"),
          ("tuổi", r"(bao nhieu|may|do|nhung) tuoi|\btuoi (toi da|toi thieu|la)\b"), ("ha", r"\bha\b|hec ta|hecta"),
          ("km", r"\bkm\b|ki lo met"))
_UNITS = tuple((u, re.compile(rx)) for u, rx in _UNITS)
# Metadata fields (folded).
_META = (
    ("signer", r"\bai ky\b|nguoi ky|ky boi|ai la nguoi ky|ky ten|do ai ky"),
    ("effective", r"hieu luc (tu|ke tu|thi hanh tu)? ?(ngay|khi) nao|hieu luc (tu )?bao gio|hieu luc tu luc nao|"
                  r"co hieu luc (khong|chua)|con hieu luc|ngay (co )?hieu luc|bat dau (co )?hieu luc|hieu luc (ra sao|the nao)|"
                  r"(?:bat dau )?ap dung (tu|ke tu) (ngay|khi|luc) nao|bat dau ap dung|ap dung tu bao gio"),
    ("issued", r"(ban hanh|thong qua|ky)( vao)? (ngay|hom|khi) (nao|may)|ngay (ban hanh|thong qua|ky)|"
               r"(ban hanh|thong qua|ky) (khi nao|bao gio|ngay nao|nam nao)"),
    ("number", r"so hieu|ky hieu|so (van ban|nghi quyet|quyet dinh|ke hoach|cong van|thong tu|nghi dinh|chi thi|bao cao)"
               r"( la)? (bao nhieu|may|gi)|\bso may\b"),
    ("issuer", r"(co quan|don vi|ai|noi) (nao )?ban hanh|ban hanh boi|co quan ban hanh|cua co quan nao"),
    ("kind", r"loai van ban|la (loai )?van ban gi"),
    ("basis", r"can cu (vao |tren |theo )?(van ban|luat|nghi dinh|nghi quyet|quyet dinh|thong tu|nhung|cac)?\s*"
              r"(nao|gi)|dua (tren|vao) (van ban|luat|nhung) (nao|gi)|can cu ban hanh"),
    ("relation", r"\b(sua doi|bo sung|thay the|bai bo|het hieu luc|con hieu luc)\b"),
)
_META = tuple((f, re.compile(rx)) for f, rx in _META)
_KIND_WORDS = {"nghi quyet": "Nghị quyết", "nq": "Nghị quyết", "quyet dinh": "Quyết định", "qd": "Quyết định",
               "ke hoach": "Kế hoạch", "kh": "Kế hoạch", "chi thi": "Chỉ thị", "ct": "Chỉ thị",
               "thong tu": "Thông tư", "tt": "Thông tư", "nghi dinh": "Nghị định", "nd": "Nghị định",
               "cong van": "Công văn", "cv": "Công văn", "thong bao": "Thông báo", "tb": "Thông báo",
               "bao cao": "Báo cáo", "bc": "Báo cáo", "luat": "Luật", "hien phap": "Hiến pháp",
               "to trinh": "Tờ trình"}
_KIND_RX = "|".join(sorted(map(re.escape, _KIND_WORDS), key=len, reverse=True))
# "quyết định nào", "nghị quyết cũ nào", "văn bản gì": a document is asked (answered by its number or name).
_ASKS_DOCUMENT = re.compile(rf"\b(?:{_KIND_RX}|van ban|phap lenh|bo luat)\s+(?:cu\s+|moi\s+|hanh dong\s+|"
                            r"truoc (?:day|do)\s+)?(?:nao|gi)\b")
_KIND_NUMBER = re.compile(rf"\b({_KIND_RX})\s*(?:so\s*)?(\d{{1,5}})(?:\s*/\s*(\d{{4}}))?\b")
_FULL_NUMBER = re.compile(r"(?<![\w/])(\d{1,5})\s*/\s*(?:(\d{4})\s*/\s*)?([A-ZĐa-zđ][\wĐđ]*(?:\s*-\s*[A-ZĐa-zđ][\wĐđ]*)*)")
_SECTION = re.compile(r"\b(dieu|khoan|diem|muc|chuong|phan|phu luc|tieu muc)\s+([ivxlc]+|\d+(?:\.\d+)*[a-z]?|[a-zd])\b")
_SECTION_NAMES = {"dieu": "Điều", "khoan": "Khoản", "diem": "Điểm", "muc": "Mục", "chuong": "Chương", "phan": "Phần",
                  "phu luc": "Phụ lục", "tieu muc": "Tiểu mục"}
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
# "tờ trình số mấy", "Luật Cán bộ, công chức số mấy": the last kind named before the number asked.
_NUMBER_OF = re.compile(rf"\b({_KIND_RX})\b(?:(?!\b(?:{_KIND_RX})\b)[^?.]){{0,60}}?\s(?:so|so hieu|ky hieu)\s+"
                        r"(?:la\s+)?(?:bao nhieu|may|gi)\b")
# A kind of document the question names, by its full word. Words that are also verbs ("quyết
# định", "báo cáo", "thông báo") count only where they name a document: before a number, "số",
# "này", "về", "của" or a year; "luật" not inside "pháp luật".
_FULL_KINDS = {k: v for k, v in _KIND_WORDS.items() if " " in k or k == "luat"}
_VERB_KINDS = ("quyet dinh", "bao cao", "thong bao")
_KIND_NAMED = re.compile(
    rf"(?<!phap )\b({'|'.join(k for k in _FULL_KINDS if k not in _VERB_KINDS)})\b"
    rf"|\b({'|'.join(_VERB_KINDS)})\b(?=\s*(?:so\b|\d|nay\b|ve\b|cua\b|nam \d))")


@dataclass(frozen=True)
class Question:
    text: str  # NFC, one tone placement, whitespace collapsed
    folded: str
    accented: bool  # typed with diacritics: matched with them
    keywords: tuple[str, ...]  # content syllables in the question's own script (numbers included)
    pairs: tuple[str, ...]  # adjacent content syllables ("hộ nghèo")
    asks: frozenset[str] = frozenset()  # figure, max, min, agency, when, place, yesno, definition, list, section, document
    unit: str = ""  # the unit of an asked figure
    meta_field: str = ""  # signer, effective, issued, number, issuer, kind, basis, relation
    meta_fields: tuple[str, ...] = ()  # every field it names ("Ngày ban hành và người ký?": signer, issued)
    doc_ids: tuple[str, ...] = ()  # documents it names, resolved in the catalog
    doc_refs: tuple[str, ...] = ()  # those references as written
    others: tuple[str, ...] = ()  # document numbers it writes that are in no catalog document ("39/2024/QH15")
    sections: tuple[tuple[str, str], ...] = ()  # ("Điều", "5"), ("Khoản", "2") … it names
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # kinds of document it names ("Kế hoạch", "Nghị quyết")
    number_of: str = ""  # the kind whose number is asked: "Tờ trình" in "… trên tờ trình số mấy?"
    alternatives: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = field(default=())  # abbreviations

    def matched(self, keyword: str, tokens: set[str]) -> bool:
        """The keyword (or one of its expansions: "dti" -> "chỉ số chuyển đổi số") is in `tokens`."""
        if keyword in tokens:
            return True
        return any(all(t in tokens for t in alt) for alt in dict(self.alternatives).get(keyword, ()))

    def tokens(self, text: str) -> set[str]:
        """The syllables of `text` in this question's script."""
        return set(vn.syllables(text, folded=not self.accented))

    @property
    def compound(self) -> bool:
        """Two questions in one: "… và …", "Ai …, ai …" (a conjunction between content words)."""
        return bool(_COMPOUND.search(self.text))

    @property
    def many(self) -> bool:
        """It asks for several facts: a list, or two questions joined ("… bao nhiêu và … bao nhiêu")."""
        return "list" in self.asks or len(self.pairs) > 3 and " và " in self.text


_COMPOUND = re.compile(r"\w \b(?:và|với|cùng|hay|hoặc|va|voi)\b \w|, (?:ai|bao|mấy|khi|ở|nào|gì)\b", re.I)


def analyse(text: str, documents: list[DocMeta] = (), domain: Domain | None = None) -> Question:
    """Read a question once (see the module doc). `documents`: the catalog's metadata."""
    domain = domain or Domain.load()
    text = " ".join(vn.normalize(text).split())
    folded = vn.fold(text)
    accented = vn.has_diacritics(text)
    doc_ids, refs, spans, others = _documents(text, folded, documents)
    bare = _without(folded, spans)  # the references are no keywords and no figures
    kws = [k for k in keywords(_without_spans(text, spans, folded), domain)]
    if accented:
        acc = {vn.fold(s): s for s in vn.syllables(text)}
        kws = [acc.get(k, k) for k in kws]
    syl = vn.syllables(text, folded=not accented)
    kwset = set(kws)
    pairs = tuple(dict.fromkeys(f"{a} {b}" for a, b in zip(syl, syl[1:]) if a in kwset and b in kwset))
    asks = _asks(bare, text if accented else "")
    if (_ASKS_PART.search(text.lower()) if accented else _ASKS_PART_FOLDED.search(folded)):
        asks |= {"section"}
    own = text.lower() if accented else folded  # "Lạng Sơn là" is no "Sơn La"
    places = tuple(p for p in domain.provinces
                   if re.search(rf"(?<!\w){re.escape(p.lower() if accented else vn.fold(p))}(?!\w)", own))
    unit = _unit(bare, places) if "figure" in asks else ""
    fields = tuple(f for f, rx in _META if rx.search(bare))
    meta_field = fields[0] if fields else ""
    sections = tuple((_SECTION_NAMES[m.group(1)], m.group(2).upper() if re.fullmatch(r"[ivxlc]+", m.group(2))
                      else m.group(2)) for m in _SECTION.finditer(bare))
    years = tuple(int(y) for y in dict.fromkeys(_YEAR.findall(bare)))
    kinds = tuple(dict.fromkeys(_FULL_KINDS[m.group(1) or m.group(2)] for m in _KIND_NAMED.finditer(folded)))
    number_of = next((_KIND_WORDS[m.group(1)] for m in _NUMBER_OF.finditer(folded)), "")
    return Question(text=text, folded=folded, accented=accented, keywords=tuple(dict.fromkeys(kws)), pairs=pairs,
                    asks=asks, unit=unit, meta_field=meta_field, meta_fields=fields, doc_ids=doc_ids,
                    doc_refs=refs, others=others, sections=sections, years=years, places=places, kinds=kinds, number_of=number_of,
                    alternatives=_alternatives(text, folded, accented, kws, domain))


def _documents(text: str, folded: str, documents) -> tuple[tuple[str, ...], tuple[str, ...], list, tuple[str, ...]]:
    """Catalog documents the question names, the references as written, their folded spans, and
    the full document numbers it writes that no catalog document has."""
    found: dict[str, None] = {}
    refs: list[str] = []
    others: list[str] = []
    spans: list[tuple[int, int]] = []
    numbered = [d for d in documents if d.number]
    for m in _FULL_NUMBER.finditer(text):
        digits, year, code = int(m.group(1)), m.group(2), vn.fold(re.sub(r"\s+", "", m.group(3)))
        hits = [d for d in numbered if _number_parts(d.number) == (digits, year, code)
                or _number_parts(d.number)[::2] == (digits, code) and not year]
        if hits:
            found.update(dict.fromkeys(d.doc_id for d in hits))
            refs.append(m.group(0))
            spans.append(m.span())
        else:
            others.append(re.sub(r"\s+", "", m.group(0)))
    for m in _KIND_NUMBER.finditer(folded):
        kind, digits, year = _KIND_WORDS[m.group(1)], int(m.group(2)), m.group(3)
        hits = [d for d in numbered if _number_parts(d.number)[0] == digits and (
            vn.fold(d.type) == vn.fold(kind) or code_kind(d.number) == kind)
                and (not year or _number_parts(d.number)[1] in (year, None) or d.issued.startswith(year))]
        if hits and not any(a <= m.start() < b for a, b in spans):
            found.update(dict.fromkeys(d.doc_id for d in hits))
            refs.append(text[m.start():m.end()] if len(text) == len(folded) else m.group(0))
            spans.append(m.span())
    for d in documents:  # kind + most of the title's words ("kế hoạch cải cách hành chính năm 2026")
        if d.doc_id in found or not d.title or not d.type:
            continue
        kind = vn.fold(d.type)
        title = [w for w in vn.syllables(d.title, folded=True) if len(w) > 1]
        if kind in folded and len(title) >= 4:
            have = set(vn.syllables(folded, folded=True))
            if sum(w in have for w in title) >= 0.75 * len(title):
                found[d.doc_id] = None
                refs.append(d.type)
    return tuple(found), tuple(refs), spans, tuple(dict.fromkeys(others))


def _number_parts(number: str) -> tuple[int, str | None, str]:
    """'0204/KH-UBND' -> (204, None, 'kh-ubnd'); '48/2025/NQ-HĐND' -> (48, '2025', 'nq-hdnd')."""
    parts = number.split("/")
    digits = int(parts[0]) if parts[0].isdigit() else -1
    year = parts[1] if len(parts) > 2 and parts[1].isdigit() else None
    return digits, year, vn.fold(parts[-1])


def code_kind(number: str) -> str:
    from ingest.meta import CODES

    return CODES.get(number.split("/")[-1].split("-")[0], "")


def _asks(bare: str, text: str) -> frozenset[str]:
    """What the question asks (`_ASKS`, on the folded text without its document references);
    `text`: the question as typed when it has diacritics, where "mấy" is told from "máy"."""
    asks = {name for name, rx in _ASKS if rx.search(bare)}
    if _ASKS_DOCUMENT.search(bare):
        asks.add("document")
    if re.search(r"\bmấy\b", text.lower()) if text else re.search(r"\bmay\b", bare):
        asks.add("figure")
    return frozenset(asks)


def _unit(bare: str, places: tuple[str, ...]) -> str:
    for p in places:
        bare = re.sub(rf"(?<!\w){re.escape(vn.fold(p))}(?!\w)", " ", bare)
    m = _ASKED_UNIT.search(bare)
    if m:
        return _UNIT_WORDS[m.group(1)]
    return next((u for u, rx in _UNITS if rx.search(bare)), "")


def _without(folded: str, spans: list[tuple[int, int]]) -> str:
    out = list(folded)
    for a, b in spans:
        out[a:b] = " " * (b - a)
    return "".join(out)


def _without_spans(text: str, spans: list[tuple[int, int]], folded: str) -> str:
    """The question without its document references (same offsets in text and folded text)."""
    if len(text) != len(folded):
        return text
    return _without(text, spans)


def _alternatives(text: str, folded: str, accented: bool, kws: list[str], domain: Domain):
    out: dict[str, tuple] = {}
    for exact, loose, longs in domain.abbreviations:
        m = exact.search(text) or (loose.search(folded) if loose is not None else None)
        if not m:
            continue
        short = vn.syllables(m.group(0), folded=not accented)
        if len(short) == 1 and short[0] in kws:
            out[short[0]] = out.get(short[0], ()) + tuple(tuple(vn.syllables(x, folded=not accented)) for x in longs)
    for pattern, targets in domain.synonyms:
        m = pattern.search(folded)
        if not m:
            continue
        # the matched words as the question writes them: "thông báo" gets nothing of "bao lâu"
        said = text[m.start():m.end()] if len(text) == len(folded) else m.group(0)
        phrase = set(vn.syllables(said, folded=not accented))
        alts = tuple(tuple(vn.syllables(t, folded=not accented)) for t in targets)
        for k in kws:
            if k in phrase:
                out[k] = out.get(k, ()) + alts
    return tuple(out.items())
