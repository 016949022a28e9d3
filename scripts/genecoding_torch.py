"""A GeneCoding model folder in PyTorch: the classifier rebuilt from config.json, its weights loaded
strictly from model.safetensors, its input made by Hugging Face `tokenizers` from tokenizer.json.

    import genecoding_torch
    model = genecoding_torch.load("results/checkpoints/<key>")
    probabilities = model.probabilities(["ACGTTGCA...", "acgtnnACGT..."])   # [N, classes] torch tensor
    logits = model.logits(sequences)

Written from the Swift sources (Sources/GeneCoding/Model/*.swift) and config.json, which states each
convention; this file reads them from config.json rather than assuming them:
  * input: upper-cased, IUPAC ambiguity codes to N, a token holding N is [UNK] (tokenizer.json's
    normalizer and vocabulary); [CLS] tokens [SEP]; at most max_position_embeddings tokens, the first
    ones kept (tokenizer.json's truncation); [PAD] (id 3) after the end. Characters outside A C G T
    and the ambiguity codes are refused here, as the Swift side refuses them (HF would read them as
    [UNK]).
  * embeddings: word vectors (times sqrt(hidden_size) for sinusoidal) plus the position table for
    sinusoidal (interleaved sin/cos, position 0 at [CLS]) or learned; nothing for RoPE, ALiBi, none.
  * post-norm: LayerNorm after the embeddings and after each residual sum (BERT); pre-norm: LayerNorm
    before each sublayer and once after the last block.
  * attention: q k^T / sqrt(head_size); RoPE rotates q and k per head pairing adjacent channels
    (2i, 2i+1); ALiBi subtracts slope_h * |i - j| (symmetric); padded keys, and later keys for a
    causal model, are masked to -inf before the softmax.
  * feed-forward with the exact erf GELU; pooling by [CLS] + dense + tanh, the mean over real tokens,
    or the last real token; then the linear classifier.
Everything runs in float32, as the Swift engine does, without dropout (evaluation).

Needs torch, safetensors, tokenizers (and numpy). `scripts/predict_torch.py` is a command-line
example; `make interop-check` holds this module to `genecoding predict`.
"""
import json
import math
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file
from tokenizers import Tokenizer

# What Alphabet.swift accepts: bases and IUPAC ambiguity codes, either case.
DNA = re.compile(r"^[ACGTNRYSWKMBDHVacgtnryswkmbdhv]+$")


