#!/usr/bin/env bash
# The paper's official runs gave the baseline 3,000-token batches and AutoAssist 2,500: how much does a smaller
# bound alone change uniform in the CPU setting (README (2))? Uniform at 2,048 x 2,500 / 3,000 = 1,707 tokens,
# 3 epochs of its own passes, seeds 0-2 (two processes, through run-bound.sh), compared with run-seeds.sh's uniform
# at 2,048 tokens in target tokens and wall time. Output: benchmarks/translation/multi30k-1707.
set -euo pipefail
R=benchmarks/translation/run-bound.sh
SEEDS="0 1" bash $R 1707 a uniform &
SEEDS=2 bash $R 1707 b uniform &
wait
A=${AUTOASSIST:-.venv/bin/autoassist}
$A merge benchmarks/translation/multi30k-1707 runs/m30k-bound/1707-a runs/m30k-bound/1707-b
$A plot benchmarks/translation/multi30k-1707
