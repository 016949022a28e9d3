#!/usr/bin/env python3
"""Compares our BPE ids and trained vocabularies with Hugging Face `tokenizers`, file by file.

    GUE_DIR=... PARITY_DUMP_DIR=/tmp/parity swift test -c release --filter ParityDumpTests
    python3 scripts/check_tokenizer_parity.py /tmp/parity

The Swift test writes DUMP_DIR/manifest.tsv with two kinds of lines:
  encode  TOKENIZER.json  SEQUENCES.csv  OUR.ids      our ids, one line per sequence
  train   OURS.json       TRAIN.csv      VOCAB_SIZE   a vocabulary our trainer learned
For each encode line HF encodes the sequences as they are (no special tokens) with the same
tokenizer.json; for each train line HF's BpeTrainer learns from the same sequences with the same
settings (N and other ambiguity codes given as spaces) and the vocabularies and merge lists are
compared. Prints one line per file and a JSON summary; exits 1 on any difference.
"""
import json
import sys
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]


def read_sequences(path):
    lines = Path(path).read_text().splitlines()
    return [line.split(",")[0] for line in lines[1:] if line]


def merges_of(model):
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]


def train_hf(sequences, vocab_size):
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False,
                                  special_tokens=SPECIALS, initial_alphabet=list("ACGT"))
    words = ["".join(c if c in "ACGT" else " " for c in s.upper()) for s in sequences]
    tokenizer.train_from_iterator(words, trainer=trainer)
    return tokenizer


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dump = Path(sys.argv[1])
    loaded = {}
    summary = {"files": 0, "sequences": 0, "mismatched_sequences": 0, "trainings": 0, "trainings_differing": 0}
    for line in (dump / "manifest.tsv").read_text().splitlines():
        kind, tokenizer_path, data_path, last = line.split("\t")
        if kind == "encode":
            tokenizer = loaded.setdefault(tokenizer_path, Tokenizer.from_file(tokenizer_path))
            sequences = read_sequences(data_path)
            theirs = [e.ids for e in tokenizer.encode_batch(sequences, add_special_tokens=False)]
            ours = [[int(x) for x in row.split()] for row in Path(last).read_text().split("\n")[:-1]]
            if len(ours) != len(theirs):
                sys.exit(f"{last}: {len(ours)} lines for {len(theirs)} sequences")
            bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
            summary["files"] += 1
            summary["sequences"] += len(sequences)
            summary["mismatched_sequences"] += len(bad)
            print(f"{Path(tokenizer_path).name:40} {data_path}: {len(sequences)} sequences, {len(bad)} differ")
            for i in bad[:3]:
                print(f"  sequence {i + 1}: ours {ours[i]}, HF {theirs[i]}")
        elif kind == "train":
            ours = json.loads(Path(tokenizer_path).read_text())["model"]
            theirs = json.loads(train_hf(read_sequences(data_path), int(last)).to_str())["model"]
            same_vocab = ours["vocab"] == theirs["vocab"]
            ours_merges, theirs_merges = merges_of(ours), merges_of(theirs)
            first = next((i for i, (a, b) in enumerate(zip(ours_merges, theirs_merges)) if a != b), None)
            same = same_vocab and ours_merges == theirs_merges
            summary["trainings"] += 1
            summary["trainings_differing"] += 0 if same else 1
            print(f"trained on {data_path} (vocab {last}): {len(ours_merges)} merges, "
                  + ("identical to HF" if same else f"differs from HF (vocab equal {same_vocab}, first merge differing {first})"))
    print(json.dumps(summary, indent=2))
    sys.exit(0 if summary["mismatched_sequences"] == 0 and summary["trainings_differing"] == 0 else 1)


if __name__ == "__main__":
    main()
