"""``AutoAssist``: the paper's method (or any stream selector) for any PyTorch training loop, in three lines.

::

    assist = AutoAssist(train_set, batch_size=128, seed=0)
    for idx, (x, y) in assist.loader():
        loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))
        loss.backward(); opt.step(); opt.zero_grad()

It builds the Assistant (and its feature matrix, if it uses one), the AutoAssist selector and a
:class:`~autoassist.sampler.BatchGenerator`. ``report`` hands the per-instance losses to the
Assistant (detached copies; it returns in microseconds) and returns the loss to back-propagate:
the mean over the batch, weighted by the selector's loss weights when it gives any.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, Iterator, Sequence, cast

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data._utils.collate import default_collate

from autoassist._errors import ParameterTypeError, check_bool, check_choice, check_int, fail
from autoassist.assistants.linear import LinearAssistant, check_learning
from autoassist.assistants.loss_history import LossHistoryAssistant
from autoassist.data.indexed import IndexedDataset
from autoassist.distributed import FeedbackExchange
from autoassist.distributed import resolve as resolve_distributed
from autoassist.features import (InstanceFeatures, build_features, check_map_style, cheap_labels, first_item_label,
                                 resolve_labels)
from autoassist.protocols import Assistant
from autoassist.sampler import DEFAULT_LAG, BatchGenerator, check_settings
from autoassist.selectors.autoassist import AutoAssistSelector
from autoassist.selectors.base import Selector

ASSISTANTS = ("loss-history", "paper", "loss-only")
ASSISTANTS_MEAN = ("'loss-history' (the default) learns from raw features and each instance's last loss, 'paper' "
                   "from raw features alone, 'loss-only' from the loss and label alone.")

# The official code's rules and values for translation (AutoAssist(..., **TRANSLATION_RULES)): everything
# accepted in the first pass, then base_prob 0.5 raised to 1 - accuracy while the Assistant is unsure; the
# Assistant's target threshold is the previous pass's mean loss; its SGD step 0.5 and L2 0.1.
TRANSLATION_RULES: dict[str, Any] = {"base_prob": 0.5, "accept_first_pass": True, "adaptive_base": True,
                                     "threshold": "previous-pass", "lr": 0.5, "l2": 0.1}


class AutoAssist:
    """The Boss's companion: decides which instances it trains on, learning from its losses.

    Args:
        dataset: the map-style training set; item ``i`` is ``(x, y)``, a dict, or any item.
        batch_size: instances per Boss step (per process; default 128).
        max_tokens, lengths: token-bounded batches instead of ``batch_size`` (sequences): a batch's
            padded size stays within ``max_tokens``; ``lengths`` per instance, (N,) or (N, 2) for
            (source, target), or the dataset's ``lengths`` attribute.
        pool_batches: with ``max_tokens``, candidates are decided and length-sorted about this many
            batches' worth at a time (default 32; smaller: fresher decisions, more padding).
        fresh_decisions: with ``max_tokens``, decide each batch's candidates as it is cut from a pool of
            ``pool_batches`` batches' worth of undecided candidates: decisions as fresh as ``lag``, the
            pool's packing (default False: decide a pool at a time).
        assistant: which Assistant AutoAssist uses: ``"loss-history"`` (default: the paper's
            logistic regression on raw features plus each instance's last reported loss, which
            measured better, see benchmarks/image), ``"paper"`` (the paper's Assistant exactly),
            ``"loss-only"`` (loss history and label only: no feature matrix, nothing to build; for
            huge, augmented or non-tensor data; it builds nothing and finds the labels without reading the
            items, in ``labels=``, a ``.targets`` or ``.labels`` attribute, a TensorDataset's second tensor or
            a Hugging Face dataset's ``"label"`` column, through ``Subset`` and ``ConcatDataset``; where it
            finds none but item 0 holds an integer label, it says so), or any object with the Assistant
            protocol.
        selector: instead of AutoAssist, any stream selector (``autoassist.selectors``: uniform,
            random, InfoBatch, importance sampling), used through the same loader and report.
        base_prob: acceptance probability floor (paper: 0.3 for images).
        features: None (pooled, standardised raw input), an (N, d) array or scipy sparse matrix, a
            callable on each item's input, or a prebuilt :class:`InstanceFeatures`.
        labels: class of each instance (one int each), if the items do not carry integer labels.
        max_feature_dim: pooled raw inputs keep at most about this many values, but at least one per
            channel: an image of C channels keeps at least C (``max_feature_dim=1`` gives C).
        feature_workers: DataLoader worker processes that read the items to build the features.
        progress: show a progress bar while building features (default: for 20,000 instances or more).
        lr, l2: the Assistant's SGD learning rate and L2 penalty (official defaults 0.01, 1e-3).
        unbiased, warmup_instances, anneal_fraction, total_steps, prefer: options beyond the paper
            (see :class:`AutoAssistSelector`; ``prefer="easy"`` inverts the choice, ``"easy-then-hard"``
            until ``switch_fraction`` of ``total_steps``).
        accept_first_pass, adaptive_base, threshold: the official translation rules (all in
            ``TRANSLATION_RULES``).
        seed, steps_per_epoch, lag, asynchronous: see :class:`BatchGenerator`.
        rank, world_size, exchange: several processes (DDP). By default, when a torch.distributed
            process group is initialised (``torchrun``), rank and world_size are the group's and a
            :class:`~autoassist.distributed.FeedbackExchange` makes every rank's Assistant learn
            the feedback of the whole global batch: all ranks then make the decisions one process
            would make with ``batch_size * world_size``. Construct AutoAssist on every rank (this is
            a collective), after ``init_process_group``. ``exchange=False`` never exchanges; an
            explicit ``world_size > 1`` without a process group shards the stream but cannot
            exchange, so the ranks' decisions drift apart once the Assistant learns (only exact for
            selectors that do not learn). Pass a ``FeedbackExchange(timeout=...)`` to choose how long
            a rank waits for the others before raising.

    Under DDP, ``state_dict()`` is a collective (call it on every rank; rank 0 saves it) and every
    rank loads the same saved state with ``load_state_dict``.
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        *,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        lengths: Any = None,
        pool_batches: int | None = None,
        fresh_decisions: bool = False,
        assistant: str | Assistant = "loss-history",
        selector: Selector | None = None,
        base_prob: float = 0.3,
        features: InstanceFeatures | np.ndarray | torch.Tensor | sp.spmatrix | sp.sparray | Callable[[Any], Any]
        | None = None,
        labels: Sequence[int] | np.ndarray | torch.Tensor | None = None,
        max_feature_dim: int = 1024,
        feature_workers: int = 0,
        progress: bool | None = None,
        lr: float = 0.01,
        l2: float = 1e-3,
        unbiased: bool = False,
        warmup_instances: int = 0,
        anneal_fraction: float = 0.0,
        total_steps: int | None = None,
        accept_first_pass: bool = False,
        adaptive_base: bool = False,
        threshold: str = "ema",
        prefer: str = "hard",
        switch_fraction: float = 0.5,
        seed: int = 0,
        steps_per_epoch: int | None = None,
        rank: int | None = None,
        world_size: int | None = None,
        lag: int = DEFAULT_LAG,
        asynchronous: bool = True,
        exchange: FeedbackExchange | bool | None = None,
    ) -> None:
        n = check_map_style(dataset)
        if max_tokens is not None and lengths is None:
            lengths = getattr(dataset, "lengths", None)
        rank, world_size, self.exchange = resolve_distributed(rank, world_size, exchange,
                                                              batch_size if isinstance(batch_size, int) else 0)
        check_settings(n, batch_size, seed, rank, world_size, steps_per_epoch, lag, max_tokens, lengths, pool_batches,
                       fresh_decisions)
        self.dataset = dataset
        self.assistant: Assistant | None = None
        if selector is not None:
            if not isinstance(selector, Selector):
                raise ParameterTypeError(f"selector must be an autoassist Selector (autoassist.selectors); got "
                                         f"{type(selector).__name__}. Pass one such as UniformSelector() or "
                                         "InfoBatchSelector(), or drop selector= to use AutoAssist's own.")
            if selector.needs_boss_losses:
                raise fail("selector", "a stream selector", selector.name,
                           "Selective Backprop and the oracle need a no-grad forward pass on every candidate: use "
                           "autoassist.ForwardFilter with a uniform AutoAssist(selector=UniformSelector()).")
            mine = dict(assistant=assistant, features=features, labels=labels, base_prob=base_prob,
                        max_feature_dim=max_feature_dim, feature_workers=feature_workers, progress=progress, lr=lr,
                        l2=l2, unbiased=unbiased, warmup_instances=warmup_instances, anneal_fraction=anneal_fraction,
                        total_steps=total_steps, accept_first_pass=accept_first_pass, adaptive_base=adaptive_base,
                        threshold=threshold, prefer=prefer, switch_fraction=switch_fraction)
            defaults = inspect.signature(AutoAssist.__init__).parameters
            given = [name for name, value in mine.items() if not _is_default(value, defaults[name].default)]
            if given:
                raise fail("selector", f"given without {', '.join(given)} (options of AutoAssist's own selector, "
                           f"which {selector.name} replaces)", selector.name,
                           f"Drop {', '.join(given)}, or drop selector=.")
            self.selector: Selector = selector
        else:  # every option checked before the Assistant's features are read
            options = AutoAssistSelector.check_options(
                base_prob=base_prob, unbiased=unbiased, warmup_instances=warmup_instances,
                anneal_fraction=anneal_fraction, total_steps=total_steps, accept_first_pass=accept_first_pass,
                adaptive_base=adaptive_base, prefer=prefer, switch_fraction=switch_fraction)
            check_learning(lr, l2, threshold)
            check_int("feature_workers", feature_workers, minimum=0, fix="0 reads the items in this process.")
            if progress is not None:
                check_bool("progress", progress)
            if labels is not None:
                resolve_labels(labels, None, n)
            self.assistant = self._make_assistant(assistant, dataset, n, features, labels, max_feature_dim,
                                                  feature_workers, progress, lr, l2, threshold)
            self.selector = AutoAssistSelector(self.assistant, **options)
        self.batches = BatchGenerator(
            self.selector, n, batch_size, max_tokens=max_tokens, lengths=lengths, pool_batches=pool_batches,
            fresh_decisions=fresh_decisions, seed=seed, steps_per_epoch=steps_per_epoch,
            rank=rank, world_size=world_size, lag=lag, asynchronous=asynchronous, exchange=self.exchange,
        )

    @staticmethod
    def _make_assistant(assistant: Any, dataset: Any, n: int, features: Any, labels: Any, max_feature_dim: int,
                        feature_workers: int, progress: bool | None, lr: float, l2: float,
                        threshold: str) -> Assistant:
        if not isinstance(assistant, str):
            if not isinstance(assistant, Assistant):
                missing = [name for name in ("instances_seen", "score", "learn", "state_dict", "load_state_dict",
                                             "stats") if not hasattr(assistant, name)]
                raise ParameterTypeError(f"assistant must be one of {ASSISTANTS} or an object with instances_seen, "
                                         f"score, learn, state_dict, load_state_dict and stats (autoassist.protocols."
                                         f"Assistant); got {type(assistant).__name__}, which lacks "
                                         f"{', '.join(missing)}. Pass a name (the default 'loss-history' suits most "
                                         "data) or an Assistant such as autoassist.assistants.LinearAssistant(features).")
            return assistant
        kind = check_choice("assistant", assistant, ASSISTANTS, fix=ASSISTANTS_MEAN)
        if kind == "loss-only":
            if features is not None:
                raise fail("features", "None with assistant='loss-only' (it uses no features)", "a feature matrix",
                           "Drop features=, or use assistant='loss-history'.")
            found = None if labels is not None else cheap_labels(dataset)
            # said only where the items hold class labels (item 0 tells): sentence pairs and language-model
            # batches have none, and one class is then what they are
            if labels is None and found is None and first_item_label(dataset) is not None:
                warnings.warn("assistant='loss-only' found integer labels in the items but no way to read them all "
                              "without reading every item (no .targets, .labels, TensorDataset tensor or Hugging "
                              "Face label column); it treats all instances as one class. Pass labels=... (one int "
                              "per instance) to use them.", UserWarning, stacklevel=3)
            label_array, num_classes = resolve_labels(labels, found, n)
            return LossHistoryAssistant(InstanceFeatures.labels_only(label_array, num_classes), lr=lr, l2=l2,
                                        threshold=threshold)
        if isinstance(features, InstanceFeatures):
            built = features
        else:
            built = build_features(dataset, features=features, labels=labels, max_dim=max_feature_dim,
                                   num_workers=feature_workers, progress=progress)
        if len(built) != n:
            raise fail("features", f"one row per instance ({n})", f"{len(built)} rows",
                       "Build the InstanceFeatures from the same training set, in dataset order.")
        cls = LossHistoryAssistant if kind == "loss-history" else LinearAssistant
        return cls(built, lr=lr, l2=l2, threshold=threshold)

    @property
    def steps_per_epoch(self) -> int:
        return self.batches.steps_per_epoch

    def loader(self, **dataloader_kwargs: Any) -> DataLoader[tuple[torch.Tensor, Any]]:
        """A DataLoader whose batches come from this AutoAssist; it yields ``(idx, batch)``.

        ``idx`` is a LongTensor of the batch's instance indices (what ``report`` needs) and ``batch``
        is what the DataLoader would have made of the items: a ``collate_fn`` you pass receives the
        items alone, exactly as without AutoAssist. Other keyword arguments go to ``DataLoader``
        (``num_workers``, ``pin_memory``, ...); ``batch_size``, ``shuffle``, ``sampler``,
        ``batch_sampler`` and ``drop_last`` are AutoAssist's to choose.
        """
        check_loader_kwargs(dataloader_kwargs)
        user_collate = dataloader_kwargs.pop("collate_fn", None)
        collate = default_collate if user_collate is None else _IndexedCollate(user_collate)
        return _HandingLoader(IndexedDataset(self.dataset), batch_sampler=self.batches, collate_fn=collate,
                              **dataloader_kwargs)

    def report(self, indices: Any, losses: torch.Tensor, tokens: Any = None) -> torch.Tensor:
        """Give the Assistant this step's per-instance losses; return the loss to back-propagate.

        ``losses`` must be floating point of shape (B,) (``reduction="none"``; for sequences, each
        sentence's mean token loss), for the batch ``idx`` came with (or a micro-batch of it). The
        Assistant gets a detached copy and learns off the Boss's critical path. The returned tensor
        keeps its graph: the mean of ``losses`` weighted by the selector's loss weights when it gives
        any; with ``tokens`` (each sentence's token count, shape (B,)) the token-normalised loss
        ``sum(w * tokens * losses) / sum(tokens)`` that translation training back-propagates (zero for a
        batch without tokens).
        """
        if not isinstance(losses, torch.Tensor):
            raise ParameterTypeError(f"losses must be a tensor of per-instance losses of shape (B,), the model's "
                                     f"(it keeps the graph to back-propagate); got {type(losses).__name__}. Compute "
                                     'the loss with reduction="none", e.g. F.cross_entropy(out, y, reduction="none").')
        if losses.ndim == 2 and self.batches.max_tokens is not None:  # token losses of sentences (B, T)
            from autoassist.losses import check_sentence_losses

            check_sentence_losses(losses, batch_size=len(indices) if hasattr(indices, "__len__") else None)
        count = None if tokens is None else self._token_counts(tokens, losses)  # checked before anything is recorded
        weights = self.batches.report(indices, losses)
        if count is not None:
            total = count.sum()
            if not np.all(weights == 1.0):
                count = count * torch.as_tensor(weights, dtype=losses.dtype, device=losses.device)
            # a batch without a counted token (prompts masked out) adds nothing: a zero loss, not 0 / 0
            return (losses * count).sum() / torch.where(total > 0, total, torch.ones_like(total))
        if np.all(weights == 1.0):
            return losses.mean()
        w = torch.as_tensor(weights, dtype=losses.dtype, device=losses.device)
        return (losses * w).mean()

    @staticmethod
    def _token_counts(tokens: Any, losses: torch.Tensor) -> torch.Tensor:
        """``tokens`` as a tensor like ``losses``: one non-negative token count per sentence, or a clear error."""
        # the values are checked where that costs nothing (given on the CPU): on an accelerator, reading them
        # would make the Boss wait for the device
        on_cpu = not isinstance(tokens, torch.Tensor) or tokens.device.type == "cpu"
        try:
            count = torch.as_tensor(tokens)
        except (TypeError, ValueError, RuntimeError):
            raise fail("tokens", "one token count per sentence, shape (B,)", type(tokens).__name__,
                       "Pass each sentence's number of target tokens, e.g. (target != pad_id).sum(1).") from None
        if count.shape != losses.shape:
            raise fail("tokens", f"of the shape of losses {tuple(losses.shape)}", f"shape {tuple(count.shape)}",
                       "Pass each sentence's number of target tokens, e.g. (target != pad_id).sum(1).")
        if count.is_complex() or count.dtype == torch.bool or on_cpu and count.numel() and (
                bool((count < 0).any()) or not bool(torch.isfinite(count).all())):
            shown = (f"{count.dtype} values" if count.is_complex() or count.dtype == torch.bool else
                     "non-finite values" if not bool(torch.isfinite(count).all()) else
                     f"{count.min().item()} (the least)")
            raise fail("tokens", "finite non-negative token counts", shown,
                       "Pass each sentence's number of target tokens, e.g. (target != pad_id).sum(1).")
        return count.to(losses.device, losses.dtype)

    def stats(self) -> dict[str, float]:
        """Candidates scanned and accepted, keep rate, Assistant accuracy, seconds spent, ..."""
        return self.batches.stats()

    def set_epoch(self, epoch: int) -> None:
        self.batches.set_epoch(epoch)

    def state_dict(self) -> dict[str, Any]:
        """The generator's state, selector and Assistant included: tensors and numbers (``torch.save``-able).

        Under DDP a collective: call it on every rank at the same point; every rank's state then
        restores any rank, so rank 0 alone saves it.
        """
        return self.batches.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.batches.load_state_dict(state)

    @property
    def rank(self) -> int:
        return self.batches.rank

    @property
    def world_size(self) -> int:
        return self.batches.world_size

    def close(self, *, after_error: bool = False) -> None:
        """Stop the worker thread now (it also stops when the loop ends, on garbage collection and at exit).

        Under DDP it first exchanges the feedback that is final (every rank does the same);
        ``after_error=True`` skips that, for a rank that stops because of an error.
        """
        self.batches.close(drain=not after_error)

    def __enter__(self) -> "AutoAssist":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_loader_kwargs(dataloader_kwargs: dict[str, Any]) -> None:
    """Refuse the DataLoader options that are AutoAssist's to choose (the batches)."""
    for taken in ("batch_size", "shuffle", "sampler", "batch_sampler", "drop_last"):
        if taken in dataloader_kwargs:
            raise ParameterTypeError(f"loader() got {taken}={dataloader_kwargs[taken]!r}, but AutoAssist chooses "
                                     f"the batches; set batch_size when constructing AutoAssist and drop {taken}.")
    if "in_order" in dataloader_kwargs and dataloader_kwargs["in_order"] is not True:
        raise fail("in_order", "True (batches in the generator's order)", repr(dataloader_kwargs["in_order"]),
                   "Drop in_order: out of order, a report would settle the batches still in flight as unreported and "
                   "the run would depend on the workers' timing, not on the seed.")


