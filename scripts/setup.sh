#!/usr/bin/env bash
# Set up (or update) the project on a fresh machine. Idempotent; safe to run again.
#   bash scripts/setup.sh          app + tests (Python venv, models, Chromium for browser tests)
# Steps: a .venv with the local CPU torch wheel first (so nothing pulls a CUDA build), the project
# with its dev extra, the embedding model into the Hugging Face cache (offline afterwards), the
# small local LLM used by the LLM-mode tests, and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The shared folder with the provisioning scripts: $VNQA_SHARED, else ../shared next to the clone.
SHARED=${VNQA_SHARED:-}
if [ -z "$SHARED" ]; then
  for d in ../shared ../../shared /work/shared; do [ -d "$d/tools" ] && { SHARED=$d; break; }; done
fi
SHARED=${SHARED:-../shared}
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import torch" 2>/dev/null || $PIP install -q "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
$PIP install -q -e ".[dev]" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import torch, sentence_transformers, chromadb, gradio, underthesea" \
  || { echo "setup: the Python install failed" >&2; exit 1; }

# Models: these scripts are idempotent (a second run returns at once).
if [ -d "$SHARED/tools" ]; then
  PIP="$PIP" bash "$SHARED/tools/provision-embeddinggemma.sh"
  PIP="$PIP" bash "$SHARED/tools/provision-local-llm.sh" >/dev/null
else
  echo "setup: $SHARED/tools not found: no embedding model, the app will run lexical-only" >&2
fi

# Headless Chromium for the browser tests (Debian package; needs root or sudo).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null \
    || echo "setup: could not install chromium; the browser tests will fail" >&2
fi
echo "setup: done"
