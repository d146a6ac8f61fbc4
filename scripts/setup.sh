#!/usr/bin/env bash
# Set up (or update) the project on a fresh machine. Idempotent; safe to run again.
#   bash scripts/setup.sh          the app: Python venv, models, Tesseract (vie) and LibreOffice
#   bash scripts/setup.sh --tests  also Chromium for the browser tests
# Steps: a .venv with the local CPU torch wheel first (so nothing pulls a CUDA build), the project
# with its dev extra, the embedding model into the Hugging Face cache (offline afterwards), the
# small local LLM used by the LLM-mode tests, Debian's tesseract-ocr(-vie) and
# libreoffice-writer-nogui for scans and .doc files, and (--tests) chromium for the browser tests.
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

# System packages (Debian): OCR of scans and Word 97 .doc files are app needs; Chromium only
# drives the browser tests (`--tests`). Without root or sudo, the exact apt command is printed.
APT_APP="tesseract-ocr tesseract-ocr-vie libreoffice-writer-nogui"
APT_TESTS="chromium"
apt_install() {  # $1: what for; then the packages
  local why=$1; shift
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
      echo "setup: $why needs: sudo apt-get install ${missing[*]}" >&2; return 0; fi
  fi
  echo "setup: installing ${missing[*]} ($why)"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || echo "setup: could not install ${missing[*]}; $why will fail: sudo apt-get install ${missing[*]}" >&2
}
apt_install "reading scans (OCR) and .doc files" $APT_APP
if [ "${1:-}" = "--tests" ]; then
  apt_install "the browser tests" $APT_TESTS
fi
echo "setup: done"
