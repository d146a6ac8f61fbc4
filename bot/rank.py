"""One ranker for every candidate: features, a logistic model fitted on the dev data, and the
calibrated probability that a candidate answers the question.

Features (`features`), all in [0, 1] or {-1, 0, 1}:
  coverage      idf-weighted share of the question's words in the candidate (its script): its text,
                label and value; a metadata or relation fact also covers the words naming its
                document (kind, number, title, issuer), as it is a fact of the whole document
  coverage_rel  the same relative to the best candidate of the question
  context       coverage of the candidate's whole chunk (the sentence around a clause)
  pairs         share of the question's adjacent word pairs kept together
  rare_missing  idf of the rarest question word the candidate lacks (relative to the corpus max)
  unknown       share of the question's words the corpus never uses
  dense         cosine of question and candidate (units of the top chunks, cached by content)
  dense_rel     the same minus the best candidate's
  cosine        the question's cosine with the candidate's chunk, from dense retrieval (free:
                computed when retrieving; 0 where dense retrieval did not find the chunk)
  cosine_rel    the same minus the best candidate's
  type          the candidate holds what is asked, and one the question does not already say: a
                figure in the asked unit, an agency, a date … (the agency or number the question
                names is no answer to it)
  type_missing  something is asked and the candidate does not hold it
  year          the question's years are nowhere in the candidate's context (its text, heading
                path, its document's title and dates)
  year_own      they are in its own text or heading path ("Kết quả năm 2025")
  place         it is known to be another province's: its document's issuer or title, or its own
                text or headings, name another province and not the one asked
  place_unknown the question's province is not in its context and its document's province is
                unknown (no issuer found, or a national body): weighed, never a mismatch
  rank, retrieval  the chunk's retrieval rank (1/(1+rank)) and relative score; a fact of a whole
                document (metadata, relation) takes its document's best chunk's
  doc           the candidate is in a document the question names (1), in another one (-1)
  other_doc     it is a fact of a whole document (metadata, relation) and the question asks about
                another one: it writes a document number no catalog document has ("Ai ký Nghị quyết
                09/2022/NQ-HĐND?") and does not name this one; unless the fact's own text names
                that number (a relation to it). Such a candidate is never eligible (`eligible`)
  kind          the question names a kind of document ("kế hoạch", "nghị quyết"): 1 when the
                candidate's document is of that kind, -1 when it is known to be another, else 0
  described     idf-weighted share of the question's words that name its document (kind,
                issuer, title, number, year): a document called by description, not by number
  section       its section path holds a section the question names
  source_*      where it comes from (unit, meta, relation, target, task, section)
  length        log length of the quote
  items         a list is asked and the quote introduces one ("… bao gồm:", a heading): the
                answer brings its items

The weights live in bot/data/ranker.json, written by `python -m eval fit-ranker` (logistic
regression, each weight kept to the sign in SIGNS) with the refusal threshold chosen on the dev
split; nothing is tuned by hand.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest import text as vn
from vectorstore.store import Store

from . import evidence as ev
from .candidates import FIELD_LABELS, Candidate, described, introduces, quote_span, section_match
from .question import Question, code_kind
from .verify import DOC_NUMBER

RANKER_FILE = Path(__file__).parent / "data" / "ranker.json"
SOURCES = ("unit", "meta", "relation", "target", "task", "section")
FEATURES = ("coverage", "coverage_rel", "context", "pairs", "rare_missing", "unknown", "dense", "dense_rel",
            "cosine", "cosine_rel", "type", "type_missing", "year", "year_own", "place", "place_unknown", "rank",
            "retrieval", "doc", "other_doc", "kind", "described", "section", "length", "items") + tuple(f"source_{s}" for s in SOURCES)
# The direction each feature may move the probability (the fit keeps each weight to its sign;
# 0: either way). More of the question covered never counts against a candidate; a missing
# asked type, an unknown word, another year or place never count for it.
SIGNS = {"coverage": 1, "coverage_rel": 1, "context": 1, "pairs": 1, "rare_missing": -1, "unknown": -1,
         "dense": 1, "dense_rel": 1, "cosine": 1, "cosine_rel": 1, "type": 1, "type_missing": -1, "year": -1,
         "year_own": 1, "place": -1, "place_unknown": -1, "rank": 1, "retrieval": 1, "doc": 1, "other_doc": -1, "kind": 1, "described": 1,
         "section": 1, "items": 1}
# The features each kind of model does without (they are 0 where it runs).
KINDS = {"dense": (), "hybrid": ("dense", "dense_rel"), "lexical": ("dense", "dense_rel", "cosine", "cosine_rel")}
# Refusal policies (VNQA_REFUSAL), each with its threshold in ranker.json: 'accuracy' (most
# questions handled right on the dev folds) and 'fr05' (false refusals at most 0.05 there).
REFUSAL_POLICIES = ("accuracy", "fr05")
DENSE_CHUNKS, DENSE_MAX = 3, 32  # units embedded per question: from the top 3 chunks, at most 32

_N = r"\d+(?:[.,]\d+)*"  # a whole number: "95", "20.000.000", "4,0"
# A number spelled out, then what it counts: "sáu mươi ngày", "hai phần ba", "sáu thành phần". Its
# first word in lower case ("hai Đội phó"), or capitalised at a sentence start with the next word in
# lower case ("Ba Vì" is a place); "một" and "năm" (also "one" / "year") only before a counted unit.
_NUM_WORDS = "hai|ba|bốn|sáu|bảy|tám|chín|mười"
_SPELLED = (rf"(?<!\w)(?:(?:{_NUM_WORDS})(?: (?:mươi|mốt|tư|lăm|trăm|nghìn|ngàn|một|{_NUM_WORDS}|năm))* "
            r"(?!số\b|cách\b|trong\b)[^\W\d_]\w*|"
            rf"(?:{_NUM_WORDS.title()})(?: (?:mươi|mốt|tư|lăm|trăm|nghìn|ngàn|một|{_NUM_WORDS}|năm))* "
            r"(?!số\b|cách\b|trong\b)[^\W\d_A-ZĐÀ-Ỹ]\w*|"
            r"(?:[Mm]ột|[Nn]ăm)(?: (?:mươi|trăm|nghìn))* (?:phần|lần|người|ngày|tháng|năm|tuần|giờ|đợt|buổi|kỳ))(?!\w)")
_CELL = rf"(?<=\|)\s*{_N}\s*(?=\||$)"  # a number alone in a table cell: its header gives the unit
_FIGURE = re.compile(rf"(?<![\w/(.-]){_N}\s*(?:%|[^\W\d_]+)|(?<![\d/.-])\d{{1,3}}(?:\.\d{{3}})+(?:,\d+)?|{_SPELLED}|{_CELL}",
                     re.MULTILINE)
_UNIT_RX = {"%": rf"{_N}\s*%|phần trăm|{_CELL}", "hạng": rf"(xếp|đứng|hạng)( thứ)? {_N}|thứ {_N}",
            "tỷ": rf"{_N}\s*tỷ|{_CELL}", "triệu": rf"{_N}\s*triệu|{_CELL}",
            "đồng": rf"{_N}\s*(tỷ|triệu|nghìn|ngàn|đồng)|\d{{1,3}}(\.\d{{3}})+|{_CELL}",
            "tuổi": rf"{_N}\s*tuổi|{_SPELLED}", "năm": rf"{_N}\s*năm|{_SPELLED}", "tháng": rf"{_N}\s*tháng|{_SPELLED}",
            "ngày": rf"{_N}\s*ngày|{_SPELLED}", "ha": rf"{_N}\s*ha\b|héc ta|{_CELL}", "km": rf"{_N}\s*km|{_CELL}",
}  # a count of people or times is any figure ("42 công chức", "03 hội nghị")
_UNIT_RX = {u: re.compile(rx, re.MULTILINE) for u, rx in _UNIT_RX.items()}
_AGENCY = re.compile(r"\b(Ủy ban|UBND|Hội đồng|HĐND|Sở|Bộ|Ban|Thường trực|Chủ tịch|Công an|Văn phòng|Cục|Chi cục|"
                     r"Thanh tra|Kho bạc|Trung tâm|Thủ tướng|Chính phủ|Quốc hội|Viện|Tòa án|Đoàn|Mặt trận|Thuế|"
                     r"Bảo hiểm xã hội|Hải quan|Kiểm toán|Ngân hàng|Tỉnh ủy|Thành ủy|Đảng ủy|Lãnh đạo|Thủ trưởng|"
                     r"Giám đốc|Đội trưởng|Trưởng ban|[Nn]gười đứng đầu)\b")
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|ngày \d{1,2}(?: tháng \d{1,2})?\b|tháng \d{1,2}(/\d{4})?|quý [IV1-4]|năm \d{4}|"
                   r"\d{4}\s*[-–]\s*\d{4}|hằng (năm|tháng|quý|tuần)|hàng (năm|tháng|quý)|thường xuyên|"
                   r"\d+ ngày|trước ngày(?: \d{1,2}\b)?|chậm nhất|"
                   r"(?:(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|mốt|tư|lăm|trăm) )+(?:ngày|tuần|tháng|năm)\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A document named by its number ("411/QĐ-TTg", "469-KH/TU": the verifier's pattern) or a law by its
# name ("Luật Giao dịch điện tử").
_DOC_REF = re.compile(DOC_NUMBER.pattern + r"|\b(?:Luật|Bộ luật|Pháp lệnh|Hiến pháp)\s+"
                      r"(?:năm \d{4}|[A-ZĐ]\w*(?:\s+[^\W\d_]+){0,4})")
_AGENCY_SPAN = re.compile(_AGENCY.pattern + r"(?:\s+[\w-]+){0,2}")  # the head and two words: "Sở Tư pháp"
_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")


@dataclass(frozen=True)
class Model:
    weights: np.ndarray
    bias: float
    threshold: float  # refuse when the best candidate's probability is below it
    multi: float  # a further candidate joins a list answer above this share of the best probability
    info: dict
    booster: object = None  # gradient-boosted trees (lightgbm.Booster) in place of the weights

    def probability(self, x: np.ndarray) -> np.ndarray:
        if self.booster is not None:
            return eligible(np.asarray(self.booster.predict(x), dtype=np.float64), x)
        return eligible(1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias))), x)


def eligible(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Probabilities with every candidate of a document known to be another province's than the
    one asked set to 0: its text is never quoted for the province in question. An unknown place
    is no mismatch (`_place`). So is a fact of a document about another document the question
    names by number (`other_doc`)."""
    p = p.copy()
    p[x[:, FEATURES.index("place")] > 0] = 0.0
    p[x[:, FEATURES.index("other_doc")] > 0] = 0.0
    return p


