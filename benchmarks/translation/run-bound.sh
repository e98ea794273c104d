#!/usr/bin/env bash
# One process of run-bounds.sh: the CPU setting (README (2)) at another batch bound, seeds 0-2 (or $SEEDS),
# 3 epochs of each seed's own unfiltered pass at that bound.
# Usage: bash benchmarks/translation/run-bound.sh BOUND TAG METHOD...
# Output: runs/m30k-bound/BOUND-TAG (log runs/m30k-bound-BOUND-TAG.log).
source benchmarks/translation/cpu-common.sh
BOUND=$1 TAG=$2
shift 2
$A bench translate ${COMMON/--max-tokens 2048/--max-tokens $BOUND} --methods "$@" --seeds ${SEEDS:-0 1 2} \
    --out runs/m30k-bound/$BOUND-$TAG > runs/m30k-bound-$BOUND-$TAG.log 2>&1
