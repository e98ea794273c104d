"""``autoassist bench translate``: every method on a parallel corpus, side by side, in one run.

A Transformer Boss (Adam, inverse-square-root schedule, label-smoothed cross-entropy, token-bounded
batches) trained with uniform batches, random selection at AutoAssist's keep rate, AutoAssist with
the paper's text Assistant (TF, TF-IDF and length features; the official translation rules),
AutoAssist with the loss-history Assistant (the same features plus each instance's last loss),
InfoBatch and importance sampling. Greedy validation BLEU along every run, test BLEU with beam
search at the end (sacreBLEU, signature recorded). Two protocols, from the same runs:

(a) **full runs**: every method trains uniform's number of Boss steps with the full schedule; the
time each needs to reach uniform's final validation BLEU minus ``--tolerance`` (first time, and
time from which it stays there).
(b) **budget to target**: each method trains with a fraction (``--fractions``) of uniform's Boss
steps, the schedule compressed to it; the smallest fraction whose final validation BLEU still reaches
the target (at that fraction and every larger one tried).

``--data-dir`` holds ``{split}.{lang}`` files (plain or .gz, line aligned), e.g. Multi30k; without it
the synthetic corpus is generated locally. Results go to ``--out/results.json`` after every run
(``--resume`` skips finished runs); ``table.md`` and the PNGs are made from the JSON alone.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from autoassist._errors import ParameterError, check_float, check_int, fail
from autoassist.batching import POOL_BATCHES, instance_sizes
from autoassist.bench.harness import (PlannedRun, Progress, check_device, check_resume, check_seeds, describe_hardware,
                                      mark_target, plan_runs, prepare, report_results, run_planned)
from autoassist.bench.methods import parse_method
from autoassist.bench.translation_runner import (TextData, TranslationRecipe, TranslationTrainConfig, check_method,
                                                 lengths_of, train_translation_run)
from autoassist.data.parallel import ParallelCorpus, load_parallel, split_file
from autoassist.data.tokenize import SubwordTokenizer, bpe_model_path, train_joint_bpe

TRANSLATION_METHODS = ("uniform", "random", "autoassist", "infobatch", "importance", "oracle")
METHOD_HELP = {
    "uniform": "plain shuffled token batches (the baseline)",
    "random:keep_rate=auto": "accept each candidate with AutoAssist's keep rate (of the first autoassist method "
                             "of the same seed and fraction, run before it); or random:keep_rate=0.7",
    "autoassist:assistant=paper": "AutoAssist with the paper's text Assistant (TF, TF-IDF, lengths) and the "
                                  "official translation rules (TRANSLATION_RULES)",
    "autoassist:assistant=loss-history": "the same, with the loss-history Assistant (features plus last loss); "
                                         "plain autoassist here means assistant=paper, the translation default",
    "infobatch": "InfoBatch, annealed over uniform's passes",
    "importance": "importance sampling by stale loss, unbiased weights",
    "oracle": "diagnosis: AutoAssist's translation rules with a perfect Assistant that scores candidates with "
              "the Boss's current losses (run inline, scoring passes not counted); read in Boss steps",
}
DEFAULT_METHODS = ("uniform", "autoassist:assistant=paper", "autoassist:assistant=loss-history",
                   "random:keep_rate=auto", "infobatch", "importance")
DEMO_METHODS = ("uniform", "autoassist:assistant=paper")


@dataclass
class TranslationBenchConfig(TranslationRecipe):
    """Typed settings of one translation benchmark (saved in results.json): the runs' recipe and these."""

    task: str = "translation"
    data_dir: str | None = None  # None: the synthetic corpus
    src: str = "en"
    tgt: str = "de"
    train_split: str = "train"
    val_split: str = "val"
    test_split: str = "test"
    lowercase: bool = False
    synthetic_train: int = 10_000
    synthetic_noise: float = 0.05
    vocab_size: int = 8000
    limit_train: int | None = None
    val_sentences: int | None = None
    test_sentences: int | None = None
    methods: tuple[str, ...] = DEFAULT_METHODS
    seeds: tuple[int, ...] = (0,)
    epochs: float = 3.0
    fractions: tuple[float, ...] = (1.0,)
    tolerance: float = 0.5
    threads: int = 1
    synchronous: bool = False
    bpe_dir: str | None = None


