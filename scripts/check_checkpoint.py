#!/usr/bin/env python3
"""Loads a GeneCoding checkpoint with Hugging Face's safetensors, to show that it is readable
outside Swift, and prints what it holds.

    python3 scripts/check_checkpoint.py CHECKPOINT_DIR
    python3 scripts/check_checkpoint.py MODEL.safetensors [CONFIG.json]

A checkpoint folder holds model.safetensors (the weights) and config.json (the model's shape and
conventions), and tokenizer.json where Hugging Face `tokenizers` can read the model's input.
Prints the configuration, the metadata, each tensor's name, dtype and shape, and the parameter
count; exits with status 1 if a file is missing or unreadable, or a tensor holds NaN or infinity.

Needs numpy and safetensors (pip install numpy safetensors). Building the PyTorch model from the
folder and running it is scripts/genecoding_torch.py's work.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if os.path.isdir(argv[1]):
        weights = os.path.join(argv[1], "model.safetensors")
        config_path = os.path.join(argv[1], "config.json")
    else:
        weights = argv[1]
        config_path = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(weights), "config.json")

    if os.path.exists(config_path):
        with open(config_path) as f:
            config = json.load(f)
        print(f"config {config_path}:")
        for key in sorted(config):
            print(f"  {key}: {json.dumps(config[key])}")
    else:
        print(f"config {config_path}: missing", file=sys.stderr)
        return 1

    with safe_open(weights, framework="numpy") as f:
        metadata = f.metadata() or {}
    tensors = load_file(weights)
    print(f"metadata {weights}:")
    for key in sorted(metadata):
        print(f"  {key}: {metadata[key]}")

    print(f"tensors {weights}:")
    total = 0
    bad = []
    for name in sorted(tensors):
        array = tensors[name]
        total += array.size
        shape = "[" + ", ".join(str(d) for d in array.shape) + "]"
        print(f"  {name}  {array.dtype}  {shape}")
        if array.size and not np.all(np.isfinite(array)):
            bad.append(name)
    print(f"{len(tensors)} tensors, {total} parameters")
    if bad:
        print("not finite: " + ", ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
