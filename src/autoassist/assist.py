"""``AutoAssist``: the paper's method for any PyTorch training loop, in three changed lines.

::

    assist = AutoAssist(train_set, batch_size=128, seed=0)
    for idx, (x, y) in assist.loader():
        loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))
        loss.backward(); opt.step(); opt.zero_grad()

It builds the Assistant's feature matrix once, the paper's linear Assistant, the AutoAssist selector
and a non-blocking :class:`~autoassist.sampler.BatchGenerator`. ``report`` hands the per-instance
losses to the Assistant (detached copies, returns in microseconds) and returns the loss to
back-propagate: the plain mean, or the weighted mean when ``unbiased=True``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from autoassist.assistants.history import HistoryAssistant
from autoassist.assistants.linear import LinearAssistant
from autoassist.data.indexed import IndexedDataset
from autoassist.features import InstanceFeatures, build_features
from autoassist.sampler import BatchGenerator
from autoassist.selectors.autoassist import AutoAssistSelector


class AutoAssist:
    """The Boss's companion: decides which instances it trains on, learning from its losses.

    Args:
        dataset: the map-style training set; item ``i`` is ``(x, y)``.
        batch_size: instances per Boss step.
        base_prob: acceptance probability floor (paper: 0.3 for images).
        features: None (pooled, standardised raw inputs), an (N, d) array, or a callable on ``x``;
            or a prebuilt :class:`InstanceFeatures`.
        labels: class of each instance, if the items do not carry integer labels.
        max_feature_dim: pooled raw inputs keep at most about this many values.
        lr, l2: the Assistant's SGD learning rate and L2 penalty (official defaults 0.01, 1e-3).
        history: True (default) adds each instance's last reported loss to the Assistant's features
            (:class:`~autoassist.assistants.history.HistoryAssistant`, beyond the paper; it measured
            better, see benchmarks/image); False is the paper's Assistant exactly.
        unbiased, warmup_instances, anneal_fraction, total_steps: options beyond the paper
            (see :class:`AutoAssistSelector`).
        seed, steps_per_epoch, rank, world_size, prefetch, asynchronous: see :class:`BatchGenerator`.
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        *,
        batch_size: int = 128,
        base_prob: float = 0.3,
        features: InstanceFeatures | np.ndarray | torch.Tensor | Callable[[Any], Any] | None = None,
        labels: Sequence[int] | np.ndarray | torch.Tensor | None = None,
        max_feature_dim: int = 1024,
        lr: float = 0.01,
        l2: float = 1e-3,
        history: bool = True,
        unbiased: bool = False,
        warmup_instances: int = 0,
        anneal_fraction: float = 0.0,
        total_steps: int | None = None,
        seed: int = 0,
        steps_per_epoch: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        prefetch: int = 4,
        asynchronous: bool = True,
    ) -> None:
        self.dataset = dataset
        if isinstance(features, InstanceFeatures):
            self.features = features
        else:
            self.features = build_features(dataset, features=features, labels=labels, max_dim=max_feature_dim)
        self.assistant = (HistoryAssistant(self.features, lr=lr, l2=l2) if history
                          else LinearAssistant(self.features, lr=lr, l2=l2))
        self.selector = AutoAssistSelector(
            self.assistant, base_prob=base_prob, unbiased=unbiased, warmup_instances=warmup_instances,
            anneal_fraction=anneal_fraction, total_steps=total_steps,
        )
        self.batches = BatchGenerator(
            self.selector, len(self.features), batch_size, seed=seed, steps_per_epoch=steps_per_epoch,
            rank=rank, world_size=world_size, prefetch=prefetch, asynchronous=asynchronous,
        )

    def loader(self, **dataloader_kwargs: Any) -> DataLoader:
        """A DataLoader over ``IndexedDataset(dataset)`` that draws its batches from this AutoAssist.

        Keyword arguments go to ``DataLoader`` (``num_workers``, ``pin_memory``, ``collate_fn``, ...);
        ``batch_size``, ``shuffle``, ``sampler`` and ``batch_sampler`` are set here and may not be passed.
        """
        for taken in ("batch_size", "shuffle", "sampler", "batch_sampler", "drop_last"):
            if taken in dataloader_kwargs:
                raise TypeError(f"loader() got {taken}={dataloader_kwargs[taken]!r}, but AutoAssist chooses the "
                                f"batches; set batch_size when constructing AutoAssist and drop {taken}.")
        return DataLoader(IndexedDataset(self.dataset), batch_sampler=self.batches, **dataloader_kwargs)

    def report(self, indices: Any, losses: torch.Tensor) -> torch.Tensor:
        """Give the Assistant this step's per-instance losses; return the loss to back-propagate.

        ``losses`` must have shape (B,) (``reduction="none"``). The Assistant gets a detached copy and
        learns off the Boss's critical path; the returned tensor is the mean of ``losses`` (weighted
        by inverse acceptance probabilities when ``unbiased=True``) and keeps its graph.
        """
        self.batches.report(indices, losses)
        if not self.selector.unbiased:
            return losses.mean()
        weights = torch.as_tensor(self.batches.weights_for(indices), dtype=losses.dtype, device=losses.device)
        return (losses * weights).mean()

    def stats(self) -> dict[str, float]:
        """Candidates scanned and accepted, keep rate, Assistant accuracy, seconds spent, ..."""
        return self.batches.stats()

    def set_epoch(self, epoch: int) -> None:
        self.batches.set_epoch(epoch)

    def state_dict(self) -> dict[str, Any]:
        return self.batches.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.batches.load_state_dict(state)

    def close(self) -> None:
        self.batches.close()

    def __enter__(self) -> "AutoAssist":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
