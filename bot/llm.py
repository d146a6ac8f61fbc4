"""The optional LLM answer mode: retrieval + an OpenAI-compatible chat model + a verifier.

`LLMAnswerer` answers like this:
  1. a follow-up is rewritten into a standalone question by the model (prompts/rewrite.txt),
     by the rules of bot/followup.py when the model fails;
  2. the extractive answerer's retriever finds the chunks; the best `k_sources` are numbered
     [1]..[n] (document, section path, text) into the prompt (prompts/answer_*.txt, via bot/prompting.py);
  3. the model's answer streams in; [n] markers become citations of the chunk sentence that
     holds the cited figure;
  4. with `verify=True` the answer is checked by bot/verify.py: every [n] names a given source,
     every number is in a source its sentence cites; and, for a figure question ("bao nhiêu",
     "chỉ tiêu" …) the extractive answer has figures for, the model must give one of those
     figures and must not refuse (a small model otherwise copies the wrong passage faithfully:
     every number "verified", none of them the one asked for). An answer that fails, or an
     endpoint that fails, gives the extractive answer instead (mode "llm-fallback", flags say
     why, in Vietnamese). `verify=False` returns the model's text as is (the "without verifier"
     system of the eval);
  5. "Các văn bản hiện có không nêu …" from the model is a refusal (abstained, closest sections).

Document text is data, never instructions: the prompt fences each source (bot/prompting.py's
`format_sources`, prompts/answer_system.txt says what the fences mean). A source passage that
reads like an instruction to the assistant ("bỏ qua hướng dẫn …", "hãy trả lời rằng …", "ignore
previous instructions") puts a flag on the answer, whatever the answer is; the answer is
verified against the sources without such passages, and an answer whose citation is such a
passage falls back: what only an injected sentence says never becomes the answer.

Questions the extractive answerer treats as hostile ("bỏ qua mọi hướng dẫn …") never reach the
model. `stream()` yields growing partial texts, then the final Answer; `stream_answer()` gives
the app one loop for every answerer.

The chat model is any langchain chat model; `chat_model(settings)` builds the ChatOpenAI client.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from typing import Callable, Iterator

from ingest import text as vn
from ingest.errors import LLMError
from ingest.settings import Settings
from vectorstore.types import Filters, Hit

from . import evidence as ev
from .answer import Answerer, ExtractiveAnswerer, is_hostile
from .followup import rewrite as rule_rewrite
from .prompting import clean_question, format_history, format_sources, history_turns, load_prompt
from .query import make_query
from .types import Answer, Citation
from .verify import (MARKER, REFUSAL_PREFIX, disagreement, figures, instruction_flag, instruction_passages,
                     is_refusal, looks_like_instruction, markers, sentences, without_instructions)
from .verify import verify as verify_answer

log = logging.getLogger("vnqa")

FALLBACK_NOTE = "đã dùng câu trả lời trích dẫn."
MAX_ANSWER_TOKENS = 400  # 1-3 sentences; bounds a model that rambles or loops
# "How much" and target questions (folded): their answer is a figure the extractive answer has.
_FIGURE_Q = re.compile(r"\b(bao nhieu|may phan tram|ty le|ti le|phan tram|xep (thu|hang)|thu hang|dung thu|"
                       r"hang may|thu may|muc (tang|giam)|so luong|gia tri|bao xa|chi tieu|muc tieu)\b|%")


# ------------------------------------------------------------------------------ model
def chat_model(settings: Settings):
    """The OpenAI-compatible chat client the settings describe (llama.cpp, vLLM, Ollama …)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model or "local",
                      api_key=settings.llm_api_key, timeout=settings.llm_timeout_s,
                      temperature=0, max_retries=1, streaming=True, max_tokens=MAX_ANSWER_TOKENS)


