#!/usr/bin/env python3
"""Makes the fixtures that hold our BPE tokenizer and trainer to Hugging Face `tokenizers`.

Outputs, next to this script:
  parity_sample.tsv   generated sequences from five synthetic sources (200 each, 70 to 500 bp, like the
                      GUE tasks' lengths), one with an N, and hand-made edge cases (homopolymers,
                      repeats, N runs, the empty sequence); with the ids HF gives them under
                      DNABERT-2's vocabulary and under bpe512.json
  train_sample.txt    the training sample: 2,000 generated sequences, plus three with N
  bpe512.json         the vocabulary HF's BpeTrainer learns from train_sample.txt (size 512)

Every sequence is made here, from a seed: no GUE data is committed. So that BPE has something to
learn, a source is not uniform noise but a second-order Markov chain with its own composition (AT- or
GC-rich), with short "words" planted in it and occasional tandem repeats, which is the kind of
structure (biased k-mer frequencies, recurring motifs, repeats) that drives BPE's merges on genomes.
DNABERT-2's own tokenizer.json is read, never copied: it is shared data the project does not commit.

Rerun from the package root (needs Python `tokenizers`; the committed files were made with the
version named in their banners):

    python3 Tests/GeneCodingTests/Resources/tokenizers/make_tokenizer_fixtures.py

DNABERT-2's file is taken from $DNABERT2_TOKENIZER, else $GUE_DIR/../tokenizers/dnabert2-bpe4096.json.

The same script writes HF's ids for a whole file, for the full-file parity check
(scripts/check_tokenizer_parity.py does this for every file the Swift side dumped):

    python3 make_tokenizer_fixtures.py ids TOKENIZER.json SEQUENCES(.csv|.txt) OUT.ids

How HF is fed, here and in every parity script: a sequence is encoded as it is (one Whitespace
"word"; HF maps a character outside the vocabulary, such as N, to [UNK]); for training, every
character other than A C G T is replaced by a space, so that N splits a sequence into words, which
is what our trainer does.
"""
import os
import random
import sys
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

HERE = Path(__file__).resolve().parent
SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
# Synthetic sources: name, length in bases, share of G+C.
SOURCES = [("synthetic/gc-101", 101, 0.60), ("synthetic/at-300", 300, 0.40), ("synthetic/at-500", 500, 0.35),
           ("synthetic/even-400", 400, 0.50), ("synthetic/gc-70", 70, 0.65)]
SAMPLE_PER_SOURCE = 200
TRAIN_SOURCE = 0
TRAIN_SIZE = 2000
VOCAB_SIZE = 512
SEED = 2507
BANNER = (f"# made by make_tokenizer_fixtures.py with tokenizers {tokenizers.__version__}, "
          f"seed {SEED}; do not edit, rerun the script")


def read_sequences(path):
    """Sequences of a GUE csv (first column, after the header) or of a text file (one a line)."""
    path = Path(path)
    lines = [line.rstrip("\n") for line in path.open()]
    if path.suffix == ".csv":
        return [line.split(",")[0] for line in lines[1:] if line]
    return [line for line in lines if not line.startswith("#")]


class Source:
    """A second-order Markov chain over ACGT with planted words and tandem repeats."""

    def __init__(self, rng, gc):
        weights = {"A": (1 - gc) / 2, "T": (1 - gc) / 2, "C": gc / 2, "G": gc / 2}
        self.next = {}
        for a in "ACGT":
            for b in "ACGT":
                # The composition, tilted at random per context: biased 3-mer frequencies.
                w = [weights[c] * rng.uniform(0.3, 1.7) for c in "ACGT"]
                self.next[a + b] = [x / sum(w) for x in w]
        self.words = ["".join(rng.choices("ACGT", [weights[c] for c in "ACGT"], k=rng.randint(5, 10))) for _ in range(12)]
        self.rng = rng

    def sequence(self, length):
        rng = self.rng
        out = list(rng.choices("ACGT", k=2))
        while len(out) < length:
            roll = rng.random()
            if roll < 0.04:
                out += rng.choice(self.words)
            elif roll < 0.045:
                out += "".join(rng.choices("ACGT", k=rng.randint(1, 3))) * rng.randint(3, 8)
            else:
                out.append(rng.choices("ACGT", self.next[out[-2] + out[-1]])[0])
        return "".join(out[:length])


