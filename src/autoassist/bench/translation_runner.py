"""Train one translation Boss with one method, through the public path, and measure it.

:func:`train_translation_run` serves every method, the demo and both protocols of
``autoassist bench translate``. Every method runs the way a user runs it:
``AutoAssist(TranslationDataset(...), max_tokens=..., ...)``, ``assist.loader(collate_fn=dataset.collate)``
and ``assist.report(idx, sentence_losses, tokens=target_token_counts)``, which returns the
token-normalised loss the Boss back-propagates.

The recipe: Adam (betas 0.9, 0.98) with the inverse-square-root schedule (linear warm-up over
``warmup_steps``, then ``lr * sqrt(warmup / step)``), label-smoothed cross-entropy. A run of a fraction
``f`` of uniform's Boss steps uses the schedule compressed to it: step ``t`` gets the learning rate
of step ``t / f`` of the full run (warm-up included), so every run ends at the same learning rate.

Along the run, greedy BLEU on the validation sentences (sacreBLEU) against Boss steps and training
wall time; at the end, test BLEU with beam search. Wall time counts training only (evaluation is
excluded) and is split into the Boss (forward, backward, Adam step), data (the DataLoader collating
the batch and moving it to the device) and selection (the Boss waiting for the batch generator, and
``report``). On a GPU the kernels run asynchronously and the step's total is synchronised by reading
its loss, so the total is exact and the split between Boss and selection approximate.
"""

from __future__ import annotations

import math
import time
from contextlib import closing
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from autoassist._errors import ParameterTypeError, fail
from autoassist.assist import ASSISTANTS, TRANSLATION_RULES, AutoAssist
from autoassist.batching import POOL_BATCHES
from autoassist.bench.bleu import corpus_bleu
from autoassist.bench.curves import Curve
from autoassist.bench.methods import MethodSpec, build_selector
from autoassist.bench.steps import boss_update, split_step_time, step_summary, timed_batches
from autoassist.bench.translation_oracle import BossLossOracle
from autoassist.data.text_batches import TranslationDataset
from autoassist.data.tokenize import PAD_ID, SubwordTokenizer
from autoassist.losses import sequence_losses
from autoassist.models.transformer import Seq2SeqTransformer, TransformerConfig, translate
from autoassist.selectors.autoassist import needs_total_steps


@dataclass
class TextData:
    """A tokenised parallel corpus: training ids, validation and test sources with their references."""

    name: str
    tokenizer: SubwordTokenizer
    train_src: list[list[int]]
    train_tgt: list[list[int]]
    val_src: list[list[int]]
    val_refs: list[str]
    test_src: list[list[int]]
    test_refs: list[str]
    #: a boolean mask over the training pairs: True where the pair is corrupted (the synthetic corpus's ``noisy``);
    #: None for a real corpus. The runs count how many of their back-propagated instances are among them.
    noisy: np.ndarray | None = None
    _features: sp.csr_matrix | None = None

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.vocab_size)

    def features(self) -> sp.csr_matrix:
        """The text Assistant's features (TF, TF-IDF, lengths of both sides), built once."""
        if self._features is None:
            from autoassist.text_features import text_features

            self._features = text_features(self.train_src, self.train_tgt, self.vocab_size)
        return self._features


@dataclass
class TranslationRecipe:
    """What every run of a translation benchmark shares: batches, Adam, the model, evaluation, the device.

    :class:`TranslationTrainConfig` (one run) and the benchmark's config both hold these fields; the
    benchmark hands them to each run unchanged (:meth:`recipe`).
    """

    max_tokens: int = 4096
    pool_batches: int = POOL_BATCHES  # AutoAssist(pool_batches=): candidates decided and length-sorted per pool
    fresh_decisions: bool = False  # AutoAssist(fresh_decisions=): each batch's candidates decided as it is cut
    lr: float = 1e-3
    warmup_steps: int = 400
    label_smoothing: float = 0.1
    clip_grad_norm: float | None = None
    d_model: int = 128
    n_heads: int = 4
    layers: int = 2
    d_ff: int = 512
    dropout: float = 0.1
    beam_size: int = 4
    decode_batch_size: int = 64  # sentences per decoding batch of the validation and test BLEU
    eval_points: int = 8
    eval_ema: float = 0.0  # evaluate an exponential moving average of the Boss's weights, this decay per step (0: off)
    lag: int = 2
    device: str = "cpu"  # the Boss's; the Assistant and the batch generator stay on the CPU

    def recipe(self) -> dict[str, Any]:
        """The shared fields, by name (also of a config that extends this one)."""
        return {f.name: getattr(self, f.name) for f in fields(TranslationRecipe)}