def add_arguments(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    d = TranslationBenchConfig()
    p.add_argument("--data-dir", default=None,
                   help="folder with {split}.{lang}[.gz] line-aligned files (default: the synthetic corpus)")
    # the options of one corpus type default to None (the config's defaults are filled in by config_from_args), so
    # that one given with the other type is refused even when it repeats the default
    p.add_argument("--src", default=None, help=f"source language suffix (with --data-dir; default: {d.src})")
    p.add_argument("--tgt", default=None, help=f"target language suffix (with --data-dir; default: {d.tgt})")
    p.add_argument("--train-split", default=None, help=f"with --data-dir (default: {d.train_split})")
    p.add_argument("--val-split", default=None, help=f"with --data-dir (default: {d.val_split})")
    p.add_argument("--test-split", default=None,
                   help=f"with --data-dir (default: {d.test_split}; Multi30k: test_2016_flickr)")
    p.add_argument("--lowercase", action="store_true",
                   help="lower-case both sides (and the references); with --data-dir")
    p.add_argument("--synthetic-train", type=int, default=None,
                   help=f"training pairs of the synthetic corpus (without --data-dir; default: {d.synthetic_train})")
    p.add_argument("--synthetic-noise", type=float, default=None,
                   help="fraction of the synthetic training pairs whose target is another sentence's translation "
                        f"(without --data-dir; default: {d.synthetic_noise:g})")
    p.add_argument("--vocab-size", type=int, default=None, help="joint BPE ids (default: 8000; synthetic 1000)")
    p.add_argument("--limit-train", type=int, default=None, help="use only the first N training pairs (default: all)")
    p.add_argument("--val-sentences", type=int, default=None, help="first N validation sentences (default: all)")
    p.add_argument("--test-sentences", type=int, default=None, help="first N test sentences (default: all)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<command>-<corpus>)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run per seed and method")
    p.add_argument("--epochs", type=float, default=None,
                   help="uniform's budget in epochs (Boss steps of an unfiltered pass of token batches, each seed's own; "
                        "default: 3, synthetic 2)")
    p.add_argument("--max-tokens", type=int, default=None,
                   help="padded tokens per batch (default 4096; synthetic 1024)")
    p.add_argument("--pool-batches", type=int, default=d.pool_batches,
                   help="batches' worth of candidates decided and length-sorted at a time (AutoAssist(pool_batches=)): "
                        "smaller trains on fresher decisions, with more padding")
    p.add_argument("--fresh-decisions", action="store_true",
                   help="decide each batch's candidates as it is cut, from a pool of --pool-batches batches' worth of "
                        "undecided candidates (AutoAssist(fresh_decisions=True)): fresh decisions, the pool's packing; "
                        "every method of the run uses it, the budget stays uniform's steps with the default batching")
    p.add_argument("--lr", type=float, default=d.lr, help="peak Adam learning rate")
    p.add_argument("--warmup-steps", type=int, default=None,
                   help="inverse-sqrt warm-up steps of the full run (default 400; synthetic 50)")
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument("--clip-grad-norm", type=float, default=0.0, help="clip the gradient norm (0: off)")
    p.add_argument("--d-model", type=int, default=d.d_model, help="Transformer width")
    p.add_argument("--heads", type=int, default=d.n_heads)
    p.add_argument("--layers", type=int, default=d.layers, help="encoder and decoder layers each")
    p.add_argument("--d-ff", type=int, default=d.d_ff)
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--beam-size", type=int, default=d.beam_size, help="beam of the final test BLEU")
    p.add_argument("--decode-batch-size", type=int, default=d.decode_batch_size,
                   help="sentences per decoding batch of the BLEU evaluations (larger: fewer GPU decoding loops)")
    p.add_argument("--tolerance", type=float, default=d.tolerance, help="BLEU points below uniform's final BLEU")
    p.add_argument("--eval-points", type=int, default=d.eval_points, help="validation BLEU evaluations per run")
    p.add_argument("--eval-ema", type=float, default=d.eval_ema,
                   help="evaluate (validation and test BLEU) an exponential moving average of the Boss's weights with "
                        "this decay per Boss step, e.g. 0.99 (0: the weights themselves)")
    p.add_argument("--lag", type=int, default=d.lag, help="AutoAssist's lag (steps)")
    p.add_argument("--threads", type=int, default=d.threads, help="torch threads (0: all cores)")
    p.add_argument("--device", default=d.device,
                   help="where the Boss trains and decodes: cpu, cuda or cuda:N (the Assistant stays on the CPU)")
    p.add_argument("--synchronous", action="store_true",
                   help="assemble batches inline on the Boss's thread: the same batches as the default asynchronous "
                        "worker, slower")
    p.add_argument("--bpe-dir", default=None, help="cache folder for BPE models (default: --out/bpe)")
    p.add_argument("--resume", action="store_true", help="skip runs already in --out/results.json")
    if not demo:
        p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                       help="method specs name[:key=value,...]: "
                       + "; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items()))
        p.add_argument("--fractions", type=float, nargs="+", default=[1.0],
                       help="fractions of uniform's Boss steps, schedule compressed (1.0: the full runs)")


# the options that describe one type of corpus: files (--data-dir) or the synthetic corpus (without it)
FILE_CORPUS_ONLY = {"src": "--src", "tgt": "--tgt", "train_split": "--train-split", "val_split": "--val-split",
                    "test_split": "--test-split", "lowercase": "--lowercase"}
SYNTHETIC_ONLY = {"synthetic_train": "--synthetic-train", "synthetic_noise": "--synthetic-noise"}


def _refuse_other_corpus_options(given: dict[str, Any], synthetic: bool) -> None:
    """``given`` (dest: value, of the options the user gave) may not hold an option of the other corpus type: it would
    be ignored, yet recorded in the config (where --resume and merge would later compare it)."""
    if synthetic:
        wrong = [(flag, given[dest]) for dest, flag in FILE_CORPUS_ONLY.items() if dest in given]
        if wrong:
            raise fail(wrong[0][0], "given with --data-dir (it describes a corpus of files)", str(wrong[0][1]),
                       "Without --data-dir the synthetic corpus is used, which has its own languages and splits: "
                       f"pass --data-dir DIR, or drop {', '.join(flag for flag, _ in wrong)}.")
    else:
        wrong = [(flag, given[dest]) for dest, flag in SYNTHETIC_ONLY.items() if dest in given]
        if wrong:
            raise fail(wrong[0][0], "left out with --data-dir (it sets the synthetic corpus)", str(wrong[0][1]),
                       f"--data-dir trains on its files: drop {', '.join(flag for flag, _ in wrong)}, or drop "
                       "--data-dir to use the synthetic corpus.")


def config_from_args(args: argparse.Namespace, *, demo: bool = False) -> TranslationBenchConfig:
    synthetic = args.data_dir is None
    d = TranslationBenchConfig()
    given = {dest: getattr(args, dest) for dest in (*FILE_CORPUS_ONLY, *SYNTHETIC_ONLY)
             if getattr(args, dest) is not None and getattr(args, dest) is not False}   # --lowercase: when True
    _refuse_other_corpus_options(given, synthetic)
    corpus = {dest: given.get(dest, getattr(d, dest)) for dest in (*FILE_CORPUS_ONLY, *SYNTHETIC_ONLY)}
    return TranslationBenchConfig(
        data_dir=args.data_dir, **corpus,
        vocab_size=args.vocab_size if args.vocab_size is not None else (1000 if synthetic else 8000),
        limit_train=args.limit_train,
        val_sentences=args.val_sentences, test_sentences=args.test_sentences,
        methods=DEMO_METHODS if demo else tuple(args.methods), seeds=tuple(args.seeds),
        epochs=args.epochs if args.epochs is not None else (2.0 if synthetic else 3.0),
        fractions=(1.0,) if demo else tuple(sorted(set(args.fractions), reverse=True)),
        tolerance=args.tolerance,
        max_tokens=args.max_tokens if args.max_tokens is not None else (1024 if synthetic else 4096),
        pool_batches=args.pool_batches, fresh_decisions=args.fresh_decisions, lr=args.lr,
        warmup_steps=args.warmup_steps if args.warmup_steps is not None else (50 if synthetic else 400),
        label_smoothing=args.label_smoothing, clip_grad_norm=args.clip_grad_norm or None, d_model=args.d_model,
        n_heads=args.heads, layers=args.layers, d_ff=args.d_ff, dropout=args.dropout, beam_size=args.beam_size,
        decode_batch_size=args.decode_batch_size, eval_points=args.eval_points, eval_ema=args.eval_ema, lag=args.lag,
        threads=args.threads, synchronous=args.synchronous,
        bpe_dir=args.bpe_dir, device=args.device,
    )


def validate(cfg: TranslationBenchConfig) -> None:
    check_device(cfg.device)
    check_seeds(cfg.seeds)
    d = TranslationBenchConfig()
    other = FILE_CORPUS_ONLY if cfg.data_dir is None else SYNTHETIC_ONLY
    _refuse_other_corpus_options({dest: getattr(cfg, dest) for dest in other if getattr(cfg, dest) != getattr(d, dest)},
                                 cfg.data_dir is None)
    if cfg.data_dir is not None:
        if cfg.src == cfg.tgt:
            raise fail("--tgt", f"a language other than --src ({cfg.src})", cfg.tgt,
                       "Translation turns {split}.SRC into {split}.TGT: with one suffix for both the model would "
                       "learn to copy. Pass the two languages' suffixes, e.g. --src en --tgt de.")
        _check_corpus_files(cfg)
    check_float("--epochs", cfg.epochs, positive=True,
                fix="It is uniform's budget in passes over the training pairs: pass a positive number such as 3 "
                    "(the default; synthetic 2).")
    if not 0.0 <= cfg.synthetic_noise < 1.0:
        raise fail("--synthetic-noise", "in [0, 1)", cfg.synthetic_noise,
                   "It is the fraction of corrupted training pairs: 0 for a clean corpus, 0.05 by default.")
    if cfg.pool_batches < 1:
        raise fail("--pool-batches", ">= 1", cfg.pool_batches, f"The default, {POOL_BATCHES}, cuts batches from "
                   f"{POOL_BATCHES} batches' worth.")
    if not 0.0 <= cfg.eval_ema < 1.0:
        raise fail("--eval-ema", "in [0, 1)", cfg.eval_ema,
                   "0 evaluates the Boss's weights themselves; 0.99 averages over roughly the last 100 steps.")
    _check_numbers(cfg)
    for f in cfg.fractions:
        if not 0 < f <= 1:
            raise fail("--fractions", "values in (0, 1]", f, "Fractions are of uniform's Boss steps.")
    for spec in cfg.methods:
        method = parse_method(spec)
        if method.name not in TRANSLATION_METHODS:
            raise fail("--methods", "among " + ", ".join(TRANSLATION_METHODS), spec,
                       "Selective Backprop's forward passes do not fit the translation benchmark (README).")
        if method.name == "random" and method.options.get("keep_rate") == "auto":
            earlier = [parse_method(s).name for s in cfg.methods[:cfg.methods.index(spec)]]
            if "autoassist" not in earlier:
                raise fail("--methods", "an autoassist method listed before random:keep_rate=auto", spec,
                           "List autoassist:assistant=paper first, or give random a number: random:keep_rate=0.7.")
        for fraction in cfg.fractions:
            check_method(method, _train_config(cfg, 100, fraction, seed=0))


def _check_corpus_files(cfg: TranslationBenchConfig) -> None:
    """--data-dir holds the three splits in both languages (read later; named here by the flags that chose them)."""
    folder = Path(cfg.data_dir or "")
    if not folder.is_dir():
        raise fail("--data-dir", "an existing folder", str(folder), "Pass the folder that holds the corpus files.")
    for flag, split in (("--train-split", cfg.train_split), ("--val-split", cfg.val_split),
                        ("--test-split", cfg.test_split)):
        for lang in (cfg.src, cfg.tgt):
            if split_file(folder, split, lang, name="--data-dir") is None:
                raise fail("--data-dir", f"a folder holding {split}.{lang} or {split}.{lang}.gz", str(folder),
                           f"Check {flag} {split} and --src/--tgt {cfg.src}/{cfg.tgt} (Multi30k's test split is "
                           "test_2016_flickr).")


def _check_numbers(cfg: TranslationBenchConfig) -> None:
    """The corpus, model, optimiser and evaluation options, by their command-line names, before any data is read."""
    d = TranslationBenchConfig()
    minimum = {
        "--max-tokens": (cfg.max_tokens, 8, "It is the padded tokens per batch: leave it out for the default (4096; "
                                            "synthetic 1024)."),
        "--decode-batch-size": (cfg.decode_batch_size, 1, f"Sentences decoded at a time: {d.decode_batch_size} by "
                                                          "default."),
        "--vocab-size": (cfg.vocab_size, 8, "It is the joint BPE's number of ids: leave it out for the default (8000; "
                                            "synthetic 1000)."),
        "--synthetic-train": (cfg.synthetic_train, 1, f"Pass a number of pairs such as {d.synthetic_train} (the "
                                                      "default)."),
        "--limit-train": (cfg.limit_train, 1, "Leave it out to train on every pair."),
        "--val-sentences": (cfg.val_sentences, 1, "Leave it out to use every validation sentence."),
        "--test-sentences": (cfg.test_sentences, 1, "Leave it out to use every test sentence."),
        "--warmup-steps": (cfg.warmup_steps, 0, "0 switches warm-up off; the default is 400 (synthetic 50)."),
        "--d-model": (cfg.d_model, 1, f"The Transformer's width: {d.d_model} by default."),
        "--heads": (cfg.n_heads, 1, f"Attention heads: {d.n_heads} by default."),
        "--layers": (cfg.layers, 1, f"Encoder and decoder layers each: {d.layers} by default."),
        "--d-ff": (cfg.d_ff, 1, f"The feed-forward width: {d.d_ff} by default."),
        "--beam-size": (cfg.beam_size, 1, f"1 decodes greedily; the default is {d.beam_size}."),
        "--eval-points": (cfg.eval_points, 1, f"Validation BLEU evaluations per run: {d.eval_points} by default."),
        "--lag": (cfg.lag, 1, f"AutoAssist's lag in Boss steps: {d.lag} by default."),
        "--threads": (cfg.threads, 0, "0 uses every core; the default is 1.")}
    for option, (value, least, fix) in minimum.items():
        if value is not None:
            check_int(option, value, minimum=least, fix=fix)
    if cfg.d_model % cfg.n_heads:
        raise fail("--d-model", f"a multiple of --heads ({cfg.n_heads})", cfg.d_model,
                   "Each attention head takes d_model / heads dimensions.")
    check_float("--lr", cfg.lr, positive=True, fix=f"Pass Adam's peak learning rate, such as {d.lr:g} (the default).")
    check_float("--tolerance", cfg.tolerance, nonnegative=True,
                fix=f"BLEU points below uniform's final BLEU: 0 or more ({d.tolerance:g} by default).")
    if cfg.clip_grad_norm is not None:
        check_float("--clip-grad-norm", cfg.clip_grad_norm, nonnegative=True, fix="0 switches clipping off.")
    for option, fraction in (("--label-smoothing", cfg.label_smoothing), ("--dropout", cfg.dropout)):
        if not 0.0 <= fraction < 1.0:
            raise fail(option, "in [0, 1)", fraction)


def describe_device(device: str) -> str:
    """The device in words for results.json: ``cpu`` or the GPU's name (TF32 matrix products noted)."""
    parsed = torch.device(device)
    if parsed.type != "cuda":
        return "cpu"
    return f"{device} ({torch.cuda.get_device_name(parsed)}; TF32 matmul)"


def _truncate(items: list[Any], limit: int | None) -> list[Any]:
    return items if limit is None else items[:limit]


def load_text_data(cfg: TranslationBenchConfig, bpe_dir: Path, log: Callable[[str], None] = print, *,
                   cache: Path | None = None) -> TextData:
    """Read (or generate) the corpus, learn the joint BPE on its training split, encode every split.

    The BPE model is learnt into ``bpe_dir``, unless ``cache`` already holds the same model (then it is read there;
    nothing is added to ``cache``). Training pairs empty on either side, or longer than the model's positions, are
    dropped (and counted). A validation or test split without a sentence is refused here, before any training.
    """
    if cfg.data_dir is None:
        from autoassist.data.synthetic_translation import make_synthetic_translation

        synthetic = make_synthetic_translation(cfg.synthetic_train, noise=cfg.synthetic_noise, seed=0)
        train, val, test = synthetic.train, synthetic.val, synthetic.test
        default_noise = cfg.synthetic_noise == TranslationBenchConfig.synthetic_noise
        name = f"synthetic-{cfg.synthetic_train}" + ("" if default_noise else f"-noise{cfg.synthetic_noise:g}")
    else:
        def split(name: str) -> ParallelCorpus:
            return load_parallel(cfg.data_dir or "", name, cfg.src, cfg.tgt, lowercase=cfg.lowercase)

        train, val, test = split(cfg.train_split), split(cfg.val_split), split(cfg.test_split)
        for flag, split_name, corpus in (("--val-split", cfg.val_split, val), ("--test-split", cfg.test_split, test)):
            _check_not_empty(cfg, flag, split_name, corpus)
        name = f"{Path(cfg.data_dir).name}-{cfg.src}-{cfg.tgt}"
    corrupted = synthetic.noisy if cfg.data_dir is None else None
    if cfg.limit_train is not None:
        train = train.subset(range(min(cfg.limit_train, len(train))))
    tok = _learn_bpe(train, cfg, bpe_dir, cache)
    src_ids, tgt_ids = tok.encode(train.src), tok.encode(train.tgt)
    longest = 250  # the model's 256 positions, less <s>, </s> and a margin
    keep = [i for i in range(len(src_ids)) if 0 < len(src_ids[i]) <= longest and 0 < len(tgt_ids[i]) <= longest]
    if not keep:
        raise fail("--data-dir", f"a corpus whose {cfg.train_split} split keeps at least one pair of 1 to {longest} "
                   "subwords on each side", f"{cfg.data_dir} ({len(src_ids)} pairs, every one empty or longer)",
                   f"Check the training files (the model reads at most {longest} subwords a side).")
    if len(keep) < len(src_ids):
        log(f"dropped {len(src_ids) - len(keep)} training pairs that are empty or longer than {longest} subwords")
    val_c = val.subset(range(len(val) if cfg.val_sentences is None else min(cfg.val_sentences, len(val))))
    test_c = test.subset(range(len(test) if cfg.test_sentences is None else min(cfg.test_sentences, len(test))))
    # which kept training pairs are corrupted (limit_train and the length filter renumber them)
    noisy = None if corrupted is None else np.isin(np.asarray(keep), corrupted)
    return TextData(name=name, tokenizer=tok, train_src=[src_ids[i] for i in keep],
                    train_tgt=[tgt_ids[i] for i in keep], val_src=tok.encode(val_c.src), val_refs=list(val_c.tgt),
                    test_src=tok.encode(test_c.src), test_refs=list(test_c.tgt), noisy=noisy)


def _check_not_empty(cfg: TranslationBenchConfig, flag: str, split: str, corpus: ParallelCorpus) -> None:
    """A validation or test split must hold a sentence (BLEU of no sentences is undefined): refused before training,
    not at the first evaluation or after the runs."""
    if any(corpus.src):   # the loader has checked that a line is empty on both sides or on neither
        return
    folder = Path(cfg.data_dir or "")
    files = " and ".join(str(split_file(folder, split, lang, name="--data-dir")) for lang in (cfg.src, cfg.tgt))
    raise fail(flag, "a split of --data-dir holding at least one sentence pair", split,
               f"{files} hold no sentence. Put the {'validation' if flag == '--val-split' else 'test'} sentences "
               f"there (one per line, line aligned), or pass {flag} the split that holds them.")


def _learn_bpe(train: ParallelCorpus, cfg: TranslationBenchConfig, bpe_dir: Path,
               cache: Path | None = None) -> SubwordTokenizer:
    """The joint BPE of the training split (``train_joint_bpe``): read from ``cache`` if it holds it, else learnt in
    ``bpe_dir``; a vocabulary it cannot build refused by the command's flags rather than by ``train_joint_bpe``'s
    parameters."""
    try:
        if cache is not None and bpe_model_path(train, cfg.vocab_size, cache, seed=0).is_file():
            return train_joint_bpe(train, cfg.vocab_size, cache, seed=0)   # reads the model; writes nothing
        return train_joint_bpe(train, cfg.vocab_size, bpe_dir, seed=0)
    except ParameterError as error:
        text = str(error)
        if text.startswith("vocab_size "):   # below the corpus's characters plus the 4 special ids
            needed = re.search(r"\b\d+ vs (\d+)\b", text)   # SentencePiece says "<asked> vs <needed>"
            least = f" ({needed.group(1)} here)" if needed else ""
            raise fail("--vocab-size", f"at least the training pairs' distinct characters plus 4 special ids{least}",
                       cfg.vocab_size, (f"Use --vocab-size {needed.group(1)} or more" if needed else
                                        "Raise --vocab-size") + " (a ceiling: a small corpus keeps fewer ids).") from None
        if text.startswith("corpus "):   # every training pair empty
            raise fail("--data-dir", f"a corpus whose {cfg.train_split} split holds at least one sentence",
                       str(cfg.data_dir), f"Check the {cfg.train_split} files (or --train-split).") from None
        raise


def _train_config(cfg: TranslationBenchConfig, full_steps: int, fraction: float, seed: int) -> TranslationTrainConfig:
    return TranslationTrainConfig(**cfg.recipe(), total_steps=max(1, int(round(fraction * full_steps))),
                                  fraction=fraction, num_passes=cfg.epochs, seed=seed, asynchronous=not cfg.synchronous)


def uniform_steps_per_epoch(data: TextData, cfg: TranslationBenchConfig, seeds: Iterable[int]) -> dict[int, int]:
    """Each seed's Boss steps of one unfiltered pass of token batches (what an epoch means here): the batches' order,
    and so their packing, follows the seed."""
    from autoassist.assist import AutoAssist
    from autoassist.data.text_batches import TranslationDataset
    from autoassist.selectors.uniform import UniformSelector

    dataset = TranslationDataset(data.train_src, data.train_tgt)
    lengths = lengths_of(dataset)
    longest = int(instance_sizes(np.asarray(lengths)).max())
    if cfg.max_tokens < longest:  # by its command-line name (AutoAssist would name its own parameter)
        raise fail("--max-tokens", f"at least the longest training pair's padded size ({longest} tokens)",
                   cfg.max_tokens, f"Raise --max-tokens to {longest} or more"
                   + ("" if cfg.data_dir is None else ", or remove the longest pairs from the training files")
                   + " (--limit-train keeps the first N pairs, whatever their length).")
    steps = {}
    for seed in seeds:
        with AutoAssist(dataset, max_tokens=cfg.max_tokens, lengths=lengths, pool_batches=cfg.pool_batches,
                        selector=UniformSelector(), seed=seed, asynchronous=False) as assist:
            steps[seed] = int(assist.steps_per_epoch)
    return steps


def _auto_keep_rate(results: dict[str, Any], cfg: TranslationBenchConfig, seed: int, fraction: float) -> float:
    first = next(s for s in cfg.methods if parse_method(s).name == "autoassist")
    for run in results["runs"]:
        if run["method"] == first and run["seed"] == seed and float(run["fraction"]) == fraction:
            return float(run["selector_stats"]["keep_rate"])
    raise fail("--methods", f"a finished {first} run (seed {seed}, fraction {fraction:g}) before "
               "random:keep_rate=auto", "none in results.json",
               "Run the autoassist method in the same --out first (it is listed before random).")


def corpus_fingerprint(data: TextData) -> str:
    """What the runs trained and were evaluated on, in 16 hex digits: the training pairs' token ids and the
    validation and test references (a moved copy of a corpus keeps it; another corpus, or another --limit-train,
    does not)."""
    digest = hashlib.sha256()
    for sequence in (*data.train_src, *data.train_tgt):
        digest.update(np.asarray(sequence, dtype=np.int32).tobytes() + b"|")
    digest.update("\n".join([*data.val_refs, "", *data.test_refs]).encode("utf-8"))
    return digest.hexdigest()[:16]


def _check_same_corpus(old: dict[str, Any] | None, name: str, fingerprint: str) -> None:
    """``--resume`` keeps runs (``old``, the results it keeps) of this corpus only (the config names the folder, not
    what it holds)."""
    if old is None:
        return
    theirs = old.get("corpus_sha256")
    if (theirs is not None and theirs != fingerprint) or (theirs is None and old.get("corpus") != name):
        kept = f"{old.get('corpus')}, " + (theirs or "no fingerprint")
        raise fail("--data-dir", f"the corpus of the runs --resume keeps ({kept})", f"{name} ({fingerprint})",
                   "Resume with the data those runs used, or write these runs to another --out.")


def _check_bpe_dir(folder: Path) -> None:
    """--bpe-dir is a folder, or one this user can create (checked without creating it: a refused command leaves
    nothing behind; the folder is made when the first model is kept)."""
    existing = folder.absolute()
    while not existing.exists() and existing != existing.parent:   # the nearest folder that exists
        existing = existing.parent
    reason = (f"{existing} is not a folder" if not existing.is_dir() else
              f"{existing} is not writable" if not os.access(existing, os.W_OK | os.X_OK) else "")
    if reason:   # the path in full (fail() would shorten a long one)
        raise ParameterError(f"--bpe-dir must be a folder this user can create and write; got {folder} ({reason}). "
                             "Choose another --bpe-dir.")


def _keep_bpe_model(data: TextData, cache: Path) -> None:
    """Copy the BPE model learnt in a scratch folder into ``cache`` under its own name (the cache key), atomically,
    and point ``data``'s tokenizer at the copy."""
    cache.mkdir(parents=True, exist_ok=True)
    source = data.tokenizer.model_path
    temporary = cache / f"{source.name}.tmp{os.getpid()}"
    shutil.copyfile(source, temporary)
    os.replace(temporary, cache / source.name)
    data.tokenizer = SubwordTokenizer(cache / source.name)


def _print(line: str) -> None:
    print(line, flush=True)


def run_benchmark(cfg: TranslationBenchConfig, out_dir: Path, *, resume: bool = False,
                  log: Callable[[str], None] = _print) -> dict[str, Any]:
    """Run every (fraction, seed, method) of ``cfg``; write results after each run."""
    from autoassist.bench.translation_report import per_seed

    validate(cfg)
    kept = check_resume(out_dir / "results.json", asdict(cfg), resume=resume, log=log)   # the one read of the file
    if cfg.bpe_dir:
        _check_bpe_dir(Path(cfg.bpe_dir))
    start = time.perf_counter()
    # --out is created once the data has passed every check (its alignment, its validation and test sentences, the
    # vocabulary, the longest pair against --max-tokens, the corpus of the runs --resume keeps), so a refused corpus
    # leaves nothing behind: a BPE model the cache (--bpe-dir, or --out/bpe) lacks is learnt in a scratch folder and
    # copied into the cache after those checks.
    cache = Path(cfg.bpe_dir) if cfg.bpe_dir else out_dir / "bpe"
    with tempfile.TemporaryDirectory(prefix="autoassist-bpe-") as scratch:
        data = load_text_data(cfg, Path(scratch), log, cache=cache)
        # Each seed's budget is its own unfiltered pass: a run is a function of its seed, whichever other seeds
        # share its command.
        epoch_steps = uniform_steps_per_epoch(data, cfg, cfg.seeds)
        fingerprint = corpus_fingerprint(data)
        _check_same_corpus(kept, data.name, fingerprint)
        prepare(out_dir, cfg.threads)
        if data.tokenizer.model_path.parent != cache:   # learnt in the scratch folder
            _keep_bpe_model(data, cache)
    full_steps = {seed: max(1, int(round(cfg.epochs * steps))) for seed, steps in epoch_steps.items()}
    log(f"{data.name}: {len(data.train_src)} training pairs, {len(data.val_src)} validation, {len(data.test_src)} "
        f"test; joint BPE {data.vocab_size} ids; uniform budget {per_seed(full_steps)} Boss steps "
        f"({cfg.epochs:g} epochs of {per_seed(epoch_steps)} batches of <= {cfg.max_tokens} tokens); "
        f"prepared in {time.perf_counter() - start:.1f}s")
    results: dict[str, Any] = {"config": asdict(cfg), "hardware": describe_hardware(describe_device(cfg.device)),
                               "corpus": data.name, "corpus_sha256": fingerprint, "train_pairs": len(data.train_src),
                               "vocab_size": data.vocab_size,
                               "steps_per_epoch": {str(k): v for k, v in epoch_steps.items()},  # JSON keys
                               "full_steps": {str(k): v for k, v in full_steps.items()}, "runs": []}
    runs = _TranslationRuns(cfg, data, full_steps, log)
    return run_planned(runs, plan_runs(cfg.methods, cfg.seeds, cfg.fractions), results, out_dir / "results.json",
                       finalize, kept=kept, log=log, refresh_s=2.0)


@dataclass
class _TranslationRuns:
    """The translation benchmark's side of :func:`run_planned`: one Transformer per run."""

    cfg: TranslationBenchConfig
    data: TextData
    full_steps: dict[int, int]  # each seed's uniform budget
    log: Callable[[str], None]

    def label(self, run: PlannedRun) -> str:
        return f"{run.spec} seed={run.seed} x{run.fraction:g}"

    def total_steps(self, run: PlannedRun) -> int:
        return _train_config(self.cfg, self.full_steps[run.seed], run.fraction, run.seed).total_steps

    def train(self, run: PlannedRun, results: dict[str, Any], progress: Progress) -> dict[str, Any]:
        method = parse_method(run.spec)
        keep_rate = None
        if method.name == "random" and method.options.get("keep_rate") == "auto":
            keep_rate = _auto_keep_rate(results, self.cfg, run.seed, run.fraction)
        train_cfg = _train_config(self.cfg, self.full_steps[run.seed], run.fraction, run.seed)
        record = train_translation_run(method, self.data, train_cfg, keep_rate=keep_rate, progress=progress,
                                       log=self.log)
        record["corpus"] = self.data.name
        return record

    def outcome(self, record: dict[str, Any]) -> str:
        return (f"val BLEU {record['final_val_bleu']:.2f} (greedy), test BLEU {record['test_bleu']:.2f} "
                f"(beam {self.cfg.beam_size}), {record['boss_steps']} steps, {record['wall_time_s']:.1f}s training, "
                f"keep rate {record['selector_stats'].get('keep_rate', 1.0):.2f}")


def finalize(results: dict[str, Any]) -> None:
    """Add the summary and each run's time to target (from the runs alone)."""
    from autoassist.bench.translation_report import summarize

    summary = summarize(results)
    mark_target(results["runs"], summary["target_bleu"], name="target_bleu", metric="val_bleu", stay=True)
    results["summary"] = summary


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``autoassist bench translate``."""
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from autoassist.bench.translation_report import plot_results

    cfg = config_from_args(args)
    out = Path(args.out or f"runs/bench-translate-{'synthetic' if cfg.data_dir is None else Path(cfg.data_dir).name}")
    run_benchmark(cfg, out, resume=args.resume)   # every check before it reads or writes anything
    report_results(out, plot_results)
    return 0

