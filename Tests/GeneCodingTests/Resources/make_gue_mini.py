#!/usr/bin/env python3
"""Write gue-mini/, a GUE-layout fixture small enough to read by eye, next to this script.

    gue-mini/toy/binary/      2 classes, reduced (has PROVENANCE.md), one train row with an N
    gue-mini/toy/three/       3 classes, lengths 10 to 14, one soft-masked (lower-case) test row
    gue-mini/toy/incomplete/  train.csv and dev.csv only: not a task, must not be listed
    gue-mini/MANIFEST.tsv     path, rows, sha256 prefix (the layout of the real GUE_DIR's manifest)
    gue-mini/SHA256SUMS       `sha256sum` output for every CSV, to hold our SHA-256 against

Deterministic: a fixed seed, LF line endings. Run it from anywhere: python3 make_gue_mini.py
"""
import hashlib
import os
import random
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "gue-mini")

PROVENANCE = """Reduced task (fixture). Built by make_gue_mini.py to stand in for a task whose
official train split was not available: train.csv and dev.csv are a seeded partition of a
larger split. Scores on it are not comparable with published GUE scores.
"""


def dna(rng, length):
    return "".join(rng.choice("ACGT") for _ in range(length))


def write_csv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write("sequence,label\n")
        for sequence, label in rows:
            f.write(f"{sequence},{label}\n")


def main():
    rng = random.Random(7)
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)

    # toy/binary: 8 / 3 / 4 rows of 12 bases; train row 3 (file line 4) holds an N.
    binary = os.path.join(ROOT, "toy", "binary")
    train = [(dna(rng, 12), i % 2) for i in range(8)]
    train[2] = (train[2][0][:5] + "N" + train[2][0][6:], train[2][1])
    write_csv(os.path.join(binary, "train.csv"), train)
    write_csv(os.path.join(binary, "dev.csv"), [(dna(rng, 12), i % 2) for i in range(3)])
    write_csv(os.path.join(binary, "test.csv"), [(dna(rng, 12), i % 2) for i in range(4)])
    with open(os.path.join(binary, "PROVENANCE.md"), "w", newline="\n") as f:
        f.write(PROVENANCE)

    # toy/three: train classes 4 / 3 / 2, lengths 10..14; test row 2 is soft-masked.
    three = os.path.join(ROOT, "toy", "three")
    labels = [0, 0, 0, 0, 1, 1, 1, 2, 2]
    write_csv(os.path.join(three, "train.csv"), [(dna(rng, 10 + i % 5), label) for i, label in enumerate(labels)])
    write_csv(os.path.join(three, "dev.csv"), [(dna(rng, 12), label) for label in (0, 1, 2)])
    test = [(dna(rng, 12), label) for label in (2, 1, 0)]
    test[1] = (test[1][0][:4].lower() + test[1][0][4:], test[1][1])
    write_csv(os.path.join(three, "test.csv"), test)

    # toy/incomplete: no test.csv, so not a task.
    incomplete = os.path.join(ROOT, "toy", "incomplete")
    write_csv(os.path.join(incomplete, "train.csv"), [(dna(rng, 12), 0), (dna(rng, 12), 1)])
    write_csv(os.path.join(incomplete, "dev.csv"), [(dna(rng, 12), 0)])

    csvs = sorted(
        os.path.relpath(os.path.join(folder, name), ROOT)
        for folder, _, names in os.walk(ROOT) for name in names if name.endswith(".csv")
    )
    with open(os.path.join(ROOT, "MANIFEST.tsv"), "w", newline="\n") as f:
        for path in csvs:
            with open(os.path.join(ROOT, path), "rb") as data:
                content = data.read()
            rows = content.count(b"\n") - 1
            f.write(f"{path}\t{rows}\t{hashlib.sha256(content).hexdigest()[:16]}\n")
    sums = subprocess.run(["sha256sum", *csvs], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    with open(os.path.join(ROOT, "SHA256SUMS"), "w", newline="\n") as f:
        f.write(sums)
    print(f"wrote {len(csvs)} CSV files under {ROOT}")


if __name__ == "__main__":
    main()
