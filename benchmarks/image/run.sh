#!/usr/bin/env bash
# The commands behind benchmarks/image/fashion-mnist. Run from the repository root after `make install`.
# Hardware: the project's shared 2-core x86-64 CPU machine (details in each results.json), no GPU.
# Every run goes through the public path: AutoAssist(TensorDataset(...)), assist.loader(), assist.report().
# Recipe (bench image defaults): SGD + Nesterov, peak lr 0.05, linear warm-up over 2% of each run, cosine
# decay, gradient norm clipped at 5, batch 128, one torch thread per process. Two processes side by side.
#
# Session of 2026-11-27: the machine was shared with two other jobs (Boss steps ~100 ms instead of ~12 ms
# on a quiet machine), so this rerun on the new core covers the AutoAssist Assistants against uniform
# only, seed 0 first (then seed 1 as time allowed). Later sessions added the other methods (run-others.sh) and a
# third seed (run-seed2.sh, which also holds the merges behind the committed folders).
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
M="uniform autoassist:assistant=paper autoassist autoassist:assistant=loss-only"
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10"

( $A bench image $COMMON --seeds 0 --protocols budget --fractions 1.0 0.6 --methods $M --out runs/fm2/partA
  $A bench image $COMMON --seeds 1 --protocols budget --fractions 1.0 0.6 --methods $M --out runs/fm2/partC ) &
( $A bench image $COMMON --seeds 0 --protocols budget --fractions 0.7 0.5 --methods $M --out runs/fm2/partB
  $A bench image $COMMON --seeds 1 --protocols budget --fractions 0.7 0.5 --methods $M --out runs/fm2/partD ) &
wait
$A merge benchmarks/image/fashion-mnist runs/fm2/part*
$A plot benchmarks/image/fashion-mnist
