"""AutoAssist in the Hugging Face ``Trainer``: a ``Trainer`` subclass.

The ``Trainer``'s callbacks cannot change data loading or the loss, so, as its documentation
recommends for both, :class:`AutoAssistTrainer` overrides ``get_train_dataloader`` and
``compute_loss``::

    from autoassist.integrations.hf import AutoAssistTrainer

    trainer = AutoAssistTrainer(model=model, args=args, train_dataset=train_set, data_collator=collator)
    trainer.train()

(``AutoAssistSeq2SeqTrainer`` does the same for ``Seq2SeqTrainer``.)

* **Batches** come from AutoAssist: each training batch is the collated dict of the accepted
  instances plus their indices under ``"autoassist_index"``, which ``compute_loss`` removes before
  ``model(**inputs)``. ``per_device_train_batch_size`` is AutoAssist's batch size (unless ``autoassist={"max_tokens": N,
  "lengths": ...}`` bounds batches by padded tokens instead), ``args.data_seed`` (else ``args.seed``) its
  seed; a ``train_sampling_strategy`` other than ``"random"`` (or ``group_by_length``) is refused, since
  AutoAssist draws the batches.
* **Per-example losses**: ``compute_loss`` computes one loss per example from the logits: for a
  causal language model the mean token loss of each sequence (logits shifted, labels ``-100``
  ignored), for other token labels (encoder-decoder, token classification) the same without the shift
  (``shift_labels=`` decides for models ``transformers`` does not know), for a classifier (labels of
  shape ``(B,)``) the cross-entropy; label-smoothed by ``args.label_smoothing_factor``, as the
  ``Trainer``'s own loss is; for ``config.problem_type`` ``"regression"`` and
  ``"multi_label_classification"`` the models' squared error and binary cross-entropy. The Assistant learns from them. The Boss back-propagates the loss the
  ``Trainer`` would: for token labels the mean over the batch's counted tokens (each example weighted by
  its token count), for a classifier the mean over examples; weighted when the selector weights
  instances. For other heads override :meth:`AutoAssistTrainer.per_example_loss`; a
  ``compute_loss_func`` cannot give per-example losses and is refused.
* **Gradient accumulation**: every micro-batch is one AutoAssist batch, its loss a mean over the
  micro-batch, divided by the accumulation steps (the ``Trainer`` before 4.46 did the same; since then, for
  models that take loss keywords, it divides the summed token losses by the tokens of all the accumulated
  micro-batches, of all processes by default, which weights micro-batches by their token count).
  A batch's loss equals ``Trainer.compute_loss`` of the same batch.
* **Several processes** (``accelerate launch`` or ``torchrun``): the Trainer's process group is
  found by AutoAssist, every rank's Assistant learns the feedback of all ranks, and the loader is
  not re-sharded by Accelerate (AutoAssist's batches are already this rank's).
* **Checkpoints**: ``autoassist.pt`` is written beside each checkpoint (rank 0 writes; every rank
  takes part in making it), and ``train(resume_from_checkpoint=...)`` restores it, so the resumed
  run draws the batches the uninterrupted one would have; the Trainer's own batch skipping is then
  turned off (``ignore_data_skip``), as AutoAssist continues where it stopped.

The default Assistant here is ``assistant="loss-only"`` (loss history and label only: dict items
have no raw feature matrix; with ``features=`` given, AutoAssist's own default, which uses them); pass
``autoassist={...}`` with any :class:`~autoassist.AutoAssist` keyword (``selector=``, ``features=``,
``lag=``, ...) to change it.
"""

from __future__ import annotations

import difflib
import inspect
import os
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from transformers import Seq2SeqTrainer, Trainer, TrainingArguments
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, TrainOutput, get_last_checkpoint

from autoassist._errors import fail
from autoassist.assist import AutoAssist
from autoassist.data.indexed import IndexedDataset

INDEX_KEY = "autoassist_index"
STATE_FILE = "autoassist.pt"


