#!/usr/bin/env bash
# The project's private Python for its comparison scripts (PyTorch, Hugging Face tokenizers and
# transformers, safetensors, numpy): build/python-venv, made once from PyPI and reused after; prints
# the interpreter's path. `make bench` and `make interop-check` use it. GENECODING_PYTHON=/path/to/python
# skips it and uses that interpreter as it is.
set -euo pipefail
if [ -n "${GENECODING_PYTHON:-}" ]; then echo "$GENECODING_PYTHON"; exit 0; fi
VENV=${GENECODING_VENV:-build/python-venv}
PACKAGES="torch tokenizers safetensors transformers numpy"
PYTHON=$VENV/bin/python
if ! "$PYTHON" -c "import torch, tokenizers, safetensors, transformers, numpy" 2>/dev/null; then
  echo "making $VENV ($PACKAGES; torch from PyPI is large, this takes a few minutes once)" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --upgrade pip >&2
  "$VENV/bin/pip" install --quiet $PACKAGES >&2
fi
echo "$PYTHON"
