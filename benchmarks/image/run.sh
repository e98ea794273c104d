#!/usr/bin/env bash
# The commands behind benchmarks/image/. Run from the repository root after `make install`.
# Hardware: the project's shared 2-core x86-64 CPU machine (details in each results.json), no GPU.
# The main benchmark ran as two processes side by side (one torch thread each), then merged.
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
M="uniform random:keep_rate=0.5 autoassist autoassist:history=true selective_backprop importance oracle"
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10"

# 1. Main benchmark: all methods, 3 seeds, both protocols (budget fractions 1.0/0.8/0.7/0.6/0.5; 5 passes).
$A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 1.0 0.6 0.5 --methods $M --out runs/fm/partA &
$A bench image $COMMON --seeds 0 1 2 --protocols budget passes --fractions 0.8 0.7 --methods $M infobatch --out runs/fm/partB &
wait
$A merge benchmarks/image/fashion-mnist runs/fm/partA runs/fm/partB
$A plot benchmarks/image/fashion-mnist

# 2. AutoAssist variants (options beyond the paper), 3 seeds, at 0.6 of the budget; then the learning rate
#    of uniform (and of the best AutoAssist variant) at the full budget. Two chains side by side.
( $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 0.6 --out runs/fm/variantsA \
    --methods autoassist:base_prob=0.1 autoassist:base_prob=0.5 autoassist:unbiased=true autoassist:lr=0.1
  $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 1.0 --lr 0.025 \
    --methods uniform autoassist:history=true --out runs/fm/lr0.025 ) &
( $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 0.6 --out runs/fm/variantsB \
    --methods autoassist:warmup_instances=60000 autoassist:anneal_fraction=0.1 autoassist:history=true,base_prob=0.1
  $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 1.0 --lr 0.1 \
    --methods uniform autoassist:history=true --out runs/fm/lr0.1 ) &
wait
$A merge benchmarks/image/fashion-mnist-variants runs/fm/partA runs/fm/partB runs/fm/variantsA runs/fm/variantsB
$A plot benchmarks/image/fashion-mnist-variants
for lr in 0.025 0.1; do
  $A merge benchmarks/image/fashion-mnist-lr$lr runs/fm/lr$lr && $A plot benchmarks/image/fashion-mnist-lr$lr
done

# 3. Overhead, on a quiet machine (one process): the same batches with and without the Assistant beside the Boss.
for t in 1 2; do
  $A bench image $COMMON --threads $t --seeds 0 1 2 --epochs 2 --eval-points 2 --protocols budget --fractions 1.0 \
    --methods uniform:asynchronous=false uniform autoassist:base_prob=1 autoassist autoassist:history=true \
    --out benchmarks/image/overhead-threads$t
done

# 4. Is the overhead the feature matrix? The same check with the Assistant's features pooled to 196 values.
$A bench image $COMMON --threads 1 --seeds 0 1 2 --epochs 2 --eval-points 2 --protocols budget --fractions 1.0 \
  --methods uniform:asynchronous=false autoassist:history=true autoassist:history=true,max_feature_dim=196 \
  --out benchmarks/image/overhead-features

# 5. Is it the worker thread at all? The selectors run inline (no worker thread) against the worker.
$A bench image $COMMON --threads 1 --seeds 0 1 2 --epochs 2 --eval-points 2 --protocols budget --fractions 1.0 \
  --methods uniform:asynchronous=false autoassist:asynchronous=false autoassist \
            autoassist:history=true,asynchronous=false autoassist:history=true \
  --out benchmarks/image/overhead-sync
