"""The setup is self-contained (issue 14, build 4): the provisioning scripts are the project's own,
return at once where the models are already here, and nothing looks outside the repo for them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from ingest.settings import PROJECT_ROOT

from .conftest import gemma_available

SCRIPTS = PROJECT_ROOT / "scripts"


def run_script(name: str, **env) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    # VNQA_NO_HUB: were the cache check wrong, the script must fail here, not reach out.
    done = subprocess.run(["bash", str(SCRIPTS / name)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "VNQA_NO_HUB": "1", "PIP": "false", "PYTHON": sys.executable,
                               **env})
    return done, time.perf_counter() - started


def test_embedding_model_provisioning_returns_at_once_when_cached():
    if not gemma_available():
        pytest.skip("embeddinggemma-300m is not in the HF cache: run bash scripts/provision-embeddinggemma.sh")
    done, seconds = run_script("provision-embeddinggemma.sh")
    assert done.returncode == 0, done.stderr
    assert "already provisioned" in done.stdout and seconds < 5, (done.stdout, seconds)


def test_local_llm_provisioning_returns_at_once_when_present():
    from bot.local_llm import DEFAULT_GGUF

    if not DEFAULT_GGUF.is_file():
        pytest.skip(f"{DEFAULT_GGUF} is missing: run bash scripts/provision-local-llm.sh")
    done, seconds = run_script("provision-local-llm.sh")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(DEFAULT_GGUF) and seconds < 5, (done.stdout, seconds)


def test_an_empty_cache_is_not_taken_for_a_model(tmp_path):
    """With nothing cached, no hub and no pip (PIP=false), the script fails instead of claiming
    the model: the cache check looks for the files, not for a folder."""
    snap = tmp_path / "hub" / "models--google--embeddinggemma-300m" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (snap.parent.parent / "refs").mkdir()
    (snap.parent.parent / "refs" / "main").write_text("abc")
    done, _ = run_script("provision-embeddinggemma.sh", HF_HOME=str(tmp_path))
    assert done.returncode != 0 and "already provisioned" not in done.stdout
    llm, _ = run_script("provision-local-llm.sh", LOCAL_LLM_DIR=str(tmp_path / "llm"), HF_HOME=str(tmp_path))
    assert llm.returncode != 0 and not (tmp_path / "llm" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.ok").exists()


@pytest.mark.parametrize("path", ["scripts/setup.sh", ".ci/run", "Makefile",
                                  "scripts/provision-embeddinggemma.sh", "scripts/provision-local-llm.sh"])
def test_setup_uses_only_the_projects_own_scripts(path):
    text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"shared/tools|/work/shared|VNQA_SHARED", text), path
    if path == "scripts/setup.sh":
        assert "scripts/provision-embeddinggemma.sh" in text and "scripts/provision-local-llm.sh" in text
        for name in ("provision-embeddinggemma.sh", "provision-local-llm.sh", "embeddinggemma-wheels.sha256",
                     "local-llm-wheels.sha256"):
            assert (SCRIPTS / name).is_file(), name


def test_the_app_setup_leaves_test_tools_to_make_test():
    """`make run` (setup.sh) installs the app; Chromium, the dev extra and the test LLM come
    only with `--tests` (`make test`)."""
    text = (SCRIPTS / "setup.sh").read_text(encoding="utf-8")
    body = text.split("set -euo pipefail", 1)[1]  # past the header comment
    before, found, _ = body.partition("if [ $TESTS = 1 ]; then\n  bash scripts/provision-local-llm.sh")
    assert found and "provision-local-llm.sh" not in before
    assert '[ $TESTS = 1 ] && EXTRAS="[dev]"' in text
    assert re.search(r'if \[ \$TESTS = 1 \]; then\n\s+apt_install "the browser tests" \$APT_TESTS', text)
    assert re.search(r'APT_TESTS="chromium"', text) and "chromium" not in text.split('APT_APP="')[1].split('"')[0]
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\tbash scripts/setup.sh\n" in makefile and "\tbash scripts/setup.sh --tests\n" in makefile
