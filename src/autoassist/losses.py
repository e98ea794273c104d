"""Sequence losses: one loss per sentence for the feedback, one token-normalised loss for the Boss.

A translation Boss computes a loss per target token. AutoAssist needs one loss per *instance*
(sentence pair) as feedback, and the paper's official code uses the mean over the sentence's
tokens, so that long sentences do not look informative merely for being long. The Boss itself
back-propagates the usual token-normalised loss: all token losses of the batch summed, divided by
the number of target tokens. With plain PyTorch the per-sentence losses are two lines::

    token = F.cross_entropy(logits.transpose(1, 2), tgt_out, reduction="none",
                            ignore_index=pad_id, label_smoothing=0.1)         # (B, T), 0 at padding
    losses = token.sum(1) / (tgt_out != pad_id).sum(1)                        # (B,): feedback

and the Boss's loss is ``token.sum() / (tgt_out != pad_id).sum()``, which equals
``token_normalised_loss(losses, lengths)``. ``sequence_losses`` is those two lines.

Label smoothing is PyTorch's: ``(1 - eps) * NLL + eps * mean over the vocabulary of -log p``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autoassist._errors import ParameterError, check_float, check_int, fail

__all__ = ["check_sentence_losses", "sequence_losses", "token_normalised_loss"]

_FIX = ("Average the token losses of each sentence: token = F.cross_entropy(logits.transpose(1, 2), target, "
        "reduction='none', ignore_index=pad_id); losses = token.sum(1) / (target != pad_id).sum(1); "
        "or call autoassist.losses.sequence_losses(logits, target, pad_id).")


def check_sentence_losses(losses: torch.Tensor, batch_size: int | None = None) -> None:
    """Raise ``ParameterError`` unless ``losses`` has shape (B,), one loss per sentence.

    A (B, T) tensor of token losses (the usual mistake) gets a message that says how to average them.
    """
    if not isinstance(losses, torch.Tensor):
        raise fail("losses", "a torch.Tensor of shape (B,)", type(losses).__name__)
    shape = tuple(losses.shape)
    if losses.dim() == 2 and shape[1] == 1 and (batch_size is None or shape[0] == batch_size):
        raise fail("losses", "one loss per sentence of shape (B,)", f"shape {shape}",
                   "Drop the last dimension: losses.squeeze(1).")
    if losses.dim() == 2 and (batch_size is None or shape[0] == batch_size):
        raise ParameterError(f"losses must be one loss per sentence of shape (B,); got shape (B, T) = {shape}. {_FIX}")
    if losses.dim() != 1 or (batch_size is not None and shape[0] != batch_size):
        rule = "of shape (B,)" if batch_size is None else f"of shape ({batch_size},), one loss per sentence of the batch"
        raise fail("losses", rule, f"shape {shape}", "Pass per-sentence losses computed with reduction='none'.")


def sequence_losses(logits: torch.Tensor, target: torch.Tensor, pad_id: int,
                    label_smoothing: float = 0.1) -> torch.Tensor:
    """Return one loss per sentence, shape (B,): label-smoothed token losses summed over the non-pad
    positions of ``target`` and divided by the sentence's token count.

    ``logits`` is (B, T, V), ``target`` is (B, T) with ``pad_id`` at padding. A sentence with no
    token at all gets loss 0. The result keeps the graph: detach it for feedback.
    """
    if logits.dim() != 3 or target.dim() != 2 or tuple(logits.shape[:2]) != tuple(target.shape):
        raise fail("logits and target", "of shapes (B, T, V) and (B, T)",
                   f"{tuple(logits.shape)} and {tuple(target.shape)}")
    label_smoothing = check_float("label_smoothing", label_smoothing, nonnegative=True)
    if label_smoothing >= 1.0:
        raise fail("label_smoothing", "in [0, 1)", label_smoothing)
    pad_id = check_int("pad_id", pad_id, fix="Pass the id that pads target, e.g. tokenizer.pad_id.")
    token = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none",
                            ignore_index=pad_id, label_smoothing=label_smoothing).view(target.shape)
    counts = (target != pad_id).sum(1)
    return token.sum(1) / counts.clamp(min=1).to(token.dtype)


def token_normalised_loss(per_sentence: torch.Tensor, lengths: torch.Tensor,
                          weights: torch.Tensor | None = None) -> torch.Tensor:
    """Return the batch's total token loss over its total token count, a scalar to back-propagate.

    ``per_sentence`` is the output of ``sequence_losses`` (B,), ``lengths`` the sentences' target
    token counts (B,), the same ones ``sequence_losses`` divided by (``(target != pad_id).sum(1)``).
    Optional ``weights`` (B,) from a selector multiply each sentence's token losses; the denominator
    stays the plain token count, so unbiasing weights keep their meaning.
    """
    check_sentence_losses(per_sentence)
    if lengths.shape != per_sentence.shape:
        raise fail("lengths", f"of the same shape as per_sentence {tuple(per_sentence.shape)}", f"shape {tuple(lengths.shape)}")
    n = lengths.to(per_sentence.dtype)
    total = per_sentence * n if weights is None else per_sentence * n * weights.to(per_sentence.dtype)
    return total.sum() / n.sum().clamp(min=1)
