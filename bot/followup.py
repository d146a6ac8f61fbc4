"""Follow-up questions that lean on the previous turn, rewritten into standalone ones by rules.

"Còn PAR Index thì sao?" after "Chỉ tiêu DTI năm 2026 là gì?" becomes
"PAR Index — Chỉ tiêu DTI năm 2026 là gì?": the new topic first (it decides what is answered),
the previous question after it (it carries the context retrieval needs). The LLM mode rewrites
with the model instead (bot/llm.py).

Only real follow-ups are merged:
- a "Còn …" / "Thế …" / "… thì sao?" question;
- a question pointing back ("văn bản đó", "chỉ tiêu này", "nó");
- an elliptical one: no subject of its own ("Ai ký?", "Năm 2025?").
A question naming a document ("Nghị quyết 48/2025/NQ-HĐND do ai ký?"), or with its own subject
and question word ("Chỉ tiêu DTl năm 2026 là gì?", typo included), is never glued to an earlier
one, and neither is a message with no letter or digit ("👍": make_query then asks for a question).

Cues are matched in the question's own script: with diacritics, "còn" is not "con" and "này" is
not the "nay" of "năm nay"; without them, only cues that cannot be read another way count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import fold, has_diacritics

from .query import is_question, keywords

MIN_KEYWORDS = 3  # a question with fewer content words than this leans on the context
MIN_SUBJECT = 3  # syllables before its question word that make a question's own subject


def _words(phrases: str) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases.split("|"), key=len, reverse=True))


# (accented, folded) alternations; the folded ones leave out words that read otherwise folded
# ("con" is also "con"/"cơn", "dau" is "đầu", "nay" is "năm nay").
_LEAD_WORDS = ("còn|vậy còn|thế còn|thế còn về|còn về|còn với|còn của|còn đối với|trong đó|ngoài ra|"
               "riêng|như vậy thì|thế thì|vậy thì|thế|vậy|thế về|vậy về", "vay con|the con|con ve|con voi|con doi voi|trong do|"
                                                      "ngoai ra|the thi|vay thi")
_TRAIL_WORDS = ("thì sao|thì thế nào|thì như thế nào|thì ra sao|nhỉ|vậy|à|nhé", "thi sao|thi the nao|"
                                                                                "thi nhu the nao|thi ra sao")
_QUESTION_WORDS = ("ai|gì|gi|nào|bao nhiêu|bao giờ|mấy|đâu|sao|không|chưa|là gì",
                   "ai|gi|khi nao|luc nao|nam nao|bao nhieu|bao gio|o dau|the nao|ra sao|la gi|co khong")
# Pointing back: a pronoun, or a noun with a demonstrative ("văn bản đó", "chỉ tiêu này").
_POINTER_NOUNS = ("van ban|nghi quyet|nghi dinh|quyet dinh|ke hoach|thong tu|chi tieu|nhiem vu|muc|dieu|"
                  "khoan|chuong trinh|van de|so lieu|con so|cai|viec|noi dung|du an|co quan|don vi")
_POINTER = re.compile(r"(?<!\w)(?:đó|này|ấy|đấy|nó|chúng|nêu trên|kể trên|trên đây)(?!\w)")
_POINTER_FOLDED = re.compile(rf"(?<!\w)(?:{_POINTER_NOUNS}) (?:do|nay|ay|day)(?!\w)|(?<!\w)(?:neu tren|ke tren|tren day)(?!\w)")
# A document named by its number ("48/2025/NQ-HĐND", "70/NQ-HĐND") or kind and number.
_DOC_NUMBER = re.compile(r"(?<!\w)\d+/(?:\d{4}/)?[A-ZĐ][\wĐđ]*(?:-[\wĐđ]+)*")
_DOC_KIND = re.compile(r"(?<!\w)(?:nghi quyet|nghi dinh|quyet dinh|thong tu|chi thi|ke hoach|cong van|luat|"
                       r"bao cao|thong bao|phap lenh|hien phap)(?: so)? \d+")


def _pair(words: tuple[str, str], lead: bool) -> tuple[re.Pattern, re.Pattern]:
    def one(w: str) -> re.Pattern:
        return re.compile(rf"^(?:{_words(w)})(?!\w)[ ,]*" if lead else rf"(?<!\w)(?:{_words(w)})[ ,]*\??$")
    return one(words[0]), one(words[1])


_LEAD, _LEAD_FOLDED = _pair(_LEAD_WORDS, lead=True)
# "Thế" opens a follow-up ("thế năm 2027 thì …") but not as a word of its own ("thế giới", "thế mạnh").
_LEAD = re.compile(r"^(?!thế (?:giới|hệ|mạnh|nào|kỷ|lực|trận|chấp|vị|hiện)(?!\w))" + _LEAD.pattern[1:])
_TRAIL, _TRAIL_FOLDED = _pair(_TRAIL_WORDS, lead=False)
_THEN_WHAT = re.compile(r"(?<!\w)thi (?:sao|the nao|nhu the nao|ra sao)\W*$")  # folded "… thì sao?"
_ASK = re.compile(rf"(?<!\w)(?:{_words(_QUESTION_WORDS[0])})(?!\w)")
_ASK_FOLDED = re.compile(rf"(?<!\w)(?:{_words(_QUESTION_WORDS[1])})(?!\w)")


@dataclass(frozen=True)
class Rewrite:
    standalone: str  # what retrieval sees
    focus: str  # the new part of the question (what the answer must be about)
    is_followup: bool


def rewrite(question: str, history: list[dict] | None) -> Rewrite:
    """Standalone question from a follow-up and the chat history (rules, no model)."""
    previous = _last_user_turn(history)
    if not previous or not is_question(question) or not leans_on_context(question):
        return Rewrite(question, question, False)
    focus = _strip_cues(question)
    if fold(focus).strip(" ?") == fold(previous).strip(" ?"):  # the same question again
        return Rewrite(question, question, False)
    return Rewrite(f"{focus} — {previous}", focus, True)


def leans_on_context(question: str) -> bool:
    """Whether a question needs the previous one: a "còn … thì sao" cue, a pointer back, or no
    subject of its own. A question naming a document or asking about its own subject does not."""
    text, accented = _text(question), has_diacritics(question)
    if _has_cue(text, accented):
        return True
    if _DOC_NUMBER.search(question) or _DOC_KIND.search(fold(text)):
        return False
    if (_POINTER if accented else _POINTER_FOLDED).search(text):
        return True
    if _own_question(text, accented):
        return False
    return len(keywords(question)) < MIN_KEYWORDS


def _text(question: str) -> str:
    """Lowercased, whitespace collapsed, folded when the question has no diacritics."""
    text = " ".join(question.lower().split())
    return text if has_diacritics(question) else fold(text)


def _has_cue(text: str, accented: bool) -> bool:
    lead = _LEAD if accented else _LEAD_FOLDED
    return bool(lead.match(text)) or bool(_THEN_WHAT.search(fold(text)))


def _own_question(text: str, accented: bool) -> bool:
    """A question word after a subject of MIN_SUBJECT syllables, one of them a content word
    other than a number."""
    for ask in (_ASK if accented else _ASK_FOLDED).finditer(text):
        before = re.findall(r"\w+", text[:ask.start()])
        if len(before) >= MIN_SUBJECT and any(not k.isdigit() for k in keywords(" ".join(before))):
            return True  # a year alone is no subject: "năm 2025 tỉnh đứng thứ mấy?" leans
    return False


def _strip_cues(question: str) -> str:
    """Drop 'Còn …', '… thì sao?' around the new topic, keeping the original spelling and whole
    words (the cues are matched word by word)."""
    words = question.strip().rstrip("?").split()
    accented = has_diacritics(question)
    lead, trail = (_LEAD, _TRAIL) if accented else (_LEAD_FOLDED, _TRAIL_FOLDED)
    m = lead.match(_text(" ".join(words)))
    if m is None and not accented and _THEN_WHAT.search(fold(question)):  # "con X thi sao": "còn"
        m = re.match(r"con(?!\w)[ ,]*", _text(" ".join(words)))
    if m and len(m.group(0).split()) < len(words):
        words = words[len(m.group(0).split()):]
    m = trail.search(_text(" ".join(words)))
    if m and len(m.group(0).split()) < len(words):
        words = words[: len(words) - len(m.group(0).split())]
    return " ".join(words).strip(" ,") or question


def _last_user_turn(history: list[dict] | None) -> str:
    """The last user turn that was a question (a "👍" in the history is no context)."""
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user" and is_question(str(turn.get("content", ""))):
            content = turn["content"]
            return content if isinstance(content, str) else str(content)
    return ""