@functools.lru_cache(maxsize=4)
def load_model(kind: str = "hybrid", path: Path = RANKER_FILE, refusal: str = "accuracy") -> Model:
    """The fitted model of one kind (KINDS): 'hybrid' (the default: retrieval's cosines),
    'lexical' (no embedding model) or 'dense' (also each candidate's own cosine,
    VNQA_ANSWER_DENSE), with the threshold of a refusal policy ('accuracy' or 'fr05',
    VNQA_REFUSAL)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("features") != list(FEATURES):
        raise ValueError(f"{path} was fitted on other features; run `python -m eval fit-ranker`")
    m = data["models"][kind]
    thresholds = m.get("thresholds", {"accuracy": m["threshold"]})
    if refusal not in thresholds:
        raise ValueError(f"unknown refusal policy {refusal!r}: one of {', '.join(thresholds)}")
    booster = None
    if m.get("booster"):  # trees in a file beside ranker.json (lightgbm's text format)
        import lightgbm  # noqa: PLC0415  (only a boosted model needs it)

        booster = lightgbm.Booster(model_file=str(Path(path).parent / m["booster"]))
    return Model(np.array(m.get("weights", []), dtype=np.float64), float(m.get("bias", 0.0)),
                 float(thresholds[refusal]), float(m.get("multi", 0.8)), m.get("info", {}), booster)


def features(q: Question, cands: list[Candidate], store: Store, embedder=None) -> np.ndarray:
    """(len(cands), len(FEATURES)) feature matrix."""
    stats = ev.corpus_stats(store)
    dense = _dense(q, cands, embedder)
    metas, context = {}, {}
    rows = []
    kw_idf = {k: stats.idf(k) for k in q.keywords}
    total_idf = sum(kw_idf.values()) or 1.0
    unknown = sum(1 for k in q.keywords if not stats.known(k)) / max(len(q.keywords), 1)
    listed = "list" in q.asks
    for i, c in enumerate(cands):
        text = c.text
        if c.chunk.doc_id not in metas:
            metas[c.chunk.doc_id] = store.get(c.chunk.doc_id)
        meta = metas[c.chunk.doc_id]
        body = q.tokens(f"{c.label} {c.value} {text}")  # "Người ký: …" says "ký"
        if c.source in ("meta", "relation") and meta is not None:  # a fact of the document as a whole
            body |= q.tokens(f"{meta.type} {meta.number} {meta.title} {meta.issuer}")
        head = q.tokens(c.chunk.title) if c.chunk.section_path else set()
        got = sum(w if q.matched(k, body) else 0.5 * w if q.matched(k, head) else 0.0 for k, w in kw_idf.items())
        missing = [w for k, w in kw_idf.items() if not q.matched(k, body | head)]
        joined = " " + " ".join(vn.syllables(f"{c.chunk.title} {text}", folded=not q.accented)) + " "
        pairs = sum(f" {p} " in joined for p in q.pairs) / len(q.pairs) if q.pairs else 0.0
        holds = _holds(q, c, meta)
        asked = bool(q.asks & {"figure", "agency", "when", "document"}) or bool(q.meta_field)
        doc = 0.0 if not q.doc_ids else (1.0 if c.chunk.doc_id in q.doc_ids else -1.0)
        section = 0.0
        if q.sections:
            section = float(all(section_match(kind, num, c.chunk.section_path) for kind, num in q.sections))
        if c.chunk.id not in context:
            whole = q.tokens(c.chunk.text) | head
            context[c.chunk.id] = sum(w for k, w in kw_idf.items() if q.matched(k, whole)) / total_idf
        rows.append([
            got / total_idf, 0.0, context[c.chunk.id], pairs, max(missing, default=0.0) / stats.max_idf, unknown,
            dense[i], 0.0, c.cosine, 0.0,
            float(holds), float(asked and not holds), *_year(q, c, meta), *_place(q, c, meta), 1.0 / (1 + c.rank),
            c.retrieval, doc, _other_doc(q, c), _kind(q, meta), described(q, meta, stats),
            section,
            math.log1p(len(text)) / 8.0, float(listed and _introduces(q, c))] + [float(c.source == s) for s in SOURCES])
    x = np.array(rows, dtype=np.float64).reshape(len(cands), len(FEATURES))
    if len(x):
        cov, dns = FEATURES.index("coverage"), FEATURES.index("dense")
        x[:, FEATURES.index("coverage_rel")] = x[:, cov] / max(x[:, cov].max(), 1e-9)
        x[:, FEATURES.index("dense_rel")] = x[:, dns] - x[:, dns].max()
        cos = FEATURES.index("cosine")
        x[:, FEATURES.index("cosine_rel")] = x[:, cos] - x[:, cos].max()
    return x


def _other_doc(q: Question, c: Candidate) -> float:
    if not q.others or c.source not in ("meta", "relation") or c.chunk.doc_id in q.doc_ids:
        return 0.0
    own = vn.fold(re.sub(r"\s+", "", f"{c.value} {c.text}"))
    return float(not any(vn.fold(o) in own for o in q.others))


def _year(q: Question, c: Candidate, meta) -> tuple[float, float]:
    """(the question's years are nowhere in the candidate's context: its text, heading path and
    document's title and dates; they are in its own text or heading path)."""
    if not q.years:
        return 0.0, 0.0
    asked = {str(y) for y in q.years}
    own = set(_YEAR.findall(f"{c.text} {c.chunk.title}"))
    whole = own | (set(_YEAR.findall(f"{meta.title} {meta.issued} {meta.effective}")) if meta else set())
    return float(not asked <= whole), float(asked <= own)


def _place(q: Question, c: Candidate, meta) -> tuple[float, float]:
    """(another province's: the question's province is not in the candidate's context, and its
    document's issuer or title, or its own text or headings, name another one; the document's
    province is unknown: no issuer found, or a national body's, and the candidate names none).
    An unknown place is never a mismatch; the model weighs it."""
    if not q.places:
        return 0.0, 0.0
    asked = [vn.fold(p) for p in q.places]
    home = vn.fold(f"{meta.issuer} {meta.title}") if meta else ""
    context = f"{home} {vn.fold(meta.place) if meta else ''} {vn.fold(c.chunk.title)} {vn.fold(c.text)}"
    if any(_named(p, context) for p in asked):
        return 0.0, 0.0
    own = f"{c.chunk.title} {c.text}".lower()  # accented: "Lạng Sơn là" names no "Sơn La"
    if _any_province(folded=True).search(home) or _any_province(folded=False).search(own):
        return 1.0, 0.0
    return 0.0, 1.0


@functools.lru_cache(maxsize=2)
def _any_province(folded: bool) -> re.Pattern:
    """Any province's name as a whole word: folded, or lower-cased with its diacritics."""
    names = sorted({vn.fold(p) if folded else p.lower() for p in _provinces()}, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, names))})(?!\w)")


