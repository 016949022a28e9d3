#!/usr/bin/env python3
"""Class probabilities of sequences under a GeneCoding model folder, in PyTorch (no Swift needed).

    python3 scripts/predict_torch.py --model results/checkpoints/<key> --input seqs.fa [--output out.tsv]

The input is FASTA, a `sequence,label` (or `sequence`) CSV, or one sequence a line; the output is the
TSV `genecoding predict` writes (id, prediction, probability_0 ... probability_{C-1}, and label when
the input has labels), so the two can be compared line by line. Sequences longer than the model's
input keep their first max_position_embeddings - 2 tokens, as in training (no windows here).

Needs torch, safetensors and tokenizers; the model code is scripts/genecoding_torch.py.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genecoding_torch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="model folder: config.json, model.safetensors, tokenizer.json")
    parser.add_argument("--input", required=True, help="FASTA, CSV or one sequence a line")
    parser.add_argument("--output", default="-", help="TSV to write (default: standard output)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    model = genecoding_torch.load(args.model)
    ids, sequences, labels = genecoding_torch.read_sequences(args.input)
    probabilities = model.probabilities(sequences, batch_size=args.batch_size)
    classes = model.config["num_labels"]
    header = ["id", "prediction"] + [f"probability_{k}" for k in range(classes)] + (["label"] if labels is not None else [])
    lines = ["\t".join(header)]
    for row, name in enumerate(ids):
        p = probabilities[row].tolist()
        fields = [name, str(max(range(classes), key=lambda k: (p[k], -k)))] + [f"{x:.8f}" for x in p]
        if labels is not None:
            fields.append(str(labels[row]))
        lines.append("\t".join(fields))
    text = "\n".join(lines) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    if labels is not None:
        correct = sum(int(line.split("\t")[1]) == label for line, label in zip(lines[1:], labels))
        print(f"accuracy {correct / len(labels):.4f} on {len(labels)} labelled sequences", file=sys.stderr)


if __name__ == "__main__":
    main()
