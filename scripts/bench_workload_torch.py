#!/usr/bin/env python3
"""Training speed of PyTorch on the chapters' real work: the batches `genecoding bench` wrote.

    python3 scripts/bench_workload_torch.py WORKLOAD.json --threads 2 [--json out.json]

WORKLOAD.json (Sources/GeneCoding/Bench/WorkloadBenchmark.swift) holds the model's shape and one
epoch of training batches in order: per batch, each sequence's token ids ([CLS] ... [SEP], unpadded)
and its label. This script builds the encoder classifier of scripts/bench_torch_model.py (the one
bench_torch.py times) with the workload's positions (RoPE, learned or none), pads each batch to its
longest sequence with [PAD], which the model masks, and times the same steps as the engine (the
model's training_step: forward, cross-entropy, backward, clipping at 1.0, AdamW with lr 1e-4). One
warm-up step, then the whole epoch. It prints and writes real (unpadded) tokens per second.

Exit status 3 means PyTorch is not available (the caller does not treat it as a failure).
"""
import argparse
import json
import sys
import time

try:
    import torch
    from bench_torch_model import PAD_ID, EncoderClassifier, optimizer_for, training_step
except Exception as error:  # ImportError, or a broken install failing to load its libraries
    print(f"PyTorch not available: cannot import torch ({type(error).__name__}: {error})")
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    with open(args.workload) as f:
        w = json.load(f)
    batches = []
    for batch in w["batches"]:
        t = max(len(s) for s in batch["ids"])
        ids = torch.full((len(batch["ids"]), t), PAD_ID, dtype=torch.long)
        for i, s in enumerate(batch["ids"]):
            ids[i, :len(s)] = torch.tensor(s)
        batches.append((ids, torch.tensor(batch["labels"]), sum(len(s) for s in batch["ids"])))
    model = EncoderClassifier(w["vocab_size"], w["max_length"], w["num_labels"], w["width"], w["heads"], w["feed_forward"],
                              w["layers"], w["dropout"], positions=w["position_encoding"])
    model.train()
    optimizer = optimizer_for(model)

    training_step(model, optimizer, *batches[0][:2])  # warm-up
    start = time.perf_counter()
    for ids, labels, _ in batches:
        training_step(model, optimizer, ids, labels)
    seconds = time.perf_counter() - start
    tokens = sum(b[2] for b in batches)
    result = dict(label=w["label"], torch_version=torch.__version__, steps=len(batches), secondsPerEpoch=seconds,
                  tokensPerSecond=tokens / seconds, threads=args.threads)
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