@dataclass
class TranslationTrainConfig(TranslationRecipe):
    """Typed settings of one translation run (saved next to its results)."""

    total_steps: int = 1000
    fraction: float = 1.0  # of uniform's Boss steps: the schedule is compressed by it
    num_passes: float = 1.0  # uniform's passes at the full budget (InfoBatch anneals over them)
    seed: int = 0
    asynchronous: bool = True


def inverse_sqrt_lr(step: int, cfg: TranslationTrainConfig) -> float:
    """Learning rate of Boss step ``step`` (1-based): inverse-square-root schedule compressed to ``cfg.fraction``."""
    u = max(step, 1) / cfg.fraction
    w = max(cfg.warmup_steps, 1)
    return cfg.lr * min(u / w, math.sqrt(w / u))


def bleu_of(model: Seq2SeqTransformer, tokenizer: SubwordTokenizer, src: Sequence[Sequence[int]],
            refs: Sequence[str], beam_size: int = 1, batch_size: int = 64) -> tuple[float, str]:
    """sacreBLEU of the model's translations of ``src`` against ``refs`` (greedy when ``beam_size`` is 1)."""
    hyps = tokenizer.decode_batch(translate(model, src, beam_size=beam_size, batch_size=batch_size))
    return corpus_bleu(hyps, refs)


def make_model(vocab_size: int, cfg: TranslationTrainConfig) -> Seq2SeqTransformer:
    return Seq2SeqTransformer(TransformerConfig(
        vocab_size=vocab_size, d_model=cfg.d_model, n_heads=cfg.n_heads, encoder_layers=cfg.layers,
        decoder_layers=cfg.layers, d_ff=cfg.d_ff, dropout=cfg.dropout))


# what configures the learned Assistant, not the oracle that stands in for it
_LEARNED_ASSISTANT_OPTIONS = ("threshold", "lr", "l2")


def lengths_of(dataset: TranslationDataset) -> np.ndarray:
    """(N, 2) source and target (with ``</s>``) lengths, what the token batcher bounds."""
    return dataset.lengths


def build_assist(method: MethodSpec, features: Callable[[], sp.csr_matrix], dataset: TranslationDataset,
                 cfg: TranslationTrainConfig, keep_rate: float | None = None,
                 model: Seq2SeqTransformer | None = None) -> AutoAssist:
    """``AutoAssist`` for one method, as a user builds it (AutoAssist itself, or a stream selector).

    ``features`` returns the text Assistant's features of ``dataset`` (called only by the methods that use them).
    ``oracle`` (a diagnosis, not a method to deploy) is AutoAssist with the translation rules and a
    :class:`BossLossOracle` that scores candidates with ``model``'s current losses, run inline.
    """
    common: dict[str, Any] = dict(max_tokens=cfg.max_tokens, lengths=lengths_of(dataset),
                                  pool_batches=cfg.pool_batches, fresh_decisions=cfg.fresh_decisions, seed=cfg.seed,
                                  asynchronous=cfg.asynchronous, lag=cfg.lag)
    opts = dict(method.options)
    if method.name == "oracle":
        if model is None:
            raise fail("model", "the Boss being trained (the oracle scores with its losses)", None)
        oracle = BossLossOracle(model, dataset, label_smoothing=cfg.label_smoothing, max_tokens=4 * cfg.max_tokens,
                                threshold_scale=opts.pop("threshold_scale", 1.0), easiest=opts.pop("easiest", 0.0))
        rules = {k: v for k, v in TRANSLATION_RULES.items() if k not in _LEARNED_ASSISTANT_OPTIONS}
        try:
            return AutoAssist(dataset, assistant=oracle, **{**rules, **opts}, **{**common, "asynchronous": False})
        except TypeError as error:
            raise fail("--methods", "oracle options that AutoAssist() takes (base_prob, anneal_fraction, ...)",
                       method.label, str(error)) from None
    if method.name == "autoassist":
        if "max_feature_dim" in opts:  # it sizes pooled raw inputs; here the features are the text's own
            raise fail("--methods", "autoassist options that apply to text (max_feature_dim sizes pooled raw inputs; "
                       "the translation Assistant's features are TF, TF-IDF and lengths)", method.label,
                       "Drop max_feature_dim.")
        kind = opts.pop("assistant", "paper")
        if kind not in ASSISTANTS:   # by the flag and the spec (AutoAssist would name its own parameter)
            raise fail("--methods", "autoassist:assistant=<" + "|".join(ASSISTANTS) + ">", method.label,
                       "paper (the translation default) learns from the text features, loss-history from them and "
                       "each pair's last loss, loss-only from the loss alone.")
        kwargs: dict[str, Any] = {**TRANSLATION_RULES, **opts, "assistant": kind}
        if kind != "loss-only":
            kwargs["features"] = features()
        if needs_total_steps(kwargs) and "total_steps" not in kwargs:
            kwargs["total_steps"] = cfg.total_steps   # the run's own budget, as bench image does
        try:
            return AutoAssist(dataset, **kwargs, **common)
        except TypeError as error:
            if isinstance(error, ParameterTypeError):
                raise
            raise fail("--methods", "autoassist options that AutoAssist() takes", method.label, str(error)) from None
    if method.name == "random" and keep_rate is not None:
        method = MethodSpec("random", {**opts, "keep_rate": keep_rate}, method.label)
    elif method.name == "random" and not isinstance(opts.get("keep_rate"), float):
        raise fail("--methods", "random:keep_rate=<a number in (0, 1]> or random:keep_rate=auto", method.label)
    if method.name == "selective_backprop":
        raise fail("--methods", "a stream selector (uniform, random, autoassist, infobatch, importance) or oracle",
                   method.label, "Selective Backprop's forward passes do not fit the translation benchmark.")
    num_passes = max(1, int(round(cfg.num_passes * cfg.fraction)))
    selector = build_selector(method, None, total_steps=cfg.total_steps, num_passes=num_passes, seed=cfg.seed)
    return AutoAssist(dataset, selector=selector, **common)


