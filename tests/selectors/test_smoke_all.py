"""Every selector trains two Boss steps of a tiny model through the loop a user would write."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autoassist.sampler import BatchGenerator
from autoassist.selectors import SELECTOR_NAMES, ForwardFilter, UniformSelector, make_selector

N, B = 200, 16
KWARGS: dict[str, dict[str, Any]] = {"random": {"keep_rate": 0.5}, "infobatch": {"num_passes": 3}}


def _problem() -> tuple[torch.Tensor, torch.Tensor, torch.nn.Linear]:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(N, 8, generator=g), torch.randint(0, 3, (N,), generator=g)
    torch.manual_seed(0)
    return x, y, torch.nn.Linear(8, 3)


def _train_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, weights: np.ndarray) -> torch.Tensor:
    """One weighted SGD step (by hand: building a torch.optim optimizer first costs seconds of imports)."""
    losses = F.cross_entropy(model(x), y, reduction="none")
    (losses * torch.as_tensor(weights, dtype=losses.dtype)).mean().backward()
    with torch.no_grad():
        for param in model.parameters():
            assert param.grad is not None
            param.sub_(0.1 * param.grad)
            param.grad = None
    return losses.detach()


@pytest.mark.parametrize("name", SELECTOR_NAMES)
def test_two_boss_steps(name: str) -> None:
    x, y, model = _problem()
    before = model.weight.detach().clone()
    selector = make_selector(name, **KWARGS.get(name, {}))
    steps = 0
    if not selector.needs_boss_losses:
        gen = BatchGenerator(selector, N, batch_size=B, seed=0, steps_per_epoch=2, asynchronous=False)
        for idx in gen:
            losses = _train_step(model, x[idx], y[idx], gen.last_weights)
            gen.report(idx, losses)
            steps += 1
        assert gen.stats()["steps"] == 2
    else:
        candidates = BatchGenerator(UniformSelector(), N, batch_size=B, seed=0, asynchronous=False)
        filt = ForwardFilter(selector, batch_size=B, seed=0)
        while steps < 2:
            for idx in candidates:
                with torch.no_grad():
                    cand_losses = F.cross_entropy(model(x[idx]), y[idx], reduction="none")
                for batch_idx, weights in filt.offer(np.asarray(idx), cand_losses.numpy()):
                    losses = _train_step(model, x[batch_idx], y[batch_idx], weights)
                    selector.observe(batch_idx, losses.numpy().astype(np.float64))
                    steps += 1
                if steps >= 2:
                    break
        assert filt.scanned >= 2 * B
    assert steps == 2
    assert torch.isfinite(model.weight).all() and not torch.equal(model.weight, before)
    assert all(np.isfinite(v) for v in selector.stats().values())