def _named(folded_place: str, folded_text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(folded_place)}(?!\w)", folded_text) is not None


@functools.lru_cache(maxsize=1)
def _provinces() -> tuple[str, ...]:
    from .query import Domain

    return Domain.load().provinces


def _kind(q: Question, meta) -> float:
    """1: the candidate's document is of a kind the question names; -1: of another known kind."""
    if not q.kinds or meta is None:
        return 0.0
    own = _doc_kinds(meta)
    if not own:
        return 0.0
    return 1.0 if own & {vn.fold(k) for k in q.kinds} else -1.0


def _doc_kinds(meta) -> set[str]:
    """The kinds a document is known as, folded: its kind line and its number's code ("KH")."""
    return {vn.fold(meta.type), vn.fold(code_kind(meta.number))} - {""}


def _holds(q: Question, c: Candidate, meta=None) -> bool:
    """The candidate holds one of the kinds of thing asked ("bao lâu một lần": a figure or a
    time), and one the question does not say already. The number of another kind of document
    than the candidate's ("… trên tờ trình số mấy?" of a resolution) is one its text gives
    ("Xét Tờ trình số 428/…"), not its own."""
    text = f"{c.value} {c.text}"
    if q.meta_field == "number" and q.number_of and meta is not None:
        own = _doc_kinds(meta)
        if own and vn.fold(q.number_of) not in own:
            return c.source != "meta" and re.search(rf"\b{re.escape(vn.fold(q.number_of))}\b[^.;:]{{0,80}}?\bso \d",
                                                    vn.fold(c.text)) is not None
    if "section" in q.asks and c.source == "section" and c.value:
        return True  # the part asked, named by its heading path
    # (a field of another document, named by number, is in some text: asked as below)
    if q.meta_field and q.meta_field != "relation" and not (q.others and not q.doc_ids):
        return c.source == "meta" and c.label == FIELD_LABELS.get(q.meta_field, c.label)  # the field asked
    if q.meta_field == "relation":
        return c.source == "relation"
    if "figure" in q.asks:
        if _new(q, _UNIT_RX.get(q.unit, _FIGURE).finditer(text)):
            return True
    if "agency" in q.asks:
        if (c.value and vn.fold(c.value) not in q.folded) or _new(q, _AGENCY_SPAN.finditer(c.text)):
            return True
    if "document" in q.asks and _new(q, _DOC_REF.finditer(text)):
        return True
    if "when" in q.asks:
        return _new(q, _DATE.finditer(text))
    return False