def check_method(method: MethodSpec, cfg: TranslationTrainConfig) -> None:
    """Build ``method`` as a run would, on four placeholder sentence pairs, and close it.

    A bad option (``autoassist:base_prob=2``, ``random:keep_rate=0``, an unknown key) raises here, with the message
    the run would give, before the benchmark reads its corpus, learns a vocabulary or writes anything.
    """
    from autoassist.text_features import text_features

    src, tgt = [[4, 5], [6], [7, 8, 9], [5, 6]], [[4], [5, 6], [7], [8, 9]]
    dataset = TranslationDataset(src, tgt)
    model = None
    if method.name == "oracle":
        model = make_model(10, replace(cfg, d_model=8, n_heads=1, layers=1, d_ff=8))
    keep_rate = 0.5 if method.name == "random" and method.options.get("keep_rate") == "auto" else None
    quiet = replace(cfg, asynchronous=False)
    build_assist(method, lambda: text_features(src, tgt, 10), dataset, quiet, keep_rate, model).close()


def train_translation_run(method: MethodSpec, data: TextData, cfg: TranslationTrainConfig, *,
                          keep_rate: float | None = None,
                          progress: Callable[[int, int], None] | None = None,
                          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train a fresh Boss with ``method`` for ``cfg.total_steps`` steps; return the run's record.

    ``keep_rate`` resolves ``random:keep_rate=auto`` (the benchmark passes AutoAssist's keep rate);
    ``log`` gets one line per validation (step, training wall time, BLEU, keep rate).
    """
    torch.manual_seed(cfg.seed)
    device = torch.device(cfg.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = make_model(data.vocab_size, cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9)
    # what the BLEU evaluations decode: the Boss, or an exponential moving average of its weights (torch's
    # AveragedModel), which smooths the step-to-step noise of the validation curve
    ema = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.eval_ema), use_buffers=True)
           if cfg.eval_ema else None)
    evaluated: Seq2SeqTransformer = ema.module if ema is not None else model  # type: ignore[assignment]
    dataset = TranslationDataset(data.train_src, data.train_tgt)
    assist = build_assist(method, data.features, dataset, cfg, keep_rate, model)
    oracle = assist.assistant if isinstance(assist.assistant, BossLossOracle) else None
    max_steps = cfg.total_steps
    curve = Curve.with_columns("val_bleu", "target_tokens", "padded_tokens", "assistant_accuracy", "train_loss",
                               "noisy_backprop")
    timers = {"boss": 0.0, "data": 0.0, "selection": 0.0, "eval": 0.0}
    step_times: list[float] = []
    losses: list[float] = []
    counts = {"step": 0, "backprop": 0, "tokens": 0, "padded": 0, "noisy": 0}
    eval_every = max(1, max_steps // max(1, cfg.eval_points))
    wall = 0.0
    since_eval: list[float] = []

    def record() -> None:
        t0 = time.perf_counter()
        bleu, _ = bleu_of(evaluated, data.tokenizer, data.val_src, data.val_refs, batch_size=cfg.decode_batch_size)
        timers["eval"] += time.perf_counter() - t0
        stats = assist.stats()
        train_loss = float(np.mean(since_eval)) if since_eval else None
        curve.add(step=counts["step"], wall_time_s=wall, backprop_instances=counts["backprop"], score=bleu,
                  keep_rate=float(stats["keep_rate"]), lr=float(opt.param_groups[0]["lr"]),
                  target_tokens=counts["tokens"], padded_tokens=counts["padded"], train_loss=train_loss,
                  noisy_backprop=None if data.noisy is None else counts["noisy"],
                  assistant_accuracy=float(stats["assistant_accuracy"]) if "assistant_accuracy" in stats else None)
        if log is not None:
            loss = "n/a" if train_loss is None else f"{train_loss:.3f}"
            log(f"  {method.label} step {counts['step']}/{max_steps}: {wall:.0f}s training, val BLEU {bleu:.2f}, "
                f"train loss {loss}, keep rate {curve.keep_rate[-1]:.2f}, eval {time.perf_counter() - t0:.0f}s")
        since_eval.clear()

    model.train()
    record()
    loader = assist.loader(collate_fn=dataset.collate)
    with assist, closing(timed_batches(assist, loader, lambda batch: batch.to(device), timers)) as batches:
        for idx, batch, fetch_seconds in batches:
            t1 = time.perf_counter()
            lr = inverse_sqrt_lr(counts["step"] + 1, cfg)
            for group in opt.param_groups:
                group["lr"] = lr
            per_sentence = sequence_losses(model(batch.src, batch.tgt_in), batch.tgt_out, PAD_ID, cfg.label_smoothing)
            t2 = time.perf_counter()
            loss = assist.report(idx, per_sentence, tokens=batch.tgt_lengths)
            t3 = time.perf_counter()
            boss_update(model, opt, loss, cfg.clip_grad_norm)
            if ema is not None:
                ema.update_parameters(model)
            t4 = time.perf_counter()
            wall += fetch_seconds + split_step_time(timers, step_times, t1, t2, t3, t4)
            if oracle is not None:  # the oracle's scoring forward passes are free (as for images)
                wall -= oracle.scoring_seconds - timers.get("free_scoring", 0.0)
                timers["free_scoring"] = oracle.scoring_seconds
            # the plain token-normalised loss (selector weights left out: InfoBatch's and importance
            # sampling's rescaled losses are not a sign of divergence)
            lengths = batch.tgt_lengths.to(per_sentence.dtype)
            value = float((per_sentence.detach() * lengths).sum() / lengths.sum())
            losses.append(value)
            since_eval.append(value)
            counts["step"] += 1
            counts["backprop"] += len(idx)
            if data.noisy is not None:
                counts["noisy"] += int(data.noisy[np.asarray(idx)].sum())
            counts["tokens"] += int(batch.tgt_lengths.sum())
            counts["padded"] += batch.src.numel() + batch.tgt_in.numel()  # what the Boss computes on, padding included
            if progress is not None:
                progress(counts["step"], max_steps)
            done = counts["step"] >= max_steps
            if counts["step"] % eval_every == 0 or done:
                record()
            if done:
                break
    t0 = time.perf_counter()
    test_bleu, signature = bleu_of(evaluated, data.tokenizer, data.test_src, data.test_refs, beam_size=cfg.beam_size,
                                    batch_size=cfg.decode_batch_size)
    timers["eval"] += time.perf_counter() - t0
    stats = assist.stats()
    return {
        "method": method.label,
        "method_name": method.name,
        "method_options": dict(method.options),
        "resolved_keep_rate": keep_rate,
        "seed": cfg.seed,
        "fraction": cfg.fraction,
        "final_val_bleu": curve.score[-1],
        "test_bleu": test_bleu,
        "test_beam_size": cfg.beam_size,
        "sacrebleu_signature": signature,
        "wall_time_s": wall,
        "boss_steps": counts["step"],
        "backprop_instances": counts["backprop"],
        "noisy_backprop": None if data.noisy is None else counts["noisy"],  # of them corrupted (synthetic corpus)
        "target_tokens": counts["tokens"],
        "padded_tokens": counts["padded"],
        "passes": float(stats["position"]),
        "time_split_s": timers,
        "boss_wait_s": float(stats.get("wait_seconds", 0.0)),
        **step_summary(step_times, losses),  # train losses token-normalised, unweighted
        "selector_stats": stats,
        "curves": curve.as_dict(),
        "config": asdict(cfg),
    }
