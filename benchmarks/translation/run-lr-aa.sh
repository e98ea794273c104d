#!/usr/bin/env bash
# The paper's Assistant at run-lr.sh's setting (2,048 tokens, peak lr 2e-3), seeds 0-2: seed 0 beside run-lr.sh's
# last uniform run, then seeds 1 and 2 side by side. Output: benchmarks/translation/multi30k-lr2e-3, remade with
# run-lr.sh's uniform runs.
source benchmarks/translation/cpu-common.sh
LR="${COMMON/--lr 1e-3/--lr 2e-3}"
P=autoassist:assistant=paper
$A bench translate $LR --methods $P --seeds 0 --out runs/m30k-lr/c0 > runs/m30k-lr-c0.log 2>&1
$A bench translate $LR --methods $P --seeds 1 --out runs/m30k-lr/c1 > runs/m30k-lr-c1.log 2>&1 &
$A bench translate $LR --methods $P --seeds 2 --out runs/m30k-lr/c2 > runs/m30k-lr-c2.log 2>&1 &
wait
$A merge benchmarks/translation/multi30k-lr2e-3 runs/m30k-lr/a runs/m30k-lr/b runs/m30k-lr/c0 runs/m30k-lr/c1 \
    runs/m30k-lr/c2
$A plot benchmarks/translation/multi30k-lr2e-3