class Embeddings(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.encoding = g["position_encoding"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        if self.encoding == "learned":
            self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        if g["norm_placement"] == "post":
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        if self.encoding == "sinusoidal":
            details = g.get("position_encoding_details", {})
            self.layout = details.get("layout", "interleaved")
            # sqrt(C) as the Swift engine rounds it: computed in float32.
            self.scale = float(torch.tensor(float(c["hidden_size"]), dtype=torch.float32).sqrt())

    def sinusoidal_table(self, length, width):
        """PE [T, C], float64 then float32: sin(t / 10000^(2i/C)) at 2i and cos at 2i + 1."""
        t = torch.arange(length, dtype=torch.float64)[:, None]
        i = torch.arange(width // 2, dtype=torch.float64)[None, :]
        angle = t / torch.pow(torch.tensor(10000.0, dtype=torch.float64), 2 * i / width)
        if self.layout == "interleaved":
            table = torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1).reshape(length, width)
        elif self.layout == "halves":  # the common layout; not what GeneCoding models use
            table = torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)
        else:
            raise ValueError(f"unknown sinusoidal layout {self.layout}")
        return table.to(torch.float32)

    def forward(self, ids):
        x = self.word_embeddings(ids)  # [B, T, C]
        length, width = ids.shape[1], x.shape[-1]
        if self.encoding == "sinusoidal":
            x = x * torch.tensor(self.scale, dtype=torch.float32) + self.sinusoidal_table(length, width)
        elif self.encoding == "learned":
            x = x + self.position_embeddings.weight[:length]
        if hasattr(self, "LayerNorm"):
            x = self.LayerNorm(x)
        return x


class SelfAttentionProjections(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)


class AttentionOutput(nn.Module):
    def __init__(self, c, post):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        if post:
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Attention(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        post = g["norm_placement"] == "post"
        self.add_module("self", SelfAttentionProjections(c["hidden_size"]))  # HF's name: attention.self.query
        self.output = AttentionOutput(c, post)
        if not post:
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.heads = c["num_attention_heads"]
        self.head_size = c["hidden_size"] // self.heads
        self.encoding = g["position_encoding"]
        self.causal = bool(g.get("causal", False))
        details = g.get("position_encoding_details", {})
        if self.encoding == "alibi":
            slopes = details.get("slopes") or alibi_slopes(self.heads)
            self.register_buffer("slopes", torch.tensor(slopes, dtype=torch.float64).to(torch.float32), persistent=False)
        self.pairing = details.get("pairing", "adjacent")

    def rotate(self, x):
        """RoPE on x [B, H, T, D]: (x_2i, x_2i+1) rotated by t * 10000^(-2i/D)."""
        length, d = x.shape[2], x.shape[3]
        t = torch.arange(length, dtype=torch.float64)[:, None]
        i = torch.arange(d // 2, dtype=torch.float64)[None, :]
        angle = t * torch.pow(torch.tensor(10000.0, dtype=torch.float64), -2 * i / d)
        cos, sin = torch.cos(angle).to(torch.float32), torch.sin(angle).to(torch.float32)
        if self.pairing == "adjacent":
            a, b = x[..., 0::2], x[..., 1::2]
            return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
        if self.pairing == "halves":  # GPT-NeoX's rotate_half; not what GeneCoding models use
            a, b = x[..., : d // 2], x[..., d // 2:]
            return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
        raise ValueError(f"unknown RoPE pairing {self.pairing}")

    def forward(self, x, lengths):
        b, length, width = x.shape
        projections = getattr(self, "self")

        def heads(y):  # [B, T, C] -> [B, H, T, D]
            return y.view(b, length, self.heads, self.head_size).transpose(1, 2)

        q, k, v = heads(projections.query(x)), heads(projections.key(x)), heads(projections.value(x))
        if self.encoding == "rope":
            q, k = self.rotate(q), self.rotate(k)
        scale = torch.tensor(1.0, dtype=torch.float32) / torch.tensor(float(self.head_size), dtype=torch.float32).sqrt()
        scores = torch.matmul(q, k.transpose(-1, -2)) * scale  # [B, H, T, T]
        positions = torch.arange(length)
        if self.encoding == "alibi":
            distance = (positions[:, None] - positions[None, :]).abs().to(torch.float32)
            scores = scores - self.slopes[None, :, None, None] * distance
        hidden = positions[None, None, None, :] >= lengths[:, None, None, None]  # padded keys
        if self.causal:
            hidden = hidden | (positions[None, None, None, :] > positions[None, None, :, None])
        scores = scores.masked_fill(hidden, float("-inf"))
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.output.dense(context.transpose(1, 2).reshape(b, length, width))


class Intermediate(nn.Module):
    def __init__(self, c, post):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        if not post:
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Output(nn.Module):
    def __init__(self, c, post):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        if post:
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Layer(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.post = g["norm_placement"] == "post"
        self.attention = Attention(c, g)
        self.intermediate = Intermediate(c, self.post)
        self.output = Output(c, self.post)

    def feed_forward(self, h):
        return self.output.dense(F.gelu(self.intermediate.dense(h)))  # exact erf GELU

    def forward(self, x, lengths):
        if self.post:  # h = LN1(x + Attn(x)), y = LN2(h + FFN(h))
            h = self.attention.output.LayerNorm(x + self.attention(x, lengths))
            return self.output.LayerNorm(h + self.feed_forward(h))
        # pre-norm: h = x + Attn(LN1(x)), y = h + FFN(LN2(h))
        h = x + self.attention(self.attention.LayerNorm(x), lengths)
        return h + self.feed_forward(self.intermediate.LayerNorm(h))


class Encoder(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, g) for _ in range(c["num_hidden_layers"])])
        if g["norm_placement"] == "pre":
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, lengths):
        for layer in self.layer:
            x = layer(x, lengths)
        return self.LayerNorm(x) if hasattr(self, "LayerNorm") else x


class Pooler(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.dense = nn.Linear(width, width)


class GeneCodingClassifier(nn.Module):
    """The Swift TransformerClassifier, with its tensor names (HF BERT's, without the bert. prefix)."""

    def __init__(self, config):
        super().__init__()
        g = config["genecoding"]
        self.config = config
        self.pooling = g["pooling"]
        self.embeddings = Embeddings(config, g)
        self.encoder = Encoder(config, g)
        if self.pooling == "cls":
            self.pooler = Pooler(config["hidden_size"])
        self.classifier = nn.Linear(config["hidden_size"], config["num_labels"])

    def forward(self, input_ids, attention_mask):
        """input_ids, attention_mask [B, T] (1 on real tokens, which come first) -> logits [B, classes]."""
        lengths = attention_mask.sum(dim=1)
        x = self.encoder(self.embeddings(input_ids), lengths)  # [B, T, C]
        rows = torch.arange(x.shape[0])
        if self.pooling == "cls":
            pooled = torch.tanh(self.pooler.dense(x[:, 0]))
        elif self.pooling == "mean":
            pooled = (x * attention_mask[:, :, None].to(x.dtype)).sum(dim=1) / lengths[:, None].to(x.dtype)
        elif self.pooling == "last":
            pooled = x[rows, lengths - 1]
        else:
            raise ValueError(f"unknown pooling {self.pooling}")
        return self.classifier(pooled)


def alibi_slopes(heads):
    """Press et al.'s slopes, as ALiBi.slopes in PositionEncoding.swift (for configs that lack them)."""
    def power_of_two(n):
        start = 2.0 ** (-8.0 / n)
        return [start ** (h + 1) for h in range(n)]
    closest = 2 ** int(math.floor(math.log2(heads)))
    if closest == heads:
        return power_of_two(heads)
    return power_of_two(closest) + power_of_two(2 * closest)[0::2][: heads - closest]


def kmer_tokenizer(k, max_length):
    """The tokenizer.json an older k-mer folder lacks, as KmerTokenizer.write makes it."""
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    vocab = {text: i for i, text in enumerate(specials)}
    for length in range(k, 0, -1):
        for index in range(4 ** length):
            vocab["".join("ACGT"[(index >> (2 * (length - 1 - p))) & 3] for p in range(length))] = len(vocab)
    replace = [{"type": "Replace", "pattern": {"Regex": "[BDHKMNRSVWYbdhkmnrsvwy]"}, "content": "N"}]
    replace += [{"type": "Replace", "pattern": {"String": b.lower()}, "content": b} for b in "ACGT"]
    spec = {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": max_length, "strategy": "LongestFirst", "stride": 0},
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(specials)],
        "normalizer": {"type": "Sequence", "normalizers": replace},
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": ".{1,%d}" % k}, "behavior": "Isolated", "invert": False},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }
    return Tokenizer.from_str(json.dumps(spec))


class LoadedModel:
    """A model folder ready to score sequences: `tokenize`, `logits`, `probabilities`."""

    def __init__(self, folder, config=None):
        with open(os.path.join(folder, "config.json")) as f:
            stored = json.load(f)
        self.config = config or stored
        c = self.config
        if c.get("model_type") not in ("genecoding-encoder", "bert") or "genecoding" not in c:
            raise ValueError(f"{folder}/config.json is not a GeneCoding model folder")
        self.model = GeneCodingClassifier(c)
        weights = load_file(os.path.join(folder, "model.safetensors"))
        self.model.load_state_dict(weights, strict=True)  # every tensor present, none left over
        self.model.eval()
        self.pad_id = c.get("pad_token_id", 3)
        tokenizer_path = os.path.join(folder, "tokenizer.json")
        spec = c["genecoding"].get("tokenizer", "")
        if os.path.exists(tokenizer_path):
            self.tokenizer = Tokenizer.from_file(tokenizer_path)
        elif re.fullmatch(r"kmer:\d", spec):
            self.tokenizer = kmer_tokenizer(int(spec.split(":")[1]), c["max_position_embeddings"])
        else:
            raise FileNotFoundError(f"{tokenizer_path} is missing and {spec or 'the tokenizer'} cannot be rebuilt here; use genecoding predict")
        # The model's input length, as training cut it (older tokenizer.json files lack it).
        self.tokenizer.enable_truncation(max_length=c["max_position_embeddings"])

    def tokenize(self, sequences):
        """Ids of each sequence, [CLS] and [SEP] included, cut to the model's input."""
        for index, sequence in enumerate(sequences):
            if not DNA.match(sequence):
                bad = next((ch for ch in sequence if not DNA.match(ch)), "(empty)")
                raise ValueError(f"sequence {index + 1}: '{bad}' is not a base (A C G T) nor an IUPAC ambiguity code")
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(sequences))]

    def batch(self, ids):
        length = max(len(x) for x in ids)
        input_ids = torch.full((len(ids), length), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(ids), length), dtype=torch.long)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = torch.tensor(x, dtype=torch.long)
            mask[row, : len(x)] = 1
        return input_ids, mask

    @torch.no_grad()
    def logits(self, sequences, batch_size=64):
        ids = self.tokenize(sequences)
        out = []
        for start in range(0, len(ids), batch_size):
            input_ids, mask = self.batch(ids[start:start + batch_size])
            out.append(self.model(input_ids, mask))
        return torch.cat(out) if out else torch.zeros((0, self.config["num_labels"]))

    def probabilities(self, sequences, batch_size=64):
        return torch.softmax(self.logits(sequences, batch_size).to(torch.float64), dim=-1)


def load(folder, config=None):
    """The model folder `folder` (config.json, model.safetensors, tokenizer.json) in PyTorch.
    `config` replaces config.json's content (tests of conventions use it)."""
    return LoadedModel(folder, config)


def read_sequences(path):
    """(ids, sequences, labels or None) of a FASTA, a `sequence[,label]` CSV or one-sequence-a-line
    file, as `genecoding predict` reads them."""
    with open(path, encoding="utf-8-sig") as f:
        lines = [line.strip(" \t\r\n") for line in f]
    first = next((line for line in lines if line), "")
    if first.startswith(">"):
        ids, sequences = [], []
        for line in lines:
            if line.startswith(">"):
                ids.append(line[1:].split()[0])
                sequences.append("")
            elif line:
                sequences[-1] += line
        return ids, sequences, None
    if first in ("sequence,label", "sequence"):
        rows = [line.split(",") for line in lines[lines.index(first) + 1:] if line]
        labels = [int(row[1]) for row in rows] if first == "sequence,label" else None
        return [f"seq{i + 1}" for i in range(len(rows))], [row[0] for row in rows], labels
    sequences = [line for line in lines if line]
    return [f"seq{i + 1}" for i in range(len(sequences))], sequences, None
