#!/usr/bin/env bash
# The commands behind benchmarks/image/. Run from the repository root after `make install`.
# Hardware: the project's shared 2-core x86-64 CPU machine (details in each results.json), no GPU.
# Every run goes through the public path: AutoAssist(TensorDataset(...)), assist.loader(), assist.report().
# Recipe (bench image defaults): SGD + Nesterov, peak lr 0.05, linear warm-up over 2% of each run, cosine
# decay, gradient norm clipped at 5, batch 128, one torch thread per process. Two processes side by side.
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
M="uniform random:keep_rate=0.5 autoassist:assistant=paper autoassist autoassist:assistant=loss-only importance oracle"
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10"

# 1. Main benchmark: 3 seeds; budget fractions 1.0/0.8/0.7/0.6/0.5 for every stream method and the oracle;
#    Selective Backprop (a forward pass per candidate: slow) at 1.0 and 0.5; the passes protocol for InfoBatch.
$A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 1.0 0.6 0.5 --methods $M --out runs/fm/partA &
( $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 0.8 0.7 --methods $M --out runs/fm/partB
  $A bench image $COMMON --seeds 0 1 2 --protocols passes --methods uniform autoassist infobatch --out runs/fm/partC
  $A bench image $COMMON --seeds 0 1 2 --protocols budget --fractions 1.0 0.5 --methods selective_backprop \
     --out runs/fm/partD ) &
wait
$A merge benchmarks/image/fashion-mnist runs/fm/partA runs/fm/partB runs/fm/partC runs/fm/partD
$A plot benchmarks/image/fashion-mnist
