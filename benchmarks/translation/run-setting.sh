#!/usr/bin/env bash
# One process of run-joint.sh: the CPU setting (README (2), cpu-common.sh) with some of its flags changed, seeds 0-2
# (or $SEEDS), 3 epochs of each seed's own unfiltered pass. FLAGS come after the setting's own, and argparse keeps
# the last value of a flag given twice, so "--lr 2e-3 --max-tokens 1024" replaces those two and nothing else.
# Usage: bash benchmarks/translation/run-setting.sh NAME "FLAGS" METHOD...
# Output: runs/m30k-set/NAME (log runs/m30k-set-NAME.log).
source benchmarks/translation/cpu-common.sh
NAME=$1 FLAGS=$2
shift 2
# shellcheck disable=SC2086  # COMMON and FLAGS are word lists
$A bench translate $COMMON $FLAGS --methods "$@" --seeds ${SEEDS:-0 1 2} \
    --out runs/m30k-set/$NAME > runs/m30k-set-$NAME.log 2>&1