def _is_default(value: Any, default: Any) -> bool:
    """Whether ``value`` is an option's ``default`` (an array never is)."""
    if value is None or default is None:
        return value is default
    return type(value) is type(default) and bool(value == default)


class _HandingLoader(DataLoader):
    """A DataLoader that tells its batch generator which batch it hands the loop: its workers fetch ahead,
    so what the generator has yielded is not what the loop has trained on."""

    def __iter__(self) -> _HandingIterator:  # type: ignore[override]  # the DataLoader's iterator, wrapped
        batches = super().__iter__()  # the workers start now, and the generator's newest loop is this one
        return _HandingIterator(batches, cast(BatchGenerator, self.batch_sampler))


class _HandingIterator:
    """The DataLoader's iterator, saying each batch it hands out; refused once a newer loop supersedes it."""

    def __init__(self, batches: Iterator[Any], generator: BatchGenerator) -> None:
        self._batches, self._generator, self._loop = batches, generator, generator.loop

    def __iter__(self) -> _HandingIterator:
        return self

    def __next__(self) -> Any:
        batch = next(self._batches)
        self._generator.hand(batch[0], self._loop)
        return batch

    def __len__(self) -> int:
        return len(self._batches)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:  # the DataLoader iterator's other attributes
        if name in ("_batches", "_generator", "_loop"):  # its own, not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self._batches, name)


class _IndexedCollate:
    """Collates ``(idx, item)`` pairs as ``(LongTensor idx, user_collate(items))``."""

    def __init__(self, collate_fn: Callable[[list[Any]], Any]) -> None:
        self.collate_fn = collate_fn

    def __call__(self, pairs: list[tuple[int, Any]]) -> tuple[torch.Tensor, Any]:
        return torch.tensor([i for i, _ in pairs], dtype=torch.int64), self.collate_fn([item for _, item in pairs])
