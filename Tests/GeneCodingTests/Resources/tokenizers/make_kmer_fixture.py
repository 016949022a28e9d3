#!/usr/bin/env python3
"""Makes kmer_hf_ids.tsv: the ids Hugging Face `tokenizers` gives under the k-mer tokenizer.json files
GeneCoding writes (k = 1 ... 6), for generated sequences with every tail length, lower case and every
IUPAC ambiguity code in either case. KmerFileTests holds WordLevelTokenizer and KmerTokenizer to them.

    python3 Tests/GeneCodingTests/Resources/tokenizers/make_kmer_fixture.py [--bin .build/release/genecoding]

The files come from the Swift side (`genecoding tokenize --tokenizer kmer:K --save`); their SHA-256 is
in the banner, and the test checks that KmerTokenizer still writes exactly those bytes (if not, the
writer changed and this script must be rerun). Needs Python `tokenizers` (make interop-check's
build/interop-venv has it).
"""
import argparse
import hashlib
import os
import random
import subprocess
import tempfile
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent
SEED = 2507
PER_K = 40


def sequences(rng, k):
    """Lengths 1 ... 3k (every tail), plus longer ones; some lower case, some ambiguity codes."""
    out = []
    codes = "NRYSWKMBDHV"
    for i in range(PER_K):
        length = i + 1 if i < 3 * k else rng.randint(3 * k, 120)
        bases = [rng.choice("ACGT") for _ in range(length)]
        if i % 3 == 1:
            bases = [b.lower() if rng.random() < 0.5 else b for b in bases]
        if i % 4 == 2:
            for _ in range(rng.randint(1, 3)):
                code = rng.choice(codes)
                bases[rng.randrange(length)] = code.lower() if rng.random() < 0.5 else code
        out.append("".join(bases))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=".build/release/genecoding")
    args = parser.parse_args()
    rng = random.Random(SEED)
    rows, hashes = [], []
    with tempfile.TemporaryDirectory() as folder:
        for k in range(1, 7):
            path = os.path.join(folder, f"kmer{k}.json")
            subprocess.run([args.bin, "tokenize", "--tokenizer", f"kmer:{k}", "--save", path], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            with open(path, "rb") as f:
                hashes.append(f"kmer:{k} {hashlib.sha256(f.read()).hexdigest()}")
            tokenizer = Tokenizer.from_file(path)
            for sequence in sequences(rng, k):
                rows.append(f"{k}\t{sequence}\t{' '.join(map(str, tokenizer.encode(sequence).ids))}")
    with open(HERE / "kmer_hf_ids.tsv", "w") as f:
        f.write(f"# made by make_kmer_fixture.py with tokenizers {tokenizers.__version__}, seed {SEED}; do not edit, rerun the script\n")
        for line in hashes:
            f.write(f"# sha256 {line}\n")
        f.write("k\tsequence\tids\n")
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
