"""Helpers to run the real app for tests: build a store once, copy it, serve it on a free port.

    store = build_store(tmp / "base")                 # the bundled corpus, lexical-only (fast)
    with AppServer(copy_store(store, tmp / "s1")) as server:
        Client(server.url).predict("…", api_name="/ask")

`AppServer` starts `python app.py --host 127.0.0.1 --port N` in a subprocess with VNQA_STORE set,
waits until the page answers (the app builds its index before serving), and stops it after.
Officials' accounts come only from `<store>/../admins.txt` (absent unless a test writes it:
`write_accounts`) or VNQA_ADMINS given as `env`, never from the project's admins.txt.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

APP = PROJECT_ROOT / "app.py"
QUIET_ENV = {
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false", "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lexical_settings(store: Path, **changes) -> Settings:
    """Settings of a lexical-only store (no embedding model) in `store`."""
    return Settings(store=Path(store), cache_dir=Path(store).parent / "cache", embed_model="none", **changes)


def build_store(folder: Path, embed_model: str = "none") -> Path:
    """Index the bundled corpus into `folder` (as the app does on first run); returns `folder`."""
    from ingest.service import open_store

    settings = Settings(store=Path(folder), cache_dir=Path(folder).parent / "cache", embed_model=embed_model)
    store = open_store(settings, progress=False)
    store.close()
    return Path(folder)


def copy_store(src: Path, dst: Path) -> Path:
    """A private copy of a built store (cheap), so each test's writes stay its own."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".write.lock"))
    return Path(dst)


def write_accounts(store: Path, **passwords: str) -> Path:
    """The accounts file the app of `store` reads (name=password, hashed)."""
    from bot.accounts import save_account

    path = Path(store).parent / "admins.txt"
    for name, password in passwords.items():
        save_account(path, name, password)
    return path


def app_env(store: Path, embed_model: str = "none", **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VNQA_")}
    env.update(QUIET_ENV)
    env.update({"VNQA_STORE": str(store), "VNQA_EMBED_MODEL": embed_model,
                "VNQA_CACHE_DIR": str(Path(store).parent / "cache"),
                "VNQA_ADMIN_FILE": str(Path(store).parent / "admins.txt"),  # none unless a test writes it
                "GRADIO_TEMP_DIR": str(Path(store).parent / "gradio-tmp"),
                "PYTHONPATH": str(PROJECT_ROOT)})
    env.update(extra)
    return env


class AppServer:
    """`python app.py` on a free localhost port, against the store `store`."""

    def __init__(self, store: Path, embed_model: str = "none", timeout: float = 180, **env: str):
        self.store = Path(store)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.timeout = timeout
        self.env = app_env(self.store, embed_model, **env)
        self.log_path = self.store.parent / f"app-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "AppServer":
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=str(PROJECT_ROOT), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"app.py did not answer at {self.url} within {self.timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # manual use: python tests/app_server.py STORE_DIR
    import tempfile

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else build_store(Path(tempfile.mkdtemp()) / "store")
    with AppServer(folder) as server:
        print(server.url, flush=True)
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            pass