def _new(q: Question, found) -> bool:
    """One of the matches says something the question does not: a number it does not name (whole
    numbers compared: "5%" is new to a question about "15 tuổi"), or words it does not use ("Sở Tư
    pháp" is new to a question about "Sở Khoa học")."""
    named = {_bare(n) for n in _NUMBER.findall(q.text)}
    for m in found:
        numbers = _NUMBER.findall(m.group())
        if numbers and any(_bare(n) not in named for n in numbers):
            return True
        if not numbers and vn.fold(m.group().strip()) not in q.folded:
            return True
    return False


def _bare(number: str) -> str:
    return number.lstrip("0") or "0"  # "03" names 3


def _introduces(q: Question, c: Candidate) -> bool:
    """The candidate's quote is a line that introduces a list ("… bao gồm:", a heading): the answer
    brings the items after it."""
    if c.source in ("meta", "relation"):
        return False
    start, end = quote_span(q, c)
    line = c.chunk.text[start:end].rstrip().split("\n", 1)[0]
    return line.endswith(":") or (end > start and introduces(c.chunk.text, start, end))


def _dense(q: Question, cands: list[Candidate], embedder) -> list[float]:
    """Cosine of the question and each candidate from the top chunks (at most DENSE_MAX)."""
    out = [0.0] * len(cands)
    if embedder is None:
        return out
    chosen = [i for i, c in enumerate(cands) if c.rank < DENSE_CHUNKS or c.source != "unit"][:DENSE_MAX]
    if not chosen:
        return out
    vectors = embedder.embed_documents([cands[i].text for i in chosen], [cands[i].chunk.title for i in chosen])
    sims = vectors @ embedder.embed_query(q.text)
    for i, s in zip(chosen, sims):
        out[i] = float(max(s, 0.0))
    return out