def stream_answer(answerer: Answerer, question: str, history: list[dict] | None = None,
                  filters: Filters | None = None) -> Iterator[str | Answer]:
    """What the app iterates: partial texts while an LLM answer streams, then the final Answer.
    Answerers without `stream` (the extractive one) yield only the final Answer."""
    stream = getattr(answerer, "stream", None)
    if callable(stream):
        yield from stream(question, history, filters)
    else:
        yield answerer.answer(question, history, filters)


# ------------------------------------------------------------------------------ answerer
class LLMAnswerer(Answerer):
    mode = "llm"

    def __init__(self, extractive: ExtractiveAnswerer, chat, verify: bool = True, k_sources: int = 5,
                 max_source_chars: int = 1500):
        self.extractive = extractive
        self.store = extractive.store
        self.retriever = extractive.retriever
        self.k = extractive.k
        self.chat = chat
        self.verify = verify
        self.k_sources = k_sources
        self.max_source_chars = max_source_chars

    def answer(self, question, history=None, filters=None) -> Answer:
        final = None
        for item in self.stream(question, history, filters):
            final = item
        assert isinstance(final, Answer)
        return final

    def stream(self, question: str, history: list[dict] | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Growing partial texts as the model's tokens arrive, then the final (verified) Answer."""
        started = time.perf_counter()
        make_query(question, filters)  # empty / oversized questions: QueryError, as extractive
        if is_hostile(question):
            yield self._fallback(question, history, filters, [
                "Câu hỏi yêu cầu bỏ qua hướng dẫn hoặc bịa nội dung; không gửi cho mô hình, "
                + FALLBACK_NOTE])
            return
        warnings: list[str] = []  # the sources' passages that read like instructions (flags)
        try:
            standalone = self.standalone(question, history)
            query = make_query(standalone, filters, original=question)
            hits = self.retriever.search(query, self.k)
            used = hits[: self.k_sources]
            sources = [self.source_text(h) for h in used]
            rewritten = standalone if history and standalone != question else ""
            warnings = self.instruction_flags(used)
            if not used:
                yield replace(self.extractive.refuse(hits), mode=self.mode, rewritten=rewritten)
                return
            messages = load_prompt("answer").format_messages(
                sources=format_sources(sources), question=standalone)
            text = ""
            try:
                for chunk in self.chat.stream(messages):
                    piece = _content(chunk)
                    if piece:
                        text += piece
                        yield text
            except Exception as e:  # the endpoint: refused, timed out, bad response …
                raise _llm_error(e) from e
            if not text.strip():
                raise LLMError("the LLM returned an empty answer",
                               f"Mô hình ngôn ngữ trả về câu trả lời rỗng; {FALLBACK_NOTE}")
        except LLMError as e:
            log.warning("LLM answer failed (%s): extractive answer instead", e)
            yield self._fallback(question, history, filters, [e.user_message] + warnings)
            return
        reference: list[Answer] = []  # the extractive answer, computed once when needed

        def extractive() -> Answer:
            if not reference:
                reference.append(self.extractive.answer(question, history, filters))
            return reference[0]

        final, problems = self.finish(text, hits, sources, rewritten, standalone, extractive)
        if problems:  # the verifier rejected the model's answer
            yield self._fallback(question, history, filters,
                                 [f"{p}; {FALLBACK_NOTE}" for p in problems] + warnings, extractive())
            return
        log.info("LLM answer in %.1f s", time.perf_counter() - started)
        yield replace(final, flags=tuple(final.flags) + tuple(warnings)) if warnings else final

    # ---------------------------------------------------------------------------------
    def standalone(self, question: str, history: list[dict] | None) -> str:
        """The follow-up rewritten by the model; by the rules when the model fails. Raises
        LLMError only when the endpoint itself failed (no second wait for the answer call)."""
        if not history_turns(history):
            return question
        try:
            messages = load_prompt("rewrite").format_messages(
                history=format_history(history), question=question)
            out = _content(self.chat.invoke(messages))
        except Exception as e:
            error = _llm_error(e)
            if _is_endpoint_failure(e):
                raise error from e
            log.warning("LLM rewrite failed (%s): rule-based rewrite", e)
            return rule_rewrite(question, history).standalone
        cleaned = clean_question(out, question)
        rules = rule_rewrite(question, history)
        if not cleaned:
            log.warning("LLM rewrite unusable (%r): rule-based rewrite", out[:200])
            return rules.standalone
        if rules.is_followup and vn.fold(cleaned).strip(" ?") == vn.fold(question).strip(" ?"):
            return rules.standalone  # the model left a follow-up as it was: the rules add context
        return cleaned

    def instruction_flags(self, used: list[Hit]) -> list[str]:
        """A flag per source chunk with a passage that reads like an instruction to the assistant
        (bot/verify.py's `instruction_passages`), naming the document and quoting the passage."""
        flags = []
        for hit in used:
            passages = instruction_passages(hit.chunk.text)
            if not passages:
                continue
            meta = self.store.get(hit.chunk.doc_id)
            where = " › ".join(x for x in ((meta.label if meta else "") or hit.chunk.number or hit.chunk.doc_id,
                                           hit.chunk.section.strip()) if x)
            flag = instruction_flag(where, passages[0])
            if flag not in flags:
                flags.append(flag)
        return flags

    def source_text(self, hit: Hit) -> str:
        """How a chunk is shown to the model (and checked by the verifier): document, section
        path, text."""
        chunk = hit.chunk
        meta = self.store.get(chunk.doc_id)
        doc = " ".join(x for x in ((meta.type if meta else ""), chunk.number) if x)
        title = meta.title if meta else ""
        header = " — ".join(x for x in (f"{doc}: {title}" if doc and title else doc or title,
                                        chunk.section) if x)
        body = chunk.text if len(chunk.text) <= self.max_source_chars \
            else chunk.text[: self.max_source_chars].rsplit(" ", 1)[0] + " …"
        return f"{header}\n{body}" if header else body

    def finish(self, text: str, hits: list[Hit], sources: list[str], rewritten: str,
               question: str = "", extractive: Callable[[], Answer] | None = None
               ) -> tuple[Answer | None, list[str]]:
        """The final Answer of a model text, or (None, the verifier's problems).

        With `verify`: bot/verify.py's checks of markers and numbers against the sources (without
        their passages that read like instructions), a citation of such a passage refused, and,
        for a figure question ("bao nhiêu", "chỉ tiêu" …) the extractive answer has figures for,
        agreement with it: the model must give one of those figures and must not refuse."""
        text = _clean(text)
        refused = _refuses(text)
        problems: list[str] = []
        if self.verify:
            text = _drop_repeats(text)  # a looping small model repeats its line word for word
            if not refused:
                problems += verify_answer(text, [without_instructions(s) for s in sources])
            if not problems and extractive is not None and asks_figure(question):
                reference = extractive()
                if not reference.abstained:
                    problems += disagreement(text, reference.text, question, refused)
        if problems:
            return None, problems
        if refused:
            return self._refusal(text, hits, rewritten, question), []
        citations = self.citations(text, hits[: len(sources)])
        if self.verify:
            obeyed = [f"Câu trả lời của mô hình dựa vào một đoạn giống lệnh gửi cho trợ lý trong nguồn [{c.n}]"
                      for c in citations if looks_like_instruction(c.quote)]
            if obeyed:
                return None, obeyed
        return Answer(text=text, citations=tuple(citations), hits=tuple(hits), mode=self.mode,
                      rewritten=rewritten), []

    def citations(self, text: str, used: list[Hit]) -> list[Citation]:
        """A citation per valid [n] of the text: the sentence (or list clause) of chunk n that
        holds the figures — else most of the words — of the answer sentences citing it."""
        out = []
        for n in dict.fromkeys(markers(text)):
            if not 1 <= n <= len(used):
                continue
            claims = " ".join(s for s, ms in sentences(text) if n in ms)
            unit = _best_unit(used[n - 1], claims)
            out.append(ev.cite(n, unit.chunk, unit.start, unit.end, self.store))
        return out

    def _refusal(self, text: str, hits: list[Hit], rewritten: str, question: str = "") -> Answer:
        closest = self.extractive.refuse(hits)
        if self.verify:  # the model's own words, cleaned: first sentence, no markers, no figures
            asked = {f.written for f in figures(question)}  # but the question's own
            first = vn.normalize(text).split("\n")[0]
            first = re.split(r"(?<=[.!?])\s", first)[0]
            what = MARKER.sub("", first)
            what = what[what.find(REFUSAL_PREFIX) + len(REFUSAL_PREFIX):].strip(" .:,") \
                if REFUSAL_PREFIX in what else ""
            if any(f.written not in asked for f in figures(what)) or len(what) > 200:
                what = ""
            answer = self.extractive.refuse(hits, what) if what else closest
        else:
            answer = replace(closest, text=text)
        return replace(answer, hits=tuple(hits), mode=self.mode, rewritten=rewritten)

    def _fallback(self, question, history, filters, flags: list[str],
                  answer: Answer | None = None) -> Answer:
        answer = answer or self.extractive.answer(question, history, filters)
        for flag in flags:
            log.warning("LLM fallback: %s", flag)
        return replace(answer, mode="llm-fallback", flags=tuple(answer.flags) + tuple(flags))


# ------------------------------------------------------------------------------ helpers
def asks_figure(question: str) -> bool:
    """A "how much" or target question: its answer is a figure."""
    return bool(_FIGURE_Q.search(vn.fold(question)))


def _content(message) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                       if isinstance(b, (str, dict)))
    return str(content or "")


