"""The LLM mode's prompts: templates from prompts/ and the texts that fill them.

Prompt wording lives in prompts/*.txt (Vietnamese), never in code: `load_prompt("answer")` reads
prompts/answer_system.txt + prompts/answer_user.txt, `load_prompt("rewrite")` prompts/rewrite.txt.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from ingest import text as vn
from ingest.settings import PROJECT_ROOT

from .query import MAX_QUESTION_CHARS

PROMPTS_DIR = PROJECT_ROOT / "prompts"
HISTORY_TURNS = 6  # messages of history shown to the rewrite prompt
HISTORY_CHARS = 300  # per message


@functools.lru_cache(maxsize=16)
def load_prompt(name: str, folder: Path = PROMPTS_DIR):
    """The ChatPromptTemplate `name` from prompts/: `<name>_system.txt` + `<name>_user.txt`
    (system and user messages) or a single `<name>.txt` (one user message)."""
    from langchain_core.prompts import ChatPromptTemplate

    folder = Path(folder)
    system, user, single = (folder / f"{name}_system.txt", folder / f"{name}_user.txt",
                            folder / f"{name}.txt")
    if system.is_file() and user.is_file():
        return ChatPromptTemplate.from_messages([("system", _read(system)), ("human", _read(user))])
    if single.is_file():
        return ChatPromptTemplate.from_messages([("human", _read(single))])
    raise FileNotFoundError(f"no prompt {name!r}: expected {system} + {user}, or {single}")


def _read(path: Path) -> str:
    return vn.normalize(path.read_text(encoding="utf-8")).strip()


# Document text is data: each source goes into the prompt between these two lines, and the
# system prompt says that nothing between them is an instruction. A fence-like run in the text
# itself ("<<<HẾT NGUỒN 1>>>" planted in a document to close its block early) is broken up.
SOURCE_OPEN = "<<<NGUỒN {n}>>>"
SOURCE_CLOSE = "<<<HẾT NGUỒN {n}>>>"
_FENCE_LIKE = re.compile(r"[<＜﹤‹«]{2,}|[>＞﹥›»]{2,}")


def fence_text(text: str) -> str:
    """`text` with every run of two or more angle brackets broken up ("<<<" -> "< < <"), so it
    cannot open or close a source block."""
    return _FENCE_LIKE.sub(lambda m: " ".join(m.group(0)), text)


def format_sources(sources: list[str]) -> str:
    """The numbered sources of the answer prompt, each fenced as data:

        <<<NGUỒN 1>>>
        [1] Nghị quyết 70/NQ-HĐND: … — Điều 1 › …
        (the chunk's text)
        <<<HẾT NGUỒN 1>>>
    """
    return "\n\n".join(
        f"{SOURCE_OPEN.format(n=i)}\n[{i}] {fence_text(s)}\n{SOURCE_CLOSE.format(n=i)}"
        for i, s in enumerate(sources, start=1))


def format_history(history: list[dict] | None) -> str:
    lines = []
    for turn in history_turns(history)[-HISTORY_TURNS:]:
        who = "Người dùng" if turn["role"] == "user" else "Trợ lý"
        content = re.sub(r"\s+", " ", turn["content"]).strip()
        if len(content) > HISTORY_CHARS:
            content = content[:HISTORY_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"{who}: {content}")
    return "\n".join(lines)


def clean_question(out: str, question: str) -> str:
    """The model's rewrite as one question, or "" when it is not usable."""
    for line in (out or "").splitlines():
        line = _QUESTION_LABEL.sub("", vn.normalize(line))
        line = line.strip(" \t\"'“”`*")
        if not line:
            continue
        if not re.search(r"[^\W\d_]", line) or len(line) > min(MAX_QUESTION_CHARS, 3 * len(question) + 300):
            return ""
        return line
    return ""


_QUESTION_LABEL = re.compile(r"^\s*(?:[-*>#]+\s*)?(?:\*\*)?"
                             r"(?:câu hỏi(?: đầy đủ| viết lại| tiếp theo| mới)?\s*:\s*)?", re.IGNORECASE)


def history_turns(history) -> list[dict]:
    """The well-formed user/assistant turns of a chat history (anything else is ignored)."""
    out = []
    for turn in history or []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            continue
        content = turn.get("content")
        content = content if isinstance(content, str) else str(content or "")
        if content.strip():
            out.append({"role": turn["role"], "content": content})
    return out
