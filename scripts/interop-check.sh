#!/usr/bin/env bash
# make interop-check: a private Python environment (build/interop-venv: torch, tokenizers, safetensors,
# transformers, numpy from PyPI; made once, reused after), then scripts/interop_check.py, which trains
# tiny models and holds `genecoding predict` to PyTorch, HF tokenizers and transformers.
#
#   BIN=.build/release/genecoding GUE_DIR=... bash scripts/interop-check.sh
# INTEROP_PYTHON=/path/to/python skips the environment and uses that interpreter as it is.
set -euo pipefail
BIN=${BIN:-.build/release/genecoding}
WORK=${INTEROP_WORK:-build/interop}
VENV=${INTEROP_VENV:-build/interop-venv}
PACKAGES="torch tokenizers safetensors transformers numpy"

if [ -n "${INTEROP_PYTHON:-}" ]; then
  PYTHON=$INTEROP_PYTHON
else
  PYTHON=$VENV/bin/python
  if ! "$PYTHON" -c "import torch, tokenizers, safetensors, transformers, numpy" 2>/dev/null; then
    echo "making $VENV ($PACKAGES; torch from PyPI is large, this takes a few minutes once)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet $PACKAGES
  fi
fi
# Each run starts from an empty store, so that every model is trained by the current build.
rm -rf "$WORK"
exec "$PYTHON" scripts/interop_check.py --bin "$BIN" --work "$WORK" --gue "${GUE_DIR:-}"
