"""The optional LLM systems: the hook the lead wires once `bot/llm.py` exists.

`build_llm_system(base_url, settings, store, verify)` is the one function that turns an
OpenAI-compatible endpoint into a bot. `llm_endpoint(ctx)` finds the endpoint: `settings.llm_base_url`
(VNQA_LLM_BASE_URL) when set, else the provisioned local GGUF served by xllamacpp in a child
process (stopped when the run ends). Either way the systems are included only when `bot.llm`
imports; otherwise they are skipped with a note.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from ingest.settings import Settings

LOCAL_GGUF = Path.home() / ".cache" / "local-llm" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
LOCAL_MODEL = "qwen2.5-coder-1.5b-instruct"
_FIGURE = re.compile(r"có số |có số liệu")  # the verifier's wording for an unsupported figure

_SERVE = """
import sys, xllamacpp
p = xllamacpp.CommonParams()
p.model.path = sys.argv[1]
p.hostnames = ["127.0.0.1"]
p.port = int(sys.argv[2])
p.cpuparams.n_threads = 2
p.n_ctx = 4096
p.model_alias = sys.argv[3]
server = xllamacpp.Server(p)
sys.stdin.read()  # exit when the parent closes our stdin (or goes away)
"""


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
    why = llm_unavailable(ctx.settings)
    if why:
        raise Skip(why)
    url = ctx.settings.llm_base_url
    if not url:
        proc, url = start_local_server(LOCAL_GGUF)
        ctx.on_close(lambda: stop(proc))
    ctx._llm_url = url
    return url


def start_local_server(gguf: Path, timeout_s: float = 180.0) -> tuple[subprocess.Popen, str]:
    """Serve the GGUF OpenAI-compatibly on a free localhost port; wait until it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", _SERVE, str(gguf), str(port), LOCAL_MODEL],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            from .systems import Skip

            raise Skip(f"the local LLM server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(1.0)
    stop(proc)
    from .systems import Skip

    raise Skip(f"the local LLM server did not answer within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server child we started (by its own handle only)."""
    if proc.poll() is None:
        try:
            proc.stdin.close()  # the child exits when its stdin closes …
            proc.wait(timeout=10)
            return
        except (OSError, subprocess.TimeoutExpired):
            pass
        proc.terminate()  # … or is terminated
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def verifier_stats(answers) -> dict:
    """How often the verifier intervened: flagged answers, fallbacks, figures it caught."""
    flagged = sum(bool(a.flags) for a in answers)
    fallback = sum(a.mode == "llm-fallback" for a in answers)
    figures = sum(1 for a in answers for f in a.flags if _FIGURE.search(f))
    return {"flagged": flagged, "fallback": fallback, "figures_caught": figures}
