"""The optional LLM systems of the QA runner.

`build_llm_system(base_url, settings, store, verify)` is the one function that turns an
OpenAI-compatible endpoint into a bot. `llm_endpoint(ctx)` finds the endpoint: `settings.llm_base_url`
(VNQA_LLM_BASE_URL) when set, else the provisioned local GGUF served by `bot.local_llm` in a
child process (stopped when the run ends). Either way the systems are included only when `bot.llm`
imports; otherwise they are skipped with a note.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import replace

from bot.local_llm import DEFAULT_GGUF as LOCAL_GGUF
from bot.local_llm import MODEL_NAME as LOCAL_MODEL
from ingest.settings import Settings

log = logging.getLogger("vnqa")
_FIGURE = re.compile(r"có số |có số liệu")  # the verifier's wording for an unsupported figure


def build_llm_system(base_url: str, settings: Settings, store, verify: bool = True):
    """The bot `build_bot` makes in LLM mode over `store`, talking to `base_url`."""
    from bot.service import build_bot

    llm = replace(settings, answer_mode="llm", llm_base_url=base_url, llm_verify=verify,
                  llm_model=settings.llm_model or LOCAL_MODEL)
    return build_bot(llm, store=store, progress=False)


def llm_unavailable(settings: Settings) -> str | None:
    """Why the LLM systems cannot run here, or None when they can."""
    if importlib.util.find_spec("bot.llm") is None:
        return "bot/llm.py (LLMAnswerer) is not available"
    if settings.llm_base_url:
        return None
    if not LOCAL_GGUF.exists():
        return f"no VNQA_LLM_BASE_URL and no local model at {LOCAL_GGUF}"
    if importlib.util.find_spec("xllamacpp") is None:
        return "the local model needs the xllamacpp package"
    return None


def llm_endpoint(ctx) -> str:
    """The endpoint for this run (starting the local server once); raises systems.Skip."""
    from .systems import Skip

    cached = getattr(ctx, "_llm_url", None)
    if cached:
        return cached
    why = getattr(ctx, "_llm_skip", None) or llm_unavailable(ctx.settings)
    if why:
        raise Skip(why)
    url = ctx.settings.llm_base_url
    if not url:
        from bot.local_llm import local_llm_server

        server = local_llm_server(LOCAL_GGUF)
        try:
            url = server.__enter__()
        except (RuntimeError, OSError) as e:  # the server exited, never answered, or could not start
            log.warning("local LLM server: %s", e)
            ctx._llm_skip = f"the local LLM server did not start: {str(e).splitlines()[0]} (see the log)"
            raise Skip(ctx._llm_skip) from e
        ctx.on_close(lambda: server.__exit__(None, None, None))
    ctx._llm_url = url
    return url


def verifier_stats(answers) -> dict:
    """How often the verifier intervened: flagged answers, fallbacks, figures it caught."""
    flagged = sum(bool(a.flags) for a in answers)
    fallback = sum(a.mode == "llm-fallback" for a in answers)
    figures = sum(1 for a in answers for f in a.flags if _FIGURE.search(f))
    return {"flagged": flagged, "fallback": fallback, "figures_caught": figures}
