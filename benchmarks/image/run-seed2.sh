#!/usr/bin/env bash
# The third seed (2) of every image method, same settings as run.sh / run-others.sh; two processes side by
# side on the otherwise quiet 2-core machine (session 3 of 2026-11-27). Merged into fashion-mnist/ (the
# Assistants, with run.sh's parts) and fashion-mnist-others/ (the comparison methods).
set -euo pipefail
export OMP_NUM_THREADS=1
A=.venv/bin/autoassist
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --threads 1 --epochs 5 --eval-points 10 --seeds 2"
( $A bench image $COMMON --protocols budget --fractions 1.0 0.8 0.7 0.6 0.5 \
    --methods uniform autoassist:assistant=paper autoassist autoassist:assistant=loss-only --out runs/fm4/assistants --resume
  $A bench image $COMMON --protocols passes --methods uniform infobatch --out runs/fm4/passes --resume ) &
( $A bench image $COMMON --protocols budget --fractions 1.0 0.8 0.7 0.6 0.5 \
    --methods uniform random:keep_rate=0.45 importance selective_backprop oracle --out runs/fm4/others --resume ) &
wait
# The merges behind the committed folders (their results.json "merged_from" lists these parts):
$A merge benchmarks/image/fashion-mnist runs/fm2/partA runs/fm2/partB runs/fm2/partC runs/fm2/partD \
    runs/fm2/partE runs/fm2/partF runs/fm4/assistants
$A merge benchmarks/image/fashion-mnist-others runs/fm3/budget runs/fm3/passes runs/fm4/others runs/fm4/passes
$A plot benchmarks/image/fashion-mnist
$A plot benchmarks/image/fashion-mnist-others
