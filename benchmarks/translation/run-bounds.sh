#!/usr/bin/env bash
# Tune uniform's batch bound before comparing selection with it (README (2), "Uniform's batch bound, tuned"):
# the CPU setting (cpu-common.sh) at 1,365, 1,024, 768 and 512 padded tokens (1,707 is run-batch.sh, 2,048
# run-seeds.sh), 3 epochs of each seed's own unfiltered pass at that bound, seeds 0-2; then AutoAssist with the
# paper's Assistant and random skipping at 1,024 and at 768 (the best final BLEU), then the paper's Assistant at
# 512 (the fastest to the 2,048-token target). Two processes side by side, as they were run (seventeenth session).
# Output: benchmarks/translation/multi30k-BOUND.
set -euo pipefail
R=benchmarks/translation/run-bound.sh
( bash $R 1024 uniform uniform
  bash $R 768 uniform uniform
  bash $R 512 uniform uniform
  bash $R 768 random random:keep_rate=0.75 ) &   # 0.75: the paper-Assistant runs' keep rate at 1,024 tokens
( bash $R 1365 uniform uniform
  bash $R 1024 paper autoassist:assistant=paper random:keep_rate=auto
  bash $R 768 paper autoassist:assistant=paper ) &
wait
SEEDS="0 1" bash $R 512 paper-a autoassist:assistant=paper &   # then the paper's Assistant at 512
SEEDS=2 bash $R 512 paper-b autoassist:assistant=paper &
wait
A=${AUTOASSIST:-.venv/bin/autoassist}
$A merge benchmarks/translation/multi30k-1365 runs/m30k-bound/1365-uniform
$A merge benchmarks/translation/multi30k-1024 runs/m30k-bound/1024-uniform runs/m30k-bound/1024-paper
$A merge benchmarks/translation/multi30k-768 runs/m30k-bound/768-uniform runs/m30k-bound/768-paper \
    runs/m30k-bound/768-random
$A merge benchmarks/translation/multi30k-512 runs/m30k-bound/512-uniform runs/m30k-bound/512-paper-a \
    runs/m30k-bound/512-paper-b
for BOUND in 1365 1024 768 512; do $A plot benchmarks/translation/multi30k-$BOUND; done
