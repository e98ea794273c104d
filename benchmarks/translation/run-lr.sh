#!/usr/bin/env bash
# Is the 2,048-token uniform behind the smaller bounds (run-bounds.sh) for want of updates at lr 1e-3? Uniform in
# the CPU setting (cpu-common.sh) at 2,048 tokens with peak lr 2e-3, seeds 0-2 (two processes). Output:
# benchmarks/translation/multi30k-lr2e-3.
source benchmarks/translation/cpu-common.sh
LR="${COMMON/--lr 1e-3/--lr 2e-3}"
$A bench translate $LR --methods uniform --seeds 0 1 --out runs/m30k-lr/a > runs/m30k-lr-a.log 2>&1 &
$A bench translate $LR --methods uniform --seeds 2 --out runs/m30k-lr/b > runs/m30k-lr-b.log 2>&1 &
wait
$A merge benchmarks/translation/multi30k-lr2e-3 runs/m30k-lr/a runs/m30k-lr/b
$A plot benchmarks/translation/multi30k-lr2e-3
