"""A small Transformer encoder-decoder for translation, in plain PyTorch.

Pre-norm layers (LayerNorm before each sub-layer, a final LayerNorm on each stack), one embedding
matrix shared by source, target and output projection (a joint subword vocabulary, as
``autoassist.data.tokenize`` builds), sinusoidal positions, dropout on embeddings, sub-layer outputs
and, optionally, attention weights. Built from a ``TransformerConfig``::

    model = Seq2SeqTransformer(TransformerConfig(vocab_size=tok.vocab_size))
    logits = model(batch.src, batch.tgt_in)                        # (B, T, V), teacher forcing
    hyps = model.greedy_decode(batch.src)                          # list of id lists, no <s>/</s>
    hyps = model.beam_search(batch.src, beam_size=4, length_penalty=1.0)

Decoding is batched and incremental: each decoder layer caches its self-attention keys and values
and the projected encoder output, so step t costs O(t), not O(t^2). A hypothesis is at most
``src_len + max_extra`` tokens long before ``</s>`` (and at most ``max_len - 1``). ``translate``
decodes a whole list of sentences in length-sorted batches and returns them in the original order.
Padding: ``pad_id`` in ``src`` is masked out of every attention; padding in ``tgt_in`` comes after
the real tokens, so the causal mask already keeps real positions from seeing it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from autoassist._errors import check_float, check_int, fail

__all__ = ["Seq2SeqTransformer", "TransformerConfig", "translate"]


@dataclass
class TransformerConfig:
    """Sizes and special ids of a ``Seq2SeqTransformer``. Defaults: 2+2 layers, width 128, ff 512."""

    vocab_size: int
    d_model: int = 128
    n_heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    d_ff: int = 512
    dropout: float = 0.1
    attention_dropout: float = 0.0
    max_len: int = 256  # longest source or target sequence (positions), <s> and </s> included
    pad_id: int = 0
    bos_id: int = 2
    eos_id: int = 3

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "n_heads", "encoder_layers", "decoder_layers", "d_ff", "max_len"):
            check_int(name, getattr(self, name), minimum=1)
        if self.d_model % self.n_heads:
            raise fail("d_model", f"a multiple of n_heads={self.n_heads}", self.d_model)
        for name in ("dropout", "attention_dropout"):
            if not 0.0 <= check_float(name, getattr(self, name)) < 1.0:
                raise fail(name, "in [0, 1)", getattr(self, name))
        for name in ("pad_id", "bos_id", "eos_id"):
            if not 0 <= check_int(name, getattr(self, name)) < self.vocab_size:
                raise fail(name, f"an id in [0, vocab_size={self.vocab_size})", getattr(self, name))


def _sinusoids(length: int, width: int) -> torch.Tensor:
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10_000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)[:, : width // 2]
    return table


class _Attention(nn.Module):
    """Multi-head attention on (B, L, D) inputs; keys and values may come from a cache."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.dropout = n_heads, dropout
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        return x.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.heads(k), self.heads(v)

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
               causal: bool = False) -> torch.Tensor:
        q = self.heads(self.q(x))
        p = self.dropout if self.training else 0.0
        h = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal)
        b, _, n, _ = h.shape
        return self.out(h.transpose(1, 2).reshape(b, n, -1))


class _FeedForward(nn.Sequential):
    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))