def training_text(sequence):
    """What HF's trainer is given: ambiguity codes become spaces, so they split words."""
    return "".join(c if c in "ACGT" else " " for c in sequence.upper())


def hf_ids(tokenizer, sequences):
    return [tokenizer.encode(s, add_special_tokens=False).ids for s in sequences]


def train_hf(sequences, vocab_size):
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False,
                                  special_tokens=SPECIALS, initial_alphabet=list("ACGT"))
    tokenizer.train_from_iterator([training_text(s) for s in sequences], trainer=trainer)
    return tokenizer


def edge_cases(with_n):
    cases = [""]
    for base in "ACGT":
        cases += [base * n for n in range(1, 25)] + [base * 101]
    for unit in ["AT", "CG", "TA", "ACG", "AAT", "TTTA"]:
        cases += [unit * n for n in range(1, 13)]
    cases += ["N", "NNNN", "ACGTNACGT", "NACGT", "ACGTN", "AANAA", "AAAANNAAAA", "TTTTNTTTTNTTTT",
              "GGGGGGNCCCCCC", "ANANANANAN", "RYACGTKMACGT", "ACGTSWACGT", "AAAAAAAAAANAAAAAAAAAA"]
    cases.append(with_n)
    return cases


def write_ids(path, ids):
    with open(path, "w") as out:
        for row in ids:
            out.write(" ".join(map(str, row)) + "\n")


def make_fixtures():
    gue = Path(os.environ.get("GUE_DIR", "../shared/data/GUE"))
    dnabert2_path = Path(os.environ.get("DNABERT2_TOKENIZER", gue.parent / "tokenizers/dnabert2-bpe4096.json"))
    if not dnabert2_path.exists():
        sys.exit(f"{dnabert2_path} not found: set DNABERT2_TOKENIZER to DNABERT-2's tokenizer.json")
    dnabert2 = Tokenizer.from_file(str(dnabert2_path))
    rng = random.Random(SEED)
    sources = [(name, length, Source(rng, gc)) for name, length, gc in SOURCES]

    # A generated sequence with one ambiguity code in it.
    with_n = sources[1][2].sequence(300)
    with_n = with_n[:150] + "N" + with_n[151:]

    name, length, source = sources[TRAIN_SOURCE]
    train = [source.sequence(length) for _ in range(TRAIN_SIZE)]
    train += [with_n, "ACGTACGTTTGCANNACGTACGTTTGCA", "NAAAAAAAAAAN"]
    bpe = train_hf(train, VOCAB_SIZE)
    bpe.save(str(HERE / "bpe512.json"))
    with open(HERE / "train_sample.txt", "w") as out:
        out.write(BANNER + "\n")
        for sequence in train:
            out.write(sequence + "\n")

    rows = []
    for name, length, source in sources:
        rows += [(name, source.sequence(length)) for _ in range(SAMPLE_PER_SOURCE)]
    rows += [("edge", s) for s in edge_cases(with_n)]
    sequences = [s for _, s in rows]
    with open(HERE / "parity_sample.tsv", "w") as out:
        out.write(BANNER + f" (DNABERT-2 vocabulary: {dnabert2_path.name})\n")
        out.write("source\tsequence\tdnabert2\tbpe512\n")
        for (source, sequence), a, b in zip(rows, hf_ids(dnabert2, sequences), hf_ids(bpe, sequences)):
            out.write(f"{source}\t{sequence}\t{' '.join(map(str, a))}\t{' '.join(map(str, b))}\n")
    print(f"wrote {len(rows)} sample sequences, {len(train)} training sequences, "
          f"{len(bpe.get_vocab())} tokens to {HERE}")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "ids":
        tokenizer = Tokenizer.from_file(sys.argv[2])
        write_ids(sys.argv[4], hf_ids(tokenizer, read_sequences(sys.argv[3])))
    elif len(sys.argv) == 1:
        make_fixtures()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
