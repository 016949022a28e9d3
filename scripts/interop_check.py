#!/usr/bin/env python3
"""Holds GeneCoding's model folders to independent readers: `make interop-check` runs this.

    python3 scripts/interop_check.py --bin .build/release/genecoding --work build/interop [--gue GUE_DIR]

For every position encoding, both tokenizer kinds, both norm placements, the three poolings and a
causal model, it trains a tiny model (`genecoding train --profile smoke`, a few seconds each, into a
result store under --work), then scores the same sequences three or four ways:
  1. `genecoding predict` (Swift);
  2. scripts/genecoding_torch.py: the model rebuilt in PyTorch from config.json, weights loaded
     strictly, input tokenized by Hugging Face `tokenizers` from the folder's tokenizer.json;
  3. where config.json names an exactly equivalent class (learned positions, post-norm, [CLS]
     pooler), `transformers.BertForSequenceClassification` with the tensors renamed as it says;
and compares token ids: HF `tokenizers` with tokenizer.json against `genecoding tokenize --ids`
reading the same file and, for k-mers, the spec kmer:K.
The sequences are the task's test split (GUE_DIR's, or generated ones when GUE_DIR is absent) plus
edge cases: lower case, ambiguity codes, k-mer tails, and sequences longer than the model's input.

Negative controls show the comparison can fail: the sinusoidal model read with sin/cos halves and
the RoPE model read with GPT-NeoX's pairing must disagree with Swift by more than the tolerance.

Prints a table of max |delta p| per checkpoint (and the spread of log p differences, which are logit
differences up to a constant per sequence); exits 1 on any mismatch: a probability off by more than
TOLERANCE, a different prediction (other than a tie within TOLERANCE), or different token ids.
"""
import argparse
import importlib.metadata
import csv
import json
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import tokenizers  # noqa: E402
import genecoding_torch  # noqa: E402

TOLERANCE = 1e-5
# (label, task kind, tokenizer, position, extra train options); task kind "two" or "three" classes.
# The options after the common ones (--train-limit, --epochs, --learning-rate) override them where
# a tiny model needs more to leave its constant first guess (pre-norm, causal, the 3-class task):
# a model whose outputs hardly vary would make the comparison weak (the table's "sd of p" column).
# (A 1-mer model with [CLS] pooling, or BPE on the 3-class task, stayed constant at this size.)
CHECKPOINTS = [
    ("kmer3-sinusoidal", "two", "kmer:3", "sinusoidal", []),
    ("kmer3-alibi", "two", "kmer:3", "alibi", []),
    ("kmer3-rope", "two", "kmer:3", "rope", []),
    ("kmer3-learned", "two", "kmer:3", "learned", []),
    ("kmer3-none", "two", "kmer:3", "none", []),
    ("kmer6-rope", "two", "kmer:6", "rope", []),
    ("kmer1-rope-mean", "two", "kmer:1", "rope", ["--pooling", "mean"]),
    ("kmer3-alibi-prenorm", "two", "kmer:3", "alibi", ["--norm", "pre", "--learning-rate", "1e-2"]),
    ("kmer4-rope-causal-last", "two", "kmer:4", "rope", ["--causal", "--pooling", "last"]),
    ("kmer5-sinusoidal-mean", "two", "kmer:5", "sinusoidal", ["--pooling", "mean"]),
    ("bpe-rope", "two", "bpe:256", "rope", []),
    ("bpe-learned", "two", "bpe:256", "learned", []),
    ("bpe-alibi-causal-last", "two", "bpe:256", "alibi", ["--causal", "--pooling", "last"]),
    ("bpe-sinusoidal-prenorm-mean", "two", "bpe:256", "sinusoidal", ["--norm", "pre", "--pooling", "mean"]),
    ("kmer3-learned-3class", "three", "kmer:3", "learned", ["--train-limit", "0", "--width", "32"]),
    ("bpe-none", "two", "bpe:256", "none", []),
]
# Real GUE tasks when GUE_DIR has them: a two-class and a three-class one.
GUE_TASKS = {"two": "tf/0", "three": "splice/reconstructed"}


