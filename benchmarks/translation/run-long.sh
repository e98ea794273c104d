#!/usr/bin/env bash
# After run-seeds.sh, the CPU setting (README (2)) nearer a plateau and the other methods' seeds, all at one
# commit, two processes side by side on the project's 2-core machine, from the repository root:
# 1. 6 epochs instead of 3 (full runs, the inverse-sqrt schedule over the whole run), uniform against AutoAssist
#    with the paper's Assistant, seeds 0-2: time to uniform's final BLEU - 0.5 where the curves flatten.
# 2. InfoBatch and importance sampling at 3 epochs, seeds 0-2 (merged with run-seeds.sh's runs).
# Outputs: benchmarks/translation/multi30k-6epochs, and the 3-epoch runs in multi30k-3seeds.
source benchmarks/translation/cpu-common.sh
COMMON="$COMMON --seeds 0 1 2"
LONG="${COMMON/--epochs 3/--epochs 6}"
( $A bench translate $LONG --methods uniform --out runs/m30k6/u > runs/m30k6-u.log 2>&1
  $A bench translate $COMMON --methods infobatch --out runs/m30k3/g5 > runs/m30k3-g5.log 2>&1 ) &
( $A bench translate $LONG --methods autoassist:assistant=paper --out runs/m30k6/a > runs/m30k6-a.log 2>&1
  $A bench translate $COMMON --methods importance --out runs/m30k3/g6 > runs/m30k3-g6.log 2>&1 ) &
wait
$A merge benchmarks/translation/multi30k-6epochs runs/m30k6/u runs/m30k6/a
$A plot benchmarks/translation/multi30k-6epochs
$A merge benchmarks/translation/multi30k-3seeds runs/m30k3/g2 runs/m30k3/g1 runs/m30k3/g4 runs/m30k3/g3 \
  runs/m30k3/g5 runs/m30k3/g6
$A plot benchmarks/translation/multi30k-3seeds
