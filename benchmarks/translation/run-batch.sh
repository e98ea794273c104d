#!/usr/bin/env bash
# The paper's official runs gave the baseline 3,000-token batches and AutoAssist 2,500: how much does a smaller
# bound alone change uniform in the CPU setting (README (2))? Uniform at 2,048 x 2,500 / 3,000 = 1,707 tokens,
# 3 epochs of its own passes, seeds 0-2 (two processes), compared with run-seeds.sh's uniform at 2,048 tokens in
# target tokens and wall time. Output: benchmarks/translation/multi30k-1707.
source benchmarks/translation/cpu-common.sh
SMALL="${COMMON/--max-tokens 2048/--max-tokens 1707}"
$A bench translate $SMALL --methods uniform --seeds 0 1 --out runs/m30kb/a > runs/m30kb-a.log 2>&1 &
$A bench translate $SMALL --methods uniform --seeds 2 --out runs/m30kb/b > runs/m30kb-b.log 2>&1 &
wait
$A merge benchmarks/translation/multi30k-1707 runs/m30kb/a runs/m30kb/b
$A plot benchmarks/translation/multi30k-1707