class _EncoderLayer(nn.Module):
    def __init__(self, c: TransformerConfig) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.attn = _Attention(c.d_model, c.n_heads, c.attention_dropout)
        self.ff = _FeedForward(c.d_model, c.d_ff, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        k, v = self.attn.keys_values(h)
        x = x + self.drop(self.attn.attend(h, k, v, mask))
        return x + self.drop(self.ff(self.norm2(x)))


@dataclass
class DecoderCache:
    """Per decoder layer: self-attention keys/values so far, and the projected encoder output."""

    self_k: list[torch.Tensor | None]
    self_v: list[torch.Tensor | None]
    memory_kv: list[tuple[torch.Tensor, torch.Tensor]]
    memory_mask: torch.Tensor
    steps: int = 0

    def reorder(self, index: torch.Tensor) -> None:
        """Keep rows ``index`` (beam search: the parents of the surviving hypotheses), in that order."""
        self.self_k = [None if k is None else k.index_select(0, index) for k in self.self_k]
        self.self_v = [None if v is None else v.index_select(0, index) for v in self.self_v]
        self.memory_kv = [(k.index_select(0, index), v.index_select(0, index)) for k, v in self.memory_kv]
        self.memory_mask = self.memory_mask.index_select(0, index)


class _DecoderLayer(nn.Module):
    def __init__(self, c: TransformerConfig) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(c.d_model) for _ in range(3))
        self.self_attn = _Attention(c.d_model, c.n_heads, c.attention_dropout)
        self.cross_attn = _Attention(c.d_model, c.n_heads, c.attention_dropout)
        self.ff = _FeedForward(c.d_model, c.d_ff, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, memory_kv: tuple[torch.Tensor, torch.Tensor], memory_mask: torch.Tensor,
                cache: DecoderCache | None = None, layer: int = 0) -> torch.Tensor:
        h = self.norm1(x)
        k, v = self.self_attn.keys_values(h)
        if cache is None:  # teacher forcing over the whole target
            x = x + self.drop(self.self_attn.attend(h, k, v, causal=True))
        else:  # one new position: attend to every earlier one
            old_k, old_v = cache.self_k[layer], cache.self_v[layer]
            if old_k is not None and old_v is not None:
                k, v = torch.cat([old_k, k], dim=2), torch.cat([old_v, v], dim=2)
            cache.self_k[layer], cache.self_v[layer] = k, v
            x = x + self.drop(self.self_attn.attend(h, k, v))
        x = x + self.drop(self.cross_attn.attend(self.norm2(x), *memory_kv, memory_mask))
        return x + self.drop(self.ff(self.norm3(x)))


