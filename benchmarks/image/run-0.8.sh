#!/usr/bin/env bash
# Follow-up to run.sh (same session, same settings): the 0.8 budget fraction for seeds 0 and 1, side by
# side, then everything merged into benchmarks/image/fashion-mnist.
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
M="uniform autoassist:assistant=paper autoassist autoassist:assistant=loss-only"
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10"
$A bench image $COMMON --seeds 0 --protocols budget --fractions 0.8 --methods $M --out runs/fm2/partE &
$A bench image $COMMON --seeds 1 --protocols budget --fractions 0.8 --methods $M --out runs/fm2/partF &
wait
$A merge benchmarks/image/fashion-mnist runs/fm2/part*
$A plot benchmarks/image/fashion-mnist
