"""Follow-up questions that lean on the previous turn, rewritten into standalone ones by rules.

"Còn PAR Index thì sao?" after "Chỉ tiêu DTI năm 2026 là gì?" becomes
"PAR Index — Chỉ tiêu DTI năm 2026 là gì?": the new topic first (it decides what is answered),
the previous question after it (it carries the context retrieval needs). A message with no letter
or digit ("👍") is no question and is never merged (make_query then asks for a question). The LLM
mode rewrites with the model instead (bot/llm.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import fold

from .query import is_question, keywords

# Cues (folded) that a question continues the previous one.
_LEAD = re.compile(r"^(con|vay|the|the con|vay con|trong do|ngoai ra|rieng|nhu vay|the thi|vay thi|"
                   r"con ve|con voi|con cua)\b[ ,]*")
_TRAIL = re.compile(r"[ ,]*(thi sao|the nao|ra sao|nhi|vay|a|nhe)?\s*\??$")
_PRONOUN = re.compile(r"\b(do|nay|ay|tren|no|cai do|van ban do|nghi quyet do|chi tieu do|muc do)\b")
MIN_KEYWORDS = 3  # a question with fewer content words than this leans on the context


@dataclass(frozen=True)
class Rewrite:
    standalone: str  # what retrieval sees
    focus: str  # the new part of the question (what the answer must be about)
    is_followup: bool


def rewrite(question: str, history: list[dict] | None) -> Rewrite:
    """Standalone question from a follow-up and the chat history (rules, no model)."""
    previous = _last_user_turn(history)
    if not previous or not is_question(question):  # "👍", "???": no question to complete
        return Rewrite(question, question, False)
    folded = fold(question).strip()
    leans = bool(_LEAD.match(folded)) or len(keywords(question)) < MIN_KEYWORDS \
        or bool(_PRONOUN.search(folded))
    if not leans:
        return Rewrite(question, question, False)
    focus = _strip_cues(question)
    return Rewrite(f"{focus} — {previous}", focus, True)


def _strip_cues(question: str) -> str:
    """Drop 'Còn …', '… thì sao?' around the new topic, keeping the original spelling."""
    words = question.strip().rstrip("?").split()
    while words and _LEAD.match(fold(" ".join(words[:2])) + " ") and len(words) > 1:
        lead = _LEAD.match(fold(" ".join(words)))
        n = len(lead.group(0).split()) if lead else 0
        if n == 0:
            break
        words = words[n:]
    text = " ".join(words)
    trail = _TRAIL.search(fold(text))
    if trail and trail.group(1):
        text = " ".join(text.split()[: len(text.split()) - len(trail.group(1).split())])
    return text.strip(" ,") or question


def _last_user_turn(history: list[dict] | None) -> str:
    """The last user turn that was a question (a "👍" in the history is no context)."""
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user" and is_question(str(turn.get("content", ""))):
            content = turn["content"]
            return content if isinstance(content, str) else str(content)
    return ""
