from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from autoassist._errors import ParameterError
from autoassist.losses import check_sentence_losses, sequence_losses, token_normalised_loss

PAD = 0


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 4, 6, generator=g)
    target = torch.tensor([[4, 5, 3, 0], [2, 3, 0, 0], [1, 2, 3, 5]])
    return logits, target


def _reference(logits: torch.Tensor, target: torch.Tensor, eps: float) -> list[float]:
    out = []
    for b in range(target.shape[0]):
        total, count = 0.0, 0
        for t in range(target.shape[1]):
            y = int(target[b, t])
            if y == PAD:
                continue
            logp = torch.log_softmax(logits[b, t].double(), dim=0)
            total += (1 - eps) * -float(logp[y]) + eps * -float(logp.mean())
            count += 1
        out.append(total / count)
    return out


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_per_sentence_loss_equals_loop(eps: float) -> None:
    logits, target = _data()
    got = sequence_losses(logits, target, PAD, label_smoothing=eps)
    assert got.shape == (3,)
    for a, b in zip(got.tolist(), _reference(logits, target, eps)):
        assert math.isclose(a, b, rel_tol=1e-5)


def test_token_normalised_equals_plain_token_mean_and_documented_lines() -> None:
    logits, target = _data()
    per = sequence_losses(logits, target, PAD)
    lengths = (target != PAD).sum(1)
    token = F.cross_entropy(logits.transpose(1, 2), target, reduction="none", ignore_index=PAD, label_smoothing=0.1)
    torch.testing.assert_close(token.sum(1) / (target != PAD).sum(1), per)  # the two documented lines
    torch.testing.assert_close(token_normalised_loss(per, lengths), token.sum() / lengths.sum())
    w = torch.tensor([1.0, 2.0, 0.5])
    torch.testing.assert_close(token_normalised_loss(per, lengths, w), (per * lengths * w).sum() / lengths.sum())


def test_gradient_flows() -> None:
    logits, target = _data()
    logits.requires_grad_(True)
    sequence_losses(logits, target, PAD).sum().backward()
    assert logits.grad is not None and float(logits.grad[1, 2:].abs().sum()) == 0.0  # padding gets no gradient


def test_token_losses_where_sentence_losses_expected() -> None:
    with pytest.raises(ParameterError, match=r"losses must be one loss per sentence of shape \(B,\); got shape "
                                             r"\(B, T\) = \(3, 4\)\. Average the token losses of each sentence: "):
        check_sentence_losses(torch.zeros(3, 4), batch_size=3)
    with pytest.raises(ParameterError, match="one loss per sentence"):
        token_normalised_loss(torch.zeros(3, 4), torch.ones(3, 4))
    with pytest.raises(ParameterError, match=r"shape \(3,\)"):
        check_sentence_losses(torch.zeros(5), batch_size=3)
    check_sentence_losses(torch.zeros(3), batch_size=3)