def _clean(text: str) -> str:
    text = vn.normalize(text).strip()
    return re.sub(r"^(?:\*\*)?(?:trả lời|câu trả lời)\s*:\s*(?:\*\*)?\s*", "", text, flags=re.IGNORECASE)


def _drop_repeats(text: str) -> str:
    """Lines that repeat an earlier line (list numbers aside) removed; the rest kept as is."""
    seen, kept = set(), []
    for line in text.split("\n"):
        key = re.sub(r"^\s*(?:\d{1,2}[.)]|[-*•])\s*", "", line).strip()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return "\n".join(kept).strip()


def _refuses(text: str) -> bool:
    """Starts with the refusal sentence, or says it without citing anything."""
    return is_refusal(text) or (vn.fold(REFUSAL_PREFIX) in vn.fold(text) and not markers(text))


def _best_unit(hit: Hit, claims: str) -> ev.Unit:
    units = ev.units([hit]) or [ev.Unit(hit.chunk, 0, len(hit.chunk.text), 0)]
    claim_figs = figures(claims)
    claim_words = set(vn.syllables(claims, folded=True))

    def score(unit: ev.Unit) -> tuple[float, float]:
        figs = figures(unit.text, answer_side=False)
        hits = sum(any(f.written == g.written or (f.values & g.values) for g in figs) for f in claim_figs)
        words = set(vn.syllables(unit.text, folded=True))
        overlap = len(words & claim_words) / (len(words) or 1)
        return (hits, overlap)

    return max(units, key=score)


def _is_endpoint_failure(e: Exception) -> bool:
    names = {c.__name__ for c in type(e).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "ConnectError", "TimeoutException",
                         "ConnectionError", "TimeoutError", "APIStatusError"})


def _llm_error(e: Exception) -> LLMError:
    if isinstance(e, LLMError):
        return e
    name = type(e).__name__
    if "Timeout" in name:
        why = "quá thời gian chờ"
    elif "Connection" in name or "Connect" in name:
        why = "không kết nối được"
    else:
        why = f"lỗi {name}"
    return LLMError(f"LLM endpoint failed: {name}: {e}",
                    f"Máy chủ mô hình ngôn ngữ không phản hồi ({why}); {FALLBACK_NOTE}")
