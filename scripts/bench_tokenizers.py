#!/usr/bin/env python3
"""Times Hugging Face `tokenizers` on the benchmark sequences and checks it learns our vocabulary.

    python3 scripts/bench_tokenizers.py SEQUENCES.txt [--vocab-size 4096] [--ours OURS.json]

SEQUENCES.txt is written by TokenizerBenchmark.run (one sequence a line). Training uses the same
settings as our BPETrainer: BpeTrainer with special tokens [UNK] [CLS] [SEP] [PAD] [MASK] first,
initial alphabet A C G T, min_frequency 0, a Whitespace pre-tokenizer, and every character other
than A C G T given as a space. Encoding is timed twice: `encode_batch` (HF's own thread pool, as
many threads as RAYON_NUM_THREADS or the machine's cores) and a plain loop of `encode` (one
thread, like ours). With --ours, the two vocabularies and merge lists are compared. Prints JSON.
"""
import argparse
import json
import os
import time

import tokenizers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]


def merges_of(model_json):
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model_json["merges"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sequences")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--ours", help="our tokenizer.json, to compare vocabularies")
    args = parser.parse_args()

    sequences = [line.strip() for line in open(args.sequences) if line.strip()]
    words = ["".join(c if c in "ACGT" else " " for c in s.upper()) for s in sequences]

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=args.vocab_size, min_frequency=0, show_progress=False,
                                  special_tokens=SPECIALS, initial_alphabet=list("ACGT"))
    start = time.perf_counter()
    tokenizer.train_from_iterator(words, trainer=trainer)
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    batch = tokenizer.encode_batch(sequences, add_special_tokens=False)
    batch_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for s in sequences:
        tokenizer.encode(s, add_special_tokens=False)
    loop_seconds = time.perf_counter() - start

    result = {
        "tokenizers_version": tokenizers.__version__,
        "sequences": len(sequences),
        "vocabulary_size": tokenizer.get_vocab_size(),
        "train_seconds": round(train_seconds, 3),
        "encode_batch_seconds": round(batch_seconds, 3),
        "encode_batch_threads": os.environ.get("RAYON_NUM_THREADS", f"all ({os.cpu_count()} cores)"),
        "encode_loop_seconds": round(loop_seconds, 3),
        "mean_tokens_per_sequence": round(sum(len(e.ids) for e in batch) / max(1, len(batch)), 3),
    }
    if args.ours:
        theirs = json.loads(tokenizer.to_str())["model"]
        ours = json.load(open(args.ours))["model"]
        ours_merges, theirs_merges = merges_of(ours), merges_of(theirs)
        result["vocabularies_equal"] = ours["vocab"] == theirs["vocab"]
        result["merges_equal"] = ours_merges == theirs_merges
        first = next((i for i, (a, b) in enumerate(zip(ours_merges, theirs_merges)) if a != b), None)
        if first is None and len(ours_merges) != len(theirs_merges):
            first = min(len(ours_merges), len(theirs_merges))
        if first is not None:
            result["first_different_merge"] = {
                "rank": first,
                "ours": ours_merges[first] if first < len(ours_merges) else None,
                "hf": theirs_merges[first] if first < len(theirs_merges) else None,
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
