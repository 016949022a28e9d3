#!/usr/bin/env bash
# make interop-check: the project's private Python environment (scripts/python-env.sh: torch, tokenizers,
# safetensors, transformers, numpy from PyPI; made once, reused after), then scripts/interop_check.py, which trains
# tiny models and holds `genecoding predict` to PyTorch, HF tokenizers and transformers.
#
#   BIN=.build/release/genecoding GUE_DIR=... bash scripts/interop-check.sh
# INTEROP_PYTHON=/path/to/python skips the environment and uses that interpreter as it is.
set -euo pipefail
BIN=${BIN:-.build/release/genecoding}
WORK=${INTEROP_WORK:-build/interop}
if [ -n "${INTEROP_PYTHON:-}" ]; then
  PYTHON=$INTEROP_PYTHON
else
  PYTHON=$(bash scripts/python-env.sh)   # build/python-venv, shared with make bench
fi
# Each run starts from an empty store, so that every model is trained by the current build.
rm -rf "$WORK"
exec "$PYTHON" scripts/interop_check.py --bin "$BIN" --work "$WORK" --gue "${GUE_DIR:-}"
