"""The provisioned local LLM, served OpenAI-compatibly (LLM mode without a remote endpoint).

    with local_llm_server() as base_url:     # "http://127.0.0.1:<port>/v1"
        chat = chat_model(Settings(llm_base_url=base_url, ...))

or, for the app and the CLI, in a terminal of its own:

    python -m bot.local_llm --port 8081      # then VNQA_ANSWER_MODE=llm
                                             #      VNQA_LLM_BASE_URL=http://127.0.0.1:8081/v1

The model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, `bash scripts/provision-local-llm.sh`)
is served by the prebuilt `xllamacpp` wheel in a child process, so a crash of the native server
cannot take the caller down and stopping it is certain: the child is terminated when the context
exits, and it exits by itself when its parent goes away (its stdin closes). Used by the LLM
tests and the eval runner.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

DEFAULT_GGUF = Path(os.environ.get("LOCAL_LLM_DIR", Path.home() / ".cache" / "local-llm")) \
    / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
PROVISION = f"bash {Path(__file__).resolve().parents[1] / 'scripts' / 'provision-local-llm.sh'}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_llm_server(gguf: str | Path = DEFAULT_GGUF, port: int | None = None, n_ctx: int = 4096,
                     n_threads: int = 2, startup_timeout_s: float = 180.0) -> Iterator[str]:
    """Serve `gguf` on 127.0.0.1 for the duration of the block; yields the OpenAI base URL."""
    gguf = Path(gguf).expanduser()
    if not gguf.is_file():
        raise FileNotFoundError(f"{gguf} not found; provide it with `{PROVISION}`")
    if port is None:
        port = free_port()
    elif not _port_free(port):  # another server there would answer our health checks
        raise RuntimeError(f"port {port} on 127.0.0.1 is already in use; choose another with --port")
    log = tempfile.NamedTemporaryFile("w+b", prefix="local-llm-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.local_llm", "--child", "--gguf", str(gguf), "--port", str(port),
         "--ctx", str(n_ctx), "--threads", str(n_threads)],
        cwd=str(Path(__file__).resolve().parent.parent),
        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(proc, port, startup_timeout_s, Path(log.name))
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(base_url: str) -> bool:
    """Does the server behind an OpenAI base URL ("http://host:port/v1") answer /health?"""
    try:
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _wait_healthy(proc: subprocess.Popen, port: int, timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the LLM server exited with code {proc.returncode}:\n{_tail(log)}")
        if healthy(f"http://127.0.0.1:{port}/v1"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the LLM server was not healthy after {timeout_s:.0f} s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        proc.stdin.close()  # the child exits when its stdin closes …
    proc.terminate()  # … or on SIGTERM
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _serve(gguf: str, port: int, n_ctx: int, n_threads: int) -> None:
    """Child process: run the xllamacpp server until stdin closes or SIGTERM."""
    import signal

    import xllamacpp

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    p = xllamacpp.CommonParams()
    p.model.path = gguf
    p.hostnames = ["127.0.0.1"]
    p.port = port
    p.n_ctx = n_ctx
    p.n_parallel = 1  # one slot: the whole context for one request, prompt cache reused
    p.cpuparams.n_threads = n_threads
    p.cpuparams_batch.n_threads = n_threads
    p.model_alias = MODEL_NAME
    server = xllamacpp.Server(p)  # noqa: F841 (serves while referenced)
    print(f"serving {gguf} on 127.0.0.1:{port}", flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or dies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.local_llm", description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", default=str(DEFAULT_GGUF), help="the GGUF file (default: the provisioned one)")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # the server process itself
    args = parser.parse_args(argv)
    if args.child:
        _serve(args.gguf, args.port, args.ctx, args.threads)
        return 0
    try:
        with local_llm_server(args.gguf, args.port, args.ctx, args.threads) as url:
            print(f"Mô hình cục bộ đang chạy: VNQA_ANSWER_MODE=llm VNQA_LLM_BASE_URL={url} "
                  f"VNQA_LLM_MODEL={MODEL_NAME} (Ctrl+C để dừng)", flush=True)
            while healthy(url):
                time.sleep(5)
            print("lỗi: máy chủ mô hình cục bộ đã dừng bất thường", file=sys.stderr)
            return 1
    except (FileNotFoundError, RuntimeError) as e:
        print(f"lỗi: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