class Seq2SeqTransformer(nn.Module):
    """Pre-norm Transformer encoder-decoder with shared embeddings (see the module docstring)."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.d_model, padding_idx=c.pad_id)
        self.register_buffer("positions", _sinusoids(c.max_len, c.d_model), persistent=False)
        self.drop = nn.Dropout(c.dropout)
        self.encoder = nn.ModuleList(_EncoderLayer(c) for _ in range(c.encoder_layers))
        self.decoder = nn.ModuleList(_DecoderLayer(c) for _ in range(c.decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.embed.weight, std=c.d_model ** -0.5)
        with torch.no_grad():
            self.embed.weight[c.pad_id].zero_()

    def _embed(self, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        length = tokens.shape[1]
        if start + length > self.config.max_len:
            raise fail("sequence length", f"at most max_len={self.config.max_len} positions", start + length,
                       "Drop or truncate longer sentences, or build the model with a larger max_len.")
        pos: torch.Tensor = self.positions[start:start + length]  # type: ignore[index]
        return self.drop(self.embed(tokens) * math.sqrt(self.config.d_model) + pos)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the encoder output (B, S, D) and the attention mask (B, 1, 1, S), True where not padding."""
        if src.dim() != 2:
            raise fail("src", "a (B, S) tensor of token ids", f"shape {tuple(src.shape)}")
        mask = (src != self.config.pad_id)[:, None, None, :]
        x = self._embed(src)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.encoder_norm(x), mask

    def _decoder_layers(self) -> list[_DecoderLayer]:
        return [cast(_DecoderLayer, layer) for layer in self.decoder]

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.decoder_norm(x), self.embed.weight)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for decoder inputs ``tgt_in`` (``<s>`` + target, padded)."""
        memory, mask = self.encode(src)
        x = self._embed(tgt_in)
        for layer in self._decoder_layers():
            x = layer(x, layer.cross_attn.keys_values(memory), mask)
        return self._logits(x)

    def start_cache(self, memory: torch.Tensor, mask: torch.Tensor) -> DecoderCache:
        """An empty decoding cache for this encoder output."""
        kv = [layer.cross_attn.keys_values(memory) for layer in self._decoder_layers()]
        n = len(self.decoder)
        return DecoderCache([None] * n, [None] * n, kv, mask)

    def decode_step(self, tokens: torch.Tensor, cache: DecoderCache) -> torch.Tensor:
        """Feed the last token of each row (B,) and return next-token logits (B, V); updates ``cache``."""
        x = self._embed(tokens[:, None], start=cache.steps)
        for i, layer in enumerate(self.decoder):
            x = layer(x, cache.memory_kv[i], cache.memory_mask, cache, i)
        cache.steps += 1
        return self._logits(x)[:, 0]

    def _limits(self, src: torch.Tensor, max_extra: int) -> torch.Tensor:
        src_len = (src != self.config.pad_id).sum(1)
        return (src_len + check_int("max_extra", max_extra, minimum=0)).clamp(max=self.config.max_len - 1)

    def _mask_scores(self, scores: torch.Tensor, step: int, limits: torch.Tensor) -> torch.Tensor:
        """Rule out tokens a hypothesis may not emit at ``step``: pad and ``<s>`` always, ``</s>`` at
        step 0 (no empty output), everything but ``</s>`` once a row reaches its length limit."""
        c = self.config
        scores[:, [c.pad_id, c.bos_id]] = -math.inf
        if step == 0:
            scores[:, c.eos_id] = -math.inf
        at_limit = step >= limits
        scores[at_limit, :] = -math.inf
        scores[at_limit, c.eos_id] = 0.0
        return scores

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, max_extra: int = 50) -> list[list[int]]:
        """Most likely next token at every step; returns each sentence's ids without ``<s>``/``</s>``."""
        c = self.config
        limits = self._limits(src, max_extra)
        memory, mask = self.encode(src)
        cache = self.start_cache(memory, mask)
        b = src.shape[0]
        tokens = torch.full((b,), c.bos_id, dtype=torch.int64, device=src.device)
        done = torch.zeros(b, dtype=torch.bool, device=src.device)
        out: list[list[int]] = [[] for _ in range(b)]
        for step in range(int(limits.max()) + 1):
            tokens = self._mask_scores(self.decode_step(tokens, cache), step, limits).argmax(-1)
            for i in (~done & (tokens != c.eos_id)).nonzero()[:, 0].tolist():
                out[i].append(int(tokens[i]))
            done |= tokens == c.eos_id
            if bool(done.all()):
                break
        return out

    @torch.no_grad()
    def beam_search(self, src: torch.Tensor, beam_size: int = 4, length_penalty: float = 1.0,
                    max_extra: int = 50) -> list[list[int]]:
        """Beam search; returns the best hypothesis of each sentence without ``<s>``/``</s>``.

        A hypothesis that ends scores ``sum log p / length ** length_penalty`` (its length counts
        ``</s>``, as in fairseq). Each step extends the ``beam_size`` best open hypotheses; an ``</s>``
        ranked among the ``beam_size`` best candidates ends one. A sentence stops when it has
        ``beam_size`` ended hypotheses and its best open one, scored as if it ended now, would not
        beat the worst of them (the Hugging Face ``early_stopping=False`` rule), or at its length
        limit. With ``beam_size=1`` this is greedy decoding.
        """
        c = self.config
        k = check_int("beam_size", beam_size, minimum=1)
        alpha = check_float("length_penalty", length_penalty, nonnegative=True)
        limits = self._limits(src, max_extra)
        b, v = src.shape[0], c.vocab_size
        memory, mask = self.encode(src)
        rows = torch.arange(b, device=src.device).repeat_interleave(k)
        cache = self.start_cache(memory.index_select(0, rows), mask.index_select(0, rows))
        row_limits = limits.index_select(0, rows)
        scores = torch.full((b, k), -math.inf, device=src.device)
        scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick duplicates
        tokens = torch.full((b * k,), c.bos_id, dtype=torch.int64, device=src.device)
        history = torch.zeros((b * k, 0), dtype=torch.int64, device=src.device)
        ended: list[list[tuple[float, list[int]]]] = [[] for _ in range(b)]  # best first, at most k
        done = [False] * b
        for step in range(int(limits.max()) + 1):
            logp = torch.log_softmax(self.decode_step(tokens, cache).float(), dim=-1)
            total = (scores.view(-1, 1) + self._mask_scores(logp, step, row_limits)).view(b, -1)  # (B, K * V)
            top_scores, top_ids = total.topk(min(2 * k, total.shape[1]), dim=1)
            top_list, id_list = top_scores.tolist(), top_ids.tolist()
            keep_row: list[int] = []
            keep_word: list[int] = []
            keep_score: list[float] = []
            for i in range(b):
                chosen: list[tuple[int, int, float]] = []  # (row, word, score) of the open hypotheses kept
                for j, (score, flat) in enumerate(zip(top_list[i], id_list[i])):
                    if done[i] or score == -math.inf or len(chosen) == k:
                        break
                    row, word = i * k + flat // v, flat % v
                    if word != c.eos_id:
                        chosen.append((row, word, score))
                    elif j < k:
                        ids = history[row].tolist()
                        ended[i].append((score / (len(ids) + 1) ** alpha, ids))
                        ended[i] = sorted(ended[i], key=lambda h: -h[0])[:k]
                if not done[i]:
                    best_open = max((sc for _, _, sc in chosen), default=-math.inf) / (step + 1) ** alpha
                    done[i] = not chosen or (len(ended[i]) >= k and best_open <= ended[i][-1][0])
                if done[i]:  # keep the rows filled; their scores stay -inf and nothing is read from them
                    chosen = [(i * k, c.eos_id, -math.inf)] * k
                chosen += [(chosen[0][0], chosen[0][1], -math.inf)] * (k - len(chosen))
                for row, word, score in chosen:
                    keep_row.append(row)
                    keep_word.append(word)
                    keep_score.append(score)
            if all(done):
                break
            index = torch.tensor(keep_row, device=src.device)
            tokens = torch.tensor(keep_word, device=src.device)
            scores = torch.tensor(keep_score, device=src.device).view(b, k)
            history = torch.cat([history.index_select(0, index), tokens[:, None]], dim=1)
            cache.reorder(index)
        return [e[0][1] if e else [] for e in ended]


