#!/usr/bin/env bash
# The comparison methods on the rebuilt core (session 3 of 2026-11-27), same settings as run.sh:
# random at the default AutoAssist's keep rate (0.45, from run.sh's results), importance sampling,
# Selective Backprop and the oracle in the budget protocol, InfoBatch in its passes protocol; seeds 0 and 1.
# One process, beside another engineer's single SVM benchmark process on the other core.
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10"
$A bench image $COMMON --seeds 0 1 --protocols budget --fractions 1.0 0.8 0.7 0.6 0.5 \
  --methods uniform random:keep_rate=0.45 importance selective_backprop oracle --out runs/fm3/budget --resume
$A bench image $COMMON --seeds 0 1 --protocols passes --methods uniform infobatch --out runs/fm3/passes --resume