def run(command, stdin=None):
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    return result


def generated_gue(root):
    """A GUE-layout folder of generated tasks (no GUE data needed): motifs decide the class."""
    rng = random.Random(2507)
    motifs = ["TATAAT", "GGGCGG", "CCAAT"]
    for kind, classes in (("two", 2), ("three", 3)):
        folder = os.path.join(root, "generated", kind)
        os.makedirs(folder, exist_ok=True)
        for split, count in (("train", 2000), ("dev", 200), ("test", 120)):
            with open(os.path.join(folder, f"{split}.csv"), "w") as f:
                f.write("sequence,label\n")
                for i in range(count):
                    label = i % classes
                    bases = [rng.choice("ACGT") for _ in range(rng.randint(60, 130))]
                    at = rng.randint(0, len(bases) - 6)
                    bases[at:at + 6] = list(motifs[label].ljust(6, "A"))
                    f.write("".join(bases) + f",{label}\n")
    return {"two": "generated/two", "three": "generated/three"}


def test_sequences(gue, task, limit):
    with open(os.path.join(gue, task, "test.csv")) as f:
        rows = list(csv.reader(f))[1:]
    return [row[0] for row in rows[:limit]], [int(row[1]) for row in rows[:limit]]


def edge_cases(sequences):
    """Lower case, ambiguity codes (each one), tails of every length, and too-long sequences."""
    rng = random.Random(17)
    base = sequences[0]
    cases = [base.lower(), base[:7] + "N" + base[8:], "".join(c.lower() if i % 3 else c for i, c in enumerate(base)),
             "NNNNACGTRYKMSWBDHVacgtnrykmswbdhv", "ACGTACGTA", "A", "AC", "ACG", "ACGTA", base[:-1], base[:-2]]
    cases += ["".join(rng.choice("ACGT") for _ in range(n)) for n in (700, 1500)]
    cases += [base * 8]
    return cases


def write_fasta(path, ids, sequences):
    with open(path, "w") as f:
        for name, sequence in zip(ids, sequences):
            f.write(f">{name} generated for the interop check\n")
            for start in range(0, len(sequence), 60):
                f.write(sequence[start:start + 60] + "\n")


