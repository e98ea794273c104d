"""AutoAssist in PyTorch Lightning: a Callback that owns the batch generator, one line in ``training_step``.

::

    from autoassist.integrations.lightning import AutoAssistCallback, report

    class Classifier(L.LightningModule):
        def training_step(self, batch, batch_idx):
            idx, (x, y) = batch
            return report(self, idx, F.cross_entropy(self.model(x), y, reduction="none"))

    assist = AutoAssistCallback(train_set, batch_size=64, seed=0)
    trainer = L.Trainer(max_epochs=2, callbacks=[assist])
    trainer.fit(Classifier(model), assist.loader())

What the callback does:

* **builds** :class:`~autoassist.AutoAssist` in ``setup``, i.e. inside each process, after Lightning
  has initialised the process group: under ``strategy="ddp"`` every rank's Assistant learns the
  feedback of all ranks (see :mod:`autoassist.distributed`), with no further setting;
* **keeps Lightning's hands off the batches**: ``assist.loader()`` is a plain iterable (not a
  ``DataLoader``) that makes AutoAssist's DataLoader when first iterated, so Lightning never
  replaces its batch sampler with a ``DistributedSampler`` (``use_distributed_sampler`` can stay
  on; it still applies to your validation loaders);
* **saves its state in the checkpoint** (``state_dict``/``load_state_dict``; under DDP every
  rank restores from rank 0's file), so ``trainer.fit(..., ckpt_path=...)`` continues the very
  batches of an uninterrupted run;
* **logs** ``autoassist/keep_rate`` and a few other statistics (``log=`` chooses them) on each step;
* **shuts the worker thread down** at the end of training, on exceptions and in ``teardown``.

``report(self, idx, losses)`` finds the callback among the trainer's callbacks and returns the loss to
back-propagate (the mean, weighted by the selector's loss weights when it gives any; with ``tokens=``,
each sequence's target token count, the token-normalised loss, as in :meth:`AutoAssist.report`).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Iterator, Sequence

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset

from autoassist._errors import ParameterTypeError, fail
from autoassist.assist import AutoAssist, check_loader_kwargs

DEFAULT_LOGGED = ("keep_rate", "assistant_accuracy", "wait_seconds", "exchange_ms_per_step")


class AutoAssistCallback(pl.Callback):
    """Owns an :class:`~autoassist.AutoAssist` for ``trainer.fit``; see the module docstring.

    One per Trainer: ``Trainer(callbacks=[...])`` with two is refused by Lightning itself ("more than one
    stateful callback", before any hook of the callback runs); one added later (``trainer.callbacks``,
    ``configure_callbacks``) is refused in ``setup``, before training starts.

    Args:
        dataset: the map-style training set.
        log: ``stats()`` keys logged every step as ``autoassist/KEY`` (those present); ``()`` logs nothing.
        **autoassist_kwargs: anything :class:`~autoassist.AutoAssist` takes (``batch_size``, ``seed``,
            ``assistant``, ``selector``, ...). ``rank`` and ``world_size`` come from Lightning's
            process group.
    """

    def __init__(self, dataset: Dataset[Any], *, log: Sequence[str] = DEFAULT_LOGGED,
                 **autoassist_kwargs: Any) -> None:
        super().__init__()
        try:  # a misspelt option is said now, not when trainer.fit builds AutoAssist
            inspect.signature(AutoAssist.__init__).bind(None, dataset, **autoassist_kwargs)
        except TypeError as error:
            raise ParameterTypeError(f"AutoAssistCallback takes AutoAssist's options; {error}. See "
                                     "help(autoassist.AutoAssist) for their names.") from None
        self.dataset = dataset
        self.logged = tuple(log)
        self.kwargs = autoassist_kwargs
        self._assist: AutoAssist | None = None
        self._pending_state: dict[str, Any] | None = None

    @property
    def assist(self) -> AutoAssist:
        """The AutoAssist (built when ``trainer.fit`` sets up)."""
        if self._assist is None:
            raise RuntimeError("AutoAssistCallback builds its AutoAssist when trainer.fit sets up: pass the callback "
                               "to the Trainer (callbacks=[...]) and its loader() to trainer.fit. If you did, another "
                               "AutoAssistCallback replaced it: one that LightningModule.configure_callbacks returns "
                               "takes the Trainer's place (return none there), and a loader() belongs to its own "
                               "callback only.")
        return self._assist

    def loader(self, **dataloader_kwargs: Any) -> "AutoAssistLoader":
        """The training data for ``trainer.fit``: yields ``(idx, batch)`` (see :meth:`AutoAssist.loader`)."""
        check_loader_kwargs(dataloader_kwargs)  # now: inside fit, Lightning would replace the message with its own
        return AutoAssistLoader(self, dataloader_kwargs)

    def report(self, indices: Any, losses: torch.Tensor, tokens: Any = None) -> torch.Tensor:
        """:meth:`AutoAssist.report`: record the per-instance losses; return the loss to back-propagate."""
        return self.assist.report(indices, losses, tokens=tokens)

    # ------------------------------------------------------------------ Lightning hooks
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        _one_callback(trainer)  # else each would build its own AutoAssist, and the checkpoint keep one's state
        if stage != "fit" or self._assist is not None:
            return
        limit, overfit = getattr(trainer, "limit_train_batches", 1.0), getattr(trainer, "overfit_batches", 0)
        if (limit is not None and limit != 1.0) or overfit:
            warnings.warn("limit_train_batches / overfit_batches cut Lightning's epochs short, but AutoAssist's "
                          "loader continues its own unfinished epoch: each Lightning epoch gets the next batches of "
                          "AutoAssist's stream (none lost or repeated), not the first ones of an epoch; overfit_batches "
                          "does not repeat the same batches. Train full epochs, or use max_steps to stop early.",
                          RuntimeWarning, stacklevel=2)
        self._assist = AutoAssist(self.dataset, **self.kwargs)
        self._assist.batches.report_call = "return report(self, idx, losses) in training_step"
        if self._pending_state is not None:
            self._assist.load_state_dict(self._pending_state)
            self._pending_state = None

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self.logged and self._assist is not None:
            stats = self._assist.stats()
            values = {f"autoassist/{k}": float(stats[k]) for k in self.logged if k in stats}
            if values:
                pl_module.log_dict(values, on_step=True, on_epoch=False, batch_size=self._assist.batches.batch_size)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._assist is not None:
            self._assist.close()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if self._assist is not None:
            self._assist.close(after_error=True)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and self._assist is not None:
            self._assist.close()

    def state_dict(self) -> dict[str, Any]:
        """AutoAssist's state for the checkpoint (a collective under DDP: Lightning calls it on every rank)."""
        return {} if self._assist is None else {"assist": self._assist.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "assist" not in state_dict:
            return
        if self._assist is None:
            self._pending_state = state_dict["assist"]
        else:
            self._assist.load_state_dict(state_dict["assist"])


class AutoAssistLoader:
    """The iterable ``AutoAssistCallback.loader()`` returns: AutoAssist's DataLoader, made on first use.

    Not a ``DataLoader`` on purpose: Lightning leaves other iterables as they are, so it never
    re-instantiates AutoAssist's batch sampler for DDP (the batches are already sharded by rank).
    """

    def __init__(self, callback: AutoAssistCallback, dataloader_kwargs: dict[str, Any]) -> None:
        self.callback = callback
        self.dataloader_kwargs = dataloader_kwargs
        self._loader: DataLoader | None = None

    def _dataloader(self) -> DataLoader:
        if self._loader is None:
            self._loader = self.callback.assist.loader(**self.dataloader_kwargs)
        return self._loader

    def __iter__(self) -> Iterator[Any]:
        return iter(self._dataloader())

    def __len__(self) -> int:
        return self.callback.assist.steps_per_epoch

    def state_dict(self) -> dict[str, Any]:
        """Nothing: the callback's checkpoint state holds where AutoAssist's stream is. Having the method tells
        Lightning a mid-epoch resume is exact (it warned that the loader was not resumable)."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Nothing to restore here (see :meth:`state_dict`)."""


def report(module: pl.LightningModule, indices: Any, losses: torch.Tensor, tokens: Any = None) -> torch.Tensor:
    """In ``training_step``: hand the per-instance losses to the trainer's :class:`AutoAssistCallback`.

    Returns the loss to back-propagate (return it from ``training_step``); for sequences pass each one's
    target token count as ``tokens`` for the token-normalised loss (see :meth:`AutoAssist.report`).
    """
    return _one_callback(module.trainer).report(indices, losses, tokens)


def _one_callback(trainer: pl.Trainer) -> AutoAssistCallback:
    """The trainer's AutoAssistCallback; none or several are refused."""
    found = [cb for cb in trainer.callbacks if isinstance(cb, AutoAssistCallback)]  # type: ignore[attr-defined]
    if len(found) != 1:
        raise fail("trainer.callbacks", "holding exactly one AutoAssistCallback", f"{len(found)} of them",
                   "Pass callbacks=[AutoAssistCallback(train_set, ...)] to the Trainer (one per Trainer), and its "
                   "loader() to fit.")
    return found[0]