def per_example_token_loss(logits: torch.Tensor, labels: torch.Tensor, *, shift: bool,
                           ignore_index: int = -100, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean token cross-entropy of each example, shape ``(B,)``; ``ignore_index`` labels do not count.

    ``shift=True`` for causal language models (token ``t``'s logits predict label ``t + 1``). An
    example with no counted token gets loss 0. ``label_smoothing`` as in ``F.cross_entropy`` (the
    ``Trainer``'s ``label_smoothing_factor`` computes the same).
    """
    if shift:
        logits, labels = logits[:, :-1, :], labels[:, 1:]
    batch, length = labels.shape
    tokens = F.cross_entropy(logits.reshape(batch * length, -1).float(), labels.reshape(-1),
                             ignore_index=ignore_index, reduction="none",
                             label_smoothing=label_smoothing).view(batch, length)
    counted = (labels != ignore_index).to(tokens.dtype)
    return (tokens * counted).sum(1) / counted.sum(1).clamp(min=1.0)


def counted_tokens(labels: torch.Tensor, *, shift: bool, ignore_index: int = -100) -> torch.Tensor:
    """Each example's number of counted label tokens, shape ``(B,)`` (``shift`` drops the first label)."""
    if shift:
        labels = labels[:, 1:]
    return (labels != ignore_index).sum(1)


class AutoAssistTrainer(Trainer):
    """A ``transformers.Trainer`` whose training batches and loss go through AutoAssist.

    Args:
        *args, **kwargs: what ``Trainer`` takes.
        autoassist: keyword arguments for :class:`~autoassist.AutoAssist` (default
            ``{"assistant": "loss-only"}``); ``batch_size`` and ``seed`` come from ``args``
            (``per_device_train_batch_size``; ``data_seed``, else ``seed``).
        shift_labels: whether token labels are shifted against the logits (a causal language model) or
            aligned (encoder-decoder, token classification); default: decided from the model (:func:`causal_lm`).
    """

    def __init__(self, *args: Any, autoassist: dict[str, Any] | None = None, shift_labels: bool | None = None,
                 **kwargs: Any) -> None:
        signature = inspect.signature(super().__init__)
        given = _bound(signature, args, kwargs)
        dataset, options = _checked(given, autoassist)
        if given.get("args") is None:  # the Trainer's own default arguments, made here to size the batches
            args, kwargs = _with_training_args(signature, args, kwargs, TrainingArguments(output_dir="tmp_trainer"))
            given = _bound(signature, args, kwargs)
        training_args = given["args"]
        seed = training_args.seed if training_args.data_seed is None else training_args.data_seed  # as the Trainer's
        # token-bounded batches (max_tokens) replace the batch size (args.train_batch_size:
        # per_device_train_batch_size, times the GPUs under DataParallel, as the Trainer's; asking it sets up the
        # devices and, under torchrun, the process group, which AutoAssist's construction needs)
        batch_size = None if options.get("max_tokens") is not None else training_args.train_batch_size
        # AutoAssist checks its options before Trainer.__init__, which seeds the global RNGs and makes output_dir
        self.assist = AutoAssist(dataset, batch_size=batch_size, seed=seed, **options)
        super().__init__(*args, **kwargs)  # (AutoAssist starts no thread before its first batch)
        self.shift_labels = shift_labels
        self._restore_rng_from: str | None = None
        # compute_loss returns a mean per micro-batch: let the Trainer divide by the accumulation steps.
        self.model_accepts_loss_kwargs = False

    # ------------------------------------------------------------------ data
    def get_train_dataloader(self) -> DataLoader:
        """AutoAssist's DataLoader: dict batches carrying ``"autoassist_index"`` (not re-sharded by Accelerate)."""
        collator = self._get_collator_with_removed_columns(self.data_collator, description="training")
        return DataLoader(
            IndexedDataset(self.assist.dataset), batch_sampler=self.assist.batches, collate_fn=_IndexInBatch(collator),
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory,
            persistent_workers=self.args.dataloader_persistent_workers and self.args.dataloader_num_workers > 0,
            prefetch_factor=self.args.dataloader_prefetch_factor if self.args.dataloader_num_workers > 0 else None,
        )

    # ------------------------------------------------------------------ loss
    def per_example_loss(self, model: Any, outputs: Any, labels: torch.Tensor) -> torch.Tensor:
        """One loss per example, shape ``(B,)``, from the model's outputs (see the module docstring)."""
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        problem = _problem_type(model)
        if problem == "regression":  # the models' MSELoss, per example
            return (logits.float().reshape(len(labels), -1) - labels.float().reshape(len(labels), -1)).pow(2).mean(1)
        if problem == "multi_label_classification":  # the models' BCEWithLogitsLoss, per example
            return F.binary_cross_entropy_with_logits(logits.float(), labels.float(),
                                                      reduction="none").reshape(len(labels), -1).mean(1)
        if labels.is_floating_point():
            raise fail("labels", "class or token ids (integers)", f"floating point, shape {tuple(labels.shape)}",
                       "For a regression or multi-label head set the model's config.problem_type ('regression', "
                       "'multi_label_classification'), or override AutoAssistTrainer.per_example_loss.")
        smoothing = self.args.label_smoothing_factor
        if labels.dim() == 1:
            return F.cross_entropy(logits.float(), labels, reduction="none", label_smoothing=smoothing)
        return per_example_token_loss(logits, labels, shift=self._shift(model), label_smoothing=smoothing)

    def _token_labels(self, model: Any, labels: torch.Tensor) -> bool:
        """Whether ``labels`` are token ids, one sequence per example (not classes, targets or label sets)."""
        return labels.dim() > 1 and _problem_type(model) not in ("regression", "multi_label_classification")

    def _shift(self, model: Any) -> bool:
        return causal_lm(model) if self.shift_labels is None else self.shift_labels

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        inputs = dict(inputs)
        idx = inputs.pop(INDEX_KEY, None)
        if idx is None:  # evaluation batches: the Trainer's own loss
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)
        labels = inputs.get("labels")
        if labels is None:
            raise fail("the training batch", "holding 'labels'", sorted(inputs),
                       "AutoAssist learns from per-example losses: the data collator must produce labels "
                       "(e.g. DataCollatorForLanguageModeling(tokenizer, mlm=False)).")
        shift = self._shift(model)
        if self._token_labels(model, labels) and shift:
            inputs.pop("labels")  # a causal LM's own loss is not needed; an encoder-decoder needs labels for its decoder
        if self._restore_rng_from is not None:
            self._load_rng_state(self._restore_rng_from)
            self._restore_rng_from = None
        outputs = model(**inputs)
        losses = self.per_example_loss(model, outputs, labels)
        # token labels: the Trainer's own normalisation, by the batch's counted tokens (asked again after the
        # forward, where a sequence classifier sets its problem_type on its first batch)
        tokens = counted_tokens(labels, shift=shift) if self._token_labels(model, labels) else None
        loss = self.assist.report(idx, losses, tokens=tokens)
        return (loss, outputs) if return_outputs else loss

    # ------------------------------------------------------------------ checkpoints
    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        super()._save_checkpoint(model, trial)
        state = self.assist.state_dict()  # a collective under DDP: every process gets here
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial), f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
            torch.save(state, os.path.join(folder, STATE_FILE))

    def train(self, resume_from_checkpoint: str | bool | None = None, *args: Any, **kwargs: Any) -> TrainOutput:
        folder = resume_from_checkpoint
        if folder is True:
            folder = get_last_checkpoint(self.args.output_dir)
        if isinstance(folder, str):
            state_file = os.path.join(folder, STATE_FILE)
            if not os.path.isfile(state_file):
                warnings.warn(f"{folder} holds no {STATE_FILE} (a checkpoint of another Trainer?): AutoAssist starts "
                              "afresh, and the Trainer skips the batches already trained by drawing them from "
                              "AutoAssist's stream unreported. Resume from a checkpoint AutoAssistTrainer saved to "
                              "continue exactly.", RuntimeWarning, stacklevel=2)
            else:
                self.assist.load_state_dict(torch.load(state_file))
                # AutoAssist continues where it stopped: the Trainer must skip nothing. Skipping is also when
                # the Trainer restores the random state, so that is done before the first resumed step instead.
                self.args.ignore_data_skip = True
                self._restore_rng_from = folder
        try:
            return super().train(resume_from_checkpoint, *args, **kwargs)
        except BaseException:
            self.assist.close(after_error=True)
            raise
        finally:
            self.assist.close()


class AutoAssistSeq2SeqTrainer(AutoAssistTrainer, Seq2SeqTrainer):
    """:class:`AutoAssistTrainer` on ``Seq2SeqTrainer`` (translation, summarisation): training as above,
    evaluation as ``Seq2SeqTrainer``'s (``predict_with_generate``, generation settings)."""


class _IndexInBatch:
    """Collates ``(idx, item)`` pairs into the collator's dict, plus the indices under ``"autoassist_index"``."""

    def __init__(self, collate_fn: Any) -> None:
        self.collate_fn = collate_fn

    def __call__(self, pairs: list[tuple[int, Any]]) -> dict[str, Any]:
        batch = self.collate_fn([item for _, item in pairs])
        if not isinstance(batch, dict) and not hasattr(batch, "keys"):
            raise fail("the data collator's batch", "a dict (Hugging Face style)", type(batch).__name__)
        batch = dict(batch)
        batch[INDEX_KEY] = torch.tensor([i for i, _ in pairs], dtype=torch.int64)
        return batch


def _bound(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments by the Trainer's parameter names. Keywords its signature does not show (an alias that a
    deprecation wrapper takes, as ``tokenizer`` in transformers 4.46-4.5x) are left to the Trainer to judge."""
    known = {k: v for k, v in kwargs.items() if k in signature.parameters}
    return dict(signature.bind_partial(*args, **known).arguments)


def _with_training_args(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any],
                        training_args: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The Trainer's arguments with ``training_args`` in place of a missing or ``None`` ``args``."""
    position = list(signature.parameters).index("args")
    if len(args) > position:
        return (*args[:position], training_args, *args[position + 1:]), kwargs
    return args, {**kwargs, "args": training_args}


def _checked(given: dict[str, Any], autoassist: dict[str, Any] | None) -> tuple[Any, dict[str, Any]]:
    """The training set and AutoAssist's options, after refusing the Trainer arguments AutoAssistTrainer cannot take (``given``: the
    arguments bound to the Trainer's signature), so that nothing is done before a refusal."""
    if given.get("compute_loss_func") is not None:
        raise fail("compute_loss_func", "None", given["compute_loss_func"],
                   "AutoAssist needs one loss per example, which a batch loss function cannot give: subclass "
                   "AutoAssistTrainer and override per_example_loss(model, outputs, labels) instead.")
    if given.get("train_dataset") is None:
        raise fail("train_dataset", "given", None, "AutoAssistTrainer selects training batches: pass train_dataset.")
    args = given.get("args")  # None: the Trainer's default arguments, which sample at random
    strategy = getattr(args, "train_sampling_strategy", "random")  # transformers 5
    if getattr(args, "group_by_length", False) or strategy != "random":  # group_by_length: 4.x
        raise fail("train_sampling_strategy", "'random' (the default)",
                   "group_by_length" if getattr(args, "group_by_length", False) else strategy,
                   "AutoAssist draws the training batches; for length-grouped batches pass "
                   "autoassist={'max_tokens': N, 'lengths': each example's length}.")
    if autoassist is not None and not isinstance(autoassist, dict):
        raise fail("autoassist", "a dict of autoassist.AutoAssist keywords", repr(autoassist),
                   "For example autoassist={'assistant': 'paper'} or autoassist={'max_tokens': 4096, 'lengths': ...}.")
    options = dict(autoassist or {})
    known = inspect.signature(AutoAssist.__init__).parameters
    keywords = [k for k in known if k not in ("self", "dataset")]
    for name in options:
        if name == "dataset":
            raise fail("autoassist['dataset']", "left out", "given", "The training set is train_dataset's.")
        if name not in keywords:
            close = difflib.get_close_matches(name, keywords, n=1)
            raise fail("autoassist", "keywords of autoassist.AutoAssist", repr(name),
                       (f"Did you mean '{close[0]}'? " if close else "") + "See help(autoassist.AutoAssist).")
    if "selector" not in options and "features" not in options:  # another selector replaces AutoAssist's own;
        options.setdefault("assistant", "loss-only")  # features= given: AutoAssist's default Assistant uses them
    for taken in ("batch_size", "seed"):
        if taken in options:
            raise fail(f"autoassist['{taken}']", "left out", options[taken],
                       f"Set it in TrainingArguments ({'per_device_train_batch_size' if taken == 'batch_size' else 'data_seed or seed'}).")
    return given["train_dataset"], options


def _problem_type(model: Any) -> str | None:
    """The model's ``config.problem_type`` (set by sequence-classification models on their first forward)."""
    return getattr(getattr(_unwrap(model), "config", None), "problem_type", None)


def causal_lm(model: Any) -> bool:
    """Whether ``model`` is a causal language model (token ``t``'s logits predict label ``t + 1``).

    As the ``Trainer`` decides for its label smoothing: the model's class is one of ``transformers``'
    causal language models (or its ``loss_type`` is ``"ForCausalLM"``), and it is not an encoder-decoder.
    """
    model = _unwrap(model)
    if getattr(getattr(model, "config", None), "is_encoder_decoder", False):
        return False
    return type(model).__name__ in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values() or \
        getattr(model, "loss_type", None) == "ForCausalLM"


def _unwrap(model: Any) -> Any:
    while hasattr(model, "module"):
        model = model.module
    return model