def read_tsv(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    header, body = rows[0], rows[1:]
    columns = [i for i, name in enumerate(header) if name.startswith("probability_")]
    return [r[0] for r in body], [int(r[1]) for r in body], torch.tensor([[float(r[i]) for i in columns] for r in body], dtype=torch.float64)


def bert_probabilities(folder, config, ids):
    """transformers.BertForSequenceClassification, loaded as config.json's equivalent_hf_class says."""
    import transformers
    from safetensors.torch import load_file
    equivalent = config["genecoding"]["equivalent_hf_class"]
    assert equivalent["class"] == "transformers.BertForSequenceClassification", equivalent
    bert_config = transformers.BertConfig(
        vocab_size=config["vocab_size"], hidden_size=config["hidden_size"], num_hidden_layers=config["num_hidden_layers"],
        num_attention_heads=config["num_attention_heads"], intermediate_size=config["intermediate_size"],
        hidden_act=equivalent["config"]["hidden_act"], max_position_embeddings=config["max_position_embeddings"],
        type_vocab_size=equivalent["config"]["type_vocab_size"], layer_norm_eps=config["layer_norm_eps"],
        num_labels=config["num_labels"], pad_token_id=config["pad_token_id"], hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, attn_implementation="eager")
    model = transformers.BertForSequenceClassification(bert_config)
    weights = load_file(os.path.join(folder, "model.safetensors"))
    state = {(name if name.startswith("classifier.") else "bert." + name): value for name, value in weights.items()}
    state["bert.embeddings.token_type_embeddings.weight"] = torch.zeros(1, config["hidden_size"])
    model.load_state_dict(state, strict=True)  # every BERT weight given, none left over
    model.eval()
    length = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), length), config["pad_token_id"], dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for row, x in enumerate(ids):
        input_ids[row, :len(x)] = torch.tensor(x)
        mask[row, :len(x)] = 1
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids)).logits
    return torch.softmax(logits.to(torch.float64), dim=-1), transformers.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=".build/release/genecoding")
    parser.add_argument("--work", default="build/interop")
    parser.add_argument("--gue", default=os.environ.get("GUE_DIR", ""))
    parser.add_argument("--limit", type=int, default=300, help="test sequences per task")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-limit", type=int, default=2000,
                        help="training sequences per model: enough that the tiny models leave chance, so that their outputs vary")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = os.path.abspath(args.work)
    results = os.path.join(work, "results")
    os.makedirs(work, exist_ok=True)

    if args.gue and all(os.path.exists(os.path.join(args.gue, t, "test.csv")) for t in GUE_TASKS.values()):
        gue, tasks, source = args.gue, dict(GUE_TASKS), f"GUE_DIR test splits ({', '.join(GUE_TASKS.values())})"
    else:
        gue = os.path.join(work, "gue")
        tasks, source = generated_gue(gue), "generated sequences (GUE_DIR absent)"
    inputs = {}
    for kind, task in tasks.items():
        sequences, _ = test_sequences(gue, task, args.limit)
        sequences += edge_cases(sequences)
        names = [f"{kind}-{i + 1}" for i in range(len(sequences))]
        path = os.path.join(work, f"{kind}.fa")
        write_fasta(path, names, sequences)
        inputs[kind] = (path, sequences)
    print(f"sequences: {source}, {', '.join(f'{len(s)} for the {k}-class task' for k, (_, s) in inputs.items())} "
          f"(edge cases included); torch {torch.__version__}, tokenizers {tokenizers.__version__}, "
          f"transformers {importlib.metadata.version('transformers')}", flush=True)

    table, failures = [], []
    for label, kind, tokenizer, position, options in CHECKPOINTS:
        started = time.time()
        task = tasks[kind]
        trained = run([args.bin, "train", "--profile", "smoke", "--task", task, "--tokenizer", tokenizer, "--position", position,
                       "--train-limit", str(args.train_limit), "--epochs", str(args.epochs), "--learning-rate", "3e-3", "--threads", "1", "--results", results, "--gue", gue] + options)
        match = re.search(r"model:\s+(\S+)/model\.safetensors", trained.stdout)
        if not match:
            sys.exit(f"{label}: train printed no model folder\n{trained.stdout}")
        folder = match.group(1)
        path, sequences = inputs[kind]
        swift_tsv = os.path.join(work, f"{label}.swift.tsv")
        run([args.bin, "predict", "--model", folder, "--input", path, "--output", swift_tsv, "--threads", "1"])
        _, swift_predictions, swift_p = read_tsv(swift_tsv)

        loaded = genecoding_torch.load(folder)
        with torch.no_grad():
            torch_logits = loaded.logits(sequences).to(torch.float64)
        torch_p = torch.softmax(torch_logits, dim=-1)
        delta = (torch_p - swift_p).abs().max().item()
        # Swift's logits are not printed; log-probability differences stand for them (softmax is
        # shift-invariant, so log p differences are logit differences up to one constant per row).
        log_gap = (torch.log(torch_p) - torch.log(swift_p)).max(dim=1).values - (torch.log(torch_p) - torch.log(swift_p)).min(dim=1).values
        swift_logits_gap = log_gap.max().item()
        torch_predictions = torch_p.argmax(dim=1).tolist()
        top2 = torch_p.topk(2, dim=1).values
        close = (top2[:, 0] - top2[:, 1]) < TOLERANCE
        differing = sum(1 for a, b, tie in zip(torch_predictions, swift_predictions, close.tolist()) if a != b and not tie)
        spread = swift_p.std(dim=0).max().item()  # how much the outputs vary: near 0 would make the check weak

        # Token ids: HF (tokenizer.json, no truncation) against Swift reading the file and the spec.
        hf = tokenizers.Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        hf.no_truncation()
        hf_ids = [e.ids for e in hf.encode_batch(sequences)]
        text = "\n".join(sequences) + "\n"
        from_file = run([args.bin, "tokenize", "--tokenizer", os.path.join(folder, "tokenizer.json"), "--ids", "--special"], stdin=text).stdout
        swift_file_ids = [list(map(int, line.split())) for line in from_file.strip("\n").split("\n")]
        ids_same = hf_ids == swift_file_ids
        if tokenizer.startswith("kmer:"):  # a BPE vocabulary exists only in its file (relearning needs the same sample)
            from_spec = run([args.bin, "tokenize", "--tokenizer", tokenizer, "--ids", "--special"], stdin=text).stdout
            ids_same = ids_same and hf_ids == [list(map(int, line.split())) for line in from_spec.strip("\n").split("\n")]

        config = loaded.config
        bert_delta = None
        if config["genecoding"].get("equivalent_hf_class"):
            bert_p, _ = bert_probabilities(folder, config, loaded.tokenize(sequences))
            bert_delta = (bert_p - swift_p).abs().max().item()

        ok = delta <= TOLERANCE and differing == 0 and ids_same and (bert_delta is None or bert_delta <= TOLERANCE)
        if not ok:
            failures.append(label)
        longest = max(len(x) for x in hf_ids)
        table.append((label, f"{tokenizer} {position} {config['genecoding']['norm_placement']}-norm {config['genecoding']['pooling']}"
                      + (" causal" if config["genecoding"]["causal"] else ""), config["num_labels"], len(sequences),
                      f"{config['max_position_embeddings']} ({longest})", spread, delta, swift_logits_gap, differing,
                      "yes" if ids_same else "NO", bert_delta, "ok" if ok else "MISMATCH", time.time() - started))
        print(f"  {label}: max |dp| {delta:.2e}, transformers {'-' if bert_delta is None else f'{bert_delta:.2e}'}, "
              f"ids {'identical' if ids_same else 'DIFFERENT'} ({time.time() - started:.1f} s)", flush=True)

        # Negative controls, once each: the wrong convention must be caught.
        if label in ("kmer3-sinusoidal", "kmer3-rope"):
            wrong = json.loads(json.dumps(config))
            details = wrong["genecoding"]["position_encoding_details"]
            if position == "sinusoidal":
                details["layout"], what = "halves", "sinusoidal read with sin/cos halves"
            else:
                details["pairing"], what = "halves", "RoPE read with GPT-NeoX's rotate_half pairing"
            wrong_p = genecoding_torch.load(folder, config=wrong).probabilities(sequences)
            wrong_delta = (wrong_p - swift_p).abs().max().item()
            caught = wrong_delta > TOLERANCE
            print(f"  negative control, {what}: max |dp| {wrong_delta:.2e} ({'caught' if caught else 'NOT CAUGHT'})", flush=True)
            if not caught:
                failures.append(f"{label} negative control")

    print()
    print("| checkpoint | model | classes | sequences | model input / longest sequence (tokens) | sd of p (largest over classes) | max |Δp| PyTorch | max Δ log p spread | predictions differing | token ids identical | max |Δp| transformers BERT | verdict | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in table:
        label, model, classes, count, lengths, spread, delta, gap, differing, ids_same, bert_delta, verdict, seconds = row
        print(f"| {label} | {model} | {classes} | {count} | {lengths} | {spread:.3f} | {delta:.1e} | {gap:.1e} | {differing} | {ids_same} | "
              f"{'—' if bert_delta is None else f'{bert_delta:.1e}'} | {verdict} | {seconds:.1f} |")
    print()
    if failures:
        print(f"MISMATCH: {', '.join(failures)}")
        return 1
    print(f"all {len(table)} checkpoints agree within {TOLERANCE:g} (probabilities), with identical predictions and token ids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
