"""Padded tokens of uniform's batches, computed without training (uniform's batches do not depend on the Boss).

Runs from before the fifteenth session's ``padded_tokens`` column record only the target tokens they trained on.
Uniform's batches are a function of the seed and the batching, so this script rebuilds them through the same
public path (``AutoAssist(selector=UniformSelector())`` on the lab's clean corpus) and prints, per batching, the
padded tokens (source and target tensors, padding included, as the runs count them) and the target tokens over
the run's Boss steps, and their ratio: the factor that turns one into the other; and the Boss steps of one
unfiltered pass (the epoch). ``--data-dir`` reads a parallel corpus instead (Multi30k: en-de, lowercased, joint BPE
of ``--vocab-size``), e.g. the GPU setting's batches:

    python benchmarks/translation/synthetic-lab/padded_uniform.py --steps 118 --data-dir ../shared/data/multi30k \
        --vocab-size 8000 --batching "max_tokens=4096" "max_tokens=4096,fresh_decisions=true"

    python benchmarks/translation/synthetic-lab/padded_uniform.py --steps 1104 --seeds 0 1 2 \\
        --batching "max_tokens=1024" "max_tokens=1024,pool_batches=4" "max_tokens=1024,fresh_decisions=true"
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autoassist.assist import AutoAssist
from autoassist.bench.translation import TranslationBenchConfig, load_text_data
from autoassist.data.text_batches import TranslationDataset
from autoassist.selectors.uniform import UniformSelector


def count(lengths: np.ndarray, steps: int, seed: int, **batching: int | bool) -> tuple[int, int, int]:
    """(padded, target) tokens of uniform's first ``steps`` batches, and the steps of an unfiltered pass."""
    data = [(i, 0) for i in range(len(lengths))]
    padded = target = done = 0
    with AutoAssist(data, lengths=lengths, selector=UniformSelector(), seed=seed,  # type: ignore[arg-type]
                    asynchronous=False, **batching) as assist:
        per_pass = assist.steps_per_epoch
        while done < steps:
            for batch in assist.batches:
                rows = lengths[np.asarray(batch)]
                padded += len(rows) * int(rows[:, 0].max() + rows[:, 1].max())
                target += int(rows[:, 1].sum())
                done += 1
                if done == steps:
                    break
    return padded, target, per_pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--batching", nargs="+", required=True, help="AutoAssist settings, k=v[,k=v]")
    parser.add_argument("--data-dir", default=None, help="a parallel corpus (en-de, lowercased) instead of the lab's")
    parser.add_argument("--vocab-size", type=int, default=None, help="joint BPE size (default 1000 synthetic, 8000)")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        cfg = TranslationBenchConfig(synthetic_train=5000, synthetic_noise=0.0, vocab_size=args.vocab_size or 1000)
        bpe = Path("runs/lab/bpe-clean")
    else:
        cfg = TranslationBenchConfig(data_dir=args.data_dir, src="en", tgt="de", test_split="test_2016_flickr",
                                     lowercase=True, vocab_size=args.vocab_size or 8000)
        bpe = Path("runs/lab/bpe-corpus")
    data = load_text_data(cfg, bpe, log=lambda line: None)
    lengths = TranslationDataset(data.train_src, data.train_tgt).lengths
    for spec in args.batching:
        batching: dict[str, int | bool] = {k: (v == "true") if v in ("true", "false") else int(v)
                                           for k, v in (item.split("=") for item in spec.split(","))}
        counts = [count(lengths, args.steps, seed, **batching) for seed in args.seeds]
        padded, target = np.median([c[0] for c in counts]), np.median([c[1] for c in counts])
        print(f"{spec}: {args.steps} steps, padded tokens {padded:.0f} ({padded / args.steps:.0f} a step), target "
              f"tokens {target:.0f} ({target / args.steps:.0f} a step), padded / target {padded / target:.3f}, "
              f"{np.median([c[2] for c in counts]):.0f} steps a pass (median over seeds {args.seeds})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
