"""The encoder classifier our Swift engine trains, in PyTorch, for the speed comparisons of `make bench`
(scripts/bench_torch.py: random 128-token batches; scripts/bench_workload_torch.py: the chapters' real
batches). One model for both, so both rows compare us with the same PyTorch code.

Post-norm BERT blocks written out with plain torch.nn modules rather than nn.TransformerEncoderLayer,
because
  * our engine has separate Q, K and V projections, as BERT does; nn.MultiheadAttention packs them
    into one [3C, C] in_proj (the same parameter count, but a different matrix product);
  * with the default "math" attention the block is the sequence of operations a typical BERT
    implementation runs (Hugging Face's eager BertSelfAttention): QK^T/sqrt(D) by torch.matmul, an
    additive padding mask, softmax, dropout on the probabilities, times V;
  * nn.TransformerEncoderLayer may take a fused "fast path" in some modes, which would make the
    comparison depend on when that path is eligible.
attention="sdpa" uses F.scaled_dot_product_attention(..., dropout_p=p) with the same mask instead: the
same mathematics, PyTorch's choice of fused kernel.

Positions: "learned" (a table added to the word vectors), "rope" (q and k rotated per head, adjacent
channel pairs (2i, 2i+1), as RoFormer and our engine pair them) or "none". Dropout on the embeddings'
output, the attention probabilities, both residual branches and the head's input; exact-erf GELU;
[CLS] tanh pooler; BERT's initialisation (irrelevant to speed). Training mode only: the float32
evaluation model that reproduces our logits is scripts/genecoding_torch.py.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_ID = 3  # DNABERT-2's [PAD], as our tokenizers number it


class SelfAttention(nn.Module):
    def __init__(self, width, heads, dropout, attention):
        super().__init__()
        self.heads, self.head_size, self.attention = heads, width // heads, attention
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.output = nn.Linear(width, width)
        self.probability_dropout = nn.Dropout(dropout)
        self.dropout_p = dropout

    def forward(self, x, additive_mask, rotary):
        b, t, c = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_size).transpose(1, 2)  # [B, T, C] -> [B, H, T, D]
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        if rotary is not None:
            q, k = rotate(q, *rotary), rotate(k, *rotary)
        if self.attention == "sdpa":
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=additive_mask,
                                                     dropout_p=self.dropout_p if self.training else 0.0)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
            context = torch.matmul(self.probability_dropout(F.softmax(scores, dim=-1)), v)
        return self.output(context.transpose(1, 2).reshape(b, t, c))


def rotate(x, cos, sin):
    """RoPE on x [B, H, T, D], adjacent pairs (2i, 2i+1) turned by t * 10000^(-2i/D)."""
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class EncoderBlock(nn.Module):
    """Post-norm (BERT): h = LN1(x + drop(Attn(x))); y = LN2(h + drop(W2 GELU(W1 h + b1) + b2))."""

    def __init__(self, width, heads, feed_forward, dropout, attention):
        super().__init__()
        self.attention = SelfAttention(width, heads, dropout, attention)
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = nn.LayerNorm(width, eps=1e-12)
        self.intermediate = nn.Linear(width, feed_forward)
        self.feed_forward_output = nn.Linear(feed_forward, width)
        self.feed_forward_dropout = nn.Dropout(dropout)
        self.output_norm = nn.LayerNorm(width, eps=1e-12)

    def forward(self, x, additive_mask, rotary):
        h = self.attention_norm(x + self.attention_dropout(self.attention(x, additive_mask, rotary)))
        f = self.feed_forward_output(F.gelu(self.intermediate(h)))  # exact erf GELU (approximate='none')
        return self.output_norm(h + self.feed_forward_dropout(f))


class EncoderClassifier(nn.Module):
    def __init__(self, vocabulary, max_length, classes, width, heads, feed_forward, layers, dropout,
                 positions="learned", attention="math"):
        super().__init__()
        if positions not in ("learned", "rope", "none"):
            raise ValueError(f"positions must be learned, rope or none, not {positions}")
        self.word_embeddings = nn.Embedding(vocabulary, width)
        self.position_embeddings = nn.Embedding(max_length, width) if positions == "learned" else None
        self.embedding_norm = nn.LayerNorm(width, eps=1e-12)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(EncoderBlock(width, heads, feed_forward, dropout, attention) for _ in range(layers))
        self.pooler = nn.Linear(width, width)
        self.pooled_dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, classes)
        self.rope = positions == "rope"
        d = width // heads
        angles = torch.arange(max_length)[:, None] * torch.pow(10000.0, -torch.arange(0, d, 2) / d)[None, :]
        self.register_buffer("cos", torch.cos(angles), persistent=False)
        self.register_buffer("sin", torch.sin(angles), persistent=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, ids):
        """ids [B, T], padded with PAD_ID after each sequence's end -> logits [B, classes]."""
        t = ids.shape[1]
        x = self.word_embeddings(ids)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings.weight[:t]
        x = self.embedding_dropout(self.embedding_norm(x))
        # Padded keys masked by a large negative added to the scores (our engine masks them too).
        additive_mask = torch.zeros(ids.shape, dtype=x.dtype).masked_fill(ids == PAD_ID, torch.finfo(x.dtype).min)[:, None, None, :]
        rotary = (self.cos[:t], self.sin[:t]) if self.rope else None
        for block in self.blocks:
            x = block(x, additive_mask, rotary)
        return self.classifier(self.pooled_dropout(torch.tanh(self.pooler(x[:, 0]))))


def optimizer_for(model, learning_rate=1e-4):
    """AdamW as our engine runs it: weight decay 0.01 on the weights (linear matrices and embedding
    tables), none on biases or LayerNorm parameters; PyTorch's default implementation for CPU tensors."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        is_norm = name.split(".")[-2].endswith("norm")
        (no_decay if name.endswith("bias") or is_norm else decay).append(p)
    return torch.optim.AdamW([dict(params=decay, weight_decay=0.01), dict(params=no_decay, weight_decay=0.0)],
                             lr=learning_rate, betas=(0.9, 0.999), eps=1e-8)


def training_step(model, optimizer, ids, labels):
    """One whole step: forward, cross-entropy (mean over the batch), backward, global-norm clipping to
    1.0, AdamW, zero_grad."""
    loss = F.cross_entropy(model(ids), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss
