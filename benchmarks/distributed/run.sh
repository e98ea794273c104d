#!/usr/bin/env bash
# Section 5 of the DDP issue: the image benchmark's setting (Fashion-MNIST, cnn:width=16, budget protocol,
# uniform's budget of 5 epochs of ceil(N / 128) steps) run by 2 processes with batch 64 each (torchrun,
# DDP over gloo, the feedback gathered every step) against 1 process with batch 128: the same global batch.
# Run from the repository root after `make install`, on a quiet machine (at most one run at a time here:
# the 2-process run already takes both cores). One torch thread per process.
#   Smoke test:  EXTRA="--limit-train 3000 --epochs 1" SEEDS=0 OUT=runs/ddp-smoke benchmarks/distributed/run.sh
set -euo pipefail
export OMP_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
S=benchmarks/distributed/ddp_image.py
OUT=${OUT:-benchmarks/distributed/fashion-mnist}
COMMON="--dataset fashion-mnist --data-dir ../shared/data/fashion-mnist --model cnn:width=16 --epochs 5 --global-batch 128 --threads 1 ${EXTRA:-}"
mkdir -p "$OUT"
$PY -m torch.distributed.run --nproc_per_node 2 benchmarks/distributed/gather_cost.py --out "$OUT/gather_cost.json"
for seed in ${SEEDS:-0 1 2}; do
  for method in uniform autoassist; do
    $PY $S $COMMON --method $method --seed "$seed" --out "$OUT/$method-1proc-seed$seed.json"
    $PY -m torch.distributed.run --nproc_per_node 2 $S $COMMON --method $method --seed "$seed" \
      --out "$OUT/$method-2proc-seed$seed.json"
  done
done
$PY $S --summarize "$OUT"
