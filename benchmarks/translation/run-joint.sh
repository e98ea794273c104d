#!/usr/bin/env bash
# Uniform's learning rate and batch bound tuned together in the CPU setting (README (2)), then the selection
# methods at uniform's best: the sequence as it was run, one round at a time (each decided from the previous
# round's results), two processes side by side (run-setting.sh each).
# Usage: bash benchmarks/translation/run-joint.sh ROUND (1 to 14, in order), then run-joint.sh merge (the results
# folders benchmarks/translation/multi30k-BOUND-lrLR); comparisons: analyse-joint.sh.
set -euo pipefail
S=benchmarks/translation/run-setting.sh
TUNED="--max-tokens 1024 --lr 5e-3"  # uniform's best (found in rounds 1-3); rounds 4 and 7-10 compare the methods there
case $1 in
  1)  # a higher lr at 2,048 tokens; lr 2e-3 at 1,024
    bash $S 2048-lr3e-3 "--lr 3e-3" uniform &
    bash $S 1024-lr2e-3 "--max-tokens 1024 --lr 2e-3" uniform & ;;
  2)  # both gained ~1.5-2 BLEU over 2,048 / 2e-3: higher still
    bash $S 2048-lr5e-3 "--lr 5e-3" uniform &
    bash $S 1024-lr3e-3 "--max-tokens 1024 --lr 3e-3" uniform & ;;
  3)  # lr 5e-3 at 2,048 and 3e-3 at 1,024 higher still, 1,024 ahead of 2,048 at every lr: 1,024 with 5e-3, 768
    bash $S 1024-lr5e-3 "--max-tokens 1024 --lr 5e-3" uniform &
    bash $S 768-lr3e-3 "--max-tokens 768 --lr 3e-3" uniform & ;;
  4)  # uniform levels off from lr 3e-3 (1,024 at 5e-3 ~ 3e-3 ~ 768 at 3e-3, within a seed's noise); 1,024 tokens
      # at 5e-3 reaches 2,048 / 2e-3's target soonest: the selection methods there
    bash $S 1024-lr5e-3-paper "$TUNED" autoassist:assistant=paper &
    bash $S 1024-lr5e-3-random "$TUNED" random:keep_rate=0.75 & ;;
  5)  # the paper's Assistant at the two other tuned settings (2,048 tokens at 5e-3: the cheapest per token; 768 at 3e-3)
    bash $S 2048-lr5e-3-paper "--lr 5e-3" autoassist:assistant=paper &
    bash $S 768-lr3e-3-paper "--max-tokens 768 --lr 3e-3" autoassist:assistant=paper & ;;
  6)  # random skipping at 2,048 / 5e-3 (the paper's Assistant's keep rate there: 0.73), seeds 0-1 and 2 side by side
    SEEDS="0 1" bash $S 2048-lr5e-3-random-a "--lr 5e-3" random:keep_rate=0.73 &
    SEEDS=2 bash $S 2048-lr5e-3-random-b "--lr 5e-3" random:keep_rate=0.73 & ;;
  7)  # nineteenth session: uniform is still rising ~1 BLEU per 156 steps at the end of 3 epochs at 1,024 / 5e-3;
      # 8 epochs (16 evaluations), uniform against the paper's Assistant, to see the curves flatten and whether
      # selection gains once instances have been seen many times
    bash $S 1024-lr5e-3-8ep "$TUNED --epochs 8 --eval-points 16" uniform &
    bash $S 1024-lr5e-3-8ep-paper "$TUNED --epochs 8 --eval-points 16" autoassist:assistant=paper & ;;
  8)  # the other methods at 1,024 / 5e-3, 3 epochs: the loss-history Assistant, InfoBatch (then importance sampling,
      # seeds 0-1 and 2 after them)
    { bash $S 1024-lr5e-3-history "$TUNED" autoassist:assistant=loss-history
      SEEDS="0 1" bash $S 1024-lr5e-3-importance-a "$TUNED" importance; } &
    { bash $S 1024-lr5e-3-infobatch "$TUNED" infobatch
      SEEDS=2 bash $S 1024-lr5e-3-importance-b "$TUNED" importance; } & ;;
  9)  # protocol (b) at the tuned setting: 0.8 and 0.6 of uniform's Boss steps, the schedule compressed to the budget
    bash $S 1024-lr5e-3-frac "$TUNED --fractions 0.8 0.6" uniform &
    bash $S 1024-lr5e-3-frac-paper "$TUNED --fractions 0.8 0.6" autoassist:assistant=paper & ;;
  10)  # the paper's Assistant led on validation in every seed at 0.8 (not on test): random skipping at its keep rate
       # there, seeds 0-1 and 2 side by side
    SEEDS="0 1" bash $S 1024-lr5e-3-frac-random-a "$TUNED --fractions 0.8" random:keep_rate=0.75 &
    SEEDS=2 bash $S 1024-lr5e-3-frac-random-b "$TUNED --fractions 0.8" random:keep_rate=0.75 & ;;
  11)  # twentieth session: the 8-epoch comparison completed: random skipping at the paper's Assistant's 8-epoch keep
       # rate (0.73-0.74 in round 7) and InfoBatch (level with uniform at 3 epochs, round 8), seeds 0-2 each
    bash $S 1024-lr5e-3-8ep-random "$TUNED --epochs 8 --eval-points 16" random:keep_rate=0.73 &
    bash $S 1024-lr5e-3-8ep-infobatch "$TUNED --epochs 8 --eval-points 16" infobatch & ;;
  12)  # protocol (b) at 0.6: random skipping at the paper's Assistant's keep rate there (0.77), seeds 0-1 and 2
    SEEDS="0 1" bash $S 1024-lr5e-3-frac06-random-a "$TUNED --fractions 0.6" random:keep_rate=0.77 &
    SEEDS=2 bash $S 1024-lr5e-3-frac06-random-b "$TUNED --fractions 0.6" random:keep_rate=0.77 & ;;
  13)  # twenty-first session: the 8-epoch comparison for the last two methods of the issue (loss-history Assistant,
       # importance sampling; both behind uniform at 3 epochs, round 8), seeds 0-2 each, then round 14 in the same lanes
    bash $S 1024-lr5e-3-8ep-history "$TUNED --epochs 8 --eval-points 16" autoassist:assistant=loss-history &
    bash $S 1024-lr5e-3-8ep-importance "$TUNED --epochs 8 --eval-points 16" importance & ;;
  14)  # protocol (b) at the tuned setting for the same two methods: 0.8 and 0.6 of uniform's Boss steps (as round 9)
    bash $S 1024-lr5e-3-frac-history "$TUNED --fractions 0.8 0.6" autoassist:assistant=loss-history &
    bash $S 1024-lr5e-3-frac-importance "$TUNED --fractions 0.8 0.6" importance & ;;
  merge)  # the results folders of README (2), "Learning rate and batch bound, tuned together", and their plots
    A=${AUTOASSIST:-.venv/bin/autoassist}
    for N in 2048-lr3e-3 1024-lr2e-3 1024-lr3e-3; do $A merge benchmarks/translation/multi30k-$N runs/m30k-set/$N; done
    $A merge benchmarks/translation/multi30k-1024-lr5e-3 runs/m30k-set/1024-lr5e-3{,-paper,-random,-history,-infobatch,-importance-a,-importance-b,-frac,-frac-paper,-frac-random-a,-frac-random-b,-frac06-random-a,-frac06-random-b,-frac-history,-frac-importance}
    $A merge benchmarks/translation/multi30k-2048-lr5e-3 runs/m30k-set/2048-lr5e-3{,-paper,-random-a,-random-b}
    $A merge benchmarks/translation/multi30k-768-lr3e-3 runs/m30k-set/768-lr3e-3{,-paper}
    $A merge benchmarks/translation/multi30k-1024-lr5e-3-8epochs runs/m30k-set/1024-lr5e-3-8ep{,-paper,-random,-infobatch,-history,-importance}
    for N in 2048-lr3e-3 1024-lr2e-3 1024-lr3e-3 1024-lr5e-3 2048-lr5e-3 768-lr3e-3 1024-lr5e-3-8epochs; do
      $A plot benchmarks/translation/multi30k-$N
    done ;;
  *) echo "run-joint.sh: ROUND must be 1 to 14 or merge, got '$1'" >&2; exit 2 ;;
esac
wait
