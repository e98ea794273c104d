"""How many target tokens per second the small translation Boss trains at on this CPU.

A 2+2-layer Transformer (width 128, ff 512, 4 heads, dropout 0.1) with Adam and label-smoothed
token-normalised loss, on batches of at most ``--max-tokens`` padded tokens (B * longest sentence,
source or target, as fairseq counts them), built from length-sorted pools of shuffled instances.
Warm-up steps are not timed. Counts non-pad target tokens, ``</s>`` included. Then the same batches
again, each as a no-grad forward only (what Selective Backprop spends on every candidate, with the
model in training mode as when it scores), timed the same way: ``forward_fraction_of_step`` is its
cost as a fraction of a training step.

Run from the repository root (one torch thread, so the number does not depend on other load
spinning OpenMP threads):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/translation/speed_probe.py --corpus synthetic
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/translation/speed_probe.py --corpus multi30k \
        --data-dir ../shared/data/multi30k --vocab-size 8000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import torch

from autoassist.bench.hardware import hardware_info
from autoassist.data.parallel import load_parallel
from autoassist.data.synthetic_translation import make_synthetic_translation
from autoassist.data.text_batches import collate_translation, instance_lengths
from autoassist.data.tokenize import PAD_ID, train_joint_bpe
from autoassist.losses import sequence_losses, token_normalised_loss
from autoassist.models.transformer import Seq2SeqTransformer, TransformerConfig


def token_batches(lengths: np.ndarray, max_tokens: int, rng: np.random.Generator, pool: int = 100) -> list[np.ndarray]:
    """Shuffle, sort pools of ``pool`` batches' worth of instances by length, cut at ``max_tokens``."""
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    per_pool = pool * max(1, max_tokens // int(lengths.mean()))
    for start in range(0, len(order), per_pool):
        chunk = order[start:start + per_pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        current: list[int] = []
        longest = 0
        for i in chunk.tolist():
            n = int(lengths[i])
            if current and max(longest, n) * (len(current) + 1) > max_tokens:
                batches.append(np.array(current))
                current, longest = [], 0
            current.append(i)
            longest = max(longest, n)
        if current:
            batches.append(np.array(current))
    return [batches[i] for i in rng.permutation(len(batches))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("synthetic", "multi30k"), default="synthetic")
    parser.add_argument("--data-dir", default="../shared/data/multi30k")
    parser.add_argument("--vocab-size", type=int, default=None, help="default: 1000 synthetic, 8000 multi30k")
    parser.add_argument("--max-tokens", type=int, default=4096)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    start = time.perf_counter()
    if args.corpus == "synthetic":
        train = make_synthetic_translation(seed=args.seed).train
    else:
        train = load_parallel(args.data_dir, "train", lowercase=True)
    vocab = args.vocab_size or (1000 if args.corpus == "synthetic" else 8000)
    tok = train_joint_bpe(train, vocab, os.path.join(tempfile.gettempdir(), "autoassist-spm"), seed=args.seed)
    src_ids, tgt_ids = tok.encode(train.src), tok.encode(train.tgt)
    src_len, tgt_len = instance_lengths(src_ids, tgt_ids)
    prepare_s = time.perf_counter() - start

    config = TransformerConfig(vocab_size=tok.vocab_size, d_model=128, n_heads=4, encoder_layers=2,
                               decoder_layers=2, d_ff=512, dropout=0.1)
    model = Seq2SeqTransformer(config).train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.98))
    batches = token_batches(np.maximum(src_len, tgt_len), args.max_tokens, np.random.default_rng(args.seed))
    tokens = sentences = 0
    losses: list[float] = []
    timed = cpu = 0.0
    for step, index in enumerate(batches[: args.warmup_steps + args.steps]):
        t0, c0 = time.perf_counter(), time.process_time()
        b = collate_translation(src_ids, tgt_ids, index)
        per = sequence_losses(model(b.src, b.tgt_in), b.tgt_out, PAD_ID, label_smoothing=0.1)
        loss = token_normalised_loss(per, b.tgt_lengths)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step >= args.warmup_steps:
            timed += time.perf_counter() - t0
            cpu += time.process_time() - c0
            tokens += b.num_target_tokens
            sentences += len(index)
    fwd_timed = 0.0
    with torch.no_grad():
        for step, index in enumerate(batches[: args.warmup_steps + args.steps]):
            t0 = time.perf_counter()
            b = collate_translation(src_ids, tgt_ids, index)
            sequence_losses(model(b.src, b.tgt_in), b.tgt_out, PAD_ID, label_smoothing=0.1)
            if step >= args.warmup_steps:
                fwd_timed += time.perf_counter() - t0
    result = {
        "corpus": args.corpus, "instances": len(train), "vocab_size": tok.vocab_size,
        "mean_src_tokens": float(src_len.mean()), "mean_tgt_tokens_with_eos": float(tgt_len.mean()),
        "max_tokens": args.max_tokens, "threads": args.threads, "timed_steps": args.steps,
        "sentences_per_batch": sentences / args.steps, "target_tokens_per_batch": tokens / args.steps,
        "seconds_per_step": timed / args.steps, "target_tokens_per_second": tokens / timed,
        "target_tokens_per_cpu_second": tokens / cpu,
        "seconds_per_forward": fwd_timed / args.steps, "forward_fraction_of_step": fwd_timed / timed,
        "steps_per_pass": len(batches), "seconds_per_pass_estimate": len(batches) * timed / args.steps,
        "prepare_seconds": prepare_s, "loss_first": losses[0], "loss_last": losses[-1],
        "load_average": os.getloadavg(), "parameters": sum(p.numel() for p in model.parameters()),
        "hardware": hardware_info(),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