def translate(model: Seq2SeqTransformer, src_ids: Sequence[Sequence[int]], *, beam_size: int = 1,
              length_penalty: float = 1.0, max_extra: int = 50, batch_size: int = 64) -> list[list[int]]:
    """Decode every source id list (no special ids) and return the outputs in the input order.

    Sentences are batched by length (fewer padding positions, shorter decoding loops). The model
    is put in eval mode for the call and restored afterwards. ``beam_size=1`` is greedy decoding.
    An empty source gives an empty output.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    c = model.config
    device = next(model.parameters()).device
    order = sorted((i for i in range(len(src_ids)) if len(src_ids[i])), key=lambda i: len(src_ids[i]))
    out: list[list[int]] = [[] for _ in src_ids]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            width = max(len(src_ids[i]) for i in chunk)
            src = torch.full((len(chunk), width), c.pad_id, dtype=torch.int64)
            for r, i in enumerate(chunk):
                src[r, : len(src_ids[i])] = torch.as_tensor(list(src_ids[i]), dtype=torch.int64)
            src = src.to(device)
            if beam_size == 1:
                hyps = model.greedy_decode(src, max_extra=max_extra)
            else:
                hyps = model.beam_search(src, beam_size, length_penalty, max_extra)
            for i, h in zip(chunk, hyps):
                out[i] = h
    finally:
        model.train(was_training)
    return out
